"""Same input, same bytes: JSON and SARIF are byte-identical across runs, working directories,
hash seeds, discovery orders, worker counts and ways of naming the same folder.

The tree is every fixture backend copied side by side (well over the size at which the native
pass goes parallel), so findings of every kind, engines' included, are in play.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from _hostile import critic_cli, run_limited, time_limit
from critic.api import critique
from critic.config import Config
from critic.report import RenderOptions, renderer


@pytest.fixture(autouse=True)
def _bounded():
    """Every test here ends within 600 s, or fails (SIGALRM), rather than hanging the suite."""
    with time_limit(600):
        yield


REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("determinism") / "monorepo"
    root.mkdir()
    for fixture in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        shutil.copytree(fixture, root / fixture.name)
    assert sum(1 for p in root.rglob("*.py")) > 30
    return root


def _outputs(root: Path, run_dir: Path, target: str, cwd: Path, seed: str, engines: str) -> tuple[bytes, bytes]:
    run_dir.mkdir(parents=True, exist_ok=True)
    json_file, sarif_file = run_dir / "out.json", run_dir / "out.sarif"
    done = run_limited(
        critic_cli("check", target, "--root", str(root), "--engines", engines, "--no-cache",
                   "--format", f"json:{json_file}", "--format", f"sarif:{sarif_file}", "--quiet"),
        cwd=cwd, env={"PYTHONHASHSEED": seed}, memory_mb=None, timeout=600,
    )
    assert not done.timed_out and done.returncode == 1, (done.returncode, done.stderr[-2000:])
    return json_file.read_bytes(), sarif_file.read_bytes()


def test_two_runs_with_engines_are_byte_identical(tree, tmp_path):
    """From two working directories, with two hash seeds, naming the root two ways."""
    first = _outputs(tree, tmp_path / "a", str(tree), REPO, "0", "all")
    second = _outputs(tree, tmp_path / "b", ".", tree, "4242", "all")
    assert first[0] == second[0], "JSON differs"
    assert first[1] == second[1], "SARIF differs"
    for data in first:
        text = data.decode("utf-8")
        assert str(tree) not in text and str(tmp_path) not in text, "an absolute path in machine output"
    assert b'"status": "ok"' in first[0] and b'"status": "failed"' not in first[0]


def _native_json(root: Path, config: Config) -> str:
    report = critique([root], config, engines=())
    return renderer("json")(report, RenderOptions()) + renderer("sarif")(report, RenderOptions())


def test_discovery_order_does_not_matter(tree, monkeypatch):
    expected = _native_json(tree, Config(jobs=1))
    real = os.scandir

    class Reversed:
        def __init__(self, path):
            with real(path) as it:
                self.entries = list(reversed(list(it)))

        def __iter__(self):
            return iter(self.entries)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(os, "scandir", Reversed)
    assert _native_json(tree, Config(jobs=1)) == expected


def test_worker_count_does_not_matter(tree):
    assert _native_json(tree, Config(jobs=1)) == _native_json(tree, Config(jobs=2)) == _native_json(tree, Config(jobs=3))


def test_a_copy_elsewhere_gives_the_same_report(tree, tmp_path):
    """Nothing of where the tree lives leaks into the report: a copy at another path is equal."""
    copy = tmp_path / "elsewhere" / "deeper" / "monorepo"
    shutil.copytree(tree, copy)
    assert _native_json(copy, Config(jobs=2)) == _native_json(tree, Config(jobs=2))
