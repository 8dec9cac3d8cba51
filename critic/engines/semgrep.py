"""semgrep: critic's own rule pack (rules/semgrep/*.yaml, installed as critic.rules data), offline.

Never the registry, never the network: ``--config`` names only critic's rule folder,
``--metrics=off``, ``--disable-version-check`` and SEMGREP_ENABLE_VERSION_CHECK=0; HOME and the
XDG folders point into a temporary folder, since semgrep writes its settings and logs there.
semgrep prefixes rule ids with the dotted path of the config folder, so the id is the part after
the last '.' (critic's semgrep ids contain no dot). ``extra.lines`` says "requires login" when
logged out: lines come from ``start``/``end`` and the snippet from the file itself.
"""
from __future__ import annotations

import json
import os
import time
from importlib import resources
from pathlib import Path
from typing import Sequence

from critic.config import DEFAULT_EXCLUDES, Config
from critic.engines.common import (
    TIER_OF_SEVERITY,
    EngineFailure,
    EngineResult,
    cwe_ids,
    level,
    owasp_ids,
    relative,
    scrub,
)
from critic.engines.process import ARGS_BUDGET, clean_env, run, tail

NAME = "semgrep"
BINARY = "semgrep"
KINDS = ("python",)
#: Up to this many files are always named, whatever the folders hold.
_FEW_TARGETS = 4
_PER_FILE_TIMEOUT = 10


def rules_dir() -> str:
    return str(resources.files("critic.rules").joinpath("semgrep"))


def rule_id(check_id: str) -> str:
    return check_id.rsplit(".", 1)[-1]


def version(binary: str, timeout: float) -> str | None:
    """Read from the scan's own JSON (``semgrep --version`` alone costs seconds)."""
    return None


def targets(paths: Sequence[str], root: Path | None = None) -> list[str]:
    """The command-line targets that make semgrep scan exactly ``paths`` (relative to ``root``).

    semgrep pays about a tenth of a second for every target it is given (27 files named one
    by one: 5.2 s; their folder: 2.9 s), so a top-level folder is given instead of its files
    where that changes nothing: every Python file in the folder is one asked for (a pre-commit
    run on five files must not scan the whole tree). Everything else is named; beyond the
    argument budget, the top-level folders are given. A folder is scanned with semgrep's own
    ignore lists turned off (IGNORE_FILES_FLAG), or it would skip tests/ and vendor/ inside it.
    """
    if len(paths) <= _FEW_TARGETS or root is None:
        return _named_or_top_level(paths)
    wanted = set(paths)
    by_top: dict[str, list[str]] = {}
    for p in paths:
        if "/" in p:
            by_top.setdefault(p.split("/", 1)[0], []).append(p)
    out = [p for p in paths if "/" not in p]
    for top, inside in sorted(by_top.items()):
        out += [top] if set(_python_files(root, top)) <= wanted else inside
    return _named_or_top_level(out)


#: semgrep skips what its ignore lists name (tests/, vendor/, a project's .semgrepignore) inside
#: a folder it is given, never a file named. This flag turns that off (semgrep >= 1.100 or so;
#: marked internal): critic decides what is scanned. A semgrep that refuses it gets the files
#: named instead.
IGNORE_FILES_FLAG = "--x-ignore-semgrepignore-files"


def _named_or_top_level(names: Sequence[str]) -> list[str]:
    if sum(len(p) + 1 for p in names) <= ARGS_BUDGET // 4:
        return sorted(names)
    return sorted({p.split("/", 1)[0] for p in names})


