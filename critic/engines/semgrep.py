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
#: Up to this many files (or folders) semgrep gets them named; beyond, fewer, larger folders.
_FEW_TARGETS = 4
_PER_FILE_TIMEOUT = 10


def rules_dir() -> str:
    return str(resources.files("critic.rules").joinpath("semgrep"))


def rule_id(check_id: str) -> str:
    return check_id.rsplit(".", 1)[-1]


def version(binary: str, timeout: float) -> str | None:
    """Read from the scan's own JSON (``semgrep --version`` alone costs seconds)."""
    return None


def targets(paths: Sequence[str]) -> list[str]:
    """As few command-line targets as cover ``paths``: semgrep pays about a tenth of a second
    for every target it is given, files and folders alike, and little for each file a folder
    holds (27 files named one by one: 5.2 s; their folder: 2.9 s).

    A handful of files are named themselves. More are replaced by the folders holding them
    (a folder inside another one given is dropped), or, when those are still many, by the
    top-level entries of the tree. Results from files not asked about are filtered out later.
    """
    if len(paths) <= _FEW_TARGETS and sum(len(p) + 1 for p in paths) <= ARGS_BUDGET // 4:
        return list(paths)
    folders = sorted({p.rsplit("/", 1)[0] if "/" in p else p for p in paths})
    given = set(folders)
    outermost = [f for f in folders if not any(a in given for a in _ancestors(f))]
    if len(outermost) <= _FEW_TARGETS:
        return outermost
    return sorted({p.split("/", 1)[0] for p in paths})


def _ancestors(folder: str) -> list[str]:
    """``a`` and ``a/b`` for ``a/b/c``."""
    parts = folder.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def command(binary: str, target_list: Sequence[str], config: Config) -> list[str]:
    argv = [
        binary, "scan", "--config", rules_dir(), "--json", "--quiet", "--metrics=off",
        "--disable-version-check", "--no-git-ignore", "--oss-only",
        "--timeout", str(_PER_FILE_TIMEOUT), "--max-target-bytes", str(config.max_file_bytes),
    ]
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
    absolute = [str(root / target) for target in targets(paths)]  # engines run without a cwd
    done = run(command(binary, absolute, config), timeout=timeout, env=environment(workdir))
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
