"""Critique tasks (PLN): reading them, the criteria table, judging criteria, the CLI and API."""
from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

import critic
from critic.api import critique
from critic.cli import main
from critic.config import Config
from critic.registry import default_pack
from critic.report.json_report import report_dict
from critic.task import (
    NO_RULE_NOTE,
    REQUIREMENT_NOTES,
    Task,
    TaskError,
    asks_for_documentation,
    criteria_table,
    critique_task,
    load_task,
    match_criterion,
    parse_criteria_table,
    parse_task,
    plan_task,
    verdict_schema,
)
from critic.testing import read_annotations
from critic.testing import write_tree

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PACK = default_pack()

#: A critique task as PLN files it: the build task's criteria under inputs, the critique's own
#: criteria at the top level (which critic does not judge: they are about critic itself).
PLN_TASK = {
    "skill_id": "acme/skills/backend-critique",
    "task_name": "QA: Validate task API",
    "description": "Review the implementation for correctness and security",
    "task_order": 2,
    "dependencies": ["$1"],
    "inputs": {
        "original_prompt": "Build a task management API with users and auth",
        "preceding_task": {"task_order": 1, "skill_id": "acme/skills/backend-dev", "task_name": "Build task API", "description": "Create models, services and handlers"},
        "validation_criteria": {
            "critical": ["Code compiles", "Tests pass", "No hardcoded secrets", "SQL injection prevented"],
            "expected": ["Input validation implemented", "Error handling in place", "Authentication/authorization enforced", "Docker health checks configured"],
            "nice_to_have": ["Logging implemented", "Docker image optimized (multi-stage build)", "Webhook signature verification"],
        },
    },
    "validation_criteria": {"critical": ["Returns structured verdict with actionable feedback"], "expected": [], "nice_to_have": []},
}


def _by_text(report) -> dict:
    return {c.text: c for c in report.criteria}


# --------------------------------------------------------------------------- reading a task
def test_pln_task_uses_the_inputs_criteria_in_tier_order():
    task = parse_task(PLN_TASK)
    assert task.criteria[0] == ("critical", "Code compiles")
    assert [tier for tier, _ in task.criteria] == ["critical"] * 4 + ["expected"] * 4 + ["nice_to_have"] * 3
    assert ("critical", "Returns structured verdict with actionable feedback") not in task.criteria
    assert task.original_prompt.startswith("Build a task management API")
    assert task.preceding_task["task_name"] == "Build task API"


def test_inputs_alone_tier_aliases_and_duplicates():
    task = parse_task(
        {
            "validation_criteria": {"Critical": "Tests pass", "nice-to-have": ["Logging", "Logging", "  "], "should": ["Rate   limiting"]},
            "include_docker": "false",
        }
    )
    assert task.criteria == (("critical", "Tests pass"), ("expected", "Rate limiting"), ("nice_to_have", "Logging"))
    assert task.include_docker is False


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"validation_criteria": ["Tests pass"]},
        {"validation_criteria": {"urgent": ["Tests pass"]}},
        {"validation_criteria": {"critical": [1]}},
        {"inputs": "x"},
        {"include_docker": "perhaps"},
        {"preceding_task": "build"},
        {"handoff": 3},
    ],
)
def test_malformed_tasks_are_errors(bad):
    with pytest.raises(TaskError):
        parse_task(bad)


def test_task_file_resolves_its_handoff_next_to_it(tmp_path):
    (tmp_path / "handoff.json").write_text('{"port": 8000}', encoding="utf-8")
    (tmp_path / "task.json").write_text(json.dumps({"handoff": "handoff.json"}), encoding="utf-8")
    task = load_task(tmp_path / "task.json")
    assert task.handoff == str((tmp_path / "handoff.json").resolve())
    (tmp_path / "broken.json").write_text("{nope", encoding="utf-8")
    with pytest.raises(TaskError, match="not JSON"):
        load_task(tmp_path / "broken.json")


