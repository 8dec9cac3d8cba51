"""The native pass over a whole tree: every file once, in parallel, then the project rules."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Mapping, Sequence

from critic.analyze import analyze_file
from critic.config import Config
from critic.findings import finding
from critic.model import FileResult, FileSummary, Finding, ScanError
from critic.project import Project
from critic.registry import RulePack

#: Below this many parsed files, worker start-up costs more than it saves.
_PARALLEL_MIN_FILES = 24
_PARSED_KINDS = ("python", "dockerfile", "compose")


def analyze_files(
    root: Path, files: Sequence[FileSummary], pack: RulePack, config: Config, progress: Callable[[str, int, int], None] | None = None
) -> list[FileResult]:
    """The per-file pass, in worker processes when the tree is large enough to gain from it.

    ``progress("files", done, total)`` is called as each file's result comes in.
    """
    todo = [f for f in files if f.kind in _PARSED_KINDS]
    jobs = config.jobs or os.cpu_count() or 1
    if jobs <= 1 or len(todo) < _PARALLEL_MIN_FILES:
        if progress is None:
            return [_safe_analyze(root, f, pack, config) for f in todo]
        out = []
        for f in todo:
            out.append(_safe_analyze(root, f, pack, config))
            progress("files", len(out), len(todo))
        return out
    # biggest files first, so that one large module does not finish last on its own
    todo.sort(key=lambda f: -_size(root / f.path))
    chunk = max(1, len(todo) // (jobs * 8))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        mapped = pool.map(_safe_analyze, [root] * len(todo), todo, [pack] * len(todo), [config] * len(todo), chunksize=chunk)
        results = []
        for result in mapped:
            results.append(result)
            if progress is not None:
                progress("files", len(results), len(todo))
    return results


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _safe_analyze(root: Path, summary: FileSummary, pack: RulePack, config: Config) -> FileResult:
    try:
        return analyze_file(root, summary, pack, config)
    except Exception as exc:  # the last line of defence: one file never stops the rest
        return FileResult(summary.path, summary.kind, errors=(ScanError(summary.path, f"analysis crashed: {type(exc).__name__}: {exc}"),))
    except RecursionError:
        return FileResult(summary.path, summary.kind, errors=(ScanError(summary.path, "analysis crashed: nesting too deep"),))


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
                text = project.read_text(path) if project.exists(path) else None
                lines_cache[path] = text.splitlines() if text is not None else None
            findings.append(finding(cls, report, path, lines_cache[path]))
    return findings, errors
