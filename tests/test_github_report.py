"""`--format github`: GitHub Actions workflow commands, escaped as the runner expects."""
from __future__ import annotations

from pathlib import Path

from critic.cli import main
from critic.model import EngineRun, Finding, Report, ScanError
from critic.report.github import annotation, escape_data, escape_property, render
from critic.verdict import count_by_tier, decide, standards


def _finding(**changes) -> Finding:
    base = dict(
        rule_id="SQL001",
        name="sql-string-building",
        tier="critical",
        severity="high",
        confidence="high",
        path="app/db.py",
        line=12,
        column=5,
        end_line=12,
        end_column=40,
        message="SQL text built with an f-string reaches `cursor.execute()`",
        fix="Pass values as bound parameters.",
    )
    base.update(changes)
    return Finding(**base)


def test_escaping():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    # data keeps ':' and ',' (only properties need them escaped)
    assert escape_data("a:b,c") == "a:b,c"


def test_one_annotation_per_finding_with_level_place_and_title():
    assert annotation(_finding()) == (
        "::error file=app/db.py,line=12,col=5,endLine=12,endColumn=40,title=SQL001 sql-string-building"
        "::SQL text built with an f-string reaches `cursor.execute()`. Fix: Pass values as bound parameters."
    )
    assert annotation(_finding(tier="expected")).startswith("::warning ")
    assert annotation(_finding(tier="nice_to_have")).startswith("::notice ")
    # multi-line span: no endColumn; an engine id's colon and a path's comma are escaped
    text = annotation(_finding(rule_id="bandit:B602", name="subprocess, shell", path="app/a,b.py", end_line=14, message="50% sure\nreally"))
    assert text.startswith("::error file=app/a%2Cb.py,line=12,col=5,endLine=14,title=bandit%3AB602 subprocess%2C shell::50%25 sure%0Areally. Fix:")
    assert "endColumn" not in text
    # a project-level finding without a file
    assert annotation(_finding(path=".")).startswith("::error title=SQL001 sql-string-building::")


def test_engine_failures_errors_and_verdict_line():
    findings = (_finding(),)
    engines = (EngineRun("semgrep", "1.80.0", "timeout", 120.0, "semgrep did not finish within 120s"),)
    errors = (ScanError("app/huge.py", "file is larger than max-file-bytes", "unreadable"),)
    report = Report(
        verdict=decide(findings, engines, errors),
        findings=findings,
        counts=count_by_tier(findings),
        standards=standards(findings, ()),
        scanned=(),
        errors=errors,
        engines=engines,
    )
    lines = render(report).splitlines()
    assert lines[1] == "::warning title=critic engine semgrep::timeout: semgrep did not finish within 120s"
    assert lines[2] == "::error file=app/huge.py,title=critic could not check this::file is larger than max-file-bytes"
    assert lines[3] == "critic: FAIL: 1 critical, 0 expected, 0 nice-to-have"
    assert len(lines) == 4


def test_cli_github_format(tmp_path: Path, capsys):
    (tmp_path / "db.py").write_text('def find(c, n):\n    return c.execute(f"SELECT * FROM t WHERE n = \'{n}\'")\n')
    assert main(["check", str(tmp_path), "--engines", "none", "--select", "SQL", "--format", "github"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("::error file=db.py,line=2,col=12,endLine=2,endColumn=")
    assert ",title=SQL001 sql-string-building::SQL text built with an f-string" in out[0]
    assert out[-1] == "critic: FAIL: 1 critical, 0 expected, 0 nice-to-have"