def test_an_empty_handoff_proves_nothing(tmp_path):
    report = critique([FIXTURES / "spec_handoff"], Config(select=("PRJ005",)), engines=(),
                      task={"handoff": {}, "validation_criteria": {"critical": ["Hand-off outputs are accurate"]}})
    (only,) = report.criteria
    assert (only.status, only.findings) == ("not_checkable", ())
    assert "hand-off" in only.note


def test_criteria_are_never_dropped_in_silence():
    # inputs without criteria: the top-level ones are judged rather than none
    task = parse_task({"inputs": {"original_prompt": "Build it"}, "validation_criteria": {"critical": ["SQL injection prevented"]}})
    assert task.criteria == (("critical", "SQL injection prevented"),)
    with pytest.raises(TaskError, match="go under `validation_criteria`"):
        parse_task({"inputs": {"criteria": {"critical": ["Tests pass"]}}})


def test_the_handoff_may_sit_in_outputs_or_the_preceding_task():
    assert parse_task({"outputs": {"port": 1}}).handoff == {"port": 1}
    assert parse_task({"preceding_task": {"outputs": {"port": 2}}}).handoff == {"port": 2}


# --------------------------------------------------------------------------- the criteria table
def test_every_rule_the_table_names_exists():
    ids = set(PACK.ids())
    families = {i.rstrip("0123456789") for i in ids}
    for entry in criteria_table():
        for selector in entry.rules:
            if selector.endswith(":"):
                assert selector[:-1] in ("ruff", "bandit", "semgrep", "hadolint"), (entry.id, selector)
            elif selector.isalpha():
                assert selector in families, (entry.id, selector)
            else:
                assert selector in ids, (entry.id, selector)


@pytest.mark.parametrize(
    "text, entries",
    [
        # DEV's common validation criteria
        ("Code compiles without errors", ["code-compiles"]),
        ("Tests pass", ["tests-pass"]),
        ("Database migrations run successfully", ["migrations-run"]),
        ("Server starts and responds to health check", ["server-starts", "health-endpoint"]),
        ("Dockerfile builds successfully", ["docker-build"]),
        ("docker-compose services start and are healthy", ["compose-up", "services-healthy"]),
        ("Input validation implemented", ["input-validation"]),
        ("Error handling in place", ["error-handling"]),
        ("Authentication/authorization enforced", ["authentication"]),
        ("Environment variables properly configured", ["secrets"]),
        ("Docker health checks configured", ["docker-healthchecks"]),
        ("Logging implemented", ["logging"]),
        ("Metrics/monitoring endpoints", ["metrics"]),
        ("API documentation", ["api-documentation"]),
        ("Docker image optimized (multi-stage build)", ["image-optimized"]),
        # DEV's and PLN's examples
        ("Migration runs", ["migrations-run"]),
        ("API endpoints respond", ["endpoints-work"]),
        ("docker-compose starts services", ["compose-up"]),
        ("Auth middleware applied", ["authentication"]),
        ("Rate limiting", ["rate-limiting"]),
        ("Webhook signature verification", ["webhook-signatures"]),
        ("Tests validate user requirements", ["test-coverage"]),
        ("docker-compose.yml syntax is valid", ["compose-valid"]),
        ("No secrets in logs", ["secrets-in-logs"]),
        ("Implements the OpenAPI spec exactly", ["spec-compliance"]),
        ("Hand-off outputs are accurate", ["handoff"]),
        ("Returns structured verdict", []),
        ("GraphQL schema valid", []),
        # phrasings a second reading found mapped to the wrong rules
        ("No debug prints", []),
        ("Debug mode disabled in production", ["debug-mode"]),
        ("Postgres service has a healthcheck", ["docker-healthchecks"]),
        ("All endpoints documented", ["api-documentation"]),
        ("Authentication required on all endpoints", ["authentication"]),
        ("Users can log out", []),
        ("Uses Pydantic v2 (not v1)", ["input-validation"]),  # not versioning: the bare "v1" is no phrase
        ("All routes under /api/v1 prefix", ["versioning"]),
    ],
)
def test_criteria_map_to_entries(text, entries):
    assert [e.id for e in match_criterion(text)] == entries


