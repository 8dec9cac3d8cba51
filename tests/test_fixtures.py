"""critic reports exactly the annotated violations of every fixture, and nothing else.

Set CRITIC_RULES=SQL001,SEC001 to hold only those rules to the annotations (while a rule is
being written); by default every rule is held to them.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from critic.api import critique
from critic.task import load_task
from critic.testing import read_annotations

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROJECTS = sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []
ONLY = {r.strip() for r in os.environ.get("CRITIC_RULES", "").split(",") if r.strip()}


def _project_roots():
    """A fixture is a project, or a folder of projects (each subfolder with its own tree)."""
    roots = []
    for p in PROJECTS:
        subs = sorted(s for s in p.iterdir() if s.is_dir() and (s / ".critic-project").exists())
        roots.extend(subs or [p])
    return roots


ROOTS = _project_roots()


def _held(rule_id: str) -> bool:
    return not ONLY or rule_id in ONLY


@pytest.fixture(scope="module")
def reports():
    return {}


def _report(root: Path, cache: dict):
    if root not in cache:
        # a fixture may carry the critique task it is judged for (its hand-off, spec, include_docker)
        task_file = root / "critic-task.json"
        task = load_task(task_file) if task_file.is_file() else None
        cache[root] = critique([root], engines=(), task=task)
    return cache[root]


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture_matches_annotations(root: Path, reports):
    report = _report(root, reports)
    annotations = read_annotations(root, list(report.scanned))
    expected = {(a.path, a.line, a.rule_id) for a in annotations if a.expect and _held(a.rule_id)}
    expected |= {
        (e["path"], e.get("line"), e["rule_id"])
        for e in _sidecar(root)
        if _held(e["rule_id"])
    }
    forbidden = {(a.path, a.line, a.rule_id) for a in annotations if not a.expect and _held(a.rule_id)}
    found = {(f.path, f.line, f.rule_id) for f in report.findings if _held(f.rule_id)}
    # ok.json: documented non-findings in files that cannot carry a comment; without a line,
    # the rule must not fire anywhere in that file
    for ok in _sidecar(root, "ok.json"):
        hits = sorted(f for f in found if f[0] == ok["path"] and f[2] == ok["rule_id"] and ok.get("line") in (None, f[1]))
        assert not hits, f"ok.json says {ok['rule_id']} does not apply at {ok['path']}:{ok.get('line', '*')}: {hits}"
    # a sidecar entry without a line matches a finding of that rule anywhere in that file
    loose = {(p, r) for p, line, r in expected if line is None}
    matched_loose = {(f.path, f.line, f.rule_id) for f in report.findings if (f.path, f.rule_id) in loose}
    exact = {e for e in expected if e[1] is not None}
    missing = sorted(exact - found) + sorted((p, None, r) for p, r in loose if not any(m[0] == p and m[2] == r for m in matched_loose))
    unexpected = sorted(found - exact - matched_loose)
    false_ok = sorted(found & forbidden)
    details = {(f.path, f.line, f.rule_id): f.message for f in report.findings}
    assert not missing, f"missed annotated violations: {missing}"
    assert not unexpected, "unannotated findings: " + "; ".join(f"{p}:{l} {r} {details.get((p, l, r))}" for p, l, r in unexpected)
    assert not false_ok
    assert not report.errors, f"critic errors: {report.errors}"


def _sidecar(root: Path, name: str = "expected.json") -> list[dict]:
    path = root / name
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))
