"""The command line: `critic check`, `critic rules`, `critic explain`.

Exit status: 0 when the verdict passes (with or without warnings), 1 when it fails or is
incomplete, 2 for a usage or internal error.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from critic import __version__

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


def _engines_arg(value: str) -> tuple[str, ...]:
    from critic.config import ENGINE_NAMES, FAST_ENGINES

    value = value.strip().lower()
    if value in ("", "none"):
        return ()
    if value == "all":
        return ENGINE_NAMES
    if value == "fast":
        return FAST_ENGINES
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _ids(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


_FORMATS = ("text", "json", "sarif", "github")
_BASELINE_NAME = ".critic-baseline.json"


def _format_arg(value: str) -> tuple[str, str | None]:
    """`sarif` or `sarif:FILE` (a Windows path after the colon keeps its own colon)."""
    name, sep, target = value.partition(":")
    name = name.strip().lower()
    if name not in _FORMATS:
        raise argparse.ArgumentTypeError(f"unknown format {name!r}; choose from {', '.join(_FORMATS)}, optionally followed by :FILE")
    if sep and not target:
        raise argparse.ArgumentTypeError(f"no file after {name}:")
    return name, target or None


def _scan_options(parser: argparse.ArgumentParser) -> None:
    """What `check` and `baseline` share: which rules and engines, which root, which config."""
    parser.add_argument("--engines", type=_engines_arg, default=None, help="all | fast | none | a comma list (ruff,bandit,semgrep,hadolint)")
    parser.add_argument("--select", type=_ids, default=None, help="only these rule ids or prefixes")
    parser.add_argument("--ignore", type=_ids, default=None, help="skip these rule ids or prefixes")
    parser.add_argument("--config", type=Path, default=None, help="a critic.toml or pyproject.toml to use")
    parser.add_argument("--root", type=Path, default=None, help="the project root findings are relative to")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="worker processes for the native pass")
    parser.add_argument(
        "--cache-dir", type=Path, default=None, metavar="DIR",
        help="where per-file results are cached (default: $CRITIC_CACHE_DIR, else $XDG_CACHE_HOME/critic or ~/.cache/critic)",
    )
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="critic", description="Static critique of generated backends.")
    parser.add_argument("--version", action="version", version=f"critic {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check a backend and print the verdict")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument(
        "--format",
        action="append",
        type=_format_arg,
        default=None,
        metavar="FORMAT[:FILE]",
        help="text | json | sarif | github, to standard output (or --output), or to FILE after a colon; "
        "repeat it for several reports in one run: --format text --format sarif:critic.sarif",
    )
    check.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    _scan_options(check)
    check.add_argument("--baseline", type=Path, default=None, metavar="FILE", help="report only findings that are not in this baseline (see `critic baseline`)")
    check.add_argument("--quiet", "-q", action="store_true", help="only the verdict line")
    check.add_argument("--statistics", action="store_true", help="counts per rule id instead of every finding")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when the verdict fails")

    baseline = sub.add_parser("baseline", help="record today's findings, so that `check --baseline` reports only new ones")
    baseline.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    baseline.add_argument("--baseline", type=Path, default=None, metavar="FILE", help=f"where to write it (default: {_BASELINE_NAME} at the root)")
    _scan_options(baseline)

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("rule_id")
    _agent_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "baseline":
            return _baseline(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "explain":
            return _explain(args)
        if args.command in ("critique", "schema", "mcp"):
            return _agent_command(args)
        parser.print_help()
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR


def _run(args: argparse.Namespace, *, progress: bool = False):
    """Critique what the arguments name: (report, root). Raises UsageError/ConfigError."""
    from critic.api import critique, resolve_root
    from critic.config import load_config

    paths = [Path(p) for p in args.paths]
    root = args.root.resolve() if args.root else resolve_root(paths).resolve()
    config = load_config(root, args.config).with_overrides(select=args.select, ignore=args.ignore, jobs=args.jobs)
    # Given only files (as pre-commit does), report on those files while project-level
    # rules still reason about the whole tree under the root.
    report_only = None
    if paths and all(p.is_file() for p in paths):
        report_only = sorted({Path(os.path.relpath(p.resolve(), root)).as_posix() for p in paths})
    kwargs = {}
    bar = _progress_bar() if progress else None
    if bar is not None:
        kwargs["progress"] = bar.update
    try:
        report = critique(paths, config, engines=args.engines, root=root, report_only=report_only, cache=_cache_arg(args), **kwargs)
    finally:
        if bar is not None:
            bar.close()
    return report, root


def _cache_arg(args: argparse.Namespace) -> "Path | bool":
    """--no-cache (or CRITIC_NO_CACHE=1): none; --cache-dir: that folder; else the default one."""
    if getattr(args, "no_cache", False) or os.environ.get("CRITIC_NO_CACHE", "") not in ("", "0"):
        return False
    return args.cache_dir if getattr(args, "cache_dir", None) is not None else True


def _check(args: argparse.Namespace) -> int:
    from critic.api import UsageError
    from critic.baseline import BaselineError, apply_baseline, load
    from critic.config import ConfigError
    from critic.report import RenderOptions, renderer

    outputs = _outputs(args)
    if isinstance(outputs, str):
        print(f"critic: error: {outputs}", file=sys.stderr)
        return EXIT_ERROR
    try:
        baseline = load(args.baseline) if args.baseline is not None else None
        report, root = _run(args, progress=not args.quiet and _is_tty(sys.stderr))
        if baseline is not None:
            report = apply_baseline(report, baseline, root)
    except (UsageError, ConfigError, BaselineError) as exc:
        print(f"critic: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for name, target in outputs:
        options = RenderOptions(
            color=target is None and use_color(sys.stdout),
            quiet=args.quiet,
            statistics=args.statistics,
        )
        text = renderer(name)(report, options)
        if target is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            path = Path(target)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if args.exit_zero:
        return EXIT_OK
    return EXIT_OK if report.verdict in ("pass", "pass_with_warnings") else EXIT_FAIL


def _outputs(args: argparse.Namespace) -> list[tuple[str, str | None]] | str:
    """Each report to write: (format, file or None for standard output); a message if unusable."""
    specs = list(args.format or [("text", None)])
    unnamed = [name for name, target in specs if target is None]
    if len(unnamed) > 1:
        return (
            f"{len(unnamed)} formats ({', '.join(unnamed)}) would share one output; "
            "give all but one a file: --format sarif:critic.sarif"
        )
    if args.output:
        if not unnamed:
            return "--output names a file for the format given without one, but every --format has its own file"
        specs = [(name, target if target is not None else args.output) for name, target in specs]
    return specs


def _baseline(args: argparse.Namespace) -> int:
    from critic.api import UsageError
    from critic.baseline import BaselineError, record, write
    from critic.config import ConfigError

    try:
        report, root = _run(args, progress=_is_tty(sys.stderr))
        target = args.baseline if args.baseline is not None else root / _BASELINE_NAME
        baseline = record(report.findings, root)
        write(baseline, target)
    except (UsageError, ConfigError, BaselineError) as exc:
        print(f"critic: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"critic: error: cannot write the baseline: {exc}", file=sys.stderr)
        return EXIT_ERROR
    shown = os.path.relpath(target) if not Path(target).is_absolute() or Path(target).resolve().is_relative_to(Path.cwd()) else str(target)
    print(f"critic: recorded {len(baseline.entries)} finding(s) in {shown}; `critic check --baseline {shown}` reports only new ones")
    return EXIT_OK


# --------------------------------------------------------------------------- terminal
def _is_tty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def use_color(stream) -> bool:
    """Colour on a terminal only. NO_COLOR (non-empty) turns it off, even with FORCE_COLOR;
    FORCE_COLOR (non-empty, not "0") turns it on off a terminal too (CI logs that render ANSI)."""
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force and force != "0":
        return True
    return _is_tty(stream) and os.environ.get("TERM") != "dumb"


class _ProgressBar:
    """A transient rich progress bar on standard error, shown only once a scan takes a while."""

    _DELAY = 0.5  # seconds before it appears: short scans never flash a bar

    def __init__(self) -> None:
        import time

        self._clock = time.monotonic
        self._started = self._clock()
        self._progress = None
        self._task = None

    def update(self, stage: str, done: int, total: int) -> None:
        if self._progress is None:
            if self._clock() - self._started < self._DELAY:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=console, transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(stage, total=total)
        label = {"files": "critic: checking files", "engines": "critic: waiting for engines"}.get(stage, f"critic: {stage}")
        self._progress.update(self._task, description=label, completed=done, total=max(total, 1))

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _progress_bar() -> "_ProgressBar | None":
    try:
        import rich  # noqa: F401
    except ImportError:  # pragma: no cover - rich is a dependency, but the report must not need it
        return None
    return _ProgressBar()


def _rules(args: argparse.Namespace) -> int:
    from critic.registry import default_pack

    pack = default_pack()
    rows = [
        {"id": rule.id, "name": rule.name, "tier": rule.tier, "kind": rule.kind, "summary": rule.summary(), "peers": list(rule.peers)}
        for rule in (pack.by_id[i] for i in pack.ids())
    ]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['id']:<8} {row['name']:<36} {row['tier']:<13} {row['summary']}")
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from critic.registry import default_pack

    pack = default_pack()
    rule = pack.by_id.get(args.rule_id.upper())
    if rule is None:
        print(f"critic: error: no rule {args.rule_id}; see `critic rules`", file=sys.stderr)
        return EXIT_ERROR
    print(f"{rule.id} {rule.name} ({rule.tier})")
    print()
    for title, body in rule.docs().items():
        print(f"## {title}")
        print(body)
        print()
    if rule.sources:
        print("Sources: " + "; ".join(rule.sources))
    if rule.peers:
        print("Peers: " + ", ".join(rule.peers))
    return EXIT_OK


# --------------------------------------------------------------------------- agents: critique, schema, mcp
def _agent_commands(sub) -> None:
    critique = sub.add_parser("critique", help="answer a critique task (PLN): a verdict per validation criterion")
    critique.add_argument("path", nargs="?", default=".", metavar="PATH", help="the backend to critique (default: .)")
    critique.add_argument("--task", default=None, metavar="FILE", help="the critique task JSON (a PLN task or its inputs); - reads standard input")
    critique.add_argument("--handoff", default=None, metavar="FILE", help="the build agent's hand-off JSON (DEV outputs or AGT hand-off)")
    critique.add_argument("--spec", default=None, metavar="FILE", help="the OpenAPI spec to hold the routes to (default: specs/openapi.yaml)")
    critique.add_argument("--format", choices=_FORMATS, default="text", help="text (default) | json | sarif | github")
    critique.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    critique.add_argument("--exit-zero", action="store_true", help="exit 0 even when the verdict fails")
    _scan_options(critique)
    sub.add_parser("schema", help="print the JSON Schema of the verdict")
    sub.add_parser("mcp", help="serve the critique as an MCP tool over standard input/output")


def _agent_command(args: argparse.Namespace) -> int:
    if args.command == "schema":
        from critic.task import verdict_schema

        sys.stdout.write(json.dumps(verdict_schema(), indent=2) + "\n")
        return EXIT_OK
    if args.command == "mcp":
        from critic.mcp_server import main as serve

        return serve()
    return _critique(args)


def _critique(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from critic.api import UsageError, critique, resolve_root
    from critic.config import ConfigError, load_config
    from critic.report import RenderOptions, renderer
    from critic.task import Task, TaskError, load_task, parse_task

    try:
        if args.task == "-":
            try:
                task = parse_task(json.loads(sys.stdin.read()), base=Path.cwd())
            except json.JSONDecodeError as exc:
                raise TaskError(f"the task on standard input is not JSON: {exc.msg}") from exc
        else:
            task = load_task(args.task) if args.task else Task()
        if args.handoff:
            if not Path(args.handoff).is_file():
                raise TaskError(f"no such hand-off file: {args.handoff}")
            task = replace(task, handoff=str(Path(args.handoff).resolve()))
        paths = [Path(args.path)]
        root = args.root.resolve() if args.root else resolve_root(paths).resolve()
        if args.spec:
            spec = Path(args.spec).resolve() if Path(args.spec).exists() else Path(args.spec)
            if spec.is_absolute() and spec.is_relative_to(root):
                spec = spec.relative_to(root)
            task = replace(task, spec=spec.as_posix())
        config = load_config(root, args.config).with_overrides(select=args.select, ignore=args.ignore, jobs=args.jobs)
        report = critique(paths, config, task=task, engines=args.engines, root=root, cache=_cache_arg(args))
    except (UsageError, ConfigError, TaskError) as exc:
        print(f"critic: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    color = args.output is None and args.format == "text" and use_color(sys.stdout)
    text = renderer(args.format)(report, RenderOptions(color=color))
    if args.format == "text" and report.criteria:
        # the criteria go just above the verdict line, which stays last
        body, _, verdict_line = text.rstrip("\n").rpartition("\n")
        text = (body + "\n" if body else "") + criteria_text(report) + "\n" + verdict_line + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.exit_zero:
        return EXIT_OK
    return EXIT_OK if report.verdict in ("pass", "pass_with_warnings") else EXIT_FAIL


def criteria_text(report) -> str:
    """The task's criteria for the terminal: status, tier, text, and where or why."""
    label = {"pass": "PASS", "fail": "FAIL", "not_checkable": "N/A "}
    where = {f.fingerprint: f"{f.rule_id} {f.path}:{f.line}" for f in report.findings}
    lines = ["Criteria of the task:"]
    for c in report.criteria:
        detail = ""
        if c.status == "fail":
            shown = [where[fp] for fp in c.findings[:3] if fp in where]
            more = f" (+{len(c.findings) - 3} more)" if len(c.findings) > 3 else ""
            detail = " -- " + ", ".join(shown) + more
        elif c.status == "not_checkable":
            detail = " -- " + c.note
        lines.append(f"  {label[c.status]} [{c.tier}] {c.text}{detail}")
    return "\n".join(lines) + "\n"
