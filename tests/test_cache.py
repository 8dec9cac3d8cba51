"""The result cache: same findings, only changed files re-analyzed, bad entries are misses,
concurrent runs never corrupt it, and it lives outside the scanned tree."""
from __future__ import annotations

import multiprocessing
import os
from dataclasses import replace
from pathlib import Path

import pytest

import critic.runner as runner
from critic.api import critique
from critic.cache import FileCache, default_cache_dir, run_salt
from critic.cli import main
from critic.config import Config
from critic.model import FileSummary
from critic.registry import default_pack

ROUTER = '''from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

router = APIRouter()


@router.get("/items")
def list_items(db: Session = Depends(get_db)):
    return db.query(Item).all()


def search(db, term):
    return db.execute(f"SELECT * FROM items WHERE name = '{term}'")
'''
SERVICE = '''import logging

logger = logging.getLogger(__name__)


def login(user, password):
    logger.info(f"login {user} with {password}")  # a secret in the logs
    try:
        return check(user, password)
    except:
        pass
'''
CONFIG = 'SECRET_KEY = "super-secret-value-123456"\nDEBUG = True\n'
DOCKERFILE = "FROM python:latest\nCOPY . .\nCMD python app.py\n"
COMPOSE = "services:\n  db:\n    image: postgres\n    environment:\n      POSTGRES_PASSWORD: hunter2hunter2\n"


def _tree(root: Path) -> Path:
    files = {
        "app/__init__.py": "",
        "app/routers/items.py": ROUTER,
        "app/services/auth.py": SERVICE,
        "app/config.py": CONFIG,
        "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI(debug=True)\n",
        "Dockerfile": DOCKERFILE,
        "docker-compose.yml": COMPOSE,
        "tests/test_items.py": "def test_it():\n    assert True\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    return _tree(tmp_path / "project")


@pytest.fixture()
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture()
def analyzed(monkeypatch) -> list[str]:
    """The paths analyze_file is called on (the runner's own reference, monkeypatched)."""
    calls: list[str] = []
    real = runner.analyze_file

    def counting(root, summary, *args, **kwargs):
        calls.append(summary.path)
        return real(root, summary, *args, **kwargs)

    monkeypatch.setattr(runner, "analyze_file", counting)
    return calls


def _run(tree: Path, cache_dir: Path | None, **kwargs):
    return critique([tree], Config(jobs=1), engines=(), cache=cache_dir if cache_dir is not None else None, **kwargs)


def _entries(cache_dir: Path) -> list[Path]:
    return sorted(p for p in cache_dir.rglob("*") if p.is_file() and not p.name.startswith("."))


def _located(report) -> list[tuple[str, int, str]]:
    return [(f.path, f.line, f.rule_id) for f in report.findings]


def test_second_run_reads_every_result_back_and_reports_the_same(tree, cache_dir, analyzed):
    first = _run(tree, cache_dir)
    parsed = sorted(f.path for f in first.scanned if f.kind in ("python", "dockerfile", "compose"))
    assert sorted(analyzed) == parsed
    assert len(_entries(cache_dir)) == len(parsed)
    # the tree is flawed in the ways it was written to be
    assert ("app/routers/items.py", 13, "SQL001") in _located(first)
    assert ("app/services/auth.py", 7, "SEC001") in _located(first)
    assert ("app/config.py", 1, "SEC002") in _located(first)

    analyzed.clear()
    second = _run(tree, cache_dir)
    assert analyzed == []  # nothing re-analyzed
    assert second.findings == first.findings  # messages, snippets, masks, fingerprints: all of it
    assert second.errors == first.errors
    assert second.verdict == first.verdict
    uncached = _run(tree, None)
    assert uncached.findings == first.findings


def test_a_changed_file_is_analyzed_again_and_only_it(tree, cache_dir, analyzed):
    _run(tree, cache_dir)
    analyzed.clear()
    service = tree / "app/services/auth.py"
    service.write_text(SERVICE.replace("logger.info(f\"login {user} with {password}\")", "logger.info(\"login %s\", user)"), encoding="utf-8")
    report = _run(tree, cache_dir)
    assert analyzed == ["app/services/auth.py"]
    assert ("app/services/auth.py", 7, "SEC001") not in _located(report)
    assert ("app/routers/items.py", 13, "SQL001") in _located(report)  # from the cache
    # a new file is analyzed; the project rules still see every file's facts
    analyzed.clear()
    (tree / "app/routers/health.py").write_text(
        'from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get("/health")\ndef health():\n    return {"ok": True}\n',
        encoding="utf-8",
    )
    with_health = _run(tree, cache_dir)
    assert analyzed == ["app/routers/health.py"]
    assert "API006" in {f.rule_id for f in report.findings}
    assert "API006" not in {f.rule_id for f in with_health.findings}


def test_results_depend_on_rules_and_config_not_just_content(tree, cache_dir, analyzed):
    pack = default_pack()
    assert run_salt(pack, Config()) == run_salt(pack, Config(jobs=4, tiers={"SQL001": "expected"}))
    assert run_salt(pack, Config()) != run_salt(pack, Config(select=("SQL",)))
    assert run_salt(pack, Config()) != run_salt(pack, Config(options={"SEC002": {"x": 1}}))
    assert run_salt(pack, Config()) != run_salt(pack, Config(max_file_bytes=10))
    _run(tree, cache_dir)
    analyzed.clear()
    narrowed = critique([tree], Config(jobs=1, select=("SQL",)), engines=(), cache=cache_dir)
    assert len(analyzed) > 0  # other rules, other salt: nothing reused
    assert {f.rule_id for f in narrowed.findings} <= {"SQL001", "CRT001", "CRT002"}
    # the same bytes at another path are another file
    bound = FileCache(cache_dir).bind(pack, Config())
    assert bound.key(FileSummary("a.py", "python"), b"x = 1\n") != bound.key(FileSummary("b.py", "python"), b"x = 1\n")


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: b"",
        lambda blob: blob[: len(blob) // 2],
        lambda blob: blob[:-1] + bytes([blob[-1] ^ 0xFF]),
        lambda blob: b"not a cache entry at all",
        lambda blob: blob[:4] + b"\x00" * (len(blob) - 4),
    ],
    ids=["empty", "truncated", "flipped-bit", "garbage", "zeroed"],
)
def test_a_corrupted_entry_is_a_miss_never_a_crash(tree, cache_dir, analyzed, damage):
    first = _run(tree, cache_dir)
    for entry in _entries(cache_dir):
        entry.write_bytes(damage(entry.read_bytes()))
    analyzed.clear()
    second = _run(tree, cache_dir)
    assert sorted(analyzed) == sorted(f.path for f in first.scanned if f.kind in ("python", "dockerfile", "compose"))
    assert second.findings == first.findings
    assert second.errors == first.errors
    analyzed.clear()
    _run(tree, cache_dir)  # rewritten: good again
    assert analyzed == []


