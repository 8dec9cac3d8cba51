"""Baselines: `critic baseline` records today's findings; `check --baseline` reports only new ones,
survives code moving, and never lets an old finding absorb a new one of the same rule."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from critic.baseline import BaselineError, dumps, load, loads, new_findings, record
from critic.cli import main
from critic.task import verdict_schema

HEADER = "import sqlite3\n\n\n"
FIND = '''def find(conn, name):
    return conn.execute(f"SELECT * FROM users WHERE name = '{name}'")
'''
#: the same offending line, in another function: the same (rule, path, text) group as FIND
LOOKUP = '''def lookup(conn, name):
    rows = []
    return conn.execute(f"SELECT * FROM users WHERE name = '{name}'")
'''
#: a different offending text of the same rule
BY_EMAIL = '''def by_email(conn, email):
    return conn.execute("SELECT * FROM users WHERE email = '%s'" % email)
'''
SHIFT = "".join(f"SETTING_{i} = {i}\n" for i in range(20))


def _project(root: Path, db_py: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "db.py").write_text(db_py, encoding="utf-8")
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests" / "test_db.py").write_text("def test_nothing():\n    assert True\n", encoding="utf-8")
    return root


def _check(root: Path, capsys, *extra: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["check", str(root), "--engines", "none", "--select", "SQL", "--format", "json", *extra])
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, verdict_schema())
    return code, data


def _places(report: dict) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["rule_id"]) for f in report["findings"]]


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not found")


@pytest.fixture
def baselined(tmp_path, capsys):
    """A project with two SQL001 violations, baselined; returns (root, baseline path)."""
    root = _project(tmp_path / "svc", HEADER + FIND + "\n\n" + BY_EMAIL)
    code, report = _check(root, capsys)
    assert code == 1
    assert _places(report) == [("db.py", 5, "SQL001"), ("db.py", 9, "SQL001")]
    capsys.readouterr()
    assert main(["baseline", str(root), "--engines", "none", "--select", "SQL"]) == 0
    assert ".critic-baseline.json" in capsys.readouterr().out
    return root, root / ".critic-baseline.json"


def test_nothing_new_right_after_baseline(baselined, capsys):
    root, baseline = baselined
    code, report = _check(root, capsys, "--baseline", str(baseline))
    assert (code, report["verdict"], report["findings"]) == (0, "pass", [])
    assert report["baselined"] == 2
    data = json.loads(baseline.read_text())
    assert [(e["rule_id"], e["path"]) for e in data["findings"]] == [("SQL001", "db.py"), ("SQL001", "db.py")]
    assert str(root) not in baseline.read_text()


def test_code_moved_down_twenty_lines_is_still_known(baselined, capsys):
    root, baseline = baselined
    before = baseline.read_bytes()
    (root / "db.py").write_text(HEADER + SHIFT + "\n\n" + FIND + "\n\n" + BY_EMAIL, encoding="utf-8")
    code, report = _check(root, capsys)
    assert _places(report) == [("db.py", 27, "SQL001"), ("db.py", 31, "SQL001")]  # really moved
    code, report = _check(root, capsys, "--baseline", str(baseline))
    assert (code, report["findings"]) == (0, [])
    # recording again: the same fingerprints, no line numbers anywhere
    assert main(["baseline", str(root), "--engines", "none", "--select", "SQL", "--baseline", str(root / "again.json")]) == 0
    again = json.loads((root / "again.json").read_text())
    assert [e["fingerprint"] for e in again["findings"]] == [e["fingerprint"] for e in json.loads(before)["findings"]]
    assert "line" not in again["findings"][0]


def test_new_violation_with_other_text_is_reported(baselined, capsys):
    root, baseline = baselined
    text = HEADER + FIND + "\n\n" + BY_EMAIL + "\n\n" + BY_EMAIL.replace("by_email", "by_mail").replace("email =", "mail =")
    (root / "db.py").write_text(text, encoding="utf-8")
    code, report = _check(root, capsys, "--baseline", str(baseline))
    assert code == 1
    assert _places(report) == [("db.py", _line_of(text, "mail = '%s'", 2), "SQL001")]
    assert report["baselined"] == 2


def test_identical_violation_appended_below_is_the_one_reported(baselined, capsys):
    root, baseline = baselined
    text = HEADER + FIND + "\n\n" + BY_EMAIL + "\n\n" + LOOKUP
    (root / "db.py").write_text(text, encoding="utf-8")
    code, report = _check(root, capsys, "--baseline", str(baseline))
    assert _places(report) == [("db.py", _line_of(text, "name = '{name}'", 2), "SQL001")]
    assert code == 1


def test_identical_violation_inserted_above_is_the_one_reported(baselined, capsys):
    """The new copy takes occurrence index 0 (the old one's fingerprint) and pushes the old one
    to index 1; the count says one is new, the surrounding code says which."""
    root, baseline = baselined
    text = HEADER + LOOKUP + "\n\n" + FIND + "\n\n" + BY_EMAIL
    (root / "db.py").write_text(text, encoding="utf-8")
    new_line = _line_of(text, "name = '{name}'", 1)
    old_line = _line_of(text, "name = '{name}'", 2)
    assert new_line < old_line
    code, report = _check(root, capsys, "--baseline", str(baseline))
    assert _places(report) == [("db.py", new_line, "SQL001")]
    assert code == 1


def test_inserted_above_and_everything_moved(baselined, capsys):
    root, baseline = baselined
    text = HEADER + SHIFT + "\n\n" + LOOKUP + "\n\n" + FIND + "\n\n" + BY_EMAIL
    (root / "db.py").write_text(text, encoding="utf-8")
    code, report = _check(root, capsys, "--baseline", str(baseline))
    assert _places(report) == [("db.py", _line_of(text, "name = '{name}'", 1), "SQL001")]


def test_fixed_violation_leaves_nothing_and_a_same_rule_new_one_is_not_absorbed(baselined, capsys):
    """Fixing one baselined finding does not give its 'slot' to a new one of the same rule."""
    root, baseline = baselined
    text = HEADER + FIND.replace("f\"SELECT * FROM users WHERE name = '{name}'\"", '"SELECT * FROM users WHERE name = ?", (name,)') + "\n\n" + BY_EMAIL
    (root / "db.py").write_text(text, encoding="utf-8")
    assert _check(root, capsys, "--baseline", str(baseline))[1]["findings"] == []
    text += "\n\ndef drop(conn, table):\n    return conn.executescript('DROP TABLE ' + table)\n"
    (root / "db.py").write_text(text, encoding="utf-8")
    code, report = _check(root, capsys, "--baseline", str(baseline))
    assert _places(report) == [("db.py", _line_of(text, "DROP TABLE"), "SQL001")]


def test_baseline_does_not_cross_files(baselined, capsys):
    root, baseline = baselined
    (root / "other.py").write_text(HEADER + FIND, encoding="utf-8")
    code, report = _check(root, capsys, "--baseline", str(baseline))
    assert _places(report) == [("other.py", 5, "SQL001")]


def test_text_report_counts_the_baselined(baselined, capsys):
    root, baseline = baselined
    capsys.readouterr()
    assert main(["check", str(root), "--engines", "none", "--select", "SQL", "--baseline", str(baseline)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("(2 in the baseline)")


def test_bad_baseline_is_a_usage_error(tmp_path, capsys):
    root = _project(tmp_path / "svc", HEADER + FIND)
    assert main(["check", str(root), "--engines", "none", "--baseline", str(tmp_path / "missing.json")]) == 2
    assert "cannot read baseline" in capsys.readouterr().err
    (tmp_path / "junk.json").write_text('{"findings": []}')
    assert main(["check", str(root), "--engines", "none", "--baseline", str(tmp_path / "junk.json")]) == 2
    assert "not a critic baseline" in capsys.readouterr().err
    with pytest.raises(BaselineError):
        loads("not json")


def test_round_trip_and_api(tmp_path):
    from critic.api import critique

    root = _project(tmp_path / "svc", HEADER + FIND)
    report = critique([root], engines=())
    baseline = record(report.findings, root)
    path = tmp_path / "b.json"
    path.write_text(dumps(baseline))
    assert load(path) == baseline
    fresh, absorbed = new_findings(report.findings, load(path), root)
    assert fresh == [] and absorbed == len(report.findings)
