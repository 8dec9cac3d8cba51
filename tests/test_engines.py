"""The engines: parsing their recorded output, folding and merging, real runs, and failures as data.

Recorded outputs live in tests/data/engines (re-record with tests/data/engines/record.py);
the real run of all four engines over fixtures/fastapi_flawed happens once per module.
"""
from __future__ import annotations

import json
import re
import shutil
import stat
import textwrap
import time
from pathlib import Path

import pytest

from critic.api import critique
from critic.cli import _engines_arg, main
from critic.config import ENGINE_NAMES, FAST_ENGINES, Config
from critic.engines import bandit, fold, hadolint, ruff, run_engines, semgrep
from critic.engines.common import EngineFailure, scrub
from critic.engines.process import find_binary, run
from critic.merge import merge_engine_findings, peer_index
from critic.model import ENGINE_FAMILY, Evidence, FileSummary, Finding
from critic.registry import RulePack
from critic.rule import DockerfileRule, PythonRule

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "engines"
FIXTURES = REPO / "fixtures"
FLAWED = FIXTURES / "fastapi_flawed"


def recorded(name: str, root: Path) -> str:
    return (DATA / name).read_text(encoding="utf-8").replace("{ROOT}", str(root))


def line_of(path: Path, needle: str) -> int:
    """The line of a fixture that holds ``needle`` (fixtures move; their code does not)."""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def places(results) -> set[tuple[str, str, int]]:
    return {(r.code, r.path, r.line) for r in results}


# --------------------------------------------------------------------------- parsing
def test_ruff_parse_recorded_output():
    results = ruff.parse(recorded("ruff_fastapi_flawed.json", FLAWED), FLAWED)
    got = places(results)
    assert ("S608", "app/services/item_service.py", 47) in got
    assert ("S608", "app/services/report_service.py", 13) in got
    assert ("ASYNC251", "app/routers/auth.py", 52) in got
    assert ("B904", "app/routers/deps.py", 17) in got
    assert ("FIX003", "app/database.py", 10) in got
    assert ("S105", "app/config.py", 3) in got
    # `token_type: str = "bearer"` names a token type: dropped, read from the literal itself
    assert ("S105", "app/schemas.py", 57) not in got
    assert len(results) == 21  # the 22 recorded results, less that one
    by_place = {(r.code, r.path, r.line): r for r in results}
    s608 = by_place[("S608", "app/services/item_service.py", 47)]
    assert (s608.column, s608.same_as, s608.severity, s608.tier) == (37, "bandit:B608", "medium", "expected")
    assert by_place[("S324", "app/security.py", 21)].tier == "critical"  # bandit's B324 is high
    assert by_place[("B904", "app/routers/deps.py", 17)].tier == "nice_to_have"
    assert by_place[("ASYNC251", "app/routers/auth.py", 52)].tier == "expected"
    assert by_place[("B904", "app/routers/deps.py", 17)].name == "raise-without-from-inside-except"


def test_ruff_command_is_isolated_and_writes_no_cache():
    argv = ruff.command("ruff", ["app/main.py"])
    assert {"--isolated", "--no-cache"} <= set(argv)
    assert argv[argv.index("--output-format") + 1] == "json"
    assert argv[-2:] == ["--", "app/main.py"]


def test_bandit_parse_recorded_output_masks_and_filters():
    results = bandit.parse(recorded("bandit_fastapi_flawed.json", FLAWED), FLAWED)
    got = places(results)
    assert ("B608", "app/routers/users.py", 22) in got
    assert ("B324", "app/security.py", 21) in got
    assert ("B105", "app/config.py", 3) in got
    assert ("B105", "app/routers/auth.py", 42) not in got  # 'bearer'
    assert len(results) == 11
    b105 = next(r for r in results if (r.code, r.line) == ("B105", 3))
    assert "supersecretkey123" not in b105.message
    assert b105.message == "Possible hardcoded password: 's**** (17 chars)'"
    assert b105.secret and (b105.column, b105.tier) == (14, "nice_to_have")
    b324 = next(r for r in results if r.code == "B324")
    assert (b324.severity, b324.tier, b324.cwe) == ("high", "critical", ("CWE-327",))