@pytest.mark.parametrize(
    "toml, problem",
    [
        ('[[criterion]]\nid = "a"\nphrases = ["x"]\nrules = ["SQL001"]\nmode = "sometimes"\n', "mode"),
        ('[[criterion]]\nid = "a"\nphrases = ["x"]\nrules = ["SQL001"]\nmode = "fail_only"\n', "note"),
        ('[[criterion]]\nid = "a"\nphrases = ["x"]\n', "needs rules"),
        ('[[criterion]]\nid = "a"\nphrases = ["x"]\nrules = ["SQL001"]\npaths = { PRJ003 = ["*.py"] }\n', "paths"),
        ('[[criterion]]\nid = "a"\nphrases = ["x"]\nrules = ["SQL001"]\nrequires = "moon"\n', "requires"),
        ('[[criterion]]\nid = "a"\nphrases = ["x"]\nrules = ["SQL001"]\nwhat = 1\n', "unknown key"),
    ],
)
def test_the_table_is_validated(toml, problem):
    with pytest.raises(ValueError, match=problem):
        parse_criteria_table(toml)


# --------------------------------------------------------------------------- judging
@pytest.fixture(scope="module")
def flawed():
    return critique([FIXTURES / "fastapi_flawed"], engines=(), task=PLN_TASK)


@pytest.fixture(scope="module")
def clean():
    return critique([FIXTURES / "fastapi_clean"], engines=(), task=PLN_TASK)


def test_flawed_fixture_fails_the_criteria_its_annotations_violate(flawed):
    root = FIXTURES / "fastapi_flawed"
    annotated = {(a.path, a.line, a.rule_id) for a in read_annotations(root) if a.expect}
    where = {f.fingerprint: (f.path, f.line, f.rule_id) for f in flawed.findings}
    criteria = _by_text(flawed)
    expected_fail = {
        "Input validation implemented": {"API004"},
        "SQL injection prevented": {"SQL001"},
        "Tests pass": {"PRJ002"},
        "Logging implemented": {"SEC001"},
    }
    for text, rules in expected_fail.items():
        c = criteria[text]
        assert c.status == "fail"
        behind = {where[fp] for fp in c.findings}
        # exactly the annotated violations of those rules, located where the fixture says
        assert behind == {a for a in annotated if a[2] in rules}, text
    assert ("app/routers/auth.py", 49, "API004") in {where[fp] for fp in criteria["Input validation implemented"].findings}
    assert criteria["Code compiles"].status == "not_checkable"
    assert "PRJ003" in criteria["Code compiles"].note
    assert criteria["Webhook signature verification"].status == "not_checkable"
    assert flawed.verdict == "fail"


def test_clean_fixture_passes_what_it_can_and_never_claims_the_rest(clean):
    assert clean.verdict == "pass"
    statuses = {c.text: c.status for c in clean.criteria}
    assert statuses == {
        "Code compiles": "not_checkable",
        "Tests pass": "not_checkable",
        "No hardcoded secrets": "pass",
        "SQL injection prevented": "pass",
        "Input validation implemented": "pass",
        "Error handling in place": "pass",
        "Authentication/authorization enforced": "pass",
        "Docker health checks configured": "pass",
        "Logging implemented": "not_checkable",
        "Docker image optimized (multi-stage build)": "pass",
        "Webhook signature verification": "not_checkable",
    }
    assert all(c.note for c in clean.criteria if c.status == "not_checkable")
    assert all(not c.findings for c in clean.criteria)


