"""The external engines (ruff, bandit, semgrep, hadolint): run them, fold their results into findings.

``run_engines`` runs each engine in its own thread (each a subprocess, offline, isolated from
the project's own configuration, under a timeout) and returns engine findings, one per problem:
ruff's S608 and bandit's B608 on the same line are one finding with both as evidence. Their
ids are the engines' own (``bandit:B608``); ``critic.merge`` then joins those that evidence one
of critic's standards to it. An engine that is missing, crashes, times out or prints something
that is not its report is an ``EngineRun`` with that status and a reason, never an exception.
"""
from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Sequence

from critic.config import Config
from critic.engines.common import EngineFailure, EngineResult, quoted_literals
from critic.engines.process import find_binary
from critic.findings import snippet as make_snippet
from critic.model import EngineRun, Evidence, FileSummary, Finding, Span
from critic.parsers.text import decode, read_lines

#: Seconds a ``--version`` probe may take, at most (and never more than the engine's timeout).
_VERSION_TIMEOUT = 15.0


def adapters() -> dict[str, ModuleType]:
    from critic.engines import bandit, hadolint, ruff, semgrep

    return {m.NAME: m for m in (ruff, bandit, semgrep, hadolint)}


def run_engines(root: Path, files: Sequence[FileSummary], config: Config, names: Sequence[str]) -> tuple[list[Finding], list[EngineRun]]:
    """Run the named engines over ``files`` concurrently; (engine findings, one EngineRun each)."""
    known = adapters()
    chosen = [known[n] for n in dict.fromkeys(names) if n in known]
    if not chosen:
        return [], []
    with ThreadPoolExecutor(max_workers=len(chosen), thread_name_prefix="critic-engine") as pool:
        outcomes = list(pool.map(lambda adapter: run_engine(adapter, root, files, config), chosen))
    results = [r for found, _ in outcomes for r in found]
    runs = sorted((run for _, run in outcomes), key=lambda r: r.name)
    return fold(results, root), runs


def run_engine(adapter: ModuleType, root: Path, files: Sequence[FileSummary], config: Config) -> tuple[list[EngineResult], EngineRun]:
    """One engine, start to finish; every way it can go wrong becomes the run's status."""
    name = adapter.NAME
    paths = [f.path for f in files if f.kind in adapter.KINDS and engine_can_take(root, f, config.max_file_bytes)]
    started = time.monotonic()

    def outcome(status: str, version: str | None, reason: str = "", results: Sequence[EngineResult] = ()) -> tuple[list[EngineResult], EngineRun]:
        seconds = round(time.monotonic() - started, 3)
        reason = reason.replace(f"{root}{os.sep}", "").replace(str(root), ".")  # no absolute paths in a report
        return list(results), EngineRun(name, version, status, seconds, reason, len(results))

    if not paths:
        return outcome("skipped", None, f"no {' or '.join(adapter.KINDS)} files to check")
    binary = find_binary(adapter.BINARY)
    if binary is None:
        return outcome(
            "missing", None,
            f"{adapter.BINARY} not found next to the Python interpreter or on PATH "
            f"(install it, or set CRITIC_{name.upper()}_BIN)",
        )
    version: str | None = None
    # the --version probe runs beside the scan, not before it (bandit's costs a quarter of a
    # second, most of a pre-commit run on one file)
    probe_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"critic-{name}-version")
    probe = probe_thread.submit(adapter.version, binary, min(_VERSION_TIMEOUT, config.engine_timeout))
    probe_thread.shutdown(wait=False)

    def probed() -> str | None:  # the version for a failed run's record, if the probe had one
        try:
            return probe.result()
        except Exception:
            return None

    try:
        with tempfile.TemporaryDirectory(prefix=f"critic-{name}-") as workdir:
            # (results, the version the engine printed in its report, if it does: semgrep)
            found, reported = adapter.check(binary, root, paths, config, config.engine_timeout, workdir)
        version = reported or probe.result()  # a probe that failed or hung fails the run, as before
    except EngineFailure as failure:
        version = version or probed()
        if failure.status == "timeout" and "--version" not in failure.reason:
            # the adapter saw only what was left of the budget; say what the user configured
            return outcome("timeout", version, f"{name} did not finish within {config.engine_timeout:g}s (engine-timeout); killed")
        return outcome(failure.status, version, failure.reason)
    except OSError as exc:  # the binary exists but cannot be executed
        return outcome("failed", version or probed(), f"cannot run {adapter.BINARY}: {exc.strerror or exc}")
    except Exception as exc:  # a bug of the adapter on output it did not expect: still data
        return outcome("failed", version or probed(), f"critic could not read {name}'s report: {type(exc).__name__}: {exc}")
    wanted = set(paths)
    return outcome("ok", version, "", [r for r in found if r.path in wanted])


