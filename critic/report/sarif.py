"""SARIF 2.1.0, shaped for GitHub code scanning (github/codeql-action/upload-sarif).

One run per file. Byte-for-byte stable for the same report: no timestamps, no durations, no
absolute paths (artifact URIs are relative to the scanned root and carry ``uriBaseId``
``%SRCROOT%``), rules sorted by id, results in the report's own (sorted) order.

- ``tool.driver.rules``: every rule of the pack, plus one entry per engine id that a finding
  carries but the pack does not define (``bandit:B602``), built from that finding. Each rule
  has a short description (its message), a full description (What it does), help in text and
  markdown (its documentation, fix, sources and peers), ``defaultConfiguration.level`` from its
  tier, tags (``security``, ``external/cwe/cwe-89``...) and, for security rules,
  ``properties.security-severity``.
- results: level from the finding's tier (a config may have moved it), the message with its
  fix, one physical location, ``partialFingerprints["criticFingerprint/v1"]`` (critic's
  fingerprint: rule, path, offending text and occurrence index; no line number, so it
  survives unrelated edits), and critic's own fields under ``properties``.
- ``invocations``: one, with ``executionSuccessful`` false when an engine failed, timed out or
  is missing, or a file could not be checked; ``toolExecutionNotifications`` say why.

Levels: critical -> ``error``, expected -> ``warning``, nice_to_have -> ``note``.

security-severity (GitHub's bands: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, < 4.0 low).
The tier picks the band, the rule's severity the place in it; a critical-tier rule never
drops below "high" because any critical finding fails critic's verdict:

    tier \\ severity   high   medium   low
    critical           9.1    8.0      7.0
    expected           6.5    5.5      4.0
    nice_to_have       3.5    2.5      1.5

A security rule is one that names an OWASP category, belongs to the SQL or SEC standards, or
(for engine ids) comes from bandit or semgrep, is a ruff ``S`` (flake8-bandit) rule or carries
a CWE.
"""
from __future__ import annotations

import json
import re
from typing import Iterable
from urllib.parse import quote

from critic import __version__
from critic.model import EngineRun, Finding, Report, ScanError, family_of
from critic.report import RenderOptions
from critic.rule import RuleMeta

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "criticFingerprint/v1"

LEVEL = {"critical": "error", "expected": "warning", "nice_to_have": "note"}
#: GitHub's ``problem.severity``: how a non-security alert is shown.
PROBLEM_SEVERITY = {"critical": "error", "expected": "warning", "nice_to_have": "recommendation"}
#: GitHub's ``precision`` from critic's confidence.
PRECISION = {"high": "high", "medium": "medium", "low": "low"}
SECURITY_SEVERITY: dict[tuple[str, str], str] = {
    ("critical", "high"): "9.1",
    ("critical", "medium"): "8.0",
    ("critical", "low"): "7.0",
    ("expected", "high"): "6.5",
    ("expected", "medium"): "5.5",
    ("expected", "low"): "4.0",
    ("nice_to_have", "high"): "3.5",
    ("nice_to_have", "medium"): "2.5",
    ("nice_to_have", "low"): "1.5",
}
_SECURITY_FAMILIES = {"SQL", "SEC"}
_SECURITY_ENGINES = {"bandit", "semgrep"}
_FAILED = ("failed", "timeout", "missing")


def security_severity(tier: str, severity: str) -> str:
    return SECURITY_SEVERITY.get((tier, severity), SECURITY_SEVERITY[("expected", "medium")])


def render(report: Report, options: RenderOptions | None = None) -> str:
    return json.dumps(sarif_log(report, options), indent=2, ensure_ascii=False) + "\n"


