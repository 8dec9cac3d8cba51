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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="critic", description="Static critique of generated backends.")
    parser.add_argument("--version", action="version", version=f"critic {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check a backend and print the verdict")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    check.add_argument("--engines", type=_engines_arg, default=None, help="all | fast | none | a comma list (ruff,bandit,semgrep,hadolint)")
    check.add_argument("--select", type=_ids, default=None, help="only these rule ids or prefixes")
    check.add_argument("--ignore", type=_ids, default=None, help="skip these rule ids or prefixes")
    check.add_argument("--config", type=Path, default=None, help="a critic.toml or pyproject.toml to use")
    check.add_argument("--root", type=Path, default=None, help="the project root findings are relative to")
    check.add_argument("--quiet", "-q", action="store_true", help="only the verdict line")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when the verdict fails")
    check.add_argument("--jobs", "-j", type=int, default=None, help="worker processes for the native pass")

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("rule_id")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "explain":
            return _explain(args)
        parser.print_help()
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR


def _check(args: argparse.Namespace) -> int:
    from critic.api import UsageError, critique, resolve_root
    from critic.config import ConfigError, load_config

    paths = [Path(p) for p in args.paths]
    try:
        root = args.root.resolve() if args.root else resolve_root(paths).resolve()
        config = load_config(root, args.config).with_overrides(select=args.select, ignore=args.ignore, jobs=args.jobs)
        # Given only files (as pre-commit does), report on those files while project-level
        # rules still reason about the whole tree under the root.
        report_only = None
        if paths and all(p.is_file() for p in paths):
            report_only = sorted({Path(os.path.relpath(p.resolve(), root)).as_posix() for p in paths})
        report = critique(paths, config, engines=args.engines, root=root, report_only=report_only)
    except (UsageError, ConfigError) as exc:
        print(f"critic: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.format == "json":
        from critic.report.json_report import render

        text = render(report)
    else:
        from critic.report.text import render

        color = args.output is None and sys.stdout.isatty()
        text = render(report, quiet=args.quiet, color=color)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.exit_zero:
        return EXIT_OK
    return EXIT_OK if report.verdict in ("pass", "pass_with_warnings") else EXIT_FAIL


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