def test_bandit_ignores_parse_errors_but_not_other_errors():
    bad = FIXTURES / "bad_input"
    text = recorded("bandit_bad_input.json", bad)
    assert len(json.loads(text)["errors"]) == 3  # syntax errors: PRJ003's business, not a failure
    assert places(bandit.parse(text, bad)) == {("B608", "app/ok.py", 8)}
    data = json.loads(text)
    data["errors"].append({"filename": "./app/ok.py", "reason": "Exception while scanning file"})
    with pytest.raises(EngineFailure, match="bandit could not check app/ok.py"):
        bandit.parse(json.dumps(data), bad)
    with pytest.raises(EngineFailure, match="not its JSON report"):
        bandit.parse("Traceback (most recent call last):\n  boom", bad)


def test_semgrep_parse_recorded_output():
    text = recorded("semgrep_fastapi_flawed.json", FLAWED)
    raw = json.loads(text)["results"]
    assert raw[0]["check_id"].endswith(".logger-credential-disclosure") and raw[0]["check_id"] != "logger-credential-disclosure"
    assert {r["extra"]["lines"] for r in raw} == {"requires login"}
    results, version = semgrep.parse(text, FLAWED)
    assert version == "1.182.0"
    assert places(results) == {
        ("logger-credential-disclosure", "app/routers/auth.py", 29),
        ("logger-credential-disclosure", "app/routers/auth.py", 38),
        ("logger-credential-disclosure", "app/routers/auth.py", 55),
        ("async-blocking-call", "app/routers/auth.py", 52),
        ("async-blocking-call", "app/routers/auth.py", 56),
        ("async-blocking-call", "app/routers/items.py", 85),
        ("formatted-sql-query", "app/routers/users.py", 23),
        ("formatted-sql-query", "app/services/item_service.py", 47),
        ("formatted-sql-query", "app/services/report_service.py", 46),
    }
    sql = next(r for r in results if r.code == "formatted-sql-query" and r.line == 47)
    assert (sql.column, sql.cwe, sql.owasp, sql.tier) == (37, ("CWE-89",), ("A03:2021",), "critical")
    assert "requires login" not in sql.message and ";" not in sql.message
    assert sql.fix.startswith("Bind the value as a query parameter")


def test_semgrep_rule_id_ignores_where_rules_are_installed():
    assert semgrep.rule_id("work.main.rules.semgrep.formatted-sql-query") == "formatted-sql-query"
    assert semgrep.rule_id("home.u.venv.lib.python3.11.site-packages.critic.rules.semgrep.async-blocking-call") == "async-blocking-call"
    assert semgrep.rule_id("formatted-sql-query") == "formatted-sql-query"


def test_semgrep_command_is_offline_and_gets_folders_for_long_lists(tmp_path):
    argv = semgrep.command("semgrep", ["app/a.py"], Config())
    assert "--metrics=off" in argv and "--disable-version-check" in argv and "--no-git-ignore" in argv
    assert argv[argv.index("--config") + 1] == semgrep.rules_dir()
    assert Path(semgrep.rules_dir(), "sql_taint.yaml").is_file()
    env = semgrep.environment(str(tmp_path))
    assert env["SEMGREP_ENABLE_VERSION_CHECK"] == "0" and env["HOME"].startswith(str(tmp_path))
    assert semgrep.targets(["app/a.py", "b.py"], tmp_path) == ["app/a.py", "b.py"]


def _py_tree(root: Path, paths: list[str]) -> list[str]:
    for rel in paths:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x = 1\n", encoding="utf-8")
    return paths


