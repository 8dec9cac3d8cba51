"""Hostile trees and broken engines: every case ends in a clear finding or error, the rest of the
tree is still fully checked, nothing outside the root is read, no child process is left behind.

- symlink loops, symlinks out of the root (files and folders), broken symlinks, named pipes;
- names starting with `-` or holding spaces, quotes, newlines, shell syntax, non-ASCII, bytes
  that are not UTF-8, handed to all four engines (argv lists, `--` before paths, no shell);
- an unreadable file or folder (chmod 000 does not stop root, so reads are made to fail);
- an empty folder, a path that does not exist;
- engines that are missing, exit non-zero, hang, print invalid JSON or JSON of the wrong shape.
"""
from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from _hostile import critic_cli, is_root, places, run_limited, time_limit, write_tree
from critic.api import UsageError, critique
from critic.cli import main
from critic.config import ENGINE_NAMES, Config
from critic.report import FORMATS, RenderOptions, renderer


@pytest.fixture(autouse=True)
def _bounded():
    """Every test here ends within 400 s, or fails (SIGALRM), rather than hanging the suite."""
    with time_limit(400):
        yield


ORDINARY = {
    "app/service.py": (
        "import logging\n"
        "\n"
        "logger = logging.getLogger(__name__)\n"
        "\n"
        "\n"
        "def login(username: str, password: str) -> None:\n"
        '    logger.info("login %s %s", username, password)\n'
        "    try:\n"
        "        return None\n"
        "    except:\n"
        "        pass\n"
    ),
}
ORDINARY_EXPECTED = {("app/service.py", 7, "SEC001"), ("app/service.py", 10, "QLT003")}
OUTSIDE_SECRET = "outside-secret-value-never-read-42"


def _json_report(root: Path, *extra: str, timeout: float = 120.0, cwd: Path | None = None) -> dict:
    engines = extra[extra.index("--engines") + 1] if "--engines" in extra else "all"
    memory = 1536 if engines == "none" else None  # engines' own memory is theirs to manage
    done = run_limited(critic_cli("check", str(root), "--format", "json", "--no-cache", *extra), timeout=timeout, cwd=cwd, memory_mb=memory)
    assert not done.timed_out, "critic hung"
    assert done.returncode in (0, 1), (done.returncode, done.stderr[-2000:])
    return json.loads(done.stdout)


def _errors(report: dict) -> dict[str, str]:
    return {e["path"]: e["message"] for e in report["errors"]}


# --------------------------------------------------------------------------- symlinks and special files
@pytest.fixture()
def linked_tree(tmp_path):
    outside = write_tree(tmp_path / "outside", {
        "secret.py": f'TOKEN = "{OUTSIDE_SECRET}"  # TODO leak me\n',
        "pkg/mod.py": f'PASSWORD = "{OUTSIDE_SECRET}"\n',
    })
    root = write_tree(tmp_path / "svc", ORDINARY)
    app = root / "app"
    os.symlink(".", app / "loop")  # a folder loop
    os.symlink("self.py", app / "self.py")  # a link to itself
    os.symlink(outside / "secret.py", app / "outside_file.py")
    os.symlink(outside / "pkg", app / "outside_dir")
    os.symlink("../../outside/secret.py", app / "relative_escape.py")
    os.symlink("missing.py", app / "broken.py")
    os.symlink("service.py", app / "alias.py")  # inside the root: kept
    os.mkfifo(app / "pipe.py")  # reading it would block for ever
    os.symlink("pipe.py", app / "to_pipe.py")
    return root


