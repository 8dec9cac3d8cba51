"""The plain data that flows between critic's stages: findings, engine runs, scan errors, reports.

Everything here is a frozen dataclass of strings, numbers and tuples, so it pickles across
worker processes, serialises to JSON without custom encoders and compares by value.
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: Tiers from DEV's validation criteria, most important first.
TIERS: tuple[str, ...] = ("critical", "expected", "nice_to_have")
TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}

#: Severity and confidence use bandit's three levels.
LEVELS: tuple[str, ...] = ("high", "medium", "low")

#: The standard families of STANDARDS.md, keyed by rule-id prefix.
FAMILIES: dict[str, str] = {
    "SQL": "SQL: data access",
    "API": "API: API design",
    "SEC": "SEC: security",
    "QLT": "QLT: code quality",
    "DB": "DB: persistence",
    "DKR": "DKR: Dockerfile",
    "CMP": "CMP: docker-compose",
    "PRJ": "PRJ: the project as a whole",
    "CRT": "CRT: critic itself",
}
ENGINE_FAMILY = "OWASP / engine"


def family_of(rule_id: str) -> str:
    """The standard group a rule id belongs to (engine-only ids go to "OWASP / engine")."""
    if ":" in rule_id:
        return ENGINE_FAMILY
    prefix = rule_id.rstrip("0123456789")
    return FAMILIES.get(prefix, ENGINE_FAMILY)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One tool that saw a problem: critic's own rule or an engine, with that tool's id."""

    engine: str  # "critic", "ruff", "bandit", "semgrep", "hadolint"
    rule: str  # the tool's own id: "SQL001", "S608", "B608", "critic.sql-fstring", "DL3002"


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a file to mask in any rendering (a secret's value)."""

    line: int
    column: int  # 1-based, inclusive
    end_column: int  # 1-based, exclusive


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    name: str
    tier: str
    severity: str
    confidence: str
    path: str  # relative to the scanned root, POSIX
    line: int
    column: int
    end_line: int
    end_column: int
    message: str  # the problem
    fix: str  # what to do about it
    sources: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    cwe: tuple[str, ...] = ()
    owasp: tuple[str, ...] = ()
    snippet: str = ""  # the offending source lines, secrets masked
    secret_spans: tuple[Span, ...] = ()
    fingerprint: str = ""

    @property
    def standard(self) -> str:
        return family_of(self.rule_id)

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.rule_id, self.message)


@dataclass(frozen=True, slots=True)
class Fact:
    """Something a file says that a project-level rule needs (a route, a router prefix...)."""

    kind: str
    path: str
    line: int
    data: tuple[tuple[str, object], ...] = ()

    def get(self, key: str, default: object = None) -> object:
        for name, value in self.data:
            if name == key:
                return value
        return default


@dataclass(frozen=True, slots=True)
class ScanError:
    """Something critic itself could not do: a rule that crashed, a file it could not read."""

    path: str
    message: str
    kind: str = "internal"  # "internal" | "unreadable" | "config"


@dataclass(frozen=True, slots=True)
class EngineRun:
    name: str
    version: str | None
    status: str  # "ok" | "missing" | "failed" | "timeout" | "skipped"
    seconds: float = 0.0
    reason: str = ""
    findings: int = 0


@dataclass(frozen=True, slots=True)
class FileSummary:
    path: str
    kind: str  # "python" | "dockerfile" | "compose" | "yaml" | "other"


@dataclass(frozen=True, slots=True)
class Suppression:
    """An inline `# critic: ignore[ID] reason` comment."""

    path: str
    line: int  # the line it suppresses
    comment_line: int
    rule_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class FileResult:
    """What the native pass learned about one file."""

    path: str
    kind: str
    findings: tuple[Finding, ...] = ()
    facts: tuple[Fact, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    errors: tuple[ScanError, ...] = ()


@dataclass(frozen=True, slots=True)
class CriterionResult:
    tier: str
    text: str
    status: str  # "pass" | "fail" | "not_checkable"
    rules: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()  # fingerprints of the findings behind a failure
    note: str = ""


@dataclass(frozen=True, slots=True)
class StandardResult:
    standard: str
    status: str  # "pass" | "fail" | "warn"
    counts: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    verdict: str  # "pass" | "pass_with_warnings" | "fail" | "incomplete"
    findings: tuple[Finding, ...]
    counts: tuple[tuple[str, int], ...]
    standards: tuple[StandardResult, ...]
    scanned: tuple[FileSummary, ...]
    errors: tuple[ScanError, ...] = ()
    engines: tuple[EngineRun, ...] = ()
    criteria: tuple[CriterionResult, ...] = ()
    suppressed: int = 0
    summary: str = ""
    extra: tuple[tuple[str, object], ...] = field(default=())
