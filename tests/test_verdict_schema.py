"""The published JSON Schema of the verdict, and every verdict the fixtures produce against it."""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from critic.api import critique
from critic.report.json_report import render, report_dict
from critic.task import verdict_schema

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ROOTS = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
SCHEMA = verdict_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

#: DEV's common criteria, every tier, so every criterion status appears somewhere.
TASK = {
    "inputs": {
        "original_prompt": "Build the backend",
        "validation_criteria": {
            "critical": ["Code compiles", "Tests pass", "No hardcoded secrets", "Implements the OpenAPI spec"],
            "expected": ["Input validation implemented", "Error handling in place", "Docker health checks configured"],
            "nice_to_have": ["Logging implemented", "Docker image optimized (multi-stage build)", "Metrics endpoint"],
        },
    }
}


def test_the_schema_is_a_valid_schema_shipped_as_package_data():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    shipped = resources.files("critic").joinpath("verdict.schema.json").read_text(encoding="utf-8")
    assert json.loads(shipped) == SCHEMA
    assert resources.files("critic").joinpath("criteria.toml").is_file()


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.name)
def test_every_fixture_verdict_validates(root):
    plain = json.loads(render(critique([root], engines=())))
    errors = sorted(VALIDATOR.iter_errors(plain), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    tasked = report_dict(critique([root], engines=(), task=TASK))
    errors = sorted(VALIDATOR.iter_errors(tasked), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert [c["criterion"] for c in tasked["criteria"]] == [text for tier in ("critical", "expected", "nice_to_have") for text in TASK["inputs"]["validation_criteria"][tier]]


def test_the_schema_rejects_what_a_verdict_must_not_be():
    good = report_dict(critique([FIXTURES / "spec_handoff"], engines=(), task=TASK))
    VALIDATOR.validate(good)
    failed = next(c for c in good["criteria"] if c["status"] == "fail")
    for broken in (
        dict(good, verdict="maybe"),
        dict(good, findings=[dict(good["findings"][0], path="/abs/path.py")]),
        dict(good, findings=[dict(good["findings"][0], tier="urgent")]),
        dict(good, criteria=[dict(failed, findings=[])]),  # a failure names its findings
        dict(good, criteria=[dict(failed, status="pass")]),  # a pass has none
        dict(good, criteria=[dict(failed, status="not_checkable", findings=[], note="")]),  # and says why
    ):
        assert not VALIDATOR.is_valid(broken)