def test_semgrep_gets_a_folder_only_where_that_scans_exactly_the_files_asked_for(tmp_path):
    app = _py_tree(tmp_path, [f"app/m{i}.py" for i in range(6)] + ["app/api/v1/r.py", "app/tests/test_c.py"])
    tests = _py_tree(tmp_path, ["tests/test_a.py", "tests/test_b.py"])
    _py_tree(tmp_path, ["main.py"])
    # every Python file of app/ and tests/ asked for: the folders; a top-level file is named
    assert semgrep.targets(app + tests + ["main.py"], tmp_path) == ["app", "main.py", "tests"]
    # five files of a larger folder (a pre-commit run): named, never the whole folder
    assert semgrep.targets(app[:5], tmp_path) == sorted(app[:5])
    # a folder is scanned with semgrep's ignore lists off, or it would skip app/tests/
    argv = semgrep.command("semgrep", ["/x/app"], Config(), folders=True)
    assert semgrep.IGNORE_FILES_FLAG in argv and semgrep.IGNORE_FILES_FLAG not in semgrep.command("semgrep", ["/x/a.py"], Config())
    # beyond the argument budget: the top-level folders
    many = [f"pkg{i % 3}/{'d' * 120}/mod{i}.py" for i in range(1500)]
    assert semgrep.targets(many, tmp_path) == ["pkg0", "pkg1", "pkg2"]


SEMGREP_WITHOUT_THE_FLAG = """#!/bin/sh
echo "$@" >> "{log}"
for a in "$@"; do
  if [ "$a" = "--x-ignore-semgrepignore-files" ]; then echo "semgrep scan: unknown option '$a'." >&2; exit 2; fi
done
echo '{{"version": "1.0.0", "results": [], "errors": []}}'
"""


def test_a_semgrep_without_the_ignore_flag_gets_the_files_named(tmp_path):
    root = tmp_path / "tree"
    paths = _py_tree(root, [f"app/m{i}.py" for i in range(6)])
    log = tmp_path / "argv.log"
    fake = tmp_path / "semgrep"
    fake.write_text(SEMGREP_WITHOUT_THE_FLAG.format(log=log), encoding="utf-8")
    fake.chmod(0o755)
    workdir = tmp_path / "work"
    workdir.mkdir()
    results, version = semgrep.check(str(fake), root, paths, Config(), 30, str(workdir))
    assert (results, version) == ([], "1.0.0")
    first, second = log.read_text(encoding="utf-8").splitlines()
    assert first.endswith(f"-- {root / 'app'}") and semgrep.IGNORE_FILES_FLAG in first
    assert second.endswith(" ".join(str(root / p) for p in paths)) and semgrep.IGNORE_FILES_FLAG not in second


def test_hadolint_parse_recorded_output():
    root = FIXTURES / "flask_flawed"
    results = hadolint.parse(recorded("hadolint_flask_flawed.json", root), root)
    assert places(results) == {
        ("DL3007", "Dockerfile", 2),
        ("DL3064", "Dockerfile", 7),
        ("DL3064", "Dockerfile", 9),
        ("DL3042", "Dockerfile", 13),
    }
    assert {r.tier for r in results} == {"expected"}  # warnings
    assert hadolint.parse('[{"code":"DL1000","file":"Dockerfile","level":"error","line":1,"column":1,"message":"x"}]', root) == []
    info = hadolint.parse('[{"code":"DL3008","file":"Dockerfile","level":"info","line":3,"column":1,"message":"Pin"}]', root)
    assert info[0].tier == "nice_to_have"
    with pytest.raises(EngineFailure):
        hadolint.parse("hadolint: Dockerfile: withBinaryFile: does not exist", root)


def test_hadolint_gets_critics_config():
    argv = hadolint.command("hadolint", "Dockerfile")
    config = Path(argv[argv.index("--config") + 1])
    assert config.is_file() and "DL3008" in config.read_text(encoding="utf-8")
    assert argv[-2:] == ["--", "Dockerfile"] and "--no-fail" in argv


