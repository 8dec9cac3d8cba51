"""The terminal report: findings grouped by file, each with its fix and a short code frame."""
from __future__ import annotations

from critic.model import Report

_TIER_LABEL = {"critical": "CRITICAL", "expected": "expected", "nice_to_have": "nice"}


def render(report: Report, *, quiet: bool = False, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    out: list[str] = []
    if not quiet:
        current = None
        for f in report.findings:
            if f.path != current:
                current = f.path
                out.append(paint(f.path, "1"))
            tier = _TIER_LABEL.get(f.tier, f.tier)
            tier_text = paint(tier, "31;1" if f.tier == "critical" else "33" if f.tier == "expected" else "36")
            engines = ""
            others = [f"{e.engine}:{e.rule}" for e in f.evidence if e.engine != "critic"]
            if others:
                engines = f" (also {', '.join(others)})"
            out.append(f"  {f.line}:{f.column} {paint(f.rule_id, '1')} {tier_text} {f.message}{engines}")
            out.append(f"    {paint('fix:', '32')} {f.fix}")
            for offset, code in enumerate(f.snippet.splitlines()):
                out.append(paint(f"    {f.line + offset:>5} | {code}", "2"))
        if report.findings:
            out.append("")
    for e in report.errors:
        out.append(f"error: {e.path}: {e.message}")
    for e in report.engines:
        if e.status not in ("ok", "skipped"):
            out.append(f"engine {e.name}: {e.status}: {e.reason}")
    counts = dict(report.counts)
    verdict_color = {"pass": "32;1", "pass_with_warnings": "33;1", "fail": "31;1", "incomplete": "35;1"}[report.verdict]
    out.append(
        f"{paint(report.verdict.upper(), verdict_color)}: {counts['critical']} critical, {counts['expected']} expected, "
        f"{counts['nice_to_have']} nice-to-have in {len(report.scanned)} files"
        + (f" ({report.suppressed} suppressed)" if report.suppressed else "")
    )
    return "\n".join(out) + "\n"
