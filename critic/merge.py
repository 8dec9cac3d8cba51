"""Fold engine findings into critic's: one finding per problem, with every tool that saw it.

Which engine ids evidence which standard is read from the rule pack, from each rule's
``peers`` ("bandit:B608", "ruff:S608", "semgrep:critic-sql-taint", "hadolint:DL3002"); there
is no second table. A peer may also name a family of an engine's ids by prefix ("ruff:ASYNC",
"ruff:FIX") or a range ("ruff:S105-S107").

- An engine finding that evidences a standard joins the native finding of that standard at
  the same place (same path, and the lines overlap; in Python, also a native finding a few
  lines below it: the sink of the value the engine saw built): the native finding gains the
  engine as evidence.
- Where only engines saw it, it becomes a finding of that standard (the rule's name, tier,
  message, fix, sources, CWE) with the engines as its evidence, engines agreeing at one
  place folded into one; except where critic's own rule of that standard checked the file
  and found the place compliant: third-party pattern checks are looser than the catalogue
  (bandit's B608 flags constant-only SQL composition, B105 `token_type = "bearer"`, both
  declared non-findings by STANDARDS.md), so there the native rule's silence wins and the
  result is dropped. critic's own semgrep rules (dataflow the native pass cannot follow)
  still add findings beside it.
- An engine finding that evidences no standard keeps its own id (``bandit:B602``).
- Every finding lists its evidence, critic's own rule first: ``Evidence("critic", "SQL001")``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Sequence

from critic.config import ENGINE_NAMES
from critic.discover import classify
from critic.model import Evidence, Finding
from critic.registry import RulePack

CRITIC = "critic"
#: Engines that run critic's own rules (rules/semgrep): their word stands beside a native rule's.
OWN_ENGINES = frozenset({"semgrep"})
UNPARSABLE = "PRJ003"
_RANGE = re.compile(r"^([A-Za-z]+)(\d+)-(?:\1)?(\d+)$")


@dataclass
class PeerIndex:
    """engine:id -> the standards it evidences, in the pack's order."""

    exact: dict[str, list[str]] = field(default_factory=dict)
    prefixes: list[tuple[str, str, str]] = field(default_factory=list)  # (engine, prefix, rule id)

    def standards(self, engine: str, code: str) -> list[str]:
        found = list(self.exact.get(f"{engine}:{code}", ()))
        for peer_engine, prefix, rule_id in self.prefixes:
            if peer_engine == engine and code.startswith(prefix) and code[len(prefix):].isdigit() and rule_id not in found:
                found.append(rule_id)
        return found


def peer_index(pack: RulePack) -> PeerIndex:
    index = PeerIndex()
    for rule in pack.rules:
        for peer in rule.peers:
            token = peer.strip().split()[0] if peer.strip() else ""
            engine, sep, code = token.partition(":")
            if not sep or engine not in ENGINE_NAMES or not code:
                continue  # a peer of another tool (checkov:CKV_DOCKER_3), or prose
            ranged = _RANGE.match(code)
            if ranged:
                letters, low, high = ranged.group(1), int(ranged.group(2)), int(ranged.group(3))
                width = len(ranged.group(2))
                codes = [f"{letters}{n:0{width}d}" for n in range(low, high + 1)]
            elif code.isalpha():
                index.prefixes.append((engine, code, rule.id))
                continue
            else:
                codes = [code]
            for one in codes:
                ids = index.exact.setdefault(f"{engine}:{one}", [])
                if rule.id not in ids:
                    ids.append(rule.id)
    return index