def test_symlinks_and_pipes_are_errors_and_never_followed(linked_tree):
    report = _json_report(linked_tree, "--engines", "none", timeout=60)
    errors = _errors(report)
    assert "symlinked directory" in errors["app/loop"]
    assert "looping" in errors["app/self.py"]
    assert "outside the scanned root" in errors["app/outside_file.py"]
    assert "outside the scanned root" in errors["app/relative_escape.py"]
    assert "symlinked directory" in errors["app/outside_dir"]
    assert "broken" in errors["app/broken.py"]
    assert "not a regular file" in errors["app/pipe.py"]
    assert "not a regular file" in errors["app/to_pipe.py"]
    assert report["verdict"] in ("incomplete", "fail")
    found = {(f["path"], f["line"], f["rule_id"]) for f in report["findings"]}
    assert ORDINARY_EXPECTED <= found
    assert {("app/alias.py", 7, "SEC001"), ("app/alias.py", 10, "QLT003")} <= found  # a link inside the root is a file
    text = json.dumps(report)
    assert OUTSIDE_SECRET not in text and "leak me" not in text


def test_symlinks_never_reach_the_engines(linked_tree):
    report = _json_report(linked_tree, "--engines", "ruff,bandit", timeout=120)
    assert {e["name"]: e["status"] for e in report["engines"]} == {"bandit": "ok", "ruff": "ok"}
    assert OUTSIDE_SECRET not in json.dumps(report)
    assert not [f for f in report["findings"] if "outside" in f["path"] or "pipe" in f["path"]]


def test_a_thousand_folders_deep(tmp_path):
    """Discovery walks with a stack: 1,200 nested folders do not overflow Python's."""
    root = write_tree(tmp_path / "svc", ORDINARY)
    deep = os.fsencode(root)
    for _ in range(1200):
        deep += b"/d"
        os.mkdir(deep)
    with open(deep + b"/deep.py", "w") as handle:
        handle.write("x = 1  # TODO finish\n")
    try:
        with time_limit(120):
            report = critique([root], engines=())
    finally:  # bottom up: shutil.rmtree (pytest's clean-up) recurses and would overflow
        os.remove(deep + b"/deep.py")
        while deep != os.fsencode(root):
            os.rmdir(deep)
            deep = os.path.dirname(deep)
    deep_rel = "/".join(["d"] * 1200) + "/deep.py"
    assert (deep_rel, 1, "QLT001") in places(report)
    assert ORDINARY_EXPECTED <= places(report) and report.errors == ()


# --------------------------------------------------------------------------- odd names
ODD_NAMES = [
    "--help.py",
    "-rf dir/--version.py",
    "-rf dir/with space.py",
    "-rf dir/quote\"d'.py",
    "-rf dir/new\nline.py",
    "-rf dir/$(touch PWNED).py",
    "-rf dir/;touch PWNED2;.py",
    "-rf dir/ünïcødé/日本.py",
    "-d/Dockerfile",
]
PICKLE = "import pickle\n\n\ndef load(data):\n    try:\n        return pickle.loads(data)\n    except:\n        pass\n"


def test_odd_names_reach_every_engine_safely(tmp_path):
    files = {name: PICKLE for name in ODD_NAMES if name.endswith(".py")}
    files["-d/Dockerfile"] = "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl\nUSER app\n"
    root = write_tree(tmp_path / "svc", files)
    report = _json_report(root, "--engines", "all", timeout=300, cwd=tmp_path)
    assert {e["name"]: e["status"] for e in report["engines"]} == {name: "ok" for name in ENGINE_NAMES}
    found = {(f["path"], f["line"], f["rule_id"]) for f in report["findings"]}
    for name in ODD_NAMES:
        if name.endswith(".py"):
            assert (name, 7, "QLT003") in found, name  # critic's own pass
            assert (name, 6, "bandit:B301") in found, name  # bandit got the file
            assert any(p == name and r.startswith(("ruff:", "QLT003")) for p, _, r in found)
    assert any(p == "-d/Dockerfile" and r.startswith("hadolint:") for p, _, r in found)
    assert report["errors"] == []
    assert not list(tmp_path.rglob("PWNED*")), "a file name was run through a shell"


