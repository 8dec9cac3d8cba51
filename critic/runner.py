"""The native pass over a whole tree: every file once, in parallel, then the project rules."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Mapping, Sequence

from critic.analyze import analyze_file
from critic.cache import BoundCache, FileCache
from critic.config import Config
from critic.findings import finding
from critic.model import FileResult, FileSummary, Finding, ScanError
from critic.parsers.text import read_lines
from critic.project import Project
from critic.registry import RulePack

#: Below this many parsed files, worker start-up costs more than it saves.
_PARALLEL_MIN_FILES = 24
_PARSED_KINDS = ("python", "dockerfile", "compose")


def analyze_files(
    root: Path,
    files: Sequence[FileSummary],
    pack: RulePack,
    config: Config,
    progress: Callable[[str, int, int], None] | None = None,
    cache: "FileCache | BoundCache | None" = None,
) -> list[FileResult]:
    """The per-file pass, in worker processes when the tree is large enough to gain from it.

    With a ``cache`` (critic.cache), a file whose bytes, path, rules and config are unchanged
    since a past run is not analyzed again: its result is read back; the others are analyzed
    and stored. Results come back in the order of ``files``, cached or not, serial or parallel.
    ``progress("files", done, total)`` is called as each file's result comes in.
    """
    todo = [f for f in files if f.kind in _PARSED_KINDS]
    bound = cache.bind(pack, config) if isinstance(cache, FileCache) else cache
    done: dict[str, FileResult] = {}
    if bound is not None:
        bound.touch()
        for f in todo:
            data = _read(root, f)
            if data is not None:
                hit = bound.get(bound.key(f, data), f)
                if hit is not None:
                    done[f.path] = hit
        if progress is not None and done:
            progress("files", len(done), len(todo))
    misses = [f for f in todo if f.path not in done]
    jobs = config.jobs or _cpus()
    if jobs <= 1 or len(misses) < _PARALLEL_MIN_FILES:
        for f in misses:
            done[f.path] = _safe_analyze(root, f, pack, config, bound)
            if progress is not None:
                progress("files", len(done), len(todo))
        return [done[f.path] for f in todo]
    # one file of each kind first, here: what every worker would otherwise load for itself
    # (parsers, schemas, compiled patterns, the walk's tables) is then inherited through fork
    # (a file of median size: a typical one, neither an empty __init__.py nor the largest)
    sizes = {f.path: _size(root / f.path) for f in misses}
    for kind in sorted({f.kind for f in misses}):
        of_kind = sorted((f for f in misses if f.kind == kind), key=lambda f: sizes[f.path])
        typical = of_kind[len(of_kind) // 2]
        done[typical.path] = _safe_analyze(root, typical, pack, config, bound)
    misses = [f for f in misses if f.path not in done]
    # biggest files first, so that one large module does not finish last on its own
    misses.sort(key=lambda f: -sizes[f.path])
    jobs = min(jobs, len(misses))
    chunk = max(1, len(misses) // (jobs * 8))
    n = len(misses)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        mapped = pool.map(_safe_analyze, [root] * n, misses, [pack] * n, [config] * n, [bound] * n, chunksize=chunk)
        for f, result in zip(misses, mapped):
            done[f.path] = result
            if progress is not None:
                progress("files", len(done), len(todo))
    return [done[f.path] for f in todo]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _read(root: Path, summary: FileSummary) -> bytes | None:
    try:
        return (root / summary.path).read_bytes()
    except OSError:
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _safe_analyze(root: Path, summary: FileSummary, pack: RulePack, config: Config, cache: "BoundCache | None" = None) -> FileResult:
    data = _read(root, summary) if cache is not None else None
    try:
        result = analyze_file(root, summary, pack, config, data) if data is not None else analyze_file(root, summary, pack, config)
    except RecursionError:  # before Exception, of which it is a subclass
        return FileResult(summary.path, summary.kind, errors=(ScanError(summary.path, "analysis crashed: nesting too deep"),))
    except Exception as exc:  # the last line of defence: one file never stops the rest
        return FileResult(summary.path, summary.kind, errors=(ScanError(summary.path, f"analysis crashed: {type(exc).__name__}: {exc}"),))
    if data is not None and not result.errors:  # a crash is not remembered: it may not happen again
        cache.put(cache.key(summary, data), result)
    return result


def run_project_rules(
    root: Path,
    files: Sequence[FileSummary],
    results: Sequence[FileResult],
    pack: RulePack,
    config: Config,
    context: Mapping[str, object],
) -> tuple[list[Finding], list[ScanError]]:
    project = Project(root, tuple(files), tuple(f for r in results for f in r.facts), context)
    findings: list[Finding] = []
    errors: list[ScanError] = []
    lines_cache: dict[str, list[str] | None] = {}
    for cls in pack.project(config):
        rule = cls(project, config.options.get(cls.id, {}))
        try:
            rule.check()
        except Exception as exc:
            errors.append(ScanError(".", f"rule {cls.id} crashed: {type(exc).__name__}: {exc}"))
            continue
        for report in rule.reports:
            path = report.path or "."
            if path not in lines_cache:
                lines_cache[path] = read_lines(root / path) if project.exists(path) else None
            findings.append(finding(cls, report, path, lines_cache[path]))
    return findings, errors
