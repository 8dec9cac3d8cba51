"""The pre-commit hook end to end, with the real pre-commit tool.

`pre-commit try-repo` installs critic from a git repository into a fresh environment (pip,
from the package index) and runs the `critic` hook on the files it is given, in a throwaway
project repository: it must fail on a flawed commit and pass on a clean one, report only the
given files, and still see the project around them (the Dockerfile, compose file,
.dockerignore and tests exist but are not part of the commit's files).

try-repo on a repository with uncommitted changes snapshots only its *tracked* files (it runs
`git add -u` into a shadow clone), so new, untracked modules of a working tree would be
missing from the hook's install. The test therefore snapshots the working tree itself (the
package files, tracked or not) into a fresh repository with one commit and points try-repo at
that. Each try-repo builds a new environment (it uses a temporary store), so the two runs go
concurrently. One test: it needs the network and takes minutes.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
_INSTALL_TIMEOUT = 1800

MAIN = '''from fastapi import FastAPI

from app.db import find_user

app = FastAPI(title="users")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/v1/users/{name}")
def read_user(name: str) -> dict[str, str]:
    return find_user(name)
'''
DB_FLAWED = '''import sqlite3


def find_user(name: str) -> dict[str, str]:
    with sqlite3.connect("users.db") as conn:
        row = conn.execute(f"SELECT id, name FROM users WHERE name = '{name}'").fetchone()
    return {"id": str(row[0]), "name": row[1]}
'''
DB_CLEAN = DB_FLAWED.replace("f\"SELECT id, name FROM users WHERE name = '{name}'\")", '"SELECT id, name FROM users WHERE name = ?", (name,))')
#: a violation in a file the commit does not touch: never reported by the hook
LEGACY = '''import sqlite3


def count(table: str) -> int:
    with sqlite3.connect("users.db") as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
'''
PROJECT = {
    "app/__init__.py": "",
    "app/main.py": MAIN,
    "app/legacy.py": LEGACY,
    "tests/test_main.py": "from app.main import health\n\n\ndef test_health() -> None:\n    assert health() == {\"status\": \"ok\"}\n",
    "Dockerfile": 'FROM python:3.12-slim\nCMD ["python", "-m", "app.main"]\n',
    "docker-compose.yml": "services:\n  api:\n    build: .\n",
    ".dockerignore": ".git\n.env\n__pycache__\n",
}


def _git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_AUTHOR_NAME="critic tests",
        GIT_AUTHOR_EMAIL="tests@example.invalid",
        GIT_COMMITTER_NAME="critic tests",
        GIT_COMMITTER_EMAIL="tests@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        HOME=str(home),  # no user git config (hooks, signing) leaks in
        PRE_COMMIT_HOME=str(home / "pre-commit-cache"),
        NO_COLOR="1",
    )
    env.pop("VIRTUAL_ENV", None)
    env.pop("FORCE_COLOR", None)
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _commit_all(path: Path, env: dict[str, str], message: str) -> None:
    _git(path, env, "init", "-q")
    _git(path, env, "add", "-A")
    _git(path, env, "commit", "-q", "-m", message)


def _snapshot_of_critic(target: Path, env: dict[str, str]) -> Path:
    """critic's package as it is in the working tree (new files included), as one commit."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".*_cache")
    for folder in ("critic", "rules"):
        shutil.copytree(REPO / folder, target / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(REPO / name, target / name)
    _commit_all(target, env, "critic snapshot")
    return target


def _project(target: Path, env: dict[str, str], db_py: str) -> Path:
    for rel, text in {**PROJECT, "app/db.py": db_py}.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text, encoding="utf-8")
    _commit_all(target, env, "a commit")
    return target


def _index_problem() -> str | None:
    """Why pip could not reach its package index, or None when it can."""
    url = os.environ.get("PIP_INDEX_URL")
    if not url:
        found = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"], capture_output=True, text=True)
        url = found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else "https://pypi.org/simple/"
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/pip/", timeout=20) as response:
            response.read(64)
    except Exception as exc:  # any failure to reach it means the hook cannot be installed
        return f"pip cannot reach the package index {url} ({type(exc).__name__}: {exc})"
    return None


def test_pre_commit_try_repo_fails_a_flawed_commit_and_passes_a_clean_one(tmp_path):
    if not PRE_COMMIT.exists():
        pytest.skip(f"pre-commit is not installed next to {sys.executable} (install the test extra: pip install -e '.[test]')")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    problem = _index_problem()
    if problem:
        pytest.skip(f"{problem}: try-repo installs critic and its dependencies into a fresh environment")

    home = tmp_path / "home"
    home.mkdir()
    env = _git_env(home)
    source = _snapshot_of_critic(tmp_path / "critic-src", env)
    flawed = _project(tmp_path / "flawed", env, DB_FLAWED)
    clean = _project(tmp_path / "clean", env, DB_CLEAN)

    def start(project: Path) -> subprocess.Popen:
        return subprocess.Popen(
            [str(PRE_COMMIT), "try-repo", str(source), "critic", "--verbose", "--files", "app/main.py", "app/db.py"],
            cwd=project,
            env={**env, "PRE_COMMIT_HOME": str(home / f"cache-{project.name}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    runs = {"flawed": start(flawed), "clean": start(clean)}
    outputs = {}
    try:
        for name, process in runs.items():
            outputs[name] = process.communicate(timeout=_INSTALL_TIMEOUT)[0]
    finally:
        for process in runs.values():
            if process.poll() is None:
                process.kill()
    codes = {name: process.returncode for name, process in runs.items()}

    for name, out in outputs.items():
        if "An unexpected error has occurred" in out or "CalledProcessError" in out:
            pytest.fail(f"pre-commit could not install or run the hook ({name}):\n{out[-4000:]}")

    flawed_out, clean_out = outputs["flawed"], outputs["clean"]
    assert codes["flawed"] == 1, flawed_out[-4000:]
    assert "Failed" in flawed_out and "- exit code: 1" in flawed_out
    assert "app/db.py" in flawed_out and "6:15 SQL001 critical" in flawed_out
    assert "FAIL: 1 critical" in flawed_out

    assert codes["clean"] == 0, clean_out[-4000:]
    assert "Passed" in clean_out and "PASS" in clean_out
    assert "SQL001" not in clean_out

    for out in outputs.values():
        assert "legacy.py" not in out  # not among the files: not reported
        # the project around the files: Dockerfile, compose, .dockerignore and tests exist
        assert "PRJ001" not in out and "PRJ002" not in out
        assert "in 2 files" in out  # exactly the two files it was given