def test_names_that_are_not_utf8_are_errors_and_every_renderer_copes(tmp_path):
    root = write_tree(tmp_path / "svc", ORDINARY)
    bad_dir = os.fsencode(root) + b"/\xff\xfe dir"
    os.mkdir(bad_dir)
    with open(bad_dir + b"/mod.py", "w") as handle:
        handle.write("x = 1\n")
    with open(os.fsencode(root) + b"/app/caf\xe9.py", "w") as handle:
        handle.write("y = 2\n")
    with time_limit(60):
        report = critique([root], engines=())
    errors = {e.path: e.message for e in report.errors}
    assert errors == {
        "\\xff\\xfe dir": "name is not valid UTF-8; not checked (rename it)",
        "app/caf\\xe9.py": "name is not valid UTF-8; not checked (rename it)",
    }
    assert ORDINARY_EXPECTED <= places(report)
    for name in FORMATS:  # every renderer, even one added later
        text = renderer(name)(report, RenderOptions())
        text.encode("utf-8")  # no lone surrogate left to crash a write to stdout
    json_errors = {e["path"] for e in json.loads(renderer("json")(report, RenderOptions()))["errors"]}
    assert json_errors == {"\\xff\\xfe dir", "app/caf\\xe9.py"}


# --------------------------------------------------------------------------- unreadable
def test_unreadable_file_is_a_finding_and_the_rest_is_checked(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "svc", {**ORDINARY, "app/secret_store.py": "X = 1\n"})
    target = root / "app" / "secret_store.py"
    if is_root():  # root reads through chmod 000: make the read itself fail
        real = Path.read_bytes

        def read_bytes(self):
            if self == target:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    else:  # pragma: no cover - CI as an ordinary user
        target.chmod(0)
    try:
        report = critique([root], Config(jobs=1), engines=())
    finally:
        target.chmod(stat.S_IRUSR | stat.S_IWUSR)
    (finding,) = [f for f in report.findings if f.path == "app/secret_store.py" and f.rule_id == "PRJ003"]
    assert finding.line == 1
    assert "cannot read file: Permission denied" in finding.message
    assert ORDINARY_EXPECTED <= places(report)


def test_unreadable_folder_is_an_error_and_the_rest_is_checked(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "svc", {**ORDINARY, "locked/mod.py": "X = 1\n"})
    locked = root / "locked"
    real = os.scandir

    def scandir(path="."):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = critique([root], Config(jobs=1), engines=())
    assert [(e.path, e.message) for e in report.errors] == [("locked", "cannot list directory: Permission denied")]
    assert report.verdict in ("incomplete", "fail")
    assert ORDINARY_EXPECTED <= places(report)


