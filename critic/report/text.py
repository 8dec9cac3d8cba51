"""The terminal report: findings grouped by file, each with a code frame and its fix, then a
table by standard and tier, then the verdict line.

    app/db.py
      12:5 SQL001 critical SQL text built with an f-string reaches `cursor.execute()`
         12 |     cursor.execute(f"SELECT * FROM users WHERE id = {user_id}")
            |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
         fix: Pass values as bound parameters ...

Colour is the caller's decision (``RenderOptions.color``; the CLI turns it on only for a TTY,
honouring NO_COLOR and FORCE_COLOR). ``quiet`` keeps only the verdict line and what could not
be checked; ``statistics`` replaces the findings with one line per rule id and its count.
"""
from __future__ import annotations

from critic.model import Finding, Report
from critic.report import RenderOptions

TIER_LABEL = {"critical": "critical", "expected": "expected", "nice_to_have": "nice-to-have"}
_TIER_COLOR = {"critical": "31;1", "expected": "33", "nice_to_have": "36"}
_VERDICT_COLOR = {"pass": "32;1", "pass_with_warnings": "33;1", "fail": "31;1", "incomplete": "35;1"}
_STATUS_COLOR = {"fail": "31;1", "warn": "33", "pass": "32"}


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and text else text


def render(report: Report, options: RenderOptions | None = None) -> str:
    options = options or RenderOptions()
    paint = _Painter(options.color)
    report = printable(report)
    out: list[str] = []
    if not options.quiet:
        if options.statistics:
            out += statistics(report, paint)
        else:
            out += findings_by_file(report.findings, paint)
        if report.findings:
            out.append("")
            out += summary_table(report, paint)
            out.append("")
    out += problems(report, paint)
    out.append(verdict_line(report, paint))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- hostile text