def test_the_tasks_tiers_override_the_rules(tmp_path):
    write_tree(tmp_path, {"app/db.py": 'import sqlite3\n\n\ndef find(conn, name):\n    return conn.execute(f"SELECT * FROM t WHERE n = \'{name}\'")\n'})
    config = Config(select=("SQL001",))
    plain = critique([tmp_path], config, engines=())
    assert [(f.rule_id, f.tier) for f in plain.findings] == [("SQL001", "critical")]
    lowered = critique([tmp_path], config, engines=(), task={"validation_criteria": {"expected": ["Parameterized queries"]}})
    assert [(f.path, f.line, f.rule_id, f.tier) for f in lowered.findings] == [("app/db.py", 5, "SQL001", "expected")]
    assert lowered.verdict == "pass_with_warnings"
    # behind two criteria: the most severe tier wins
    both = critique(
        [tmp_path], config, engines=(),
        task={"validation_criteria": {"critical": ["No SQL injection"], "nice_to_have": ["Parameterized queries"]}},
    )
    assert [f.tier for f in both.findings] == ["critical"]
    assert both.verdict == "fail"


def test_a_broad_criterion_never_lowers_a_rule_it_names_by_family(tmp_path):
    # "Follows security best practices" selects every SEC rule, SQL001 and the engines: a
    # nice-to-have catch-all may raise tiers but must not turn a critical SQL injection or a
    # hard-coded secret into a nice-to-have
    write_tree(tmp_path, {
        "app/db.py": 'import sqlite3\n\n\ndef find(conn, name):\n    return conn.execute(f"SELECT * FROM t WHERE n = \'{name}\'")\n',
        "app/settings.py": 'SECRET_KEY = "a-very-real-looking-secret-1234"\n',
    })
    config = Config(select=("SQL001", "SEC002"))
    task = {"validation_criteria": {"nice_to_have": ["Follows security best practices"]}}
    report = critique([tmp_path], config, engines=(), task=task)
    assert sorted((f.path, f.line, f.rule_id, f.tier) for f in report.findings) == [
        ("app/db.py", 5, "SQL001", "critical"),
        ("app/settings.py", 1, "SEC002", "critical"),
    ]
    assert report.verdict == "fail"
    (only,) = report.criteria
    assert only.status == "fail" and len(only.findings) == 2


def test_a_criterion_about_something_absent_is_never_pass(tmp_path):
    # two plain routes: no Dockerfile, no compose file, no authentication, no database
    write_tree(tmp_path, {"app/main.py": 'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/v1/ping")\ndef ping():\n    return {"ok": True}\n'})
    task = {"include_docker": False, "validation_criteria": {
        "critical": ["JWT authentication implemented", "Passwords hashed with bcrypt"],
        "expected": ["Docker health checks configured", "Container runs as non-root user", "Dockerfile created",
                     "Database migrations created", "Docker Compose volumes for persistence", "API versioning"],
    }}
    report = critique([tmp_path], engines=(), task=task)
    status = {c.text: (c.status, c.note) for c in report.criteria}
    for text in ("JWT authentication implemented", "Passwords hashed with bcrypt"):
        assert status[text] == ("not_checkable", REQUIREMENT_NOTES["auth"]), text
    for text in ("Docker health checks configured", "Container runs as non-root user"):
        assert status[text] == ("not_checkable", REQUIREMENT_NOTES["container_files"]), text
    assert status["Dockerfile created"] == ("not_checkable", REQUIREMENT_NOTES["dockerfile"])
    assert status["Database migrations created"] == ("not_checkable", REQUIREMENT_NOTES["database"])
    assert status["Docker Compose volumes for persistence"][0] == "not_checkable"
    assert status["API versioning"] == ("pass", "")  # there are routes, all under /v1


def test_an_unmet_requirement_still_lets_a_finding_fail_the_criterion(tmp_path):
    # no Dockerfile, Docker checks on: PRJ001 reports it, so "Dockerfile created" fails
    write_tree(tmp_path, {"app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"})
    report = critique([tmp_path], Config(select=("PRJ001",)), engines=(), task={"validation_criteria": {"expected": ["Dockerfile created"]}})
    (only,) = report.criteria
    assert only.status == "fail" and [f.rule_id for f in report.findings] == ["PRJ001"]


