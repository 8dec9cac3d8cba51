"""ruff: bug- and security-focused lint (`ruff check --isolated --no-cache --output-format json`).

``--isolated`` ignores every configuration file of the scanned project and ``--no-cache``
writes nothing into its tree. The selection is critic's own, chosen for what a reviewer of
generated backends acts on, not style:

- ``S`` flake8-bandit (security; the same checks as bandit, numbered alike), ``B`` bugbear
  (likely bugs), ``E9`` (files that do not compile), ``E722`` (bare except), ``F`` pyflakes
  (undefined names, redefinitions, broken imports), ``PLE`` pylint errors, ``ASYNC``
  (blocking calls in async code), ``BLE`` (blind except), ``FAST`` (FastAPI misuse),
  ``FIX`` (TODO/FIXME/XXX/HACK markers), ``T10`` (debugger left in).
- Ignored: ``S101`` (assert; noise), ``F401``/``F403``/``F405`` (import hygiene, not bugs),
  ``B008`` (call in a default: FastAPI's ``Depends()`` idiom), ``FAST002`` (a style choice
  between ``Annotated`` and defaults).

Severity (ruff has none): S-rules take bandit's severity for the same number (S608 = B608);
rules that break at run time (undefined or redefined names, PLE, E9) are medium; blocking
calls in async code are medium; everything else is low. Syntax errors are PRJ003 natively and
are ignored here.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Sequence

from critic.config import Config
from critic.engines import bandit
from critic.engines.common import (
    NON_SECRET_VALUES,
    TIER_OF_SEVERITY,
    EngineFailure,
    EngineResult,
    is_test_path,
    kebab,
    relative,
    scrub,
)
from critic.engines.process import batches, clean_env, run, tail, version_of
from critic.parsers.text import read_lines

NAME = "ruff"
BINARY = "ruff"
KINDS = ("python",)
SELECT = ("S", "B", "E9", "E722", "F", "PLE", "ASYNC", "BLE", "FAST", "FIX", "T10")
IGNORE = ("S101", "F401", "F403", "F405", "B008", "FAST002")
TARGET_VERSION = "py311"
_RUNTIME_ERRORS = ("F821", "F822", "F823", "F811", "F632", "F701", "F702", "F704", "F706", "F707", "E9", "PLE")


def version(binary: str, timeout: float) -> str | None:
    found, done = version_of(binary, timeout=timeout)
    if done.timed_out:
        raise EngineFailure("timeout", f"`ruff --version` did not answer within {timeout:g}s")
    return found


def command(binary: str, paths: Sequence[str]) -> list[str]:
    return [
        binary, "check", "--isolated", "--no-cache", "--output-format", "json",
        "--select", ",".join(SELECT), "--ignore", ",".join(IGNORE),
        "--target-version", TARGET_VERSION, "--", *paths,
    ]


def check(binary: str, root: Path, paths: Sequence[str], config: Config, timeout: float, workdir: str) -> tuple[list[EngineResult], str | None]:
    results: list[EngineResult] = []
    env = clean_env({"RUFF_CACHE_DIR": workdir})  # belt and braces: --no-cache already writes none
    for batch in batches([str(root / p) for p in paths]):  # absolute: engines run without a cwd
        done = run(command(binary, batch), timeout=timeout, env=env)
        if done.timed_out:
            raise EngineFailure("timeout", f"ruff did not finish within {timeout:g}s")
        if done.returncode not in (0, 1):  # 1: violations found; 2: ruff itself failed
            raise EngineFailure("failed", f"ruff exited {done.returncode}: {tail(done.stderr or done.stdout)}")
        results += parse(done.stdout, root)
    return results, None


def severity_of(code: str) -> str:
    if code.startswith("S") and code[1:].isdigit():
        return bandit.SEVERITY.get("B" + code[1:], "medium")
    if code.startswith(_RUNTIME_ERRORS) or code.startswith("ASYNC"):
        return "medium"
    return "low"


def parse(text: str, root: Path) -> list[EngineResult]:
    try:
        items = json.loads(text)
        if not isinstance(items, list):
            raise TypeError("not a list")
    except (ValueError, TypeError) as exc:
        raise EngineFailure("failed", f"ruff printed something that is not its JSON report ({type(exc).__name__}): {text.strip()[:120]!r}") from None
    out = []
    lines_cache: dict[str, list[str]] = {}
    for item in items:
        code = item.get("code")
        # syntax errors and unreadable files (E902) are PRJ003 natively: not a second finding
        if not code or not isinstance(code, str) or code in ("invalid-syntax", "E999", "E902"):
            continue
        path = relative(str(item.get("filename", "")), root)
        if code in ("S105", "S106", "S107", "S108", "S311") and is_test_path(path):
            continue
        start = item.get("location") or {}
        end = item.get("end_location") or start
        line, column = int(start.get("row") or 1), int(start.get("column") or 1)
        end_line, end_column = int(end.get("row") or line), int(end.get("column") or column)
        secret = code in ("S105", "S106", "S107")
        if secret and _literal_is_non_secret(root, path, line, column, lines_cache):
            continue
        severity = severity_of(code)
        fix = (item.get("fix") or {}).get("message") or (f"See {item['url']}" if item.get("url") else "")
        out.append(
            EngineResult(
                engine=NAME,
                code=code,
                name=kebab(str(item.get("name") or str(item.get("url") or code).rstrip("/").rsplit("/", 1)[-1])),
                path=path,
                line=line,
                column=column,
                end_line=max(line, end_line),
                end_column=end_column,
                message=scrub(str(item.get("message", ""))),  # ruff names the variable, never the value
                fix=scrub(fix) or "Apply the change ruff's rule documentation describes.",
                severity=severity,
                tier=TIER_OF_SEVERITY[severity],
                confidence="medium" if code.startswith("S") else "high",
                secret=secret,
                same_as=f"bandit:B{code[1:]}" if code.startswith("S") and code[1:].isdigit() else "",
            )
        )
    return out


def _literal_is_non_secret(root: Path, path: str, line: int, column: int, cache: dict[str, list[str]]) -> bool:
    """ruff locates S105/S107 at the string literal (S106 at its keyword); read the literal to
    drop `token_type = "bearer"`."""
    if path not in cache:
        try:
            cache[path] = read_lines(root / path) or []
        except OSError:
            cache[path] = []
    lines = cache[path]
    if not 1 <= line <= len(lines):
        return False
    rest = lines[line - 1][column - 1 :]
    rest = re.sub(r"^[A-Za-z_]\w*\s*=\s*", "", rest).lstrip("rRbBuU")  # S106 points at `password=`
    if not rest or rest[0] not in "'\"":
        return False
    quote = rest[0]
    end = rest.find(quote, 1)
    return end > 0 and rest[1:end].strip().lower() in NON_SECRET_VALUES