def sarif_log(report: Report, options: RenderOptions | None = None) -> dict:
    """The SARIF log as plain data (one run)."""
    pack = options.pack if options is not None and options.pack is not None else _default_pack()
    documented = pack.by_id if pack is not None else {}

    descriptors: dict[str, dict] = {rule_id: rule_descriptor(rule) for rule_id, rule in documented.items()}
    for f in report.findings:  # engine-only ids (and ids of a foreign pack): built from the finding
        if f.rule_id not in descriptors:
            descriptors[f.rule_id] = finding_rule_descriptor(f)
    rule_ids = sorted(descriptors)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}

    notifications = [engine_notification(e) for e in report.engines if e.status in _FAILED]
    notifications += [error_notification(e) for e in report.errors]
    invocation: dict = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications

    driver = {
        "name": "critic",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": [descriptors[rule_id] for rule_id in rule_ids],
    }
    tool: dict = {"driver": driver}
    extensions = [
        {"name": e.name, **({"version": e.version} if e.version else {})}
        for e in sorted(report.engines, key=lambda e: e.name)
        if e.status == "ok"
    ]
    if extensions:
        tool["extensions"] = extensions
    run = {
        "tool": tool,
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The root of the scanned project: every artifact URI is relative to it."}}},
        "columnKind": "unicodeCodePoints",
        "results": [result(f, index[f.rule_id]) for f in report.findings],
        "properties": {
            "verdict": report.verdict,
            "counts": dict(report.counts),
            "standards": {s.standard: s.status for s in report.standards},
            "suppressed": report.suppressed,
        },
    }
    baselined = dict(report.extra).get("baselined")
    if baselined is not None:
        run["properties"]["baselined"] = baselined
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# --------------------------------------------------------------------------- rules
def rule_descriptor(rule: type[RuleMeta]) -> dict:
    docs = rule.docs()
    summary = rule.summary() or rule.message or rule.name
    security = is_security_rule(rule.id, rule.owasp, rule.cwe)
    properties: dict = {
        "tags": _tags(rule.id, rule.tier, rule.cwe, rule.owasp, security),
        "precision": PRECISION.get(rule.confidence, "medium"),
        "problem.severity": PROBLEM_SEVERITY.get(rule.tier, "warning"),
    }
    if security:
        properties["security-severity"] = security_severity(rule.tier, rule.severity)
    properties.update(
        {
            "tier": rule.tier,
            "severity": rule.severity,
            "standard": family_of(rule.id),
            "sources": list(rule.sources),
            "peers": list(rule.peers),
            "cwe": list(rule.cwe),
            "owasp": list(rule.owasp),
        }
    )
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.message or rule.name},
        "fullDescription": {"text": summary},
        "help": {"text": _help_text(rule, docs), "markdown": _help_markdown(rule, docs)},
        "defaultConfiguration": {"level": LEVEL.get(rule.tier, "warning")},
        "properties": properties,
    }


def finding_rule_descriptor(f: Finding) -> dict:
    """A rule entry for an id critic does not document (an engine's own rule)."""
    engine, _, code = f.rule_id.partition(":")
    security = is_security_rule(f.rule_id, f.owasp, f.cwe)
    tool = f"{engine} {code}" if code else f.rule_id
    text = f"Reported by {tool}: {f.message}. Fix: {f.fix}" if f.fix else f"Reported by {tool}: {f.message}."
    markdown = f"Reported by **{engine}** as `{code or f.rule_id}`.\n\n{f.message}"
    if f.fix:
        markdown += f"\n\n**Fix:** {f.fix}"
    if f.cwe:
        markdown += "\n\n**CWE:** " + ", ".join(f.cwe)
    properties: dict = {
        "tags": _tags(f.rule_id, f.tier, f.cwe, f.owasp, security) + ([engine] if code else []),
        "precision": PRECISION.get(f.confidence, "medium"),
        "problem.severity": PROBLEM_SEVERITY.get(f.tier, "warning"),
    }
    if security:
        properties["security-severity"] = security_severity(f.tier, f.severity)
    properties.update({"tier": f.tier, "severity": f.severity, "standard": family_of(f.rule_id), "cwe": list(f.cwe), "owasp": list(f.owasp)})
    return {
        "id": f.rule_id,
        "name": f.name or code or f.rule_id,
        "shortDescription": {"text": f.name or f.rule_id},
        "fullDescription": {"text": f.message or f.name or f.rule_id},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL.get(f.tier, "warning")},
        "properties": properties,
    }


def is_security_rule(rule_id: str, owasp: Iterable[str], cwe: Iterable[str]) -> bool:
    if owasp:
        return True
    engine, sep, code = rule_id.partition(":")
    if not sep:
        return rule_id.rstrip("0123456789") in _SECURITY_FAMILIES
    return engine in _SECURITY_ENGINES or (engine == "ruff" and code.startswith("S")) or bool(tuple(cwe))


def _tags(rule_id: str, tier: str, cwe: Iterable[str], owasp: Iterable[str], security: bool) -> list[str]:
    tags = ["security"] if security else []
    tags.append(tier.replace("_", "-"))
    prefix = rule_id.rstrip("0123456789")
    if ":" not in rule_id and prefix:
        tags.append(prefix.lower())
    for item in cwe:
        number = re.sub(r"\D", "", item)
        if number:
            tags.append(f"external/cwe/cwe-{int(number)}")
    for item in owasp:
        tags.append(f"external/owasp/{item.lower().replace(':', '-')}")
    return tags


