"""Inline suppressions: `# critic: ignore[SQL001, SEC001] reason`, in Python, Dockerfiles and YAML.

A suppression comment on a line of its own applies to the next line that is not a comment; a
trailing one applies to its own line. A suppression needs a reason (CRT001), and one that no
longer matches any finding is itself reported (CRT002), so stale ignores do not pile up.
"""
from __future__ import annotations

import io
import re
import tokenize
from typing import Callable, Iterable

from critic.model import Finding, Suppression
from critic.parsers.text import split_lines
from critic.rule import Invalid, RuleMeta, Valid

_PATTERN = re.compile(r"critic:\s*ignore\[(?P<ids>[^\]]*)\](?P<reason>.*)$")


class SuppressionWithoutReason(RuleMeta):
    """
    ## What it does
    Checks that every `# critic: ignore[ID]` comment says why the finding does not apply.

    ## Why is this bad?
    A bare ignore hides a problem from every later reader, human or agent, with no way to tell
    a considered exception from a silenced warning.

    ## Example
        cursor.execute(query)  # critic: ignore[SQL001]

    ## Use instead
        cursor.execute(query)  # critic: ignore[SQL001] query is a constant from queries.py
    """

    id = "CRT001"
    name = "suppression-without-reason"
    tier = "expected"
    severity = "low"
    kind = "meta"
    sources = ("critic: suppressions",)
    message = "Suppression comment gives no reason"
    fix = "Add the reason after the bracket: `# critic: ignore[ID] why this is safe`."
    VALID = (Valid("x = 1  # critic: ignore[SQL001] constant query\n"),)
    INVALID = (Invalid("x = 1  # critic: ignore[SQL001]\n", line=1),)


class UnusedSuppression(RuleMeta):
    """
    ## What it does
    Reports a `# critic: ignore[ID]` comment that suppresses nothing.

    ## Why is this bad?
    The code it excused has changed; the stale comment would silently hide the next real
    problem on that line.

    ## Example
        total = 1 + 1  # critic: ignore[SQL001] legacy query

    ## Use instead
        total = 1 + 1
    """

    id = "CRT002"
    name = "unused-suppression"
    tier = "nice_to_have"
    severity = "low"
    kind = "meta"
    sources = ("critic: suppressions",)
    message = "Suppression matches no finding"
    fix = "Delete the stale `# critic: ignore[...]` comment."
    VALID = ()
    INVALID = ()


META_RULES: tuple[type[RuleMeta], ...] = (SuppressionWithoutReason, UnusedSuppression)


def python_comments(text: str) -> list[tuple[int, str, bool]]:
    """(line, comment text without '#', stands on its own line) for every comment in Python source."""
    if "critic:" not in text:
        return []
    out: list[tuple[int, str, bool]] = []
    lines = split_lines(text)  # as tokenize numbers them (not splitlines: \f, U+2028...)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                line, col = tok.start
                own = not lines[line - 1][:col].strip()
                out.append((line, tok.string[1:].strip(), own))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return out


def parse_suppressions(path: str, comments: Iterable[tuple[int, str, bool]], line_count: int, comment_lines: set[int] | None = None) -> list[Suppression]:
    """Suppressions from comments; an own-line one targets the next line that is not a comment."""
    comments = list(comments)
    comment_lines = comment_lines if comment_lines is not None else {line for line, _, own in comments if own}
    out = []
    for line, text, own in comments:
        match = _PATTERN.search(text)
        if not match:
            continue
        ids = tuple(sorted({part.strip() for part in match.group("ids").split(",") if part.strip()}))
        reason = match.group("reason").strip().lstrip("-:—").strip()
        target = line
        if own:
            target = line + 1
            while target in comment_lines and target <= line_count:
                target += 1
        out.append(Suppression(path, target, line, ids, reason))
    return out


def apply_suppressions(
    findings: list[Finding], suppressions: list[Suppression], ran: set[str], make_meta: Callable[..., Finding]
) -> tuple[list[Finding], int]:
    """Drop suppressed findings; add CRT001/CRT002 findings. Returns (findings, suppressed count).

    ``ran`` holds the ids (critic's and engines' ``engine:id``) that were checked in this run: a
    suppression of a rule that did not run is not called stale.
    """
    by_place: dict[tuple[str, int], list[Suppression]] = {}
    for sup in suppressions:
        by_place.setdefault((sup.path, sup.line), []).append(sup)
    used: set[tuple[str, int, str]] = set()
    kept: list[Finding] = []
    suppressed = 0
    for finding in findings:
        hit = None
        for sup in by_place.get((finding.path, finding.line), ()):
            if finding.rule_id in sup.rule_ids or any(
                e.rule in sup.rule_ids or f"{e.engine}:{e.rule}" in sup.rule_ids for e in finding.evidence
            ):
                hit = sup
                break
        if hit is None:
            kept.append(finding)
        else:
            suppressed += 1
            used.add((hit.path, hit.comment_line, finding.rule_id))
            for e in finding.evidence:
                used.add((hit.path, hit.comment_line, e.rule))
                used.add((hit.path, hit.comment_line, f"{e.engine}:{e.rule}"))
    for sup in suppressions:
        if not sup.reason:
            kept.append(make_meta(SuppressionWithoutReason, sup.path, sup.comment_line, None))
        stale = [
            rule_id
            for rule_id in sup.rule_ids
            if rule_id in ran and (sup.path, sup.comment_line, rule_id) not in used
        ]
        if stale:
            kept.append(
                make_meta(
                    UnusedSuppression,
                    sup.path,
                    sup.comment_line,
                    f"Suppression of {', '.join(stale)} matches no finding on line {sup.line}",
                )
            )
    return kept, suppressed
