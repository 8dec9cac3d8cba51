"""Building findings: from a rule's report to a located, masked, fingerprinted Finding."""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Callable, Iterable, Mapping, Sequence

from critic.model import Finding, Span
from critic.rule import Report, RuleMeta

MASK = "****"
_SNIPPET_LINES = 3
#: A snippet line is cut here (after masking): a minified or generated one-line file must not
#: put megabytes into every report.
SNIPPET_WIDTH = 400


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
        snippet=snippet(lines, report.line, report.end_line, report.secret_spans, path=report.path or path) if lines else "",
        secret_spans=report.secret_spans,
        evidence=(),
    )


def snippet(lines: Sequence[str], line: int, end_line: int, spans: Sequence[Span] = (), *, path: str = "") -> str:
    """The source lines of a finding (at most three), with secret spans masked, then anything
    else that looks like a secret redacted (``redact``; ``path`` tells code from config)."""
    out = []
    code = path.endswith(".py")
    for number in range(line, min(end_line, line + _SNIPPET_LINES - 1) + 1):
        if 1 <= number <= len(lines):
            text = redact(mask_line(lines[number - 1], number, spans), code=code)
            out.append(text if len(text) <= SNIPPET_WIDTH else text[:SNIPPET_WIDTH] + " ...")
    return "\n".join(out)


# --------------------------------------------------------------------------- redaction
# The rules mask the secrets they find (secret spans). Redaction is the net under them: a
# snippet shows whole lines, and a line may hold a secret no rule recognised (a compose
# `environment:` written as one string, a token in a log message, a key in a URL).
_SECRET_WORD = (
    r"(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|auth(?:orization)?|credentials?|signing[_-]?key|encryption[_-]?key|client[_-]?secret)"
)
#: a secret-like name, `=` or `:`, then a quoted literal: SECRET_KEY = "...", "password": "..."
_KEYED_QUOTED = re.compile(rf"""(?i)(\b[\w.-]*{_SECRET_WORD}[\w.-]*["']?\s*[:=]\s*[rbuRBU]?)(["'])((?:\\.|(?!\2).){{4,}}?)\2""")
#: outside Python, an unquoted value too: POSTGRES_PASSWORD=..., API_KEY: ... (not ${VAR}, not a path)
_KEYED_BARE = re.compile(rf"""(?i)(?<![{{$])(\b[\w.-]*{_SECRET_WORD}[\w.-]*\s*[:=]\s*)(?![\s$"'{{\[(/|>&*!?:=+-])([^\s"'#,;]{{4,}})""")
#: credentials in a URL: scheme://user:PASSWORD@host
_URL_PASSWORD = re.compile(r"""(\b[a-zA-Z][\w+.-]*://[^\s:/@"']*:)(?!\$\{)([^\s@/"']{3,})(@)""")
#: well-known token shapes, anywhere on the line
_TOKENS = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"
    r"|sk-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{30,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
    r"|(?<=Bearer )[A-Za-z0-9._~+/-]{12,}=*"
)

_SECRET_WORD_ANYWHERE = re.compile(_SECRET_WORD, re.IGNORECASE)
#: a quoted literal that could be a credential: 8+ characters, no space, letters and digits
_TOKEN_LIKE_LITERAL = re.compile(r"""(["'])((?=[^"'\s]*[A-Za-z])(?=[^"'\s]*\d)[^"'\s]{8,})\1""")


def redact(text: str, *, code: bool = False) -> str:
    """``text`` with secret-looking values replaced by the mask: quoted literals given to a
    secret-like name, (outside Python code) bare values too, URL passwords, known token shapes,
    and on a line that names a secret (`log.debug("api_key=%s", "...")`) token-like literals."""
    text = _TOKENS.sub(MASK, text)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = _KEYED_QUOTED.sub(lambda m: m.group(1) + m.group(2) + MASK + m.group(2), text)
    if _SECRET_WORD_ANYWHERE.search(text):
        text = _TOKEN_LIKE_LITERAL.sub(lambda m: m.group(1) + MASK + m.group(1), text)
    if not code:
        text = _KEYED_BARE.sub(lambda m: m.group(1) + (m.group(2) if m.group(2) == MASK else MASK), text)
    return text


def mask_line(text: str, number: int, spans: Sequence[Span]) -> str:
    for span in sorted((s for s in spans if s.line == number), key=lambda s: -s.column):
        start = max(0, span.column - 1)
        end = max(start, span.end_column - 1)
        text = text[:start] + MASK + text[end:]
    return text


def secret_spans_by_path(findings: Iterable[Finding]) -> dict[str, tuple[Span, ...]]:
    """Every secret span any finding knows of, per file (suppressed or filtered findings too)."""
    out: dict[str, set[Span]] = {}
    for f in findings:
        if f.secret_spans:
            out.setdefault(f.path, set()).update(f.secret_spans)
    return {path: tuple(sorted(spans, key=lambda s: (s.line, s.column, s.end_column))) for path, spans in out.items()}


def mask_known_secrets(
    findings: Sequence[Finding], spans: Mapping[str, tuple[Span, ...]], lines_of: Callable[[str], Sequence[str] | None]
) -> list[Finding]:
    """Mask, in every finding's snippet, the secrets other findings found on the same lines.

    A project rule reporting line 1 of a module, or an engine reporting a line, knows nothing
    of the secret SEC002 found there; without this its snippet would show the value.
    """
    out = []
    for f in findings:
        known = spans.get(f.path)
        if not known or not f.snippet:
            out.append(f)
            continue
        last = f.line + len(f.snippet.splitlines()) - 1
        extra = [s for s in known if f.line <= s.line <= last and s not in f.secret_spans]
        if not extra:
            out.append(f)
            continue
        merged = _merge_spans(list(f.secret_spans) + extra)
        lines = lines_of(f.path)
        masked = snippet(lines, f.line, f.end_line, merged, path=f.path) if lines else ""
        out.append(replace(f, snippet=masked, secret_spans=merged))
    return out


def _merge_spans(spans: Sequence[Span]) -> tuple[Span, ...]:
    """Overlapping spans on a line joined, so masking one never shifts another."""
    merged: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.line, s.column, s.end_column)):
        if merged and merged[-1].line == s.line and s.column <= merged[-1].end_column:
            last = merged[-1]
            merged[-1] = Span(last.line, last.column, max(last.end_column, s.end_column))
        else:
            merged.append(s)
    return tuple(merged)


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
        key = occurrence_key(f)
        index = seen.get(key, 0)
        seen[key] = index + 1
        out.append(replace(f, fingerprint=fingerprint_of(key, index)))
    return out


def occurrence_key(f: Finding) -> tuple[str, str, str]:
    """What identical violations share: (rule, file, the offending text, whitespace-normalized)."""
    return (f.rule_id, f.path, " ".join(f.snippet.split()) or f.message)


def fingerprint_of(key: tuple[str, str, str], index: int) -> str:
    """The fingerprint of the ``index``-th (0-based, in file order) finding with this key."""
    return hashlib.sha256("\x1f".join((*key, str(index))).encode("utf-8")).hexdigest()[:32]
