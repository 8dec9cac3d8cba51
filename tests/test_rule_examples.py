"""Every rule honours its own VALID and INVALID examples, and documents itself fully."""
from __future__ import annotations

import pytest

from critic.registry import default_pack
from critic.testing import example_problems

PACK = default_pack()
RULES = [PACK.by_id[i] for i in PACK.ids()]
SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_examples(rule):
    assert example_problems(rule, PACK) == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule):
    docs = rule.docs()
    missing = [s for s in SECTIONS if not docs.get(s, "").strip()]
    assert missing == [], f"{rule.id} lacks doc sections {missing}"
    assert rule.message and rule.fix and rule.sources
    assert rule.tier in ("critical", "expected", "nice_to_have")
    if rule.kind != "meta":
        assert rule.INVALID, f"{rule.id} has no INVALID example"
        assert rule.VALID, f"{rule.id} has no VALID example"
