"""The native pass over one file: read, parse, run every rule of its kind in one pass.

A file that cannot be read or parsed yields a ``parse_error`` fact (the PRJ003 rule turns it
into a finding), never an exception. A rule that crashes is isolated and reported as an error;
the other rules' findings on that file are kept.
"""
from __future__ import annotations

import os
import traceback
from contextlib import ExitStack
from pathlib import Path
from typing import Sequence

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider

from critic.config import Config
from critic.cstwalk import node_positions, walk_batched
from critic.cstwalk import plans as cstwalk_plans
from critic.findings import finding
from critic.model import Fact, FileResult, FileSummary, ScanError, Span, Suppression
from critic.parsers.text import decode, split_lines
from critic.registry import RulePack
from critic.rule import PythonFile, PythonVisitor, Report
from critic.suppress import parse_suppressions, python_comments

PARSE_ERROR = "parse_error"


def analyze_file(root: Path, summary: FileSummary, pack: RulePack, config: Config, data: bytes | None = None) -> FileResult:
    """One file's result; ``data``, when the caller already read the file (the cache did), is its bytes."""
    if data is None:
        try:
            data = (root / summary.path).read_bytes()
        except OSError as exc:
            return _unparsed(summary, f"cannot read file: {exc.strerror or exc}")
    decoded = decode(data, python=summary.kind == "python", max_bytes=config.max_file_bytes)
    if decoded.text is None:
        return _unparsed(summary, decoded.problem)
    return analyze_text(summary, decoded.text, pack, config)


def analyze_text(summary: FileSummary, text: str, pack: RulePack, config: Config) -> FileResult:
    if summary.kind == "python":
        return _python(summary, text, pack, config)
    if summary.kind == "dockerfile":
        return _dockerfile(summary, text, pack, config)
    if summary.kind == "compose":
        return _compose(summary, text, pack, config)
    return FileResult(summary.path, summary.kind)


def _unparsed(summary: FileSummary, message: str, line: int = 1, column: int = 1) -> FileResult:
    fact = Fact(PARSE_ERROR, summary.path, line, (("message", message), ("column", column), ("kind", summary.kind)))
    return FileResult(summary.path, summary.kind, facts=(fact,))


def _results(summary, pack, reports, lines, facts, suppressions, errors) -> FileResult:
    findings = tuple(finding(pack.by_id[r.rule_id], r, summary.path, lines) for r in reports)
    return FileResult(summary.path, summary.kind, findings, tuple(facts), tuple(suppressions), tuple(errors))


def _crash(summary: FileSummary, who: str, exc: BaseException) -> ScanError:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" ({Path(where.filename).name}:{where.lineno})" if where else ""
    return ScanError(summary.path, f"{who} crashed: {type(exc).__name__}: {exc}{at}", "internal")


# --------------------------------------------------------------------------- python
def _python(summary: FileSummary, text: str, pack: RulePack, config: Config) -> FileResult:
    from critic.parsers.python import parse_python

    parsed = parse_python(text)
    if parsed.module is None:
        return _unparsed(summary, parsed.error, parsed.line, parsed.column)
    file = PythonFile(summary.path, text)
    visitors = [_instantiate(cls, file, config) for cls in pack.python(config)]
    wrapper = MetadataWrapper(parsed.module, unsafe_skip_copy=True)
    errors: list[ScanError] = []
    try:
        _traverse(wrapper, visitors)
    except RecursionError as exc:  # before Exception, of which it is a subclass
        return FileResult(summary.path, summary.kind, errors=(_crash(summary, "the traversal", exc),))
    except Exception:
        visitors, errors = _isolate(summary, wrapper, file, pack, config)
    reports: list[Report] = []
    facts: list[Fact] = []
    if any(v.pending or v.pending_facts for v in visitors):
        # facts stated at line 1 (no node) need no positions: resolve them only when used
        located = any(v.pending or any(node is not None for _, node, _ in v.pending_facts) for v in visitors)
        positions = _positions(wrapper, visitors) if located else None
        for visitor in visitors:
            rule_id = getattr(visitor, "id", "")
            for own_id, node, message, fix, secrets, offset in visitor.pending:
                reports.append(_python_report(own_id or rule_id, type(visitor), node, message, fix, secrets, positions, offset))
            for kind, node, data in visitor.pending_facts:
                facts.append(_python_fact(summary.path, kind, node, data, positions))
    lines = split_lines(text)  # never str.splitlines(): see split_lines
    suppressions = parse_suppressions(summary.path, python_comments(text), len(lines))
    return _results(summary, pack, reports, lines, facts, suppressions, errors)


