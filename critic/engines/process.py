"""Finding an engine's binary and running it: no shell, a clean environment, a hard timeout.

A run that outlives its timeout is killed with its whole process group (the engine's own
workers included), so no orphan keeps running or holds the pipes open.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

#: Environment variables an engine would read from the user's shell and that would change
#: what it checks or where it reports (configuration, rule sets, tokens, caches).
_SCRUBBED_PREFIXES = ("RUFF_", "SEMGREP_", "HADOLINT_", "BANDIT_")
_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)?(?:[.\-+]?[0-9A-Za-z]+)*)")
#: Command lines are split into batches below this many characters of paths.
ARGS_BUDGET = 64_000


@dataclass(frozen=True, slots=True)
class Completed:
    returncode: int | None  # None when killed on timeout
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False


def find_binary(name: str) -> str | None:
    """The engine's executable: $CRITIC_<NAME>_BIN, else next to the running interpreter, else PATH.

    An override naming nothing executable means "missing" (tests plant a missing engine that way).
    """
    override = os.environ.get(f"CRITIC_{name.upper()}_BIN")
    if override is not None:
        found = shutil.which(override) if os.sep not in override else override
        return found if found and os.path.isfile(found) and os.access(found, os.X_OK) else None
    suffix = ".exe" if os.name == "nt" else ""
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        if folder:
            candidate = Path(folder) / f"{name}{suffix}"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return shutil.which(name)


#: Variables that would make a Python engine (bandit, semgrep) import modules from the scanned
#: tree: with PYTHONPATH=. (a common habit) a project's own `secrets.py` or `logging.py` would
#: shadow the engine's imports and run. Engines get their interpreter's own paths only.
_PYTHON_SCRUBBED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONUSERBASE", "PYTHONEXECUTABLE")
_PYTHON_SAFE = {"PYTHONSAFEPATH": "1", "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES) and k not in _PYTHON_SCRUBBED}
    env.update(_PYTHON_SAFE)
    env.update(extra or {})
    return env


def run(argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None) -> Completed:
    """Run ``argv`` (never through a shell) and wait at most ``timeout`` seconds.

    Engines start while the native pass forks its worker processes. A fork taken while a pipe
    is open keeps that pipe's write end alive in the worker, so anything that waits for a pipe
    to close (``communicate()``, and ``subprocess.Popen`` itself, which reads its exec-error
    pipe) can hang until the worker exits. So: output goes to temporary files, the process is
    started with ``posix_spawn`` (no exec-error pipe) and the wait is on its pid. ``cwd`` is
    not supported by posix_spawn here: callers pass absolute paths instead.
    """
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        if hasattr(os, "posix_spawn") and cwd is None:
            returncode, timed_out = _spawn_and_wait(argv, env, out.fileno(), err.fileno(), timeout)
        else:  # pragma: no cover - Windows, or a caller that needs a working directory
            returncode, timed_out = _popen_and_wait(argv, env, cwd, out, err, timeout)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return Completed(returncode, _text(stdout), _text(stderr), time.monotonic() - started, timed_out)


def _spawn_and_wait(argv: Sequence[str], env: Mapping[str, str] | None, out: int, err: int, timeout: float) -> tuple[int | None, bool]:
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, out, 1),
        (os.POSIX_SPAWN_DUP2, err, 2),
    ]
    # setsid: its own session and process group, so a timeout kills its children too
    pid = os.posix_spawn(argv[0], list(argv), dict(env if env is not None else os.environ), file_actions=actions, setsid=True)
    deadline = time.monotonic() + max(0.01, timeout)
    pause = 0.002
    try:
        while True:
            status = _exit_status(pid)
            if status is not None:
                return os.waitstatus_to_exitcode(status), False
            if time.monotonic() >= deadline:
                _kill_pgid(pid)
                os.waitpid(pid, 0)
                return None, True
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
    except BaseException:
        _kill_pgid(pid)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        raise


def _exit_status(pid: int) -> int | None:
    """The wait status of ``pid`` once it has exited (reaped), else None. Where the platform
    can look without reaping (waitid), the group is killed first: nothing the engine started
    may outlive it, and its pid, still unreaped, cannot have been reused as a group id."""
    if hasattr(os, "waitid"):
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            return None
        _kill_pgid(pid)
        return os.waitpid(pid, 0)[1]
    done, status = os.waitpid(pid, os.WNOHANG)  # pragma: no cover - macOS
    return status if done else None  # pragma: no cover


def _popen_and_wait(argv, env, cwd, out, err, timeout) -> tuple[int | None, bool]:  # pragma: no cover
    proc = subprocess.Popen(
        list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd,
        env=dict(env) if env is not None else None, start_new_session=os.name != "nt",
    )
    try:
        proc.wait(timeout=max(0.01, timeout))
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.wait()
        return None, True
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    return proc.returncode, False


def _kill_pgid(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    except AttributeError:  # pragma: no cover - no process groups (Windows)
        proc.kill()


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


_versions: dict[tuple[str, float], str | None] = {}
_versions_lock = threading.Lock()


def version_of(binary: str, args: Sequence[str] = ("--version",), timeout: float = 15.0) -> tuple[str | None, Completed]:
    """The version an engine prints for ``--version`` (cached per binary and modification time)."""
    try:
        key = (binary, os.stat(binary).st_mtime)
    except OSError:
        key = (binary, 0.0)
    with _versions_lock:
        if key in _versions:
            return _versions[key], Completed(0, "", "", 0.0)
    done = run([binary, *args], timeout=timeout, env=clean_env())
    match = _VERSION.search(done.stdout + "\n" + done.stderr) if done.returncode == 0 else None
    version = match.group(1) if match else None
    if done.returncode == 0:
        with _versions_lock:
            _versions[key] = version
    return version, done


def batches(paths: Sequence[str], budget: int = ARGS_BUDGET) -> list[list[str]]:
    """Split a list of paths so no command line grows past ``budget`` characters."""
    out: list[list[str]] = []
    current: list[str] = []
    size = 0
    for path in paths:
        if current and size + len(path) + 1 > budget:
            out.append(current)
            current, size = [], 0
        current.append(path)
        size += len(path) + 1
    if current:
        out.append(current)
    return out


def tail(text: str, limit: int = 300) -> str:
    """The last meaningful line(s) of an engine's error output, for a failure reason."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    last = " | ".join(lines[-2:])
    return last if len(last) <= limit else "..." + last[-limit:]