def _help_text(rule: type[RuleMeta], docs: dict[str, str]) -> str:
    parts = [f"{title}\n{body}" for title, body in docs.items()]
    parts.append(f"Fix: {rule.fix}" if rule.fix else "")
    parts += _references(rule, markdown=False)
    return "\n\n".join(p for p in parts if p)


def _help_markdown(rule: type[RuleMeta], docs: dict[str, str]) -> str:
    language = {"python": "python", "dockerfile": "dockerfile", "compose": "yaml"}.get(rule.kind, "")
    parts = [f"## {title}\n\n{_fence(body, language)}" for title, body in docs.items()]
    if rule.fix:
        parts.append(f"**Fix:** {rule.fix}")
    parts += _references(rule, markdown=True)
    return "\n\n".join(parts)


def _references(rule: type[RuleMeta], *, markdown: bool) -> list[str]:
    bold = (lambda s: f"**{s}:**") if markdown else (lambda s: f"{s}:")
    out = [f"{bold('Tier')} {rule.tier}"]
    if rule.sources:
        out.append(f"{bold('Sources')} " + "; ".join(rule.sources))
    if rule.peers:
        out.append(f"{bold('Peers')} " + ", ".join(rule.peers))
    if rule.cwe or rule.owasp:
        out.append(f"{bold('References')} " + ", ".join(rule.cwe + rule.owasp))
    return out


def _fence(body: str, language: str) -> str:
    """Indented code blocks of a docstring -> fenced blocks with a language, for GitHub."""
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        trailing = 0
        while block and not block[-1].strip():
            block.pop()
            trailing += 1
        if block:
            out.append(f"```{language}")
            out.extend(line[4:] if line.startswith("    ") else line.lstrip() for line in block)
            out.append("```")
        out.extend([""] * trailing)
        block.clear()

    for line in body.splitlines():
        if line.startswith("    ") or (block and not line.strip()):
            block.append(line)
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out)


# --------------------------------------------------------------------------- results
def result(f: Finding, rule_index: int) -> dict:
    message = f.message.rstrip().rstrip(".")
    text = f"{message}. Fix: {f.fix}" if f.fix else f"{message}."
    out: dict = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL.get(f.tier, "warning"),
        "message": {"text": text},
        "locations": [{"physicalLocation": physical_location(f.path, f.line, f.column, f.end_line, f.end_column, f.snippet)}],
    }
    if f.fingerprint:
        out["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    out["properties"] = {
        "tier": f.tier,
        "standard": f.standard,
        "severity": f.severity,
        "confidence": f.confidence,
        "fix": f.fix,
        "evidence": [f"{e.engine}:{e.rule}" for e in f.evidence],
        "sources": list(f.sources),
    }
    return out


def artifact_uri(path: str) -> str:
    """A relative URI reference for a POSIX path relative to the root ("." is the root itself)."""
    if path in ("", "."):
        return "./"
    return quote(path, safe="/")


def physical_location(path: str, line: int, column: int, end_line: int, end_column: int, snippet: str = "") -> dict:
    location: dict = {"artifactLocation": {"uri": artifact_uri(path), "uriBaseId": SRCROOT}}
    if path in ("", "."):
        return location
    region: dict = {"startLine": max(1, line), "startColumn": max(1, column)}
    end_line = max(end_line, line)
    if end_line != line:
        region["endLine"] = end_line
        if end_column > 1:
            region["endColumn"] = end_column
    elif end_column > column:
        region["endLine"] = end_line
        region["endColumn"] = end_column
    if snippet:
        region["snippet"] = {"text": snippet}
    location["region"] = region
    return location


# --------------------------------------------------------------------------- run record
def engine_notification(run: EngineRun) -> dict:
    reason = f": {run.reason}" if run.reason else ""
    return {
        "level": "error",
        "message": {"text": f"engine {run.name} {run.status}{reason}"},
        "descriptor": {"id": f"engine/{run.name}"},
        "properties": {"engine": run.name, "status": run.status, **({"version": run.version} if run.version else {})},
    }


def error_notification(error: ScanError) -> dict:
    out: dict = {
        "level": "error",
        "message": {"text": f"{error.path}: {error.message}" if error.path not in ("", ".") else error.message},
        "descriptor": {"id": f"critic/{error.kind}"},
    }
    if error.path not in ("", "."):
        out["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": artifact_uri(error.path), "uriBaseId": SRCROOT}}}]
    return out


def _default_pack():
    from critic.registry import default_pack

    return default_pack()