def _instantiate(cls: type[PythonVisitor], file: PythonFile, config: Config) -> PythonVisitor:
    rule_id = getattr(cls, "id", "")
    options = config.options.get(rule_id, {}) if rule_id else {}
    visitor = cls(PythonFile(file.path, file.text, options) if options else file)
    return visitor


#: CRITIC_LIBCST_TRAVERSAL=1: libcst's own visit_batched and PositionProvider (slow; to compare)
_LIBCST_TRAVERSAL = os.environ.get("CRITIC_LIBCST_TRAVERSAL", "") not in ("", "0")


def _traverse(wrapper: MetadataWrapper, visitors: Sequence[PythonVisitor]) -> None:
    """One batched pass of every visitor, read-only (critic.cstwalk; no node is rebuilt)."""
    if _LIBCST_TRAVERSAL:
        wrapper.visit_batched(visitors)
        return
    with ExitStack() as stack:
        for visitor in visitors:  # metadata dependencies, for a rule that declares any
            stack.enter_context(visitor.resolve(wrapper))
        walk_batched(wrapper.module, visitors)


def _positions(wrapper: MetadataWrapper, visitors: Sequence[PythonVisitor]):
    """The PositionProvider range of every node reported, masked or stated as a fact, and no other."""
    if _LIBCST_TRAVERSAL or cstwalk_plans() is None:  # a libcst critic does not know: its own way
        return wrapper.resolve(PositionProvider)
    nodes: list[cst.CSTNode] = []
    for visitor in visitors:
        for _, node, _, _, secrets, _ in visitor.pending:
            nodes.append(node)
            nodes.extend(secrets)
        nodes.extend(node for _, node, _ in visitor.pending_facts if node is not None)
    return node_positions(wrapper.module, nodes)


def _isolate(summary, wrapper, file, pack, config) -> tuple[list[PythonVisitor], list[ScanError]]:
    """A visitor raised: run each alone, keep the ones that finish, report the others."""
    kept, errors = [], []
    for cls in pack.python(config):
        visitor = _instantiate(cls, file, config)
        try:
            _traverse(wrapper, [visitor])
        except Exception as exc:
            errors.append(_crash(summary, f"rule {getattr(cls, 'id', '') or cls.__name__}", exc))
        else:
            kept.append(visitor)
    return kept, errors


def _python_report(rule_id, cls, node, message, fix, secrets, positions, offset=None) -> Report:
    where = positions[node]
    if offset:  # a line inside the node (a docstring line): that line alone, from column 1
        line = where.start.line + int(offset)
        where = CodeRange(CodePosition(line, 0), CodePosition(line, 0))
    spans: list[Span] = []
    for secret in secrets:
        sp = positions[secret]
        if sp.start.line == sp.end.line:
            spans.append(Span(sp.start.line, sp.start.column + 1, sp.end.column + 1))
        else:
            spans.append(Span(sp.start.line, sp.start.column + 1, 10**6))
            for line in range(sp.start.line + 1, sp.end.line + 1):
                spans.append(Span(line, 1, 10**6 if line < sp.end.line else sp.end.column + 1))
    return Report(
        rule_id,
        where.start.line,
        where.start.column + 1,
        where.end.line,
        where.end.column + 1,
        message or getattr(cls, "message", ""),
        fix or getattr(cls, "fix", ""),
        tuple(spans),
    )


