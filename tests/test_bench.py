"""bench/generate.py writes a tree critic can check: every file parses, the planted flaws are
found, and nothing is reported as unreadable or crashed. Small and fast: the benchmark itself
(bench/run.py) is run by hand, never here."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

from critic.api import critique
from critic.config import Config

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402


def test_generated_tree_is_checkable_and_flawed(tmp_path):
    out = generate.generate(120, tmp_path / "tree", seed=3)
    files = [p for p in out.rglob("*") if p.is_file() and p.name != ".bench-tree.json"]
    assert len(files) == 121  # 120 generated + the root .gitignore
    for path in out.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    report = critique([out], Config(jobs=1), engines=())
    assert report.errors == ()
    assert not [f for f in report.findings if f.rule_id == "PRJ003"]  # every file parsed
    found = {f.rule_id for f in report.findings}
    assert {"DB002", "API007"} <= found  # flaws are sprinkled in
    kinds = {f.kind for f in report.scanned}
    assert {"python", "dockerfile", "compose"} <= kinds


def test_generation_is_deterministic_and_reused(tmp_path):
    first = generate.generate(60, tmp_path / "a", seed=1)
    second = generate.generate(60, tmp_path / "b", seed=1)
    def snapshot(root):
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert snapshot(first) == snapshot(second)
    marker = first / ".bench-tree.json"
    stamp = marker.stat().st_mtime_ns
    generate.generate(60, first, seed=1)  # the same tree is already there: not rewritten
    assert marker.stat().st_mtime_ns == stamp


def test_every_template_parses_with_every_flaw_on_and_off():
    """All of the generator's code, FastAPI and Flask, flawed and clean (a size-limited tree
    might not reach some of it)."""
    for flask in (False, True):
        for flawed in (False, True):
            fields = [("name", "str", "String(255)", '"x"'), ("amount", "Decimal", "Numeric(12, 2)", "1"),
                      ("starts_at", "datetime", "DateTime(timezone=True)", "now")]
            entities = [
                generate.Entity(name, fields, "order" if i else None, set(generate.ENTITY_FLAWS) if flawed else set())
                for i, name in enumerate(("order", "order_line", "category"))
            ]
            service = generate.Service("orders_svc_0000", "orders", flask, entities, set(generate.SERVICE_FLAWS) if flawed else set())
            for rel, text in generate.service_files(service).items():
                if rel.endswith(".py"):
                    ast.parse(text, filename=rel)
