"""SARIF 2.1.0 output: valid against the official schema for every fixture, shaped the way GitHub
code scanning reads it, and the same bytes for the same input."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from critic.api import critique
from critic.cli import main
from critic.model import EngineRun, Evidence, FileSummary, Finding, Report, ScanError
from critic.report import RenderOptions
from critic.report.sarif import FINGERPRINT_KEY, SECURITY_SEVERITY, render
from critic.verdict import count_by_tier, decide, standards

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SCHEMA_PATH = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
ROOTS = sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []
LEVELS = {"critical": "error", "expected": "warning", "nice_to_have": "note"}


@pytest.fixture(scope="module")
def validator():
    if not SCHEMA_PATH.is_file():
        pytest.skip(f"the SARIF schema is not at {SCHEMA_PATH} (it lives in ../shared/schemas beside the repository)")
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)  # the draft the schema declares (draft-04)
    cls.check_schema(schema)
    checker = cls.FORMAT_CHECKER
    # jsonschema checks "uri" formats only with optional packages: check them here, strictly
    checker = jsonschema.FormatChecker(checker.checkers)
    checker.checks("uri")(lambda v: not isinstance(v, str) or bool(urlsplit(v).scheme) and " " not in v)
    checker.checks("uri-reference")(lambda v: not isinstance(v, str) or " " not in v and "\\" not in v)
    return cls(schema, format_checker=checker)


def _sarif(report: Report, **options) -> tuple[str, dict]:
    text = render(report, RenderOptions(**options))
    return text, json.loads(text)


def _errors(validator, data: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


@pytest.fixture(scope="module")
def fixture_reports():
    return {root: critique([root], engines=()) for root in ROOTS}


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.name)
def test_fixture_sarif_is_valid_and_follows_github_conventions(root, fixture_reports, validator):
    report = fixture_reports[root]
    text, data = _sarif(report)
    assert _errors(validator, data) == []
    assert data["version"] == "2.1.0" and len(data["runs"]) == 1
    run = data["runs"][0]

    # no timestamps, no absolute paths, nothing machine-specific
    assert str(FIXTURES) not in text and str(REPO) not in text and "file://" not in text
    assert not re.search(r"Time(Utc)?\"|\d{4}-\d\d-\d\dT\d\d:", text)

    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        tags = rule["properties"]["tags"]
        if "security" in tags:
            score = float(rule["properties"]["security-severity"])
            assert isinstance(rule["properties"]["security-severity"], str) and 0.0 < score <= 10.0
        else:
            assert "security-severity" not in rule["properties"]

    assert len(run["results"]) == len(report.findings)
    for result, finding in zip(run["results"], report.findings):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.rule_id
        assert result["level"] == LEVELS[finding.tier]
        assert result["message"]["text"].startswith(finding.message.rstrip("."))
        location = result["locations"][0]["physicalLocation"]
        artifact = location["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        uri = artifact["uri"]
        assert not urlsplit(uri).scheme and not uri.startswith("/") and ".." not in uri.split("/")
        assert uri == finding.path.replace(" ", "%20")
        region = location["region"]
        assert region["startLine"] == finding.line and region["startColumn"] == finding.column
        assert result["partialFingerprints"] == {FINGERPRINT_KEY: finding.fingerprint}
        assert len(finding.fingerprint) == 32

    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is (not report.errors)


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.name)
def test_same_input_same_bytes(root, fixture_reports):
    first = render(fixture_reports[root])
    again = render(critique([root], engines=()))
    assert first == again


def test_rule_metadata_for_github():
    rules = {r["id"]: r for r in json.loads(render(critique([FIXTURES / "fastapi_clean"], engines=())))["runs"][0]["tool"]["driver"]["rules"]}
    sql = rules["SQL001"]
    assert sql["name"] == "sql-string-building"
    assert sql["defaultConfiguration"]["level"] == "error"
    assert "security" in sql["properties"]["tags"] and "external/cwe/cwe-89" in sql["properties"]["tags"]
    assert sql["properties"]["security-severity"] == SECURITY_SEVERITY[("critical", "high")] == "9.1"
    assert sql["help"]["markdown"].startswith("## What it does")
    assert "```python" in sql["help"]["markdown"]  # the Example section, fenced
    assert "## Use instead" in sql["help"]["markdown"] and "Use instead" in sql["help"]["text"]
    # a non-security rule: no security-severity, GitHub's problem.severity instead
    dkr2 = rules["DKR002"]
    assert "security" not in dkr2["properties"]["tags"] and "security-severity" not in dkr2["properties"]
    assert dkr2["defaultConfiguration"]["level"] == "note"
    assert dkr2["properties"]["problem.severity"] == "recommendation"
    assert "```dockerfile" in dkr2["help"]["markdown"]
    # critic's own meta rules are documented too
    assert {"CRT001", "CRT002"} <= set(rules)


def test_fingerprints_survive_a_line_shift(tmp_path):
    code = 'import sqlite3\n\n\ndef find(conn, name):\n    return conn.execute(f"SELECT * FROM t WHERE n = \'{name}\'")\n'
    (tmp_path / "db.py").write_text(code)
    first = json.loads(render(critique([tmp_path], engines=(), root=tmp_path)))["runs"][0]["results"]
    (tmp_path / "db.py").write_text("# moved\n" * 20 + code)
    second = json.loads(render(critique([tmp_path], engines=(), root=tmp_path)))["runs"][0]["results"]

    def by_rule(results):
        return {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r["partialFingerprints"] for r in results}

    sql_before = [r for r in first if r["ruleId"] == "SQL001"]
    sql_after = [r for r in second if r["ruleId"] == "SQL001"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sql_before] == [5]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sql_after] == [25]
    assert sql_before[0]["partialFingerprints"] == sql_after[0]["partialFingerprints"]
    assert len(by_rule(first)) == len(by_rule(second))


def _engine_report() -> Report:
    findings = (
        Finding(
            rule_id="bandit:B602",
            name="subprocess-popen-with-shell-equals-true",
            tier="critical",
            severity="high",
            confidence="high",
            path="app/jobs.py",
            line=7,
            column=5,
            end_line=7,
            end_column=42,
            message="subprocess call with shell=True identified, security issue",
            fix="Pass the command as a list and drop shell=True.",
            sources=("DEV Constraints (OWASP)",),
            evidence=(Evidence("bandit", "B602"), Evidence("ruff", "S602")),
            cwe=("CWE-78",),
            snippet="    subprocess.call(cmd, shell=True)",
            fingerprint="0123456789abcdef0123456789abcdef",
        ),
        Finding(
            rule_id="hadolint:DL3025",
            name="json-notation-cmd",
            tier="nice_to_have",
            severity="low",
            confidence="high",
            path="Dockerfile",
            line=12,
            column=1,
            end_line=12,
            end_column=1,
            message="Use arguments JSON notation for CMD and ENTRYPOINT arguments",
            fix="Write CMD as a JSON array.",
            evidence=(Evidence("hadolint", "DL3025"),),
            snippet="CMD uvicorn app.main:app",
            fingerprint="fedcba9876543210fedcba9876543210",
        ),
    )
    engines = (
        EngineRun("bandit", "1.9.4", "ok", 0.8, "", 1),
        EngineRun("hadolint", "2.12.0", "ok", 0.1, "", 1),
        EngineRun("semgrep", "1.80.0", "failed", 3.217, "exit 2: invalid rule file critic-rules.yaml"),
        EngineRun("ruff", None, "missing", 0.0, "ruff not found on PATH"),
    )
    errors = (ScanError("app/huge.py", "file is larger than max-file-bytes", "unreadable"),)
    verdict = decide(findings, engines, errors)
    return Report(
        verdict=verdict,
        findings=findings,
        counts=count_by_tier(findings),
        standards=standards(findings, ()),
        scanned=(FileSummary("app/jobs.py", "python"), FileSummary("Dockerfile", "dockerfile")),
        errors=errors,
        engines=engines,
    )


def test_engine_findings_failed_engines_and_errors(validator):
    report = _engine_report()
    text, data = _sarif(report)
    assert _errors(validator, data) == []
    run = data["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    bandit = rules["bandit:B602"]  # not in the pack: built from the finding
    assert bandit["defaultConfiguration"]["level"] == "error"
    assert bandit["properties"]["security-severity"] == "9.1"
    assert "external/cwe/cwe-78" in bandit["properties"]["tags"] and "bandit" in bandit["properties"]["tags"]
    assert bandit["help"]["markdown"] and bandit["shortDescription"]["text"] == "subprocess-popen-with-shell-equals-true"
    hadolint = rules["hadolint:DL3025"]
    assert "security-severity" not in hadolint["properties"] and hadolint["defaultConfiguration"]["level"] == "note"

    results = {r["ruleId"]: r for r in run["results"]}
    assert results["bandit:B602"]["properties"]["evidence"] == ["bandit:B602", "ruff:S602"]
    assert rules["bandit:B602"] is run["tool"]["driver"]["rules"][results["bandit:B602"]["ruleIndex"]]
    hadolint_region = results["hadolint:DL3025"]["locations"][0]["physicalLocation"]["region"]
    assert "endColumn" not in hadolint_region  # an empty span is left to the viewer, not made up

    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    by_id = {n["descriptor"]["id"]: n for n in notes}
    assert set(by_id) == {"engine/semgrep", "engine/ruff", "critic/unreadable"}
    assert "invalid rule file" in by_id["engine/semgrep"]["message"]["text"]
    assert by_id["engine/semgrep"]["properties"]["status"] == "failed"
    assert by_id["engine/ruff"]["properties"]["status"] == "missing"
    assert by_id["critic/unreadable"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/huge.py"
    assert all(n["level"] == "error" for n in notes)
    assert [e["name"] for e in run["tool"]["extensions"]] == ["bandit", "hadolint"]
    assert "\"seconds\"" not in text and "3.217" not in text  # durations would break byte stability
    assert render(report) == text


def test_a_successful_run_has_no_notifications(tmp_path, validator):
    (tmp_path / "ok.py").write_text("VALUE = 1\n")
    _, data = _sarif(critique([tmp_path], engines=(), root=tmp_path))
    assert data["runs"][0]["invocations"] == [{"executionSuccessful": True}]


def test_odd_paths_are_encoded_relative_uris(tmp_path, validator):
    (tmp_path / "my app").mkdir()
    (tmp_path / "my app" / "db 100%.py").write_text('def f(c, n):\n    return c.execute(f"SELECT {n}")\n')
    _, data = _sarif(critique([tmp_path], engines=(), root=tmp_path, pack=None))
    assert _errors(validator, data) == []
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in data["runs"][0]["results"]}
    assert "my%20app/db%20100%25.py" in uris


def test_cli_writes_sarif_to_a_file_and_text_to_the_terminal(tmp_path, capsys, validator):
    root = FIXTURES / "flask_flawed"
    target = tmp_path / "out" / "critic.sarif"
    code = main(["check", str(root), "--engines", "none", "--format", "text", "--format", f"sarif:{target}"])
    assert code == 1
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1].startswith("FAIL: ")
    assert "\x1b[" not in out  # captured output is not a terminal
    data = json.loads(target.read_text(encoding="utf-8"))
    assert _errors(validator, data) == []
    assert len(data["runs"][0]["results"]) > 0
    first = target.read_bytes()
    main(["check", str(root), "--engines", "none", "--format", f"sarif:{target}"])
    assert capsys.readouterr().out == ""
    assert target.read_bytes() == first


def test_cli_format_and_output_combinations(tmp_path, capsys):
    root = FIXTURES / "fastapi_clean"
    # --format json --output FILE as before
    assert main(["check", str(root), "--engines", "none", "--format", "json", "--output", str(tmp_path / "r.json")]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads((tmp_path / "r.json").read_text())["verdict"] == "pass"
    # --output goes to the one format without a file of its own
    assert main(["check", str(root), "--engines", "none", "--format", "sarif", "--format", f"json:{tmp_path / 'j.json'}", "-o", str(tmp_path / "s.sarif")]) == 0
    assert json.loads((tmp_path / "s.sarif").read_text())["version"] == "2.1.0"
    assert json.loads((tmp_path / "j.json").read_text())["verdict"] == "pass"
    # two formats cannot share standard output
    assert main(["check", str(root), "--engines", "none", "--format", "sarif", "--format", "json"]) == 2
    assert "share one output" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["check", str(root), "--format", "xml"])