def _python_fact(path: str, kind: str, node: cst.CSTNode | None, data: dict, positions) -> Fact:
    line, column, end_line = 1, 1, 1
    if node is not None:
        where = positions[node]
        line, column, end_line = where.start.line, where.start.column + 1, where.end.line
    items = dict(data)
    items.setdefault("column", column)
    items.setdefault("end_line", end_line)
    return Fact(kind, path, line, tuple(sorted((k, _frozen(v)) for k, v in items.items())))


def _frozen(value: object) -> object:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    return value


# --------------------------------------------------------------------------- dockerfile
def _dockerfile(summary: FileSummary, text: str, pack: RulePack, config: Config) -> FileResult:
    from critic.parsers.dockerfile import parse_dockerfile

    parsed = parse_dockerfile(text)
    facts: list[Fact] = []
    for error in parsed.errors:
        facts.append(Fact(PARSE_ERROR, summary.path, error.line, (("column", 1), ("kind", "dockerfile"), ("message", error.message))))
    if not parsed.instructions:
        what = "has only comments" if parsed.comments or parsed.directives else "is empty"
        facts.append(Fact(PARSE_ERROR, summary.path, 1, (("column", 1), ("kind", "dockerfile"), ("message", f"Dockerfile {what}: no FROM, nothing to build"))))
    lines = split_lines(text)
    comment_lines = {c.line for c in parsed.comments}
    suppressions = parse_suppressions(
        summary.path, [(c.line, c.text, True) for c in parsed.comments], len(lines), comment_lines
    )
    reports: list[Report] = []
    errors: list[ScanError] = []
    if parsed.instructions:
        rules = []
        for cls in pack.dockerfile(config):
            rules.append(cls(summary.path, parsed, config.options.get(cls.id, {}), lines=lines))
        live = list(rules)
        for instruction in parsed.instructions:
            for rule in list(live):
                try:
                    rule.step(instruction)
                except Exception as exc:
                    errors.append(_crash(summary, f"rule {rule.id}", exc))
                    live.remove(rule)
        for rule in live:
            try:
                rule.finish()
            except Exception as exc:
                errors.append(_crash(summary, f"rule {rule.id}", exc))
                continue
            reports.extend(rule.reports)
    return _results(summary, pack, reports, lines, facts, suppressions, errors)


# --------------------------------------------------------------------------- compose
def _compose(summary: FileSummary, text: str, pack: RulePack, config: Config) -> FileResult:
    from critic.parsers.yaml_doc import load_yaml

    doc = load_yaml(text)
    lines = split_lines(text, yaml=True)
    facts: list[Fact] = []
    if doc.root is None:
        if doc.errors:
            first = doc.errors[0]
            facts.append(Fact(PARSE_ERROR, summary.path, first.line, (("column", first.column), ("kind", "compose"), ("message", f"invalid YAML: {first.message}"))))
        else:
            facts.append(Fact(PARSE_ERROR, summary.path, 1, (("column", 1), ("kind", "compose"), ("message", "compose file is empty"))))
    elif doc.root.kind != "map":
        facts.append(Fact(PARSE_ERROR, summary.path, doc.root.line, (("column", doc.root.column), ("kind", "compose"), ("message", f"compose file must be a mapping at the top level, not a {'list' if doc.root.kind == 'seq' else 'scalar'}"))))
    comment_lines = {line for line, _ in doc.comments if not lines[line - 1].split("#", 1)[0].strip()} if lines else set()
    comments = [(line, body, line in comment_lines) for line, body in doc.comments]
    suppressions = parse_suppressions(summary.path, comments, len(lines), comment_lines)
    reports: list[Report] = []
    errors: list[ScanError] = []
    if doc.root is not None and doc.root.kind == "map":
        for cls in pack.compose(config):
            rule = cls(summary.path, doc, config.options.get(cls.id, {}))
            try:
                rule.check(doc.root)
            except Exception as exc:
                errors.append(_crash(summary, f"rule {cls.id}", exc))
                continue
            reports.extend(rule.reports)
    return _results(summary, pack, reports, lines, facts, suppressions, errors)


def suppressions_of(results: Sequence[FileResult]) -> list[Suppression]:
    return [s for r in results for s in r.suppressions]