def test_an_entry_well_framed_but_of_another_shape_is_a_miss(tree, cache_dir, analyzed):
    _run(tree, cache_dir)
    bound = FileCache(cache_dir).bind(default_pack(), Config(jobs=1))
    summary = FileSummary("app/config.py", "python")
    key = bound.key(summary, (tree / "app/config.py").read_bytes())
    import marshal

    bound.put_payload(key, marshal.dumps(("app/config.py", "python", (("too", "short"),), (), (), ())))
    assert bound.get(key, summary) is None
    bound.put_payload(key, marshal.dumps(("another/path.py", "python", (), (), (), ())))
    assert bound.get(key, summary) is None
    analyzed.clear()
    _run(tree, cache_dir)
    assert analyzed == ["app/config.py"]


def _hammer(cache_dir: str, tree: str, rounds: int) -> None:
    for _ in range(rounds):
        critique([Path(tree)], Config(jobs=1), engines=(), cache=Path(cache_dir))


def _writer(cache_dir: str, tree: str, rounds: int) -> None:
    """Rewrite every entry of the tree, over and over (what two runs racing on one key do)."""
    pack, config = default_pack(), Config(jobs=1)
    bound = FileCache(Path(cache_dir)).bind(pack, config)
    results = runner.analyze_files(Path(tree), [FileSummary("app/routers/items.py", "python")], pack, config)
    data = (Path(tree) / "app/routers/items.py").read_bytes()
    key = bound.key(FileSummary("app/routers/items.py", "python"), data)
    for _ in range(rounds):
        bound.put(key, results[0])


def test_concurrent_writers_never_corrupt_the_cache(tree, cache_dir):
    ctx = multiprocessing.get_context("fork")
    expected = _run(tree, None)
    # two whole runs at once, several times over, on a cold cache
    procs = [ctx.Process(target=_hammer, args=(str(cache_dir), str(tree), 3)) for _ in range(2)]
    # and two processes rewriting one entry while this one reads it
    procs += [ctx.Process(target=_writer, args=(str(cache_dir), str(tree), 300)) for _ in range(2)]
    for proc in procs:
        proc.start()
    pack, config = default_pack(), Config(jobs=1)
    bound = FileCache(cache_dir).bind(pack, config)
    summary = FileSummary("app/routers/items.py", "python")
    key = bound.key(summary, (tree / "app/routers/items.py").read_bytes())
    fresh = runner.analyze_files(tree, [summary], pack, config)[0]
    seen = 0
    while any(p.is_alive() for p in procs):
        got = bound.get(key, summary)
        assert got is None or got == fresh  # never a torn or mixed entry
        seen += got is not None
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    assert seen > 0
    assert bound.stats.bad == 0
    assert not [p for p in cache_dir.rglob(".tmp-*")]  # no temporary file left behind
    final = _run(tree, cache_dir)
    assert final.findings == expected.findings


