"""From findings to a verdict: counts by tier, the status of each standard, a short summary."""
from __future__ import annotations

from typing import Sequence

from critic.model import (
    ENGINE_FAMILY,
    FAMILIES,
    TIER_RANK,
    TIERS,
    CriterionResult,
    EngineRun,
    Finding,
    ScanError,
    StandardResult,
)

_SUMMARY_ITEMS = 5


def decide(findings: Sequence[Finding], engines: Sequence[EngineRun], errors: Sequence[ScanError], criteria: Sequence[CriterionResult] = ()) -> str:
    """fail on any critical finding (or failed critical criterion); incomplete when something
    could not be checked; pass_with_warnings on lesser findings; else pass."""
    if any(f.tier == "critical" for f in findings) or any(c.tier == "critical" and c.status == "fail" for c in criteria):
        return "fail"
    if errors or any(e.status not in ("ok", "skipped") for e in engines):
        return "incomplete"
    if findings:
        return "pass_with_warnings"
    return "pass"


def count_by_tier(findings: Sequence[Finding]) -> tuple[tuple[str, int], ...]:
    return tuple((tier, sum(1 for f in findings if f.tier == tier)) for tier in TIERS)


def standards(findings: Sequence[Finding], checked_families: Sequence[str]) -> tuple[StandardResult, ...]:
    """Every standard family that was checked, with its status and counts."""
    names = list(dict.fromkeys(list(checked_families) + [f.standard for f in findings]))
    order = list(FAMILIES.values()) + [ENGINE_FAMILY]
    names.sort(key=lambda n: order.index(n) if n in order else len(order))
    out = []
    for name in names:
        mine = [f for f in findings if f.standard == name]
        counts = count_by_tier(mine)
        if any(f.tier == "critical" for f in mine):
            status = "fail"
        elif mine:
            status = "warn"
        else:
            status = "pass"
        out.append(StandardResult(name, status, counts))
    return tuple(out)


def summarize(
    verdict: str,
    findings: Sequence[Finding],
    engines: Sequence[EngineRun],
    errors: Sequence[ScanError],
    criteria: Sequence[CriterionResult] = (),
) -> str:
    """What an agent should do next: the verdict, then the most important fixes with their place.

    With a task's criteria: their tally, the fixes behind failed criteria first within a tier,
    each failed criterion with where it failed, and the criteria only a run can verify.
    """
    counts = dict(count_by_tier(findings))
    head = f"{verdict.upper()}: {counts['critical']} critical, {counts['expected']} expected, {counts['nice_to_have']} nice-to-have finding(s)."
    lines = [head]
    behind = {fp for c in criteria for fp in c.findings}
    if criteria:
        tally = {status: sum(1 for c in criteria if c.status == status) for status in ("fail", "pass", "not_checkable")}
        lines.append(f"Criteria: {tally['fail']} fail, {tally['pass']} pass, {tally['not_checkable']} not checkable statically.")
    ranked = sorted(findings, key=lambda f: (TIER_RANK.get(f.tier, 9), f.fingerprint not in behind, f.path, f.line, f.rule_id))
    for f in ranked[:_SUMMARY_ITEMS]:
        lines.append(f"- [{f.tier}] {f.path}:{f.line} {f.rule_id} {f.message}. Fix: {f.fix}")
    if len(ranked) > _SUMMARY_ITEMS:
        lines.append(f"- ... and {len(ranked) - _SUMMARY_ITEMS} more.")
    for engine in engines:
        if engine.status not in ("ok", "skipped"):
            lines.append(f"- engine {engine.name} {engine.status}: {engine.reason}")
    for error in errors[:_SUMMARY_ITEMS]:
        lines.append(f"- not checked: {error.path}: {error.message}")
    by_fingerprint = {f.fingerprint: f for f in findings}
    failed = sorted((c for c in criteria if c.status == "fail"), key=lambda c: TIER_RANK.get(c.tier, 9))
    for c in failed:
        first = next((by_fingerprint[fp] for fp in c.findings if fp in by_fingerprint), None)
        where = f"{first.rule_id} at {first.path}:{first.line}" if first else ", ".join(c.rules)
        more = f" (+{len(c.findings) - 1} more)" if len(c.findings) > 1 else ""
        lines.append(f"- criterion failed [{c.tier}] {c.text!r}: {where}{more}")
    unknown = [c.text for c in criteria if c.status == "not_checkable"]
    if unknown:
        lines.append("- verify by running (not statically checkable): " + "; ".join(repr(t) for t in unknown))
    return "\n".join(lines)