def merge_engine_findings(native: list[Finding], engine: list[Finding], pack: RulePack) -> list[Finding]:
    index = peer_index(pack)
    merged = [replace(f, evidence=_ordered((Evidence(CRITIC, f.rule_id),) + tuple(f.evidence))) for f in native]
    by_place: dict[tuple[str, str], list[int]] = {}
    for position, finding in enumerate(merged):
        by_place.setdefault((finding.rule_id, finding.path), []).append(position)
    engine_only: dict[tuple[str, str, int], Finding] = {}
    unparsable = {f.path for f in native if f.rule_id == UNPARSABLE}
    for finding in sorted(engine, key=lambda f: f.sort_key):
        candidates = list(dict.fromkeys(s for e in finding.evidence for s in index.standards(e.engine, e.rule)))
        if not candidates:
            _add(engine_only, (finding.rule_id, finding.path, finding.line), finding)
            continue
        # prefer a standard that critic itself reported at this place
        partner = None
        for standard in candidates:
            partner = _partner(merged, by_place.get((standard, finding.path), ()), finding)
            if partner is not None:
                break
        if partner is None:
            for standard in candidates:
                partner = _upstream_partner(merged, by_place.get((standard, finding.path), ()), finding)
                if partner is not None:
                    break
        if partner is not None:
            merged[partner] = replace(merged[partner], evidence=_ordered(merged[partner].evidence + finding.evidence))
            continue
        standard = candidates[0]
        if _checked_natively(pack, standard, finding.path, unparsable) and not any(e.engine in OWN_ENGINES for e in finding.evidence):
            continue  # critic's own rule checked this place and found it compliant
        _add(engine_only, (standard, finding.path, finding.line), _as_standard(finding, pack, standard))
    return merged + list(engine_only.values())


def _checked_natively(pack: RulePack, standard: str, path: str, unparsable: set[str]) -> bool:
    """Did a native rule of ``standard`` look at ``path`` (a rule of that file's kind, or a
    project rule, and the file parsed)?"""
    if path in unparsable:
        return False
    kind = classify(path.rsplit("/", 1)[-1])
    return any(rule.id == standard and rule.kind in (kind, "project") for rule in pack.rules)


def _partner(merged: Sequence[Finding], positions: Sequence[int], finding: Finding) -> int | None:
    """The native finding at the same place: the same line first, else one whose lines overlap."""
    best = None
    for position in positions:
        native = merged[position]
        if native.line == finding.line:
            return position
        if best is None and native.line <= finding.end_line and finding.line <= max(native.line, native.end_line):
            best = position
    return best


#: How far above critic's finding an engine may locate the same problem in Python code.
UPSTREAM_LINES = 8


def _upstream_partner(merged: Sequence[Finding], positions: Sequence[int], finding: Finding) -> int | None:
    """critic reports a data-flow problem where it lands (the sink: ``db.execute(query)``),
    bandit and ruff where the value is built (``query = f"..."`` a line or two above). An
    engine finding in a Python file up to UPSTREAM_LINES above the nearest native finding of the
    same standard, with no other finding of it in between, is that same problem."""
    if not finding.path.endswith(".py"):
        return None
    below = [p for p in positions if finding.line < merged[p].line <= finding.end_line + UPSTREAM_LINES]
    return min(below, key=lambda p: merged[p].line) if below else None


def _as_standard(finding: Finding, pack: RulePack, standard: str) -> Finding:
    rule = pack.by_id[standard]
    return replace(
        finding,
        rule_id=rule.id,
        name=rule.name,
        tier=rule.tier,
        severity=rule.severity,
        confidence=rule.confidence,
        message=rule.message or finding.message,
        fix=rule.fix or finding.fix,
        sources=rule.sources or finding.sources,
        cwe=rule.cwe or finding.cwe,
        owasp=rule.owasp or finding.owasp,
    )


def _add(groups: dict[tuple[str, str, int], Finding], key: tuple[str, str, int], finding: Finding) -> None:
    existing = groups.get(key)
    if existing is None:
        groups[key] = replace(finding, evidence=_ordered(finding.evidence))
        return
    if finding.secret_spans and not existing.secret_spans:
        existing = replace(existing, snippet=finding.snippet, secret_spans=finding.secret_spans)  # keep it masked
    groups[key] = replace(existing, evidence=_ordered(existing.evidence + finding.evidence))


def _ordered(evidence: Sequence[Evidence]) -> tuple[Evidence, ...]:
    """critic's own evidence first, then the engines by name; each tool and id once."""
    unique = list(dict.fromkeys(evidence))
    return tuple(sorted(unique, key=lambda e: (e.engine != CRITIC, e.engine, e.rule)))