def test_scrub_masks_literal_values_only():
    assert scrub("Possible hardcoded password: 'hunter2'", secret=True) == "Possible hardcoded password: 'h**** (7 chars)'"
    assert scrub("Use 'cd ... || exit' in case cd fails.") == "Use 'cd ... || exit' in case cd fails."
    assert "abc123def456" not in scrub("token 'abc123def456' found")


# --------------------------------------------------------------------------- folding and merging
def test_fold_joins_the_same_check_of_two_engines_and_masks_secrets():
    results = ruff.parse(recorded("ruff_fastapi_flawed.json", FLAWED), FLAWED) + bandit.parse(
        recorded("bandit_fastapi_flawed.json", FLAWED), FLAWED
    )
    findings = {(f.rule_id, f.path, f.line): f for f in fold(results, FLAWED)}
    sql = findings[("bandit:B608", "app/services/item_service.py", 47)]
    assert sql.evidence == (Evidence("bandit", "B608"), Evidence("ruff", "S608"))
    assert ("ruff:S608", "app/services/item_service.py", 47) not in findings
    assert sql.snippet == (FLAWED / "app/services/item_service.py").read_text(encoding="utf-8").splitlines()[46]
    secret = findings[("bandit:B105", "app/config.py", 3)]
    assert secret.evidence == (Evidence("bandit", "B105"), Evidence("ruff", "S105"))
    assert "supersecretkey123" not in secret.snippet and "****" in secret.snippet
    assert findings[("ruff:B904", "app/routers/deps.py", 17)].evidence == (Evidence("ruff", "B904"),)


class _Sql(PythonRule):
    """
    ## What it does
    Test double for SQL001.
    ## Why is this bad?
    -
    ## Example
    -
    ## Use instead
    -
    """

    id = "SQL001"
    name = "sql-string-building"
    tier = "critical"
    sources = ("DEV Constraints",)
    peers = ("bandit:B608", "ruff:S608", "semgrep:formatted-sql-query", "checkov:CKV_X")
    message = "SQL built from strings"
    fix = "Bind parameters."
    cwe = ("CWE-89",)


class _Todo(PythonRule):
    id = "QLT001"
    name = "todo-marker"
    tier = "critical"
    peers = ("ruff:FIX", "ruff:TD001-TD003")
    message = "marker"
    fix = "finish it"


class _Root(DockerfileRule):
    id = "DKR001"
    name = "root-final-stage"
    tier = "expected"
    peers = ("hadolint:DL3002",)
    message = "root"
    fix = "USER app"


PACK = RulePack((_Sql, _Todo, _Root))


def _finding(rule_id: str, path: str, line: int, *evidence: Evidence, end_line: int | None = None, tier: str = "expected") -> Finding:
    return Finding(rule_id, rule_id.lower(), tier, "medium", "medium", path, line, 1, end_line or line, 1, "m", "f", evidence=evidence)


def test_peer_index_reads_exact_prefix_and_range_peers():
    index = peer_index(PACK)
    assert index.standards("bandit", "B608") == ["SQL001"]
    assert index.standards("ruff", "FIX002") == ["QLT001"]
    assert index.standards("ruff", "TD002") == ["QLT001"]
    assert index.standards("ruff", "TD004") == []
    assert index.standards("ruff", "FIXME") == []
    assert index.standards("hadolint", "DL3002") == ["DKR001"]
    assert "checkov:CKV_X" not in index.exact


def test_merge_joins_same_place_and_keeps_one_finding():
    native = [_finding("SQL001", "app/a.py", 10, tier="critical")]
    engine = [
        _finding("bandit:B608", "app/a.py", 10, Evidence("bandit", "B608"), Evidence("ruff", "S608")),
        _finding("semgrep:formatted-sql-query", "app/a.py", 10, Evidence("semgrep", "formatted-sql-query")),
    ]
    merged = merge_engine_findings(native, engine, PACK)
    assert [(f.rule_id, f.path, f.line) for f in merged] == [("SQL001", "app/a.py", 10)]
    assert merged[0].evidence == (
        Evidence("critic", "SQL001"), Evidence("bandit", "B608"), Evidence("ruff", "S608"), Evidence("semgrep", "formatted-sql-query")
    )


