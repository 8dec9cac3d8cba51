"""critic's own semgrep rules (rules/semgrep): each has its test file, and passes it.

`semgrep --test --config rules/semgrep rules/semgrep` checks every `# ruleid:` / `# ok:`
annotation of the same-stem .py file; it runs offline (no version check, no metrics).
"""
from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
import yaml

from critic.engines import semgrep
from critic.engines.process import find_binary, run
from critic.merge import peer_index
from critic.registry import default_pack

RULES = Path(__file__).resolve().parent.parent / "rules" / "semgrep"
YAMLS = sorted(RULES.glob("*.yaml"))


def _ids(path: Path) -> list[str]:
    return [rule["id"] for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]]


def test_the_pack_is_there():
    assert [p.name for p in YAMLS] == ["async_blocking_call.yaml", "logger_credential_leak.yaml", "sql_taint.yaml"]
    assert Path(semgrep.rules_dir()) == RULES  # installed as critic.rules package data


@pytest.mark.parametrize("path", YAMLS, ids=lambda p: p.stem)
def test_rule_file_shape(path):
    test_file = path.with_suffix(".py")
    assert test_file.is_file(), f"{path.name} has no same-stem test file"
    text = test_file.read_text(encoding="utf-8")
    for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
        assert "." not in rule["id"], "ids must not contain '.': critic strips semgrep's path prefix at the last '.'"
        assert re.search(rf"#\s*ruleid:\s*{re.escape(rule['id'])}\b", text), f"no `# ruleid: {rule['id']}`"
        assert re.search(rf"#\s*ok:\s*{re.escape(rule['id'])}\b", text), f"no `# ok: {rule['id']}`"
        assert rule["languages"] == ["python"]
        meta = rule["metadata"]
        assert meta["cwe"] and meta["confidence"] in ("HIGH", "MEDIUM", "LOW") and meta["references"]
        assert "; " in " ".join(rule["message"].split()), "message is '<the problem>; <the fix>'"


def test_every_rule_evidences_a_standard():
    """Each semgrep id is named in a critic rule's peers, so its findings merge into it."""
    index = peer_index(default_pack())
    for path in YAMLS:
        for rule_id in _ids(path):
            assert index.standards("semgrep", rule_id), f"semgrep:{rule_id} is in no rule's peers"


def test_semgrep_test_passes():
    binary = find_binary("semgrep")
    if binary is None:
        pytest.skip("semgrep is not installed")
    with tempfile.TemporaryDirectory() as workdir:
        argv = [binary, "--test", "--json", "--metrics=off", "--config", str(RULES), str(RULES)]
        done = run(argv, timeout=180, env=semgrep.environment(workdir))
    assert not done.timed_out
    report = json.loads(done.stdout)
    assert report["config_with_errors"] == [] and report["config_missing_tests"] == []
    checks = {rule_id: check for result in report["results"].values() for rule_id, check in result["checks"].items()}
    assert sorted(checks) == sorted(i for p in YAMLS for i in _ids(p))
    for rule_id, check in checks.items():
        assert check["passed"], f"{rule_id}: {check['matches']}"
        (matches,) = check["matches"].values()
        assert matches["expected_lines"], f"{rule_id} has no positive test"
    assert done.returncode == 0