def test_indirect_evidence_raises_a_tier_but_never_lowers_it(flawed):
    # SEC001 is critical; "Logging implemented" (nice_to_have, fail_only) must not lower it
    assert {f.tier for f in flawed.findings if f.rule_id == "SEC001"} == {"critical"}
    # PRJ002 is expected; "Tests pass" (critical, fail_only) raises it
    assert {f.tier for f in flawed.findings if f.rule_id == "PRJ002"} == {"critical"}


def test_a_criterion_no_rule_maps_is_not_checkable(tmp_path):
    write_tree(tmp_path, {"app/main.py": "x = 1\n"})
    report = critique([tmp_path], engines=(), task={"validation_criteria": {"critical": ["Stripe integration works end-to-end"]}})
    (only,) = report.criteria
    assert (only.status, only.note, only.rules) == ("not_checkable", NO_RULE_NOTE, ())


def test_a_deselected_rule_cannot_make_a_criterion_pass(tmp_path):
    write_tree(tmp_path, {"app/main.py": "x = 1\n"})
    report = critique([tmp_path], Config(select=("SQL",)), engines=(), task={"validation_criteria": {"expected": ["Input validation"]}})
    (only,) = report.criteria
    assert only.status == "not_checkable"
    assert "API004" in only.note


def test_include_docker_false_turns_off_prj001(tmp_path):
    write_tree(tmp_path, {"app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"})
    config = Config(select=("PRJ001",))
    assert [(f.path, f.line, f.rule_id) for f in critique([tmp_path], config, engines=()).findings] == [("app/main.py", 1, "PRJ001")]
    assert critique([tmp_path], config, engines=(), task={"include_docker": False}).findings == ()
    assert critique([tmp_path], config, engines=(), task={"inputs": {"include_docker": "false"}}).findings == ()


@pytest.mark.parametrize(
    ("prompt", "asked"),
    [
        ("Build a document management API", False),
        ("Build a notes API and document the endpoints", True),
        ("Build a notes API with a README", True),
        ("Build a notes API; include API documentation", True),
        ("Build a notes API", False),
    ],
)
def test_documentation_requests_in_the_prompt(prompt, asked):
    assert asks_for_documentation(prompt) is asked


def test_a_task_asking_for_documentation_allows_it(tmp_path):
    write_tree(tmp_path, {"app/main.py": "x = 1\n", "docs/api.md": "# API\n"})
    config = Config(select=("PRJ006",))
    assert [(f.path, f.rule_id) for f in critique([tmp_path], config, engines=()).findings] == [("docs/api.md", "PRJ006")]
    asked = critique([tmp_path], config, engines=(), task={"validation_criteria": {"nice_to_have": ["API documentation"]}})
    assert asked.findings == ()


def test_spec_and_handoff_criteria_need_a_spec_and_a_handoff(tmp_path):
    write_tree(tmp_path, {"app/main.py": 'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/v1/items")\ndef items():\n    return {}\n'})
    task = {"validation_criteria": {"critical": ["Follows the OpenAPI spec", "Hand-off is accurate"]}}
    before = _by_text(critique([tmp_path], engines=(), task=task))
    assert before["Follows the OpenAPI spec"].status == "not_checkable"
    assert "No OpenAPI spec" in before["Follows the OpenAPI spec"].note
    assert before["Hand-off is accurate"].status == "not_checkable"
    write_tree(tmp_path, {"specs/openapi.yaml": "openapi: 3.0.3\npaths:\n  /v1/items:\n    get: {}\n"})
    after = _by_text(critique([tmp_path], engines=(), task=dict(task, handoff={"endpoints": ["/v1/items"]})))
    assert after["Follows the OpenAPI spec"].status == "pass"
    assert after["Hand-off is accurate"].status == "pass"