def test_merge_joins_engine_line_inside_native_span_and_build_line_above_sink():
    native = [_finding("SQL001", "app/a.py", 20, end_line=23), _finding("SQL001", "app/b.py", 31)]
    engine = [
        _finding("bandit:B608", "app/a.py", 22, Evidence("bandit", "B608")),  # inside 20..23
        _finding("ruff:S608", "app/b.py", 29, Evidence("ruff", "S608")),  # query = f"..." two lines above
    ]
    merged = merge_engine_findings(native, engine, PACK)
    assert [(f.rule_id, f.path, f.line, f.evidence[-1]) for f in merged] == [
        ("SQL001", "app/a.py", 20, Evidence("bandit", "B608")),
        ("SQL001", "app/b.py", 31, Evidence("ruff", "S608")),
    ]


def test_merge_engine_only_findings():
    engine = [
        # critic's SQL001 checked app/a.py and stayed silent: bandit alone is overruled ...
        _finding("bandit:B608", "app/a.py", 5, Evidence("bandit", "B608")),
        # ... critic's own semgrep rule is not
        _finding("semgrep:formatted-sql-query", "app/a.py", 40, Evidence("semgrep", "formatted-sql-query")),
        # an unparsable file was not checked natively: the engines' word stands
        _finding("ruff:S608", "app/broken.py", 3, Evidence("ruff", "S608")),
        # no standard: keeps its own id and tier
        _finding("bandit:B602", "app/a.py", 7, Evidence("bandit", "B602"), tier="critical"),
    ]
    native = [_finding("PRJ003", "app/broken.py", 1)]
    merged = {(f.rule_id, f.path, f.line): f for f in merge_engine_findings(native, engine, PACK)}
    assert set(merged) == {
        ("PRJ003", "app/broken.py", 1),
        ("SQL001", "app/a.py", 40),
        ("SQL001", "app/broken.py", 3),
        ("bandit:B602", "app/a.py", 7),
    }
    sql = merged[("SQL001", "app/a.py", 40)]
    assert (sql.name, sql.tier, sql.message, sql.fix, sql.cwe) == ("sql-string-building", "critical", "SQL built from strings", "Bind parameters.", ("CWE-89",))
    assert sql.evidence == (Evidence("semgrep", "formatted-sql-query"),)
    assert merged[("bandit:B602", "app/a.py", 7)].tier == "critical"
    assert merged[("bandit:B602", "app/a.py", 7)].standard == ENGINE_FAMILY
    assert merged[("PRJ003", "app/broken.py", 1)].evidence == (Evidence("critic", "PRJ003"),)


def test_merge_engine_only_findings_at_one_place_fold_into_one():
    engine = [
        _finding("semgrep:formatted-sql-query", "app/broken.py", 3, Evidence("semgrep", "formatted-sql-query")),
        _finding("bandit:B608", "app/broken.py", 3, Evidence("bandit", "B608"), Evidence("ruff", "S608")),
    ]
    merged = merge_engine_findings([_finding("PRJ003", "app/broken.py", 1)], engine, PACK)
    sql = [f for f in merged if f.rule_id == "SQL001"]
    assert len(sql) == 1 and sql[0].evidence == (
        Evidence("bandit", "B608"), Evidence("ruff", "S608"), Evidence("semgrep", "formatted-sql-query")
    )


# --------------------------------------------------------------------------- real engines
@pytest.fixture(scope="module")
def flawed_report():
    if not FLAWED.is_dir():
        pytest.skip("fixtures/fastapi_flawed is not there")
    return critique([FLAWED], engines=ENGINE_NAMES)


