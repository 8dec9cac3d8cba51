"""Re-record the engine outputs the parsing tests read: `python tests/data/engines/record.py`.

Runs each engine exactly as critic does (the adapters' own commands) over the fixtures and
stores stdout verbatim, except that the fixture root's absolute path becomes {ROOT} (critic
passes absolute paths) so the recordings do not depend on where the repository lives.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from critic.config import Config
from critic.discover import discover
from critic.engines import bandit, hadolint, ruff, semgrep
from critic.engines.process import clean_env, find_binary, run

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent.parent.parent / "fixtures"


def python_files(root: Path) -> list[str]:
    """Absolute, as the adapters pass them (engines run without a working directory)."""
    return [str(root / f.path) for f in discover(root, None, Config()).files if f.kind == "python"]


def save(name: str, root: Path, text: str) -> None:
    (HERE / name).write_text(text.replace(str(root), "{ROOT}"), encoding="utf-8")
    print(f"recorded {name} ({len(text)} chars)")


def main() -> None:
    flawed = FIXTURES / "fastapi_flawed"
    paths = python_files(flawed)
    done = run(ruff.command(find_binary("ruff"), paths), timeout=60, env=clean_env())
    save("ruff_fastapi_flawed.json", flawed, done.stdout)
    argv = [find_binary("bandit"), "-f", "json", "-q", "--skip", ",".join(bandit.SKIP), "-r", "--", *paths]
    save("bandit_fastapi_flawed.json", flawed, run(argv, timeout=60, env=clean_env()).stdout)
    bad = FIXTURES / "bad_input"
    argv = [find_binary("bandit"), "-f", "json", "-q", "--skip", ",".join(bandit.SKIP), "-r", "--", *python_files(bad)]
    save("bandit_bad_input.json", bad, run(argv, timeout=60, env=clean_env()).stdout)
    with tempfile.TemporaryDirectory() as workdir:
        argv = semgrep.command(find_binary("semgrep"), [str(flawed / t) for t in semgrep.targets([p.removeprefix(str(flawed) + "/") for p in paths])], Config())
        save("semgrep_fastapi_flawed.json", flawed, run(argv, timeout=120, env=semgrep.environment(workdir)).stdout)
    flask = FIXTURES / "flask_flawed"
    done = run(hadolint.command(find_binary("hadolint"), str(flask / "Dockerfile")), timeout=60, env=clean_env())
    save("hadolint_flask_flawed.json", flask, done.stdout)


if __name__ == "__main__":
    main()