def _python_files(root: Path, top: str) -> list[str]:
    """Every .py file semgrep would scan under ``root/top`` with its ignore lists off."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root / top):
        dirs[:] = [d for d in dirs if d not in DEFAULT_EXCLUDES and not os.path.islink(os.path.join(folder, d))]
        rel = Path(folder).relative_to(root).as_posix()
        found += [f"{rel}/{name}" for name in files if name.endswith(".py")]
    return found


def command(binary: str, target_list: Sequence[str], config: Config, folders: bool = False) -> list[str]:
    argv = [
        binary, "scan", "--config", rules_dir(), "--json", "--quiet", "--metrics=off",
        "--disable-version-check", "--no-git-ignore", "--oss-only",
        "--timeout", str(_PER_FILE_TIMEOUT), "--max-target-bytes", str(config.max_file_bytes),
    ]
    if folders:
        argv.append(IGNORE_FILES_FLAG)
    for pattern in tuple(DEFAULT_EXCLUDES) + tuple(config.exclude):
        argv += ["--exclude", pattern]
    return argv + ["--", *target_list]


def environment(workdir: str) -> dict[str, str]:
    home = os.path.join(workdir, "home")
    os.makedirs(home, exist_ok=True)
    return clean_env(
        {
            "SEMGREP_ENABLE_VERSION_CHECK": "0",
            "SEMGREP_SEND_METRICS": "off",
            "HOME": home,
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        }
    )


def check(binary: str, root: Path, paths: Sequence[str], config: Config, timeout: float, workdir: str) -> tuple[list[EngineResult], str | None]:
    chosen = targets(paths, root)
    absolute = [str(root / target) for target in chosen]  # engines run without a cwd
    folders = any(os.path.isdir(a) for a in absolute)
    started = time.monotonic()
    done = run(command(binary, absolute, config, folders), timeout=timeout, env=environment(workdir))
    if folders and done.returncode not in (0, 1) and not done.timed_out and IGNORE_FILES_FLAG in (done.stderr + done.stdout):
        # a semgrep without the flag: name the files, which its ignore lists never skip
        absolute = [str(root / p) for p in _named_or_top_level(paths)]
        left = timeout - (time.monotonic() - started)
        done = run(command(binary, absolute, config), timeout=max(left, 1.0), env=environment(workdir))
    if done.timed_out:
        raise EngineFailure("timeout", f"semgrep did not finish within {timeout:g}s")
    if done.returncode not in (0, 1):
        # semgrep explains its own failures in the JSON's errors[] when it got that far
        reason = _error_reason(done.stdout) or tail(done.stderr or done.stdout)
        raise EngineFailure("failed", f"semgrep exited {done.returncode}: {reason}")
    wanted = set(paths)
    results, found_version = parse(done.stdout, root)
    return [r for r in results if r.path in wanted], found_version


def parse(text: str, root: Path) -> tuple[list[EngineResult], str | None]:
    try:
        data = json.loads(text)
        items = data["results"]
        errors = data.get("errors", [])
    except (ValueError, KeyError, TypeError) as exc:
        raise EngineFailure("failed", f"semgrep printed something that is not its JSON report ({type(exc).__name__}): {text.strip()[:120]!r}") from None
    # a target that does not parse is PRJ003 natively (semgrep calls it a warning); errors of
    # level "error" (a broken rule, a crash) and timeouts mean it checked less than asked
    serious = [e for e in errors if str(e.get("level", "")).lower() == "error" or "timeout" in str(e.get("type", "")).lower()]
    if serious:
        raise EngineFailure("failed", "semgrep: " + _describe(serious[0], root) + (f" (and {len(serious) - 1} more)" if len(serious) > 1 else ""))
    out = []
    for item in items:
        extra = item.get("extra") or {}
        meta = extra.get("metadata") or {}
        start, end = item.get("start") or {}, item.get("end") or {}
        line = int(start.get("line") or 1)
        severity = level(extra.get("severity"))
        code = rule_id(str(item.get("check_id", "")))
        out.append(
            EngineResult(
                engine=NAME,
                code=code,
                name=code.removeprefix("critic-"),
                path=relative(str(item.get("path", "")), root),
                line=line,
                column=int(start.get("col") or 1),
                end_line=max(line, int(end.get("line") or line)),
                end_column=int(end.get("col") or 1),
                message=scrub(_problem_of(str(extra.get("message", "")))),
                fix=_fix_of(str(extra.get("message", ""))),
                severity=severity,
                tier=TIER_OF_SEVERITY[severity],
                confidence=level(meta.get("confidence"), "medium"),
                cwe=cwe_ids(_list(meta.get("cwe"))),
                owasp=owasp_ids(_list(meta.get("owasp"))),
            )
        )
    return out, (str(data["version"]) if data.get("version") else None)


def _problem_of(message: str) -> str:
    """critic's semgrep messages are "<the problem>; <the fix>"."""
    problem, _, _ = " ".join(message.split()).partition("; ")
    return problem.rstrip(".")


def _fix_of(message: str) -> str:
    """critic's semgrep messages end with the fix after a ';'."""
    _, _, fix = " ".join(message.split()).rpartition("; ")
    return fix[:1].upper() + fix[1:] if fix else "Apply the change the rule's message describes."


def _list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _describe(error: dict, root: Path) -> str:
    kind = str(error.get("type", "error"))
    if isinstance(error.get("type"), list) and error["type"]:
        kind = str(error["type"][0])
    where = error.get("path")
    message = " ".join(str(error.get("message", "")).split())[:200]
    return f"{kind}{' in ' + relative(str(where), root) if where else ''}: {message}"


def _error_reason(text: str) -> str:
    try:
        errors = json.loads(text).get("errors") or []
    except (ValueError, AttributeError):
        return ""
    return _describe(errors[0], Path(".")) if errors else ""
