"""Building findings: from a rule's report to a located, masked, fingerprinted Finding."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Sequence

from critic.model import Finding, Span
from critic.rule import Report, RuleMeta

MASK = "****"
_SNIPPET_LINES = 3


def finding(rule: type[RuleMeta], report: Report, path: str, lines: Sequence[str] | None) -> Finding:
    return Finding(
        rule_id=rule.id,
        name=rule.name,
        tier=rule.tier,
        severity=rule.severity,
        confidence=rule.confidence,
        path=report.path or path,
        line=report.line,
        column=report.column,
        end_line=report.end_line,
        end_column=report.end_column,
        message=report.message,
        fix=report.fix,
        sources=rule.sources,
        cwe=rule.cwe,
        owasp=rule.owasp,
        snippet=snippet(lines, report.line, report.end_line, report.secret_spans) if lines else "",
        secret_spans=report.secret_spans,
        evidence=(),
    )


def snippet(lines: Sequence[str], line: int, end_line: int, spans: Sequence[Span] = ()) -> str:
    """The source lines of a finding (at most three), with secret spans masked."""
    out = []
    for number in range(line, min(end_line, line + _SNIPPET_LINES - 1) + 1):
        if 1 <= number <= len(lines):
            out.append(mask_line(lines[number - 1], number, spans))
    return "\n".join(out)


def mask_line(text: str, number: int, spans: Sequence[Span]) -> str:
    for span in sorted((s for s in spans if s.line == number), key=lambda s: -s.column):
        start = max(0, span.column - 1)
        end = max(start, span.end_column - 1)
        text = text[:start] + MASK + text[end:]
    return text


def mask_value(value: str) -> str:
    """A secret as reports may show it: never more than its first character and its length."""
    if len(value) <= 4:
        return MASK
    return f"{value[0]}{MASK} ({len(value)} chars)"


def with_fingerprints(findings: Sequence[Finding]) -> list[Finding]:
    """Fingerprints that survive unrelated edits: rule, file, the offending text, occurrence.

    Line numbers are left out, so code moving up or down keeps the fingerprint; the occurrence
    index among identical (rule, file, text) triples keeps a second identical violation apart.
    """
    ordered = sorted(findings, key=lambda f: f.sort_key)
    seen: dict[tuple[str, str, str], int] = {}
    out = []
    for f in ordered:
        text = " ".join(f.snippet.split()) or f.message
        key = (f.rule_id, f.path, text)
        index = seen.get(key, 0)
        seen[key] = index + 1
        digest = hashlib.sha256("\x1f".join((f.rule_id, f.path, text, str(index))).encode("utf-8")).hexdigest()
        out.append(replace(f, fingerprint=digest[:32]))
    return out
