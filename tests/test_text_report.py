"""The terminal report: grouped by file with a code frame and the fix, a table by standard and
tier, colour only on a terminal (NO_COLOR / FORCE_COLOR), --quiet, --statistics, progress."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from critic.api import critique
from critic.cli import main, use_color
from critic.registry import default_pack
from critic.report import RenderOptions
from critic.report.text import render

DB = '''import sqlite3


def find(conn, name):
    return conn.execute(f"SELECT * FROM users WHERE name = '{name}'")


def by_email(conn, email):
    return conn.execute("SELECT * FROM users WHERE email = '%s'" % email)
'''
LOG = '''import logging

logger = logging.getLogger(__name__)


def login(user, password):
    logger.info("login %s with %s", user, password)
'''
SQL_FIX = default_pack().by_id["SQL001"].fix


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "db.py").write_text(DB)
    (tmp_path / "app" / "auth.py").write_text(LOG)
    return tmp_path


@pytest.fixture(autouse=True)
def no_colour_env(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def _run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["check", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_findings_grouped_by_file_with_code_frame_and_fix(project, capsys):
    code, out, err = _run(capsys, str(project), "--engines", "none", "--select", "SQL,SEC001")
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert "\x1b[" not in out  # not a terminal: no colour
    # files in path order, each once, a blank line between groups
    assert [line for line in lines if line and line[0].isalpha() and "/" in line.split()[0]] == ["app/auth.py", "app/db.py"]
    auth = lines.index("app/auth.py")
    assert lines[auth + 1].startswith("  7:5 SEC001 critical ")
    assert lines[auth + 2] == '     7 |     logger.info("login %s with %s", user, password)'
    db = lines.index("app/db.py")
    assert lines[db - 1] == ""
    assert lines[db + 1].startswith("  5:12 SQL001 critical SQL text built with an f-string")
    assert lines[db + 2] == "     5 |     return conn.execute(f\"SELECT * FROM users WHERE name = '{name}'\")"
    assert lines[db + 3] == "       |            " + "^" * len("conn.execute(f\"SELECT * FROM users WHERE name = '{name}'\")")
    assert lines[db + 4] == f"     fix: {SQL_FIX}"
    assert lines[db + 5].startswith("  9:12 SQL001 critical SQL text built with `%` formatting")
    assert lines[db + 6] == "     9 |     return conn.execute(\"SELECT * FROM users WHERE email = '%s'\" % email)"


def test_summary_table_by_standard_and_tier(project, capsys):
    code, out, _ = _run(capsys, str(project), "--engines", "none", "--select", "SQL,SEC001,QLT")
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("standard "))
    table = lines[head : head + 5]
    assert table == [
        "standard           critical  expected  nice-to-have  status",
        "SQL: data access          2         0             0  fail",
        "SEC: security             1         0             0  fail",
        "QLT: code quality         0         0             0  pass",
        "total                     3         0             0",
    ]
    assert lines[-1] == "FAIL: 3 critical, 0 expected, 0 nice-to-have in 2 files"


def test_quiet_prints_only_the_verdict(project, capsys):
    code, out, err = _run(capsys, str(project), "--engines", "none", "--quiet")
    assert code == 1
    assert out.splitlines() == [out.strip()] and out.startswith("FAIL: ")
    assert err == ""


def test_statistics_counts_per_rule(project, capsys):
    code, out, _ = _run(capsys, str(project), "--engines", "none", "--select", "SQL,SEC001", "--statistics")
    lines = out.splitlines()
    assert lines[:2] == [
        "2  SQL001  critical  sql-string-building",
        "1  SEC001  critical  secret-in-log",
    ]
    assert "fix:" not in out and " | " not in out  # no per-finding listing
    assert lines[-1] == "FAIL: 3 critical, 0 expected, 0 nice-to-have in 2 files"


def test_clean_project_prints_no_table(tmp_path, capsys):
    (tmp_path / "ok.py").write_text("VALUE = 1\n")
    code, out, _ = _run(capsys, str(tmp_path), "--engines", "none", "--select", "SQL")
    assert (code, out) == (0, "PASS: 0 critical, 0 expected, 0 nice-to-have in 1 file\n")


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize(
    "tty,env,expected",
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (False, {"FORCE_COLOR": "1"}, True),
        (True, {"FORCE_COLOR": "0"}, True),
        (False, {"FORCE_COLOR": "0"}, False),
        (True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),  # NO_COLOR wins
        (True, {"NO_COLOR": ""}, True),  # empty means unset (no-color.org)
        (True, {"TERM": "dumb"}, False),
    ],
)
def test_colour_decision(monkeypatch, tty, env, expected):
    monkeypatch.setenv("TERM", "xterm-256color")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert use_color(_Stream(tty)) is expected


def test_force_color_colours_the_report_and_no_color_wins(project, capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, out, _ = _run(capsys, str(project), "--engines", "none", "--select", "SQL")
    assert "\x1b[31;1mcritical\x1b[0m" in out and "\x1b[1mapp/db.py\x1b[0m" in out
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = _run(capsys, str(project), "--engines", "none", "--select", "SQL")
    assert "\x1b[" not in out


def test_colour_never_goes_into_a_file(project, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("FORCE_COLOR", "1")
    target = tmp_path / "report.txt"
    _run(capsys, str(project), "--engines", "none", "--format", f"text:{target}")
    assert "\x1b[" not in target.read_text()


def test_render_options_colour_and_secret_lines_get_no_caret(tmp_path):
    (tmp_path / "config.py").write_text('SECRET_KEY = "s3cr3t-value-that-is-long"\n')
    report = critique([tmp_path], engines=(), root=tmp_path)
    text = render(report, RenderOptions(color=False))
    assert "s3cr3t" not in text
    assert "^" not in text.split("fix:")[0].splitlines()[-1]  # no caret under a masked line
    coloured = render(report, RenderOptions(color=True))
    assert "\x1b[" in coloured and "s3cr3t" not in coloured


def test_progress_is_reported_per_file_and_never_printed_off_a_terminal(project, capsys):
    events: list[tuple[str, int, int]] = []
    critique([project], engines=(), root=project, progress=lambda *e: events.append(e))
    assert events == [("files", 1, 2), ("files", 2, 2)]
    _, _, err = _run(capsys, str(project), "--engines", "none")
    assert err == ""  # stderr is not a terminal here: no bar


def test_progress_bar_draws_on_a_terminal(monkeypatch):
    """The bar itself: rich on standard error, transient, after a short delay."""
    import critic.cli as cli

    stream = _Stream(True)
    monkeypatch.setattr(cli.sys, "stderr", stream)
    monkeypatch.setenv("TERM", "xterm-256color")
    bar = cli._ProgressBar()
    bar.update("files", 1, 10)  # before the delay: nothing
    assert bar._progress is None
    bar._started -= 10
    bar.update("files", 5, 10)
    assert bar._progress is not None
    bar.close()
    assert "critic: checking files" in stream.getvalue()
