"""Baselines: record today's findings, then report only new ones.

``critic baseline`` writes every finding of a run to a JSON file (default
``.critic-baseline.json`` at the root): its fingerprint, rule, path and message, plus short
hashes of the lines around it. ``critic check --baseline FILE`` then drops the findings the
baseline already holds.

Matching is by fingerprint. A fingerprint is (rule, path, offending text, occurrence index)
without a line number, so code moving up or down keeps it. Identical violations in one file
(same rule, same text) form a group whose members differ only by their index, so the rule is
a count: a group reports only its surplus over the baseline's count, and never absorbs a new
violation because an old one of the same rule sits in the same file (the weakness of bandit's
baselines). Which members of a grown group are the new ones is decided by the code around
them: the baseline's members are aligned, in file order, with the current members whose
surrounding lines agree best (three non-blank lines above and three below, each hashed on its
own with string contents left out; the nearer a line, the more its agreement weighs).
So a new copy inserted *above* an old one is the one reported, even though it now holds the
old one's occurrence index. Where the surroundings cannot tell (two copies in identical
context) the later ones are reported.

The file holds no line numbers, timestamps or absolute paths, and is sorted: recording it
again changes it only where findings, or the lines right around them, changed.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from critic.parsers.text import read_lines
from typing import Iterable, Sequence

from critic.findings import fingerprint_of, occurrence_key
from critic.model import Finding, Report
from critic.verdict import count_by_tier, decide, standards, summarize

DEFAULT_NAME = ".critic-baseline.json"
FORMAT = "critic-baseline"
VERSION = 1
_CONTEXT_LINES = 3
#: How much agreement on the 1st, 2nd, 3rd nearest line weighs (the nearest outweighs the others).
_WEIGHTS = (4, 2, 1)
_ABSENT = "-"
_STRING = re.compile(r"""(?P<q>['"])(?:\\.|(?!(?P=q)).)*(?P=q)""")


class BaselineError(ValueError):
    """The baseline file cannot be used (missing, not JSON, another format)."""


@dataclass(frozen=True, slots=True)
class Entry:
    fingerprint: str
    rule_id: str
    path: str
    message: str = ""
    #: short hashes of the nearest non-blank lines above (nearest first), then below
    context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Baseline:
    entries: tuple[Entry, ...] = ()

    @property
    def fingerprints(self) -> dict[str, Entry]:
        return {e.fingerprint: e for e in self.entries}


# --------------------------------------------------------------------------- recording
def record(findings: Sequence[Finding], root: Path) -> Baseline:
    """A baseline of these (fingerprinted) findings; ``root`` is where their paths are."""
    lines = _LineCache(root)
    entries = []
    for f in findings:
        if not f.fingerprint:
            raise BaselineError(f"finding {f.rule_id} at {f.path}:{f.line} has no fingerprint")
        entries.append(Entry(f.fingerprint, f.rule_id, f.path, f.message, lines.context(f)))
    entries.sort(key=lambda e: (e.path, e.rule_id, e.fingerprint))
    return Baseline(tuple(entries))


def dumps(baseline: Baseline) -> str:
    data = {
        "format": FORMAT,
        "version": VERSION,
        "findings": [
            {
                "fingerprint": e.fingerprint,
                "rule_id": e.rule_id,
                "path": e.path,
                "message": e.message,
                "context": " ".join(e.context),
            }
            for e in baseline.entries
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write(baseline: Baseline, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(baseline), encoding="utf-8")


def load(path: Path) -> Baseline:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from exc
    return loads(text, str(path))


def loads(text: str, label: str = "<baseline>") -> Baseline:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{label} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{label} is not a critic baseline (write one with `critic baseline`)")
    if data.get("version") != VERSION:
        raise BaselineError(f"{label} has baseline version {data.get('version')!r}; this critic reads version {VERSION}")
    entries = []
    for item in data["findings"]:
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
            raise BaselineError(f"{label}: every finding needs a fingerprint")
        context = item.get("context")
        entries.append(
            Entry(
                item["fingerprint"],
                str(item.get("rule_id", "")),
                str(item.get("path", "")),
                str(item.get("message", "")),
                tuple(context.split()) if isinstance(context, str) else (),
            )
        )
    return Baseline(tuple(entries))


# --------------------------------------------------------------------------- matching
def new_findings(findings: Sequence[Finding], baseline: Baseline, root: Path) -> tuple[list[Finding], int]:
    """The findings the baseline does not hold, in their order, and how many it absorbed."""
    known = baseline.fingerprints
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in sorted(findings, key=lambda f: f.sort_key):
        groups.setdefault(occurrence_key(f), []).append(f)
    lines = _LineCache(root)
    fresh: set[int] = set()
    absorbed = 0
    for key, members in groups.items():
        # the baseline's members of this group: fingerprints of occurrence 0, 1, ... (in order)
        old = [known[fp] for fp in (fingerprint_of(key, i) for i in range(len(members))) if fp in known]
        absorbed += min(len(old), len(members))
        if len(members) <= len(old):
            continue
        if not old:
            fresh.update(id(f) for f in members)
            continue
        kept = _align(old, [lines.context(f) for f in members])
        fresh.update(id(f) for i, f in enumerate(members) if i not in kept)
    return [f for f in findings if id(f) in fresh], absorbed


def _align(old: Sequence[Entry], current: Sequence[tuple[str, ...]]) -> set[int]:
    """Indexes of ``current`` that the baseline's ``old`` entries account for.

    An order-preserving assignment of every old entry to a distinct current member that
    maximises how many context hashes agree; ties keep the earlier members (so, without
    context to tell, the later copies are the new ones).
    """
    n, m = len(old), len(current)

    def score(i: int, j: int) -> int:
        weights = _WEIGHTS + _WEIGHTS
        return sum(w for w, a, b in zip(weights, old[i].context, current[j]) if a == b)

    NEG = -1
    # best[i][j]: best total for matching the first i old entries into the first j members
    best = [[NEG] * (m + 1) for _ in range(n + 1)]
    for j in range(m + 1):
        best[0][j] = 0
    for i in range(1, n + 1):
        for j in range(i, m + 1):
            skip = best[i][j - 1] if j - 1 >= i else NEG
            take = best[i - 1][j - 1] + score(i - 1, j - 1) if best[i - 1][j - 1] != NEG else NEG
            best[i][j] = max(skip, take)
    kept: set[int] = set()
    i, j = n, m
    while i > 0:
        # prefer leaving the later member out when that loses nothing
        if j - 1 >= i and best[i][j - 1] == best[i][j]:
            j -= 1
            continue
        kept.add(j - 1)
        i, j = i - 1, j - 1
    return kept


def apply_baseline(report: Report, baseline: Baseline, root: Path) -> Report:
    """The report with only the findings that are not in the baseline, verdict recomputed."""
    findings, absorbed = new_findings(report.findings, baseline, root)
    verdict = decide(findings, report.engines, report.errors, report.criteria)
    checked = [s.standard for s in report.standards]
    extra = tuple((k, v) for k, v in report.extra if k != "baselined") + (("baselined", absorbed),)
    return replace(
        report,
        verdict=verdict,
        findings=tuple(findings),
        counts=count_by_tier(findings),
        standards=standards(findings, checked),
        summary=summarize(verdict, findings, report.engines, report.errors, report.criteria),
        extra=extra,
    )


# --------------------------------------------------------------------------- context
class _LineCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.files: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self.files:
            # numbered as the native pass numbered them (never str.splitlines())
            self.files[path] = read_lines(self.root / path) if path not in ("", ".") else None
        return self.files[path]

    def context(self, f: Finding) -> tuple[str, ...]:
        """Hashes of the nearest non-blank lines above the finding (nearest first), then below."""
        lines = self.lines(f.path) or []
        above = _nonblank(lines[i] for i in range(min(f.line - 1, len(lines)) - 1, -1, -1))
        below = _nonblank(lines[i] for i in range(max(f.end_line, f.line), len(lines)))
        return tuple(_digest(line) for line in above) + tuple(_digest(line) for line in below)


def _nonblank(lines: Iterable[str]) -> list[str | None]:
    """The first ``_CONTEXT_LINES`` non-blank lines, whitespace and string contents normalized;
    None for each one missing (the file starts or ends first)."""
    out: list[str | None] = []
    for line in lines:
        text = " ".join(_STRING.sub('""', line).split())
        if text:
            out.append(text)
            if len(out) == _CONTEXT_LINES:
                break
    return out + [None] * (_CONTEXT_LINES - len(out))


def _digest(line: str | None) -> str:
    if line is None:
        return _ABSENT
    return hashlib.sha256(line.encode("utf-8")).hexdigest()[:6]