def test_summary_names_failed_criteria_with_their_place_and_what_needs_a_run(flawed):
    lines = flawed.summary.splitlines()
    assert lines[0].startswith("FAIL: ")
    assert lines[1].startswith("Criteria: ")
    assert "- criterion failed [critical] 'Tests pass': PRJ002 at app/main.py:1" in lines
    assert any(line.startswith("- criterion failed [expected] 'Input validation implemented': API004 at app/routers/auth.py:49") for line in lines)
    assert lines[-1].startswith("- verify by running (not statically checkable): 'Code compiles'")
    # the fixes come first, the most important (critical) first, each with file and line
    assert lines[2].startswith("- [critical] ")


# --------------------------------------------------------------------------- the CLI and the API
def test_cli_critique_json(tmp_path, capsys):
    task_file = tmp_path / "task.json"
    task_file.write_text(json.dumps(PLN_TASK), encoding="utf-8")
    code = main(["critique", str(FIXTURES / "fastapi_flawed"), "--task", str(task_file), "--format", "json", "--engines", "none"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    jsonschema.validate(out, verdict_schema())
    assert out["verdict"] == "fail"
    assert out["criteria_counts"] == {"pass": 0, "fail": 9, "not_checkable": 2}
    tests = next(c for c in out["criteria"] if c["criterion"] == "Tests pass")
    assert tests["status"] == "fail" and tests["locations"] == ["app/main.py:1 PRJ002"]


def test_cli_critique_text_stdin_and_handoff(tmp_path, capsys, monkeypatch):
    handoff = tmp_path / "handoff.json"
    handoff.write_text(json.dumps({"files_created": ["app/nowhere.py"]}), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"validation_criteria": {"critical": ["Hand-off accurate"]}})))
    code = main(["critique", str(FIXTURES / "fastapi_clean"), "--task", "-", "--handoff", str(handoff), "--engines", "none"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL [critical] Hand-off accurate -- PRJ005 app/main.py:1" in out
    assert out.rstrip().splitlines()[-1].startswith("FAIL: ")


def test_cli_critique_usage_errors(tmp_path, capsys):
    bad = tmp_path / "task.json"
    bad.write_text(json.dumps({"validation_criteria": {"urgent": ["x"]}}), encoding="utf-8")
    assert main(["critique", str(FIXTURES / "fastapi_clean"), "--task", str(bad), "--engines", "none"]) == 2
    assert "unknown tier" in capsys.readouterr().err
    assert main(["critique", str(FIXTURES / "fastapi_clean"), "--handoff", str(tmp_path / "none.json"), "--engines", "none"]) == 2


def test_cli_schema_prints_the_packaged_schema(capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == verdict_schema()
    jsonschema.Draft202012Validator.check_schema(printed)


def test_python_api(tmp_path):
    report = critic.critique_task(FIXTURES / "spec_handoff", FIXTURES / "spec_handoff" / "critic-task.json", engines=())
    assert isinstance(report, critic.Report)
    assert {c.text: c.status for c in report.criteria}["Hand-off outputs are accurate"] == "fail"
    # a hand-off given separately replaces the task's own
    honest = {"files_created": ["app/main.py"], "port": 8000, "endpoints": ["/api/v1/users"]}
    again = critique_task(FIXTURES / "spec_handoff", Task(criteria=(("critical", "Hand-off outputs are accurate"),)), handoff=honest, engines=())
    assert [c.status for c in again.criteria] == ["pass"]
    jsonschema.validate(report_dict(again), verdict_schema())


def test_plan_context_carries_what_the_rules_need():
    plan = plan_task({"include_docker": False, "handoff": {"port": 1}, "spec": "api/openapi.yaml", "original_prompt": "Build it and document it"}, PACK)
    assert plan.context == {
        "include_docker": False,
        "handoff": {"port": 1},
        "spec": "api/openapi.yaml",
        "original_prompt": "Build it and document it",
        "documentation_requested": True,
    }