def engine_can_take(root: Path, summary: FileSummary, max_bytes: int) -> bool:
    """False for a file the native pass reports as unparsable (PRJ003) in a way that would take
    an engine down for every other file too: over the size limit, binary or undecodable, or
    nested deeper than parsers survive (2,000 brackets overflow ruff's stack and it aborts;
    bandit fails its whole run on one file it cannot walk). The engines check the rest."""
    full = root / summary.path
    try:
        info = full.stat()
    except OSError:
        return True  # let the engine say what is wrong with it
    return _can_take(str(full), info.st_size, info.st_mtime_ns, summary.kind == "python", max_bytes)


@lru_cache(maxsize=8192)  # one answer per file version, however many engines ask
def _can_take(path: str, size: int, mtime_ns: int, python: bool, max_bytes: int) -> bool:
    if size > max_bytes:
        return False
    try:
        data = Path(path).read_bytes()
    except OSError:
        return True
    decoded = decode(data, python=python, max_bytes=max_bytes)
    if decoded.text is None:
        return False
    if python:
        import ast
        import warnings

        from critic.parsers.python import MAX_NESTING, nesting

        if nesting(decoded.text, MAX_NESTING)[0] > MAX_NESTING:
            return False
        # a file CPython cannot parse is PRJ003 natively, and the engines drop their own syntax
        # errors; bandit needs minutes for some (a long line of unclosed strings), then fails
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(decoded.text)
        except SyntaxError:
            return False
        except (RecursionError, MemoryError, ValueError):
            return False
    return True


# --------------------------------------------------------------------------- folding
def fold(results: Sequence[EngineResult], root: Path) -> list[Finding]:
    """Engine results -> engine findings, one per problem: results of the same check (ruff's
    S608 is bandit's B608) at the same place become one finding with both as evidence."""
    groups: dict[tuple[str, str, int], list[EngineResult]] = {}
    for result in sorted(results, key=lambda r: (r.path, r.line, r.column, r.engine, r.code)):
        key = (result.same_as or result.id, result.path, result.line)
        group = groups.setdefault(key, [])
        if all(r.id != result.id for r in group):
            group.append(result)
    lines: dict[str, list[str] | None] = {}
    findings = []
    for group in groups.values():
        # the engine whose id the group is named for leads (bandit for an S/B pair)
        group.sort(key=lambda r: (bool(r.same_as), r.engine, r.code))
        lead = group[0]
        if lead.path not in lines:
            lines[lead.path] = _read_lines(root, lead.path)
        findings.append(to_finding(lead, tuple(Evidence(r.engine, r.code) for r in group), lines[lead.path], any(r.secret for r in group)))
    return findings


def to_finding(result: EngineResult, evidence: tuple[Evidence, ...], lines: list[str] | None, secret: bool) -> Finding:
    spans = _secret_spans(lines, result.line, result.end_line) if secret and lines else ()
    return Finding(
        rule_id=result.id,
        name=result.name,
        tier=result.tier,
        severity=result.severity,
        confidence=result.confidence,
        path=result.path,
        line=result.line,
        column=result.column,
        end_line=result.end_line,
        end_column=result.end_column,
        message=result.message,
        fix=result.fix,
        sources=_SOURCES.get(result.engine, ()),
        evidence=evidence,
        cwe=result.cwe,
        owasp=result.owasp,
        # from the file itself, never the engine's own excerpt (bandit's `code` holds secrets)
        snippet=make_snippet(lines, result.line, result.end_line, spans, path=result.path) if lines else "",
        secret_spans=spans,
    )


_SOURCES = {
    "ruff": ("DEV Constraints (OWASP)",),
    "bandit": ("DEV Constraints (OWASP)",),
    "semgrep": ("DEV Constraints (OWASP)",),
    "hadolint": ("DEV Best Practices (Dockerfile)",),
}


def _secret_spans(lines: list[str], line: int, end_line: int) -> tuple[Span, ...]:
    """Every string literal on the flagged lines: the secret is one of them."""
    spans = []
    for number in range(line, min(end_line, len(lines)) + 1):
        for start, end in quoted_literals(lines[number - 1]):
            spans.append(Span(number, start + 1, end + 1))
    return tuple(spans)


def _read_lines(root: Path, path: str) -> list[str] | None:
    try:
        return read_lines(root / path)  # numbered as the engines and the native pass number them
    except OSError:
        return None
