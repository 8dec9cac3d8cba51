"""Suppressions with the real rule pack: inline comments in Python, Dockerfiles and compose
files, per-file ignores from the config, stale (CRT002) and reason-less (CRT001) ignores, and
how they meet pre-commit's file mode and baselines."""
from __future__ import annotations

import json

from critic.api import critique
from critic.cli import main
from critic.config import Config
from critic.testing import write_tree

DB = '''import sqlite3


def find(conn, name):
    # critic: ignore[SQL001] name is checked against a fixed whitelist by the caller
    return conn.execute(f"SELECT * FROM users WHERE name = '{name}'")


def total(conn):
    return conn.execute("SELECT count(*) FROM users")  # critic: ignore[SQL001] legacy query


def by_email(conn, email):
    return conn.execute(f"SELECT * FROM users WHERE email = '{email}'")  # critic: ignore[SQL001]
'''
COMPOSE = '''services:
  db:
    image: postgres:latest  # critic: ignore[CMP006] pinned by the platform's image policy
  cache:
    image: redis:latest
'''
DOCKERFILE = '''# critic: ignore[DKR004] the base image is pinned by the build system
FROM python
CMD ["python", "-m", "app"]
'''


def _found(report, prefixes=("SQL", "CMP006", "DKR004", "CRT")) -> list[tuple[str, int, str]]:
    return [(f.path, f.line, f.rule_id) for f in report.findings if f.rule_id.startswith(prefixes)]


def test_inline_suppressions_stale_and_reasonless(tmp_path):
    root = write_tree(tmp_path, {"app/db.py": DB, "docker-compose.yml": COMPOSE, "Dockerfile": DOCKERFILE})
    report = critique([root], engines=())
    assert _found(report) == [
        ("app/db.py", 10, "CRT002"),  # total(): nothing to suppress any more
        ("app/db.py", 14, "CRT001"),  # by_email(): suppressed, but no reason given
        ("docker-compose.yml", 5, "CMP006"),  # cache: not suppressed
    ]
    crt002 = next(f for f in report.findings if f.rule_id == "CRT002")
    assert crt002.message == "Suppression of SQL001 matches no finding on line 10"
    # find() (own-line comment), by_email() (trailing), db: (YAML) and FROM (Dockerfile)
    assert report.suppressed == 4


def test_suppression_of_a_rule_that_was_not_selected_is_not_stale(tmp_path):
    root = write_tree(tmp_path, {"app/db.py": DB})
    assert ("app/db.py", 10, "CRT002") in _found(critique([root], engines=()))
    only_cmp = critique([root], Config(select=("CMP", "CRT")), engines=())
    assert _found(only_cmp) == [("app/db.py", 14, "CRT001")]  # SQL001 did not run: nothing stale


def test_per_file_ignores_from_pyproject(tmp_path, capsys):
    sql = 'def run(conn, table):\n    return conn.execute(f"SELECT * FROM {table}")\n'
    root = write_tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.critic]\nper-file-ignores = { "scripts/*" = ["SQL001"] }\n',
            "scripts/backfill.py": sql,
            "app/repo.py": sql,
        },
    )
    assert main(["check", str(root), "--engines", "none", "--select", "SQL", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(f["path"], f["line"], f["rule_id"]) for f in report["findings"]] == [("app/repo.py", 2, "SQL001")]


def test_file_mode_reports_stale_suppressions_only_in_the_given_files(tmp_path, capsys, monkeypatch):
    root = write_tree(tmp_path, {"app/db.py": DB, "app/other.py": "X = 1  # critic: ignore[SQL001] old\n"})
    monkeypatch.chdir(root)
    assert main(["check", "app/other.py", "--engines", "none", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(f["path"], f["line"], f["rule_id"]) for f in report["findings"]] == [("app/other.py", 1, "CRT002")]
    assert main(["check", "app/db.py", "--engines", "none", "--select", "SQL,CRT", "--format", "json"]) == 0  # warnings only
    report = json.loads(capsys.readouterr().out)
    assert [(f["path"], f["line"], f["rule_id"]) for f in report["findings"]] == [("app/db.py", 10, "CRT002"), ("app/db.py", 14, "CRT001")]


def test_suppressed_findings_stay_out_of_the_baseline(tmp_path, capsys):
    root = write_tree(tmp_path, {"app/db.py": DB})
    assert main(["baseline", str(root), "--engines", "none", "--select", "SQL,CRT"]) == 0
    entries = json.loads((root / ".critic-baseline.json").read_text())["findings"]
    assert sorted(e["rule_id"] for e in entries) == ["CRT001", "CRT002"]
    # removing a suppression brings its finding back as new
    (root / "app/db.py").write_text(DB.replace("  # critic: ignore[SQL001] legacy query", "").replace(
        "    # critic: ignore[SQL001] name is checked against a fixed whitelist by the caller\n", ""))
    capsys.readouterr()
    assert main(["check", str(root), "--engines", "none", "--select", "SQL,CRT", "--format", "json", "--baseline", str(root / ".critic-baseline.json")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(f["path"], f["line"], f["rule_id"]) for f in report["findings"]] == [("app/db.py", 5, "SQL001")]