#: Characters a terminal or a CI log would act on (C0 and C1 controls but tab and newline, DEL,
#: line and paragraph separators, bidirectional overrides), each shown as one visible character
#: so that columns and carets stay put: a scanned file must not be able to move the cursor,
#: recolour, retitle the terminal, or print a fake verdict line through a path or a snippet.
_UNPRINTABLE = {c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A)}
_UNPRINTABLE.update({0x7F: 0x2421, 0x0A: 0x2424})  # a newline inside a path or message: one line
_UNPRINTABLE.update({c: 0xFFFD for c in [*range(0x80, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]})
_UNPRINTABLE_LINES = {k: v for k, v in _UNPRINTABLE.items() if k != 0x0A}  # a snippet keeps its lines


def printable(report: Report) -> Report:
    """The report with every text that comes from the scanned tree made safe to print."""
    from dataclasses import replace

    def clean(text: str) -> str:
        return text.translate(_UNPRINTABLE)

    findings = tuple(
        replace(f, path=clean(f.path), message=clean(f.message), fix=clean(f.fix), snippet=f.snippet.translate(_UNPRINTABLE_LINES))
        for f in report.findings
    )
    errors = tuple(replace(e, path=clean(e.path), message=clean(e.message)) for e in report.errors)
    engines = tuple(replace(e, reason=clean(e.reason)) for e in report.engines)
    return replace(report, findings=findings, errors=errors, engines=engines)


# --------------------------------------------------------------------------- findings
def findings_by_file(findings: tuple[Finding, ...], paint: _Painter) -> list[str]:
    out: list[str] = []
    current = None
    for f in findings:
        if f.path != current:
            if current is not None:
                out.append("")
            current = f.path
            out.append(paint(f.path, "1"))
        out += finding_lines(f, paint)
    return out


def finding_lines(f: Finding, paint: _Painter) -> list[str]:
    tier = paint(TIER_LABEL.get(f.tier, f.tier), _TIER_COLOR.get(f.tier, "0"))
    out = [f"  {f.line}:{f.column} {paint(f.rule_id, '1')} {tier} {f.message}"]
    code_lines = f.snippet.splitlines()
    width = len(str(f.line + max(0, len(code_lines) - 1)))
    indent = "     "
    for offset, code in enumerate(code_lines):
        number = f.line + offset
        out.append(f"{indent}{paint(str(number).rjust(width) + ' |', '34')} {code}".rstrip())
    caret = _caret(f, code_lines)
    if caret:
        out.append(f"{indent}{paint(' ' * width + ' |', '34')} {paint(caret, '31;1')}")
    out.append(f"{indent}{paint('fix:', '32;1')} {f.fix}")
    others = [f"{e.engine}:{e.rule}" for e in f.evidence if e.engine != "critic"]
    if others:
        out.append(f"{indent}{paint('also:', '2')} {', '.join(others)}")
    return out


def _caret(f: Finding, code_lines: list[str]) -> str:
    """A ^^^ under a one-line finding's span (not on a line whose secret was masked)."""
    if len(code_lines) != 1 or f.end_line != f.line or f.end_column <= f.column:
        return ""
    if any(span.line == f.line for span in f.secret_spans):
        return ""
    code = code_lines[0]
    start, end = f.column - 1, min(f.end_column - 1, len(code))
    if start >= end:
        return ""
    lead = "".join("\t" if ch == "\t" else " " for ch in code[:start])
    return lead + "^" * (end - start)


# --------------------------------------------------------------------------- summaries
def summary_table(report: Report, paint: _Painter) -> list[str]:
    """Findings by standard and tier, for every standard that was checked."""
    headers = ("critical", "expected", "nice-to-have")
    rows = [(s.standard, dict(s.counts), s.status) for s in report.standards]
    name_width = max([len("standard")] + [len(name) for name, _, _ in rows])
    widths = [len(h) for h in headers]
    out = [paint("  ".join(["standard".ljust(name_width), *headers, "status"]), "1")]
    for name, counts, status in rows:
        cells = []
        for tier, width in zip(("critical", "expected", "nice_to_have"), widths):
            count = counts.get(tier, 0)
            cells.append(paint(str(count).rjust(width), _TIER_COLOR[tier]) if count else str(count).rjust(width))
        out.append("  ".join([name.ljust(name_width), *cells, paint(status, _STATUS_COLOR.get(status, "0"))]))
    totals = dict(report.counts)
    cells = [str(totals.get(tier, 0)).rjust(width) for tier, width in zip(("critical", "expected", "nice_to_have"), widths)]
    out.append(paint("  ".join(["total".ljust(name_width), *cells]), "1"))
    return out


def statistics(report: Report, paint: _Painter) -> list[str]:
    """One line per rule id, most frequent first (like ruff --statistics)."""
    counts: dict[str, int] = {}
    first: dict[str, Finding] = {}
    for f in report.findings:
        counts[f.rule_id] = counts.get(f.rule_id, 0) + 1
        first.setdefault(f.rule_id, f)
    if not counts:
        return []
    ordered = sorted(counts, key=lambda rule_id: (-counts[rule_id], rule_id))
    count_width = max(len(str(n)) for n in counts.values())
    id_width = max(len(rule_id) for rule_id in counts)
    tier_width = max(len(TIER_LABEL.get(first[r].tier, first[r].tier)) for r in counts)
    out = []
    for rule_id in ordered:
        f = first[rule_id]
        tier = TIER_LABEL.get(f.tier, f.tier)
        out.append(
            f"{str(counts[rule_id]).rjust(count_width)}  {paint(rule_id.ljust(id_width), '1')}  "
            f"{paint(tier.ljust(tier_width), _TIER_COLOR.get(f.tier, '0'))}  {f.name}".rstrip()
        )
    return out


def problems(report: Report, paint: _Painter) -> list[str]:
    out = [f"{paint('error:', '31;1')} {e.path}: {e.message}" for e in report.errors]
    out += [
        f"{paint('engine', '35')} {e.name}: {e.status}: {e.reason}"
        for e in report.engines
        if e.status not in ("ok", "skipped")
    ]
    return out


def verdict_line(report: Report, paint: _Painter) -> str:
    counts = dict(report.counts)
    extra = dict(report.extra)
    notes = []
    if report.suppressed:
        notes.append(f"{report.suppressed} suppressed")
    if extra.get("baselined"):
        notes.append(f"{extra['baselined']} in the baseline")
    return (
        f"{paint(report.verdict.upper(), _VERDICT_COLOR.get(report.verdict, '1'))}: {counts.get('critical', 0)} critical, "
        f"{counts.get('expected', 0)} expected, {counts.get('nice_to_have', 0)} nice-to-have in {len(report.scanned)} "
        + ("file" if len(report.scanned) == 1 else "files")
        + (f" ({', '.join(notes)})" if notes else "")
    )
