"""Hostile files, all in one tree among ordinary files: each gives a clear finding or error, the
run ends in bounded time and memory, and the ordinary files are checked exactly as when alone.

The tree is generated here (a 20 MB module, binary and latin-1 bytes are written by the test,
never committed). critic runs in a child process under an address-space limit and a timeout,
so a native crash (SIGSEGV) or a hang fails the test instead of killing pytest.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from _hostile import critic_cli, run_limited, time_limit, write_tree
from critic.parsers.python import MAX_NESTING, nesting


@pytest.fixture(autouse=True)
def _bounded():
    """Every test here ends within 300 s, or fails (SIGALRM), rather than hanging the suite."""
    with time_limit(300):
        yield


LEVELS = 2000

# --------------------------------------------------------------------------- the ordinary files
ORDINARY = {
    "app/ordinary.py": (
        "import logging\n"
        "import sqlite3\n"
        "\n"
        "logger = logging.getLogger(__name__)\n"
        'SECRET_KEY = "ordinary-secret-value-1234"\n'
        "\n"
        "\n"
        "def find_user(conn: sqlite3.Connection, name: str):\n"
        "    cursor = conn.cursor()\n"
        "    cursor.execute(f\"SELECT * FROM users WHERE name = '{name}'\")\n"
        "    return cursor.fetchone()\n"
        "\n"
        "\n"
        "def login(username: str, password: str) -> None:\n"
        '    logger.info("login %s with %s", username, password)\n'
        "    try:\n"
        '        find_user(sqlite3.connect(":memory:"), username)\n'
        "    except:\n"
        "        pass\n"
    ),
    "Dockerfile": 'FROM python:3.12-slim\nENV API_KEY=ordinary-dockerfile-key-5678\nCOPY . /app\nCMD ["python", "-m", "app.ordinary"]\n',
    "docker-compose.yml": 'services:\n  api:\n    build: .\n    image: "api:latest"\n    environment:\n      DB_PASSWORD: ordinary-compose-password-9\n',
}
#: What the ordinary files must show, hostile neighbours or not (a floor; the exact set is
#: compared with a run of the ordinary files alone in test_ordinary_files_are_fully_checked).
ORDINARY_EXPECTED = {
    ("app/ordinary.py", 5, "SEC002"),
    ("app/ordinary.py", 10, "SQL001"),
    ("app/ordinary.py", 15, "SEC001"),
    ("app/ordinary.py", 18, "QLT003"),
    ("Dockerfile", 1, "DKR001"),
    ("Dockerfile", 2, "DKR006"),
    ("docker-compose.yml", 6, "CMP001"),
}


# --------------------------------------------------------------------------- the hostile files
def billion_laughs() -> str:
    text = 'lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for level in range(1, 10):
        text += f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * 9) + "]\n"
    return "services:\n  api:\n    image: api:1.0\nx-bomb:\n" + "".join("  " + line + "\n" for line in text.splitlines())


DEEP = {
    # CPython itself refuses these (too many nested parentheses): libcst would overflow its stack
    "app/deep_parens.py": "x = " + "(" * LEVELS + "1" + ")" * LEVELS + "\n",
    "app/deep_lists.py": "x = " + "[" * LEVELS + "]" * LEVELS + "\n",
    "app/deep_fstring.py": "x = f'{" + "(" * LEVELS + "1" + ")" * LEVELS + "}'\n",
    # valid Python that libcst cannot take: a SIGSEGV (and/elif/unary) or minutes (subscripts)
    "app/deep_and.py": "x = " + " and ".join(["a"] * 20000) + "\n",
    "app/deep_subscripts.py": "x = a" + "[0]" * LEVELS + "\n",
    "app/deep_unary.py": "x = " + "-" * 50000 + "1\n",
    "app/deep_elif.py": "if x:\n    pass\n" + "elif x:\n    pass\n" * 20000,
}

HOSTILE: dict[str, str | bytes] = {
    "app/syntax_error.py": "def create_user(payload:\n    return payload\n",
    "app/null_byte.py": b"x = 1\x00\ny = 2\n",
    "app/bom.py": b"\xef\xbb\xbf" + b'SECRET_KEY = "bom-secret-value-0001"\n',
    "app/crlf.py": 'import logging\r\nlog = logging.getLogger(__name__)\r\n\r\n\r\ndef f(password):\r\n    log.info("x %s", password)\r\n',
    "app/latin1.py": "NAME = 'caf\xe9'\nx = 1\n".encode("latin-1"),
    "app/latin1_declared.py": "# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\nSECRET_KEY = 'latin-secret-value-02'\n".encode("latin-1"),
    "app.py": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16,  # a binary file named app.py
    "app/not_utf8.py": bytes(range(128, 256)) * 8,
    "app/utf16.py": "x = 1\n".encode("utf-16"),
    "app/deep_indent.py": "".join("    " * i + "if x:\n" for i in range(150)) + "    " * 150 + "pass\n",
    # a megabyte-long line of strings that never close: every quote a new attempt
    "app/stray_quotes.py": "x = '" + "\\'," * 300_000 + "\n" + 'y = "' + '\\",' * 30_000 + "\n",
    **DEEP,
    "docker/empty/Dockerfile": "",
    "docker/comments/Dockerfile": "# nothing but comments\n# syntax=docker/dockerfile:1\n",
    "docker/heredoc/Dockerfile": (
        "# syntax=docker/dockerfile:1.7\n"
        "FROM python:3.12-slim\n"
        "RUN <<EOF\n"
        "set -e\n"
        "echo 'ENV NOT_AN_INSTRUCTION=1'\n"
        "EOF\n"
        "RUN echo start \\\n" + "    && echo step \\\n" * 5000 + "    && echo done\n"
        "ENV SERVICE_TOKEN=heredoc-token-value-0003\n"
        "USER app\n"
    ),
    "docker/escape/Dockerfile": (
        "# escape=`\n"
        "FROM python:3.12-slim\n"
        "RUN echo a `\n" + "    b `\n" * 3000 + "    c\n"
        "ENV API_SECRET=escape-secret-value-0004\n"
        "USER app\n"
    ),
    "compose/malformed/docker-compose.yml": "services:\n  api:\n    image: [api:1.0\n",
    "compose/duplicate/docker-compose.yml": "services:\n  api:\n    image: api:1.0\n  api:\n    image: api:2.0\n",
    "compose/tabs/docker-compose.yml": "services:\n\tapi:\n\t\timage: api:1.0\n",
    "compose/list/docker-compose.yml": "- api\n- db\n",
    "compose/bomb/docker-compose.yml": billion_laughs(),
    "compose/anchors/docker-compose.yml": (
        "x-base: &base\n"
        "  restart: unless-stopped\n"
        "  environment:\n"
        "    DB_PASSWORD: anchored-password-value-05\n"
        "services:\n"
        "  api:\n"
        "    <<: *base\n"
        "    image: api:1.0\n"
        "  worker:\n"
        "    <<: *base\n"
        "    image: worker:1.0\n"
    ),
}
HEREDOC_ENV_LINE = 8 + 5000 + 1
ESCAPE_ENV_LINE = 4 + 3000 + 1

#: (path, line, id, words the message must hold) for every file that cannot be checked
UNPARSABLE = [
    ("app/syntax_error.py", 1, "PRJ003", "syntax error"),
    ("app/null_byte.py", 1, "PRJ003", "NUL bytes"),
    ("app/latin1.py", 1, "PRJ003", "not valid utf-8 at line 1"),
    ("app.py", 1, "PRJ003", "NUL bytes"),
    ("app/not_utf8.py", 1, "PRJ003", "not valid utf-8"),
    ("app/utf16.py", 1, "PRJ003", "UTF-16"),
    ("app/deep_indent.py", 101, "PRJ003", "too many levels of indentation"),
    ("app/stray_quotes.py", 1, "PRJ003", "syntax error"),
    ("app/deep_parens.py", 1, "PRJ003", "nesting deeper than critic's parser limit"),
    ("app/deep_lists.py", 1, "PRJ003", "nesting deeper than critic's parser limit"),
    ("app/deep_fstring.py", 1, "PRJ003", "nesting deeper than critic's parser limit"),
    ("app/deep_and.py", 1, "PRJ003", "nesting deeper than critic's parser limit"),
    ("app/deep_subscripts.py", 1, "PRJ003", "nesting deeper than critic's parser limit"),
    ("app/deep_unary.py", 1, "PRJ003", "nesting deeper than critic's parser limit"),
    ("app/huge_generated.py", 1, "PRJ003", "over the 2,097,152-byte limit; not checked"),
    ("docker/empty/Dockerfile", 1, "PRJ003", "Dockerfile is empty"),
    ("docker/comments/Dockerfile", 1, "PRJ003", "has only comments"),
    ("compose/malformed/docker-compose.yml", 4, "PRJ003", "invalid YAML"),  # at the end: where the flow never closes
    ("compose/tabs/docker-compose.yml", 2, "PRJ003", "tab character"),
    ("compose/list/docker-compose.yml", 1, "PRJ003", "must be a mapping at the top level, not a list"),
    ("compose/bomb/docker-compose.yml", None, "PRJ003", "alias expansion limit"),
    ("compose/duplicate/docker-compose.yml", 4, "CMP000", "duplicate key 'api'"),
]
#: hostile but valid: parsed and checked like any file, findings at the right lines
CHECKED = [
    ("app/bom.py", 1, "SEC002"),
    ("app/crlf.py", 6, "SEC001"),
    ("app/latin1_declared.py", 3, "SEC002"),
    ("docker/heredoc/Dockerfile", HEREDOC_ENV_LINE, "DKR006"),
    ("docker/escape/Dockerfile", ESCAPE_ENV_LINE, "DKR006"),
    ("compose/anchors/docker-compose.yml", 4, "CMP001"),
]
HUGE_BYTES = 20 * 1024 * 1024


def _check_json(root: Path, memory_mb: int = 1536, timeout: float = 180.0):
    started = time.monotonic()
    done = run_limited(critic_cli("check", str(root), "--engines", "none", "--format", "json", "--no-cache"), memory_mb=memory_mb, timeout=timeout)
    elapsed = time.monotonic() - started
    assert not done.timed_out, f"critic did not finish within {timeout}s"
    assert done.returncode >= 0, f"critic was killed by signal {-done.returncode} (a native crash)\n{done.stderr[-2000:]}"
    assert done.returncode in (0, 1), f"exit {done.returncode}\n{done.stderr[-2000:]}"
    return json.loads(done.stdout), elapsed


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = write_tree(tmp_path_factory.mktemp("hostile") / "svc", {**ORDINARY, **HOSTILE})
    with (root / "app" / "huge_generated.py").open("wb") as out:  # a 20 MB generated module
        line = b"VALUE_%07d = %d\n"
        chunk = b"".join(line % (i, i) for i in range(4096))
        while out.tell() < HUGE_BYTES:
            out.write(chunk)
    report, elapsed = _check_json(root)
    return root, report, elapsed


@pytest.fixture(scope="module")
def ordinary_alone(tmp_path_factory):
    root = write_tree(tmp_path_factory.mktemp("ordinary") / "svc", ORDINARY)
    report, _ = _check_json(root)
    return report


def _found(report: dict) -> set[tuple[str, int, str]]:
    return {(f["path"], f["line"], f["rule_id"]) for f in report["findings"]}


def test_hostile_tree_finishes_in_bounded_time_and_memory(hostile_run):
    _, report, elapsed = hostile_run
    assert elapsed < 120, f"the hostile tree took {elapsed:.0f}s"
    assert report["verdict"] == "fail"  # PRJ003 is critical: files that do not parse fail the hand-off
    assert report["errors"] == [], "every hostile file is a finding here, not an internal error"


@pytest.mark.parametrize(("path", "line", "rule_id", "words"), UNPARSABLE, ids=[u[0] for u in UNPARSABLE])
def test_each_unparsable_file_is_a_clear_finding(hostile_run, path, line, rule_id, words):
    _, report, _ = hostile_run
    mine = [f for f in report["findings"] if f["path"] == path and f["rule_id"] == rule_id]
    assert mine, f"{path}: no {rule_id}; found {sorted(f['rule_id'] for f in report['findings'] if f['path'] == path)}"
    assert any(words in f["message"] for f in mine), [f["message"] for f in mine]
    if line is not None:
        assert any(f["line"] == line for f in mine), [(f["line"], f["message"]) for f in mine]
    assert path in report["scanned"]["paths"], "a file that could not be checked is still listed as scanned"


def test_deep_elif_ladder_is_refused_or_parsed_never_crashes(hostile_run):
    _, report, _ = hostile_run
    mine = [f for f in report["findings"] if f["path"] == "app/deep_elif.py" and f["rule_id"] == "PRJ003"]
    assert mine and "nesting deeper than critic's parser limit" in mine[0]["message"]
    assert mine[0]["line"] > 1  # where the ladder passes the limit


@pytest.mark.parametrize(("path", "line", "rule_id"), CHECKED, ids=[c[0] for c in CHECKED])
def test_hostile_but_valid_files_are_checked_at_the_right_lines(hostile_run, path, line, rule_id):
    _, report, _ = hostile_run
    assert (path, line, rule_id) in _found(report)
    assert not [f for f in report["findings"] if f["path"] == path and f["rule_id"] in ("PRJ003", "CMP000")]


def test_bom_and_crlf_do_not_leak_into_snippets_or_columns(hostile_run):
    _, report, _ = hostile_run
    (bom,) = [f for f in report["findings"] if f["path"] == "app/bom.py" and f["rule_id"] == "SEC002"]
    assert bom["snippet"] == "SECRET_KEY = ****" and bom["column"] == 14
    for f in report["findings"]:
        assert "\r" not in f["snippet"] and "\ufeff" not in f["snippet"], f


def test_anchors_and_merge_keys_are_checked_through_the_merge(hostile_run):
    _, report, _ = hostile_run
    anchors = [f for f in report["findings"] if f["path"] == "compose/anchors/docker-compose.yml"]
    assert ("CMP001", 4) in {(f["rule_id"], f["line"]) for f in anchors}
    # the merged services are judged too (no healthcheck, from the merged mapping)
    assert {("CMP002", 6), ("CMP002", 9)} <= {(f["rule_id"], f["line"]) for f in anchors}
    assert all("anchored-password-value-05" not in f["snippet"] for f in anchors)


def test_ordinary_files_are_fully_checked(hostile_run, ordinary_alone):
    _, report, _ = hostile_run
    got = _found(report)
    assert ORDINARY_EXPECTED <= got, sorted(ORDINARY_EXPECTED - got)
    # exactly what the ordinary files get on their own, project-level rules aside (they see the tree)
    alone = {p for p in _found(ordinary_alone) if not p[2].startswith("PRJ")}
    beside = {p for p in got if p[0] in ORDINARY and not p[2].startswith("PRJ")}
    assert beside == alone


def test_size_limit_is_reported_not_skipped(hostile_run):
    root, report, _ = hostile_run
    assert (root / "app" / "huge_generated.py").stat().st_size > HUGE_BYTES
    (huge,) = [f for f in report["findings"] if f["path"] == "app/huge_generated.py"]
    assert huge["rule_id"] == "PRJ003" and f"{(root / 'app' / 'huge_generated.py').stat().st_size:,} bytes" in huge["message"]


# --------------------------------------------------------------------------- each alone, tighter bounds
def test_billion_laughs_finishes_in_seconds_with_bounded_memory(tmp_path):
    root = write_tree(tmp_path, {"docker-compose.yml": billion_laughs()})
    report, elapsed = _check_json(root, memory_mb=512, timeout=30)
    assert elapsed < 15
    (bomb,) = [f for f in report["findings"] if f["rule_id"] == "PRJ003"]
    assert "alias expansion limit" in bomb["message"]


def test_deep_nesting_never_reaches_libcst(tmp_path):
    """In a child: a SIGSEGV here would otherwise take pytest down with it."""
    script = (
        "import json, sys\n"
        "from critic.parsers.python import parse_python\n"
        "out = {}\n"
        "for name, text in json.load(open(sys.argv[1])).items():\n"
        "    parsed = parse_python(text)\n"
        "    out[name] = [parsed.module is None, parsed.error]\n"
        "print(json.dumps(out))\n"
    )
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps(DEEP), encoding="utf-8")
    done = run_limited(["-c", script, str(cases)], memory_mb=1024, timeout=60)
    assert not done.timed_out and done.returncode == 0, (done.returncode, done.stderr[-2000:])
    for name, (refused, error) in json.loads(done.stdout).items():
        assert refused and ("nesting deeper" in error or "too many nested parentheses" in error), (name, error)


def test_nesting_estimate_leaves_real_code_alone(repo):
    """The limit is far above real code: critic's own sources, its fixtures, the engines' code."""
    import libcst

    deepest = []
    roots = [repo / "critic", repo / "rules", repo / "fixtures", Path(libcst.__file__).parent]
    for folder in roots:
        for path in folder.rglob("*.py"):
            depth, _ = nesting(path.read_text(encoding="utf-8", errors="replace"), MAX_NESTING)
            deepest.append((depth, path.name))
    assert max(deepest)[0] < MAX_NESTING // 2, max(deepest)


def test_nesting_estimate_is_linear_on_stray_quotes():
    """An unclosed string runs to the end of its line as one token; retried at every later
    quote, the scan was quadratic (a 100 kB line took a minute)."""
    for text in ("'" + "\\'," * 300_000, '"' + '\\",' * 300_000, "'''" + "\\'," * 300_000, "x = '''" + "\\'''" * 300_000):
        started = time.monotonic()
        nesting(text)
        assert time.monotonic() - started < 3, text[:20]


def test_nesting_estimate_bounds_each_deep_form():
    for name, text in DEEP.items():
        depth, line = nesting(text)
        assert depth > MAX_NESTING and line >= 1, name
    flat = "DATA = [\n" + "".join(f"    ({i}, 'item {i}', {{'k': [{i}]}}),\n" for i in range(20000)) + "]\n"
    assert nesting(flat)[0] < 20  # a large flat literal is not deep


def test_hostile_files_do_not_take_the_engines_down(hostile_run):
    """2,000 brackets overflow ruff's stack (it aborts) and one unwalkable file fails bandit's
    whole run: the files the native pass already reports as unparsable are not handed to the
    engines, which check every other file, the ordinary ones included."""
    root, _, _ = hostile_run
    done = run_limited(critic_cli("check", str(root), "--engines", "all", "--format", "json", "--no-cache"), memory_mb=None, timeout=600)
    assert not done.timed_out and done.returncode == 1, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert {e["name"]: (e["status"], e["reason"]) for e in report["engines"]} == {
        name: ("ok", "") for name in ("bandit", "hadolint", "ruff", "semgrep")
    }
    (sql,) = [f for f in report["findings"] if (f["path"], f["line"], f["rule_id"]) == ("app/ordinary.py", 10, "SQL001")]
    assert {"bandit", "ruff"} <= {e["engine"] for e in sql["evidence"]}
    assert report["errors"] == []
