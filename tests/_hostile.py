"""Helpers shared by the hostile-input, no-leak, determinism and fuzz tests.

- ``time_limit(seconds)``: fail a test (TimeoutError) that runs longer, by SIGALRM.
- ``run_limited(args, ...)``: run critic's CLI (or a Python snippet) in a subprocess under an
  address-space limit and a timeout; a native crash shows as a negative return code.
- ``write_tree(root, files)``: str or bytes content per relative path.
- ``places(report)``: the (path, line, rule id) of every finding, to compare locations.
"""
from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from critic.testing import write_tree  # noqa: F401  (the hostile tests import it from here)

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@contextlib.contextmanager
def time_limit(seconds: float, what: str = "the test") -> Iterator[None]:
    """Raise TimeoutError in the main thread when the block outlives ``seconds``.

    (A signal cannot interrupt native code; the hostile cases that could hang there run in a
    subprocess with a timeout instead: ``run_limited``.)
    """

    def expired(signum, frame):  # pragma: no cover - only on a hang
        raise TimeoutError(f"{what} took more than {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Limited:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool


def _limits(memory_mb: int | None):
    def apply() -> None:  # runs in the child, before exec
        if memory_mb is not None:
            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_limited(
    args: Sequence[str],
    *,
    memory_mb: int | None = 1536,
    timeout: float = 120.0,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Limited:
    """``python args...`` in a child limited to ``memory_mb`` of address space (None: no limit,
    for runs with engines: semgrep's core reserves gigabytes it never uses) and ``timeout``
    seconds; the whole process group is killed on timeout."""
    full_env = dict(os.environ)
    full_env.update({"CRITIC_NO_CACHE": "1", "PYTHONHASHSEED": full_env.get("PYTHONHASHSEED", "0")})
    full_env.update(env or {})
    proc = subprocess.Popen(
        [PYTHON, *args],
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_limits(memory_mb),
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        timed_out = True
    return Limited(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), timed_out)


def critic_cli(*args: str) -> list[str]:
    """The argv (after the interpreter) that runs critic's command line: its console script,
    as users run it (``python -m critic`` would put the working directory on sys.path)."""
    script = Path(PYTHON).with_name("critic")
    return [str(script), *args] if script.is_file() else ["-m", "critic", *args]


def places(report) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.rule_id) for f in report.findings}


def by_path(report) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in report.findings:
        out.setdefault(f.path, []).append(f)
    return out


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0