def test_cache_lives_outside_the_tree_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("CRITIC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "critic"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "critic"
    monkeypatch.setenv("CRITIC_CACHE_DIR", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"


def test_cli_cache_dir_and_no_cache(tree, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CRITIC_NO_CACHE", raising=False)
    monkeypatch.setenv("CRITIC_CACHE_DIR", str(tmp_path / "by-env"))
    assert main(["check", str(tree), "--engines", "none", "--format", "json", "--no-cache"]) in (0, 1)
    assert not (tmp_path / "by-env").exists()
    assert main(["check", str(tree), "--engines", "none", "--format", "json"]) in (0, 1)
    assert _entries(tmp_path / "by-env")
    assert main(["check", str(tree), "--engines", "none", "--format", "json", "--cache-dir", str(tmp_path / "flag")]) in (0, 1)
    assert _entries(tmp_path / "flag")
    before = set(p.relative_to(tree) for p in tree.rglob("*"))
    inside = tree / ".critic-cache"
    for _ in range(2):  # the second run would find the first one's entries, were they scanned
        capsys.readouterr()
        assert main(["check", str(tree), "--engines", "none", "--format", "json", "--cache-dir", str(inside)]) in (0, 1)
    assert _entries(inside)
    out = capsys.readouterr().out
    assert ".critic-cache" not in out  # a cache folder put inside the tree is not scanned
    assert set(p.relative_to(tree) for p in tree.rglob("*") if ".critic-cache" not in p.parts) == before


def test_engine_results_are_cached_per_file(tree, cache_dir, monkeypatch):
    from critic.engines import adapters
    from critic.engines.process import find_binary

    if find_binary("ruff") is None:
        pytest.skip("ruff is not installed")
    import critic.engines as engines

    sent: list[list[str]] = []
    real = engines.run_engine

    def spy(adapter, root, files, config):
        sent.append(sorted(f.path for f in files if f.kind in adapter.KINDS))
        return real(adapter, root, files, config)

    monkeypatch.setattr(engines, "run_engine", spy)
    assert "ruff" in adapters()
    first = critique([tree], Config(jobs=1), engines=("ruff",), cache=cache_dir)
    assert sent == [["app/__init__.py", "app/config.py", "app/main.py", "app/routers/items.py", "app/services/auth.py", "tests/test_items.py"]]
    run = next(e for e in first.engines if e.name == "ruff")
    assert run.status == "ok"
    sent.clear()
    second = critique([tree], Config(jobs=1), engines=("ruff",), cache=cache_dir)
    assert sent == []  # every file's ruff results from the cache
    assert [replace(f, fingerprint="") for f in second.findings] == [replace(f, fingerprint="") for f in first.findings]
    assert next(e for e in second.engines if e.name == "ruff").status == "ok"
    (tree / "app/main.py").write_text("import os\nfrom fastapi import FastAPI\n\napp = FastAPI()\n", encoding="utf-8")
    critique([tree], Config(jobs=1), engines=("ruff",), cache=cache_dir)
    assert sent == [["app/main.py"]]


def test_parallel_and_serial_passes_agree_cached_or_not(tmp_path, cache_dir):
    """Results come back in the files' order however they were produced."""
    root = tmp_path / "big"
    for i in range(30):
        _tree(root / f"svc{i:02d}")
    serial = critique([root], Config(jobs=1), engines=())
    parallel = critique([root], Config(jobs=2), engines=(), cache=cache_dir)
    cached = critique([root], Config(jobs=2), engines=(), cache=cache_dir)
    assert parallel.findings == serial.findings
    assert cached.findings == serial.findings
    files = [FileSummary(f.path, f.kind) for f in serial.scanned]
    pack, config = default_pack(), Config(jobs=2)
    results = runner.analyze_files(root, files, pack, config, cache=FileCache(cache_dir))
    assert [r.path for r in results] == [f.path for f in files if f.kind in ("python", "dockerfile", "compose")]


def test_cache_env_default_is_off_in_the_api(tree, tmp_path, monkeypatch):
    monkeypatch.setenv("CRITIC_CACHE_DIR", str(tmp_path / "env-cache"))
    _run(tree, None)
    assert not (tmp_path / "env-cache").exists()
    critique([tree], Config(jobs=1), engines=(), cache=True)
    assert _entries(tmp_path / "env-cache")
    assert os.path.isdir(tmp_path / "env-cache")