# --------------------------------------------------------------------------- empty, missing
def test_empty_folder_is_incomplete_not_a_pass(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    report = critique([empty], engines=())
    assert report.verdict == "incomplete" and report.findings == ()
    assert [(e.path, e.message) for e in report.errors] == [(".", "nothing to check: no Python file, Dockerfile or compose file under the scanned path")]
    assert main(["check", str(empty), "--engines", "none", "--no-cache"]) == 1
    assert "nothing to check" in capsys.readouterr().out


def test_path_that_does_not_exist_is_a_usage_error(tmp_path, capsys):
    missing = tmp_path / "no such dir"
    with pytest.raises(UsageError, match="no such file or directory"):
        critique([missing], engines=())
    assert main(["check", str(missing), "--engines", "none", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "critic: error: no such file or directory" in err and str(missing) in err


# --------------------------------------------------------------------------- broken engines
FAKE_ENGINE = """#!/bin/sh
for a in "$@"; do if [ "$a" = "--version" ]; then echo "fake 9.9.9"; exit 0; fi; done
case "{mode}" in
  hang) sleep 60 & echo $! > "{pidfile}"; sleep 60 ;;
  invalid_json) echo "this is not JSON {{" ;;
  wrong_shape) echo '[42, "x", null]' ;;
  nonzero) echo "boom: internal error" >&2; exit 3 ;;
esac
"""
ENGINE_MODES = {
    "missing": ("missing", "not found"),
    "nonzero": ("failed", "exited 3"),
    "invalid_json": ("failed", "not its JSON report"),
    "wrong_shape": ("failed", "report"),
    "hang": ("timeout", "did not finish within 1.5s"),
}


@pytest.fixture(scope="module")
def engine_tree(tmp_path_factory):
    root = write_tree(tmp_path_factory.mktemp("engines") / "svc", {
        "app/a.py": "try:\n    x = 1\nexcept:\n    pass\n",
        "Dockerfile": "FROM python:3.12-slim\nUSER app\n",
    })
    config = Config(select=("QLT003",), engine_timeout=1.5)
    native = critique([root], config, engines=())
    assert native.verdict == "pass_with_warnings" and places(native) == {("app/a.py", 3, "QLT003")}
    return root, config, native


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("mode", list(ENGINE_MODES))
def test_broken_engine_is_incomplete_with_its_reason(engine_tree, tmp_path, monkeypatch, engine, mode):
    root, config, native = engine_tree
    pidfile = tmp_path / "child.pid"
    if mode == "missing":
        binary = tmp_path / "no-such-engine"
    else:
        binary = tmp_path / f"fake-{engine}"
        binary.write_text(FAKE_ENGINE.format(mode=mode, pidfile=pidfile), encoding="utf-8")
        binary.chmod(0o755)
    monkeypatch.setenv(f"CRITIC_{engine.upper()}_BIN", str(binary))
    started = time.monotonic()
    with time_limit(60):
        report = critique([root], config, engines=(engine,))
    assert time.monotonic() - started < 20
    status, words = ENGINE_MODES[mode]
    (run,) = report.engines
    assert (run.name, run.status) == (engine, status), run
    assert words in run.reason and (engine in run.reason or mode == "wrong_shape"), run.reason
    assert report.verdict == "incomplete"
    assert f"engine {engine} {status}" in report.summary
    assert places(report) == places(native), "the native findings are all still there"
    if mode == "hang":
        child = int(pidfile.read_text())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the hung engine's child {child} outlived the timeout")


def test_named_pipes_where_critic_reads_config_never_block(tmp_path):
    """A .gitignore (root or nested) or a pyproject.toml that is a pipe: skipped, not read."""
    root = write_tree(tmp_path / "svc", ORDINARY)
    os.mkfifo(root / ".gitignore")
    os.mkfifo(root / "app" / ".gitignore")
    os.mkfifo(root / "pyproject.toml")
    report = _json_report(root, "--engines", "none", timeout=60)
    assert ORDINARY_EXPECTED <= {(f["path"], f["line"], f["rule_id"]) for f in report["findings"]}


# --------------------------------------------------------------------------- the terminal is not the tree's
def test_text_output_cannot_be_driven_by_the_tree(tmp_path):
    """Escape sequences and line breaks in names and code reach the terminal as visible marks:
    a scanned file cannot recolour, retitle or clear the terminal, or print a fake verdict line."""
    evil_name = "app/x\n\x1b[32mPASS: 0 critical\x1b[0m.py"
    root = write_tree(tmp_path / "svc", {
        **ORDINARY,
        evil_name: "x = 1  # TODO \x1b]0;pwned\x07\x1b[2J\x1b[1A\x08\x08PASS\u202e\n",
    })
    report = critique([root], engines=())
    assert (evil_name, 1, "QLT001") in places(report)  # found, under its real name
    text = renderer("text")(report, RenderOptions(color=False))
    assert not [c for c in "\x1b\x07\x08\r\u202e" if c in text]
    assert [line for line in text.splitlines() if line.startswith("PASS")] == []
    colored = renderer("text")(report, RenderOptions(color=True))
    assert "\x1b]0;" not in colored and "\x1b[2J" not in colored and "\x1b[1A" not in colored
    github = renderer("github")(report, RenderOptions())
    assert all(line.startswith(("::", "critic: ")) for line in github.splitlines())