def test_every_engine_ran_with_its_version(flawed_report):
    runs = {e.name: e for e in flawed_report.engines}
    assert sorted(runs) == sorted(ENGINE_NAMES)
    for run_ in runs.values():
        assert run_.status == "ok", run_
        assert run_.version and re.match(r"\d+\.\d+", run_.version), run_
        assert run_.findings > 0 and run_.seconds > 0


def test_merged_evidence_one_finding_per_problem(flawed_report):
    by_place: dict[tuple[str, str, int], list[Finding]] = {}
    for f in flawed_report.findings:
        by_place.setdefault((f.rule_id, f.path, f.line), []).append(f)
    assert all(len(v) == 1 for v in by_place.values())

    service = FLAWED / "app/services/item_service.py"
    line = line_of(service, "exec_driver_sql(")
    sql = by_place[("SQL001", "app/services/item_service.py", line)][0]
    assert {(e.engine, e.rule) for e in sql.evidence} == {
        ("critic", "SQL001"), ("bandit", "B608"), ("ruff", "S608"), ("semgrep", "formatted-sql-query")
    }
    assert sql.evidence[0] == Evidence("critic", "SQL001")

    # built on one line, executed on the next: bandit and ruff join the sink's finding
    report = FLAWED / "app/services/report_service.py"
    sink = line_of(report, "cursor.execute(stmt)")
    assert {(e.engine, e.rule) for e in by_place[("SQL001", "app/services/report_service.py", sink)][0].evidence} == {
        ("critic", "SQL001"), ("bandit", "B608"), ("ruff", "S608")
    }
    assert not any(f.rule_id == "SQL001" and f.path == "app/services/report_service.py" and f.line == sink - 1 for f in flawed_report.findings)
    # constant-only composition (critic-ok: SQL001): bandit and ruff flag it, critic's rule wins
    constant = line_of(report, "BASE_ITEM_QUERY = ")
    assert not [f for f in flawed_report.findings if f.path == "app/services/report_service.py" and f.line == constant]


def test_engine_only_findings_keep_their_own_ids(flawed_report):
    deps = FLAWED / "app/routers/deps.py"
    line = line_of(deps, 'raise HTTPException(status_code=401, detail="Could not validate credentials")')
    b904 = [f for f in flawed_report.findings if f.rule_id == "ruff:B904"]
    assert [(f.path, f.line, f.tier, f.standard) for f in b904] == [("app/routers/deps.py", line, "nice_to_have", ENGINE_FAMILY)]
    assert b904[0].evidence == (Evidence("ruff", "B904"),) and b904[0].fingerprint


def test_no_finding_shows_a_secret(flawed_report):
    text = json.dumps([[f.message, f.snippet] for f in flawed_report.findings])
    assert "supersecretkey123" not in text


