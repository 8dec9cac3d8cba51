"""critique(): the one entry point the CLI, the pre-commit hook, agents and the MCP server share.

paths -> discover -> native pass (per file, parallel) + engines (concurrently) -> project rules
      -> merge engine evidence -> suppressions, per-file ignores, tiers -> fingerprints -> verdict
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

from critic.config import ENGINE_NAMES, Config, load_config
from critic.discover import discover
from critic.findings import finding as make_finding
from critic.findings import mask_known_secrets, secret_spans_by_path, with_fingerprints
from critic.model import EngineRun, FileSummary, Finding, Report, ScanError, family_of
from critic.registry import RulePack, default_pack
from critic.rule import Report as RuleReport
from critic.runner import analyze_files, run_project_rules
from critic.suppress import apply_suppressions
from critic.verdict import count_by_tier, decide, standards, summarize

if TYPE_CHECKING:  # pragma: no cover
    from critic.cache import FileCache


class UsageError(ValueError):
    """The call itself is wrong: a path that does not exist, an unknown engine."""


def resolve_root(paths: Sequence[Path]) -> Path:
    """The folder findings are relative to: the one folder given, else the common parent."""
    absolute = [Path(os.path.abspath(p)) for p in paths]
    if len(absolute) == 1 and absolute[0].is_dir():
        return absolute[0]
    cwd = Path.cwd()
    if all(p.is_relative_to(cwd) for p in absolute):
        return cwd
    common = Path(os.path.commonpath([str(p) for p in absolute]))
    return common if common.is_dir() else common.parent


def critique(
    paths: Iterable[str | os.PathLike[str]],
    config: Config | None = None,
    *,
    task: Mapping[str, object] | None = None,
    engines: Sequence[str] | None = None,
    root: str | os.PathLike[str] | None = None,
    pack: RulePack | None = None,
    context: Mapping[str, object] | None = None,
    report_only: Sequence[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    cache: "bool | str | os.PathLike[str] | FileCache | None" = None,
) -> Report:
    """Critique the backend at ``paths`` and return the structured verdict.

    ``engines`` names the external engines to run (default: the config's, else all four);
    ``task`` is a PLN critique task (its validation criteria decide tiers and criteria);
    ``report_only`` limits findings to these relative paths (pre-commit), while project-level
    rules still see the whole tree under ``root``; ``progress(stage, done, total)``, when given,
    hears how the scan advances ("files", then "engines" while waiting for them); ``cache``
    (True for the default folder, a folder, or a critic.cache.FileCache; off by default here,
    on by default in the CLI) reuses the per-file results of files unchanged since a past run.
    """
    targets = [Path(p) for p in paths] or [Path(".")]
    missing = [str(p) for p in targets if not (p.exists() or p.is_symlink())]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    root_path = Path(root).resolve() if root is not None else resolve_root(targets).resolve()
    config = config if config is not None else load_config(root_path)
    names = tuple(engines) if engines is not None else (config.engines if config.engines is not None else ENGINE_NAMES)
    unknown = [n for n in names if n not in ENGINE_NAMES]
    if unknown:
        raise UsageError(f"unknown engine(s): {', '.join(unknown)}; known: {', '.join(ENGINE_NAMES)}")
    context = dict(context or {})
    task_plan = None
    if task is not None:  # planned first: a task that cannot be used fails before anything runs
        from critic.task import plan_task

        pack = pack or default_pack()
        task_plan = plan_task(task, pack)
        context.update(task_plan.context)

    file_cache = _file_cache(cache)
    if file_cache is not None:
        inside = _relative_inside(Path(file_cache.directory), root_path)
        if inside is not None:  # a cache folder chosen inside the tree is not scanned
            config = replace(config, exclude=tuple(config.exclude) + (inside,))
    whole_tree = report_only is not None
    discovered = discover(root_path, None if whole_tree or targets == [root_path] else targets, config)
    files = discovered.files
    errors: list[ScanError] = [ScanError(path, why, "unreadable") for path, why in discovered.problems]
    if report_only is None and not any(f.kind in ("python", "dockerfile", "compose") for f in files):
        # an empty folder (or a wrong path) must not pass: nothing was checked
        errors.append(ScanError(".", "nothing to check: no Python file, Dockerfile or compose file under the scanned path", "unreadable"))

    engine_future = None
    pool = None
    if names:
        from critic.engines import run_engines

        engine_files = files if report_only is None else tuple(f for f in files if f.path in set(report_only))
        pool = ThreadPoolExecutor(max_workers=1)
        if file_cache is not None:  # engines see only the files whose results are not cached
            from critic.engine_cache import run_engines_cached

            engine_future = pool.submit(run_engines_cached, root_path, engine_files, config, names, file_cache)
        else:
            engine_future = pool.submit(run_engines, root_path, engine_files, config, names)
    try:
        # the rule pack (libcst and every rule module) loads while the engines start up
        pack = pack or default_pack()
        results = analyze_files(root_path, files, pack, config, progress, file_cache)
        project_findings, project_errors = run_project_rules(root_path, files, results, pack, config, context)
        engine_findings: list[Finding] = []
        engine_runs: list[EngineRun] = []
        if engine_future is not None:
            if progress is not None and not engine_future.done():
                progress("engines", 0, len(names))
            engine_findings, engine_runs = engine_future.result()
    finally:
        if pool is not None:
            pool.shutdown(wait=True)

    native = [f for r in results for f in r.findings] + project_findings
    errors += [e for r in results for e in r.errors] + project_errors
    # always: every finding lists its evidence, critic's own rule first, engines or not
    from critic.merge import merge_engine_findings

    native = merge_engine_findings(native, engine_findings, pack)
    secrets = secret_spans_by_path(native)  # before filtering: a suppressed SEC002 still masks
    findings = [f for f in native if config.rule_enabled(f.rule_id) and not config.ignored_in(f.rule_id, f.path)]

    ran = {r.id for r in pack.rules if config.rule_enabled(r.id)} | {f.rule_id for f in engine_findings}
    ran |= {f"{e.engine}:{e.rule}" for f in engine_findings for e in f.evidence}
    suppressions = [s for r in results for s in r.suppressions]

    def meta(rule, path, line, message):
        lines = _lines_of(root_path, path)
        report = RuleReport(rule.id, line, 1, line, 1, message or rule.message, rule.fix)
        return make_finding(rule, report, path, lines)

    findings, suppressed = apply_suppressions(findings, suppressions, ran, meta)
    findings = [f for f in findings if config.rule_enabled(f.rule_id)]
    if report_only is not None:
        wanted = set(report_only)
        findings = [f for f in findings if f.path in wanted]
    findings = [replace(f, tier=config.tier_of(f.rule_id, f.tier)) for f in findings]
    findings = with_fingerprints(mask_known_secrets(findings, secrets, lambda path: _lines_of(root_path, path)))
    criteria = ()
    if task_plan is not None:
        # after the fingerprints: a criterion names the findings behind it by fingerprint
        facts = [fact for r in results for fact in r.facts]
        findings, criteria = task_plan.judge(findings, config=config, files=files, facts=facts)
    findings.sort(key=lambda f: f.sort_key)
    errors.sort(key=lambda e: (e.path, e.message))
    engine_runs.sort(key=lambda e: e.name)
    verdict = decide(findings, engine_runs, errors, criteria)
    checked = sorted({family_of(r.id) for r in pack.rules if config.rule_enabled(r.id)})
    return Report(
        verdict=verdict,
        findings=tuple(findings),
        counts=count_by_tier(findings),
        standards=standards(findings, checked),
        scanned=tuple(f for f in files if report_only is None or f.path in set(report_only)),
        errors=tuple(errors),
        engines=tuple(engine_runs),
        criteria=tuple(criteria),
        suppressed=suppressed,
        summary=summarize(verdict, findings, engine_runs, errors, criteria),
    )


def _file_cache(cache: "bool | str | os.PathLike[str] | FileCache | None") -> "FileCache | None":
    """None/False: no cache; True: the default folder (CRITIC_CACHE_DIR, XDG); a path; a FileCache."""
    if cache is None or cache is False:
        return None
    from critic.cache import FileCache, default_cache_dir

    if isinstance(cache, FileCache):
        return cache
    return FileCache(default_cache_dir() if cache is True else Path(cache))


def _relative_inside(path: Path, root: Path) -> str | None:
    try:
        rel = Path(os.path.abspath(path)).relative_to(root)
    except ValueError:
        return None
    return rel.as_posix() if rel.parts else None


def _lines_of(root: Path, path: str) -> list[str] | None:
    from critic.parsers.text import read_lines  # numbered as the native pass numbered them

    return read_lines(root / path)


def scanned_kinds(files: Sequence[FileSummary]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in files:
        out[f.kind] = out.get(f.kind, 0) + 1
    return out
