"""The structured verdict as JSON: sorted, no timestamps, no absolute paths, secrets masked."""
from __future__ import annotations

import json

from critic import __version__
from critic.model import Finding, Report
from critic.report import RenderOptions


def finding_dict(f: Finding) -> dict:
    return {
        "rule_id": f.rule_id,
        "name": f.name,
        "standard": f.standard,
        "tier": f.tier,
        "severity": f.severity,
        "confidence": f.confidence,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "end_column": f.end_column,
        "message": f.message,
        "fix": f.fix,
        "sources": list(f.sources),
        "evidence": [{"engine": e.engine, "rule": e.rule} for e in f.evidence],
        "cwe": list(f.cwe),
        "owasp": list(f.owasp),
        "snippet": f.snippet,
        "fingerprint": f.fingerprint,
    }


def report_dict(report: Report) -> dict:
    by_kind: dict[str, int] = {}
    for f in report.scanned:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
    out = {
        "tool": {"name": "critic", "version": __version__},
        "verdict": report.verdict,
        "summary": report.summary,
        "counts": dict(report.counts),
        "standards": [
            {"standard": s.standard, "status": s.status, "counts": dict(s.counts)} for s in report.standards
        ],
        "findings": [finding_dict(f) for f in report.findings],
        "scanned": {
            "files": len(report.scanned),
            "by_kind": dict(sorted(by_kind.items())),
            "paths": [f.path for f in report.scanned if f.kind != "other"],
        },
        "errors": [{"path": e.path, "kind": e.kind, "message": e.message} for e in report.errors],
        "engines": [
            # no "seconds": a duration differs from run to run, and the same input gives the same bytes
            {"name": e.name, "version": e.version, "status": e.status, "reason": e.reason, "findings": e.findings}
            for e in report.engines
        ],
        "suppressed": report.suppressed,
    }
    if report.criteria:
        # each criterion names its findings by fingerprint, and says where they are
        located = {f.fingerprint: f"{f.path}:{f.line} {f.rule_id}" for f in report.findings}
        out["criteria"] = [
            {
                "tier": c.tier,
                "criterion": c.text,
                "status": c.status,
                "rules": list(c.rules),
                "findings": list(c.findings),
                "locations": [located[fp] for fp in c.findings if fp in located],
                "note": c.note,
            }
            for c in report.criteria
        ]
        out["criteria_counts"] = {s: sum(1 for c in report.criteria if c.status == s) for s in ("pass", "fail", "not_checkable")}
    for key, value in report.extra:
        out[key] = value
    return out


def render(report: Report, options: RenderOptions | None = None) -> str:
    return json.dumps(report_dict(report), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