def test_engines_write_nothing_into_the_tree(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("import pickle\n\ndef load(data):\n    return pickle.loads(data)\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n", encoding="utf-8")
    files = [FileSummary("app/main.py", "python"), FileSummary("Dockerfile", "dockerfile")]
    findings, runs = run_engines(tmp_path, files, Config(), FAST_ENGINES)
    assert [r.status for r in runs] == ["ok", "ok", "ok"]
    assert {(f.rule_id, f.path, f.line) for f in findings} >= {("bandit:B301", "app/main.py", 4)}
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["Dockerfile", "app", "app/main.py"]


def test_password_checks_skip_token_types_and_test_code(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "app" / "client.py").write_text(
        'from db import connect\n\nconnect(password="bearer")\nconnect(password="realsecret1")\n\n\ndef login(token="bearer"):\n    return connect(token=token)\n',
        encoding="utf-8",
    )
    (tmp_path / "tests" / "conftest.py").write_text('PASSWORD = "testpass123"\n', encoding="utf-8")
    files = [FileSummary("app/client.py", "python"), FileSummary("tests/conftest.py", "python")]
    findings, runs = run_engines(tmp_path, files, Config(), ("ruff", "bandit"))
    assert [(f.rule_id, f.path, f.line) for f in findings] == [("bandit:B106", "app/client.py", 4)]
    (secret,) = findings
    assert secret.evidence == (Evidence("bandit", "B106"), Evidence("ruff", "S106"))
    assert secret.snippet == "connect(password=****)" and "realsecret1" not in secret.message


# --------------------------------------------------------------------------- failures are data
FAKE = """#!/bin/sh
if [ "$1" = "--version" ]; then echo "fake 9.9.9"; exit 0; fi
case "{mode}" in
  hang) sleep 60 & echo $! > "{pidfile}"; sleep 60 ;;
  garbage) echo "this is not JSON at all" ;;
  crash) echo "boom: internal error" >&2; exit 3 ;;
esac
"""


def alive(pid: int) -> bool:
    """Running (a killed orphan may linger as a zombie until PID 1 reaps it: that is dead)."""
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        if state in ("Z", "X"):
            return False
        time.sleep(0.05)
    return True


def _fake(tmp_path: Path, mode: str) -> Path:
    script = tmp_path / f"fake-{mode}"
    script.write_text(FAKE.format(mode=mode, pidfile=tmp_path / "child.pid"), encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture(scope="module")
def almost_clean(tmp_path_factory):
    """fastapi_clean without its HEALTHCHECK: one expected-tier native finding, nothing critical."""
    clean = FIXTURES / "fastapi_clean"
    if not clean.is_dir():
        pytest.skip("fixtures/fastapi_clean is not there")
    root = tmp_path_factory.mktemp("almost-clean") / "svc"
    shutil.copytree(clean, root)
    dockerfile = root / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    dockerfile.write_text(re.sub(r"HEALTHCHECK[^\n]*\\\n[^\n]*\n", "", text), encoding="utf-8")
    native = critique([root], engines=())
    assert native.verdict == "pass_with_warnings" and [f.rule_id for f in native.findings] == ["DKR005"]
    return root, native


@pytest.mark.parametrize(
    ("mode", "status", "reason"),
    [
        ("missing", "missing", "ruff not found"),
        ("garbage", "failed", "not its JSON report"),
        ("crash", "failed", "ruff exited 3: boom: internal error"),
    ],
)
def test_broken_engine_makes_the_verdict_incomplete(almost_clean, tmp_path, monkeypatch, mode, status, reason):
    root, native = almost_clean
    binary = tmp_path / "does-not-exist" if mode == "missing" else _fake(tmp_path, mode)
    monkeypatch.setenv("CRITIC_RUFF_BIN", str(binary))
    report = critique([root], engines=("ruff", "hadolint"))
    runs = {e.name: e for e in report.engines}
    assert runs["ruff"].status == status and reason in runs["ruff"].reason
    assert runs["hadolint"].status == "ok"
    assert report.verdict == "incomplete"
    assert f"engine ruff {status}" in report.summary
    assert [(f.rule_id, f.path, f.line) for f in report.findings] == [(f.rule_id, f.path, f.line) for f in native.findings]


def test_hanging_engine_times_out_and_leaves_no_child(almost_clean, tmp_path, monkeypatch):
    root, native = almost_clean
    monkeypatch.setenv("CRITIC_RUFF_BIN", str(_fake(tmp_path, "hang")))
    started = time.monotonic()
    report = critique([root], Config(engine_timeout=1.5), engines=("ruff",))
    assert time.monotonic() - started < 20
    (ruff_run,) = report.engines
    assert (ruff_run.status, ruff_run.version) == ("timeout", "9.9.9")
    assert "within 1.5s" in ruff_run.reason
    assert report.verdict == "incomplete"
    assert [f.rule_id for f in report.findings] == [f.rule_id for f in native.findings]
    assert not alive(int((tmp_path / "child.pid").read_text()))


def test_process_run_kills_the_whole_group(tmp_path):
    pidfile = tmp_path / "pid"
    done = run(["/bin/sh", "-c", f"sleep 30 & echo $! > {pidfile}; wait"], timeout=0.5)
    assert done.timed_out and done.returncode is None
    assert not alive(int(pidfile.read_text()))


def test_find_binary_prefers_override_then_interpreter(monkeypatch, tmp_path):
    monkeypatch.delenv("CRITIC_RUFF_BIN", raising=False)
    found = find_binary("ruff")
    assert found and Path(found).name == "ruff"
    monkeypatch.setenv("CRITIC_RUFF_BIN", str(tmp_path / "nope"))
    assert find_binary("ruff") is None
    fake = _fake(tmp_path, "garbage")
    monkeypatch.setenv("CRITIC_RUFF_BIN", str(fake))
    assert find_binary("ruff") == str(fake)


def test_adapter_surprised_by_output_is_a_failed_run(monkeypatch, tmp_path):
    (tmp_path / "main.py").write_text("x = 1\n", encoding="utf-8")

    def surprised(text, root):
        raise KeyError("location")

    monkeypatch.setattr(ruff, "parse", surprised)
    findings, runs = run_engines(tmp_path, [FileSummary("main.py", "python")], Config(), ("ruff",))
    assert findings == [] and [(r.status, r.reason) for r in runs] == [("failed", "critic could not read ruff's report: KeyError: 'location'")]


def test_engine_with_nothing_to_check_is_skipped():
    findings, runs = run_engines(FIXTURES, [FileSummary("Dockerfile", "dockerfile")], Config(), ("ruff",))
    assert findings == [] and [(r.name, r.status) for r in runs] == [("ruff", "skipped")]


# --------------------------------------------------------------------------- configuration
def test_engines_option_values():
    assert _engines_arg("all") == ENGINE_NAMES
    assert _engines_arg("fast") == FAST_ENGINES == ("ruff", "bandit", "hadolint")
    assert _engines_arg("none") == ()
    assert _engines_arg("ruff, semgrep") == ("ruff", "semgrep")


def test_engines_option_rejects_unknown_engine(capsys):
    assert main(["check", str(FIXTURES / "fastapi_clean"), "--engines", "ruff,pylint"]) == 2
    assert "unknown engine(s): pylint" in capsys.readouterr().err


def test_engines_from_config(tmp_path):
    (tmp_path / "main.py").write_text("import pickle\npickle.loads(b'')\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent('[tool.critic]\nengines = ["bandit"]\n'), encoding="utf-8")
    report = critique([tmp_path])
    assert [e.name for e in report.engines] == ["bandit"]
    assert ("bandit:B301", "main.py", 2) in {(f.rule_id, f.path, f.line) for f in report.findings}


# --------------------------------------------------------------------------- the fixtures
def _fixture_roots():
    import test_fixtures

    return test_fixtures.ROOTS


@pytest.mark.parametrize("root", _fixture_roots(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_engines_add_no_standard_finding_the_annotations_forbid(root):
    """With the fast engines on, the catalogue's findings are exactly the native ones (the
    engines only add evidence), and no `# critic-ok:` line gets a finding of that id."""
    from critic.testing import read_annotations

    native = critique([root], engines=())
    with_engines = critique([root], engines=FAST_ENGINES)
    assert {e.status for e in with_engines.engines} <= {"ok", "skipped"}, with_engines.engines
    ours = {(f.path, f.line, f.rule_id) for f in with_engines.findings if ":" not in f.rule_id}
    assert ours == {(f.path, f.line, f.rule_id) for f in native.findings}
    forbidden = {(a.path, a.line, a.rule_id) for a in read_annotations(root, list(with_engines.scanned)) if not a.expect}
    assert not {(f.path, f.line, f.rule_id) for f in with_engines.findings} & forbidden
    if root.name == "fastapi_clean":  # the well-built service stays clean with the engines on
        assert with_engines.verdict == "pass", [(f.rule_id, f.path, f.line) for f in with_engines.findings]
