"""The engine on its own, with a tiny rule pack defined here: suppressions, config, verdicts."""
from __future__ import annotations

import json

import jsonschema
import libcst as cst
import pytest

from critic.api import UsageError, critique
from critic.cli import main
from critic.config import Config, ConfigError, config_from_mapping, load_config
from critic.registry import RulePack
from critic.rule import DockerfileRule, Invalid, PythonRule, Valid
from critic.task import verdict_schema
from critic.testing import write_tree


class PrintCall(PythonRule):
    """
    ## What it does
    Reports print().
    ## Why is this bad?
    Test rule.
    ## Example
        print(1)
    ## Use instead
        log(1)
    """

    id = "TST001"
    name = "print-call"
    tier = "expected"
    sources = ("test",)
    message = "print() call"
    fix = "Use logging."
    VALID = (Valid("log(1)\n"),)
    INVALID = (Invalid("print(1)\n", line=1),)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "print":
            self.report(node)


class Crashes(PythonRule):
    """
    ## What it does
    Crashes on every module.
    """

    id = "TST002"
    name = "crashes"
    tier = "critical"
    sources = ("test",)
    message = "never"
    fix = "never"

    def visit_Module(self, node: cst.Module) -> None:
        raise RuntimeError("boom")


class NoUser(DockerfileRule):
    """
    ## What it does
    Reports a Dockerfile without USER.
    """

    id = "TST003"
    name = "no-user"
    tier = "critical"
    sources = ("test",)
    message = "no USER"
    fix = "add USER"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = False

    def step(self, instruction):
        self.seen = self.seen or instruction.keyword == "USER"

    def finish(self):
        if not self.seen and self.dockerfile.final_stage:
            self.report(self.dockerfile.final_stage.line)


PACK = RulePack((PrintCall, NoUser))


def _found(report):
    return [(f.path, f.line, f.rule_id) for f in report.findings]


def test_findings_are_located_and_sorted(tmp_path):
    write_tree(tmp_path, {"b.py": "x = 1\nprint(x)\n", "a.py": "print(1)\n", "Dockerfile": "FROM python:3.12-slim\nCMD x\n"})
    report = critique([tmp_path], engines=(), pack=PACK)
    assert _found(report) == [("Dockerfile", 1, "TST003"), ("a.py", 1, "TST001"), ("b.py", 2, "TST001")]
    assert report.verdict == "fail"
    assert dict(report.counts) == {"critical": 1, "expected": 2, "nice_to_have": 0}
    assert report.findings[2].snippet == "print(x)"
    assert report.findings[2].column == 1 and report.findings[2].end_column == 9


def test_inline_suppressions_in_python_and_dockerfile(tmp_path):
    write_tree(
        tmp_path,
        {
            "a.py": "print(1)  # critic: ignore[TST001] demo output\n# critic: ignore[TST001] next line\nprint(2)\nprint(3)\n",
            "Dockerfile": "# critic: ignore[TST003] base image sets the user\nFROM python:3.12-slim\n",
        },
    )
    report = critique([tmp_path], engines=(), pack=PACK)
    assert _found(report) == [("a.py", 4, "TST001")]
    assert report.suppressed == 3
    assert report.verdict == "pass_with_warnings"


def test_suppression_without_reason_and_stale_suppression(tmp_path):
    write_tree(tmp_path, {"a.py": "print(1)  # critic: ignore[TST001]\nx = 2  # critic: ignore[TST001] old\n"})
    report = critique([tmp_path], engines=(), pack=PACK)
    assert _found(report) == [("a.py", 1, "CRT001"), ("a.py", 2, "CRT002")]


def test_suppression_of_a_rule_that_did_not_run_is_not_stale(tmp_path):
    write_tree(tmp_path, {"a.py": "x = 2  # critic: ignore[SQL001] constant\n"})
    report = critique([tmp_path], Config(select=("TST",)), engines=(), pack=PACK)
    assert _found(report) == []


def test_select_ignore_tiers_and_per_file_ignores(tmp_path):
    write_tree(tmp_path, {"a.py": "print(1)\n", "tests/test_a.py": "print(2)\n", "Dockerfile": "FROM x:1\n"})
    report = critique([tmp_path], Config(ignore=("TST003",), tiers={"TST001": "critical"}, per_file_ignores={"tests/*": ("TST001",)}), engines=(), pack=PACK)
    assert [(f.path, f.rule_id, f.tier) for f in report.findings] == [("a.py", "TST001", "critical")]
    assert report.verdict == "fail"


def test_a_crashing_rule_is_reported_and_the_others_still_run(tmp_path):
    write_tree(tmp_path, {"a.py": "print(1)\n"})
    report = critique([tmp_path], engines=(), pack=RulePack((PrintCall, Crashes)))
    assert _found(report) == [("a.py", 1, "TST001")]
    assert len(report.errors) == 1 and "TST002" in report.errors[0].message and "boom" in report.errors[0].message
    assert report.verdict == "incomplete"


def test_config_from_pyproject_and_critic_toml(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": '[tool.critic]\nignore = ["SQL001"]\ntiers = { API002 = "critical" }\n'})
    config = load_config(tmp_path)
    assert config.ignore == ("SQL001",) and config.tiers == {"API002": "critical"}
    write_tree(tmp_path, {"critic.toml": 'select = ["DKR"]\n'})
    assert load_config(tmp_path).select == ("DKR",)


@pytest.mark.parametrize(
    "table,needle",
    [({"selcet": ["X"]}, "unknown key"), ({"tiers": {"X": "urgent"}}, "tier"), ({"engines": ["pylint"]}, "unknown engine")],
)
def test_config_errors(table, needle):
    with pytest.raises(ConfigError, match=needle):
        config_from_mapping(table)


def test_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError):
        critique([tmp_path / "nope"], engines=(), pack=PACK)
    assert main(["check", str(tmp_path / "nope"), "--engines", "none"]) == 2


def test_same_input_same_bytes(tmp_path, capsys):
    write_tree(tmp_path, {"a.py": "print(1)\n", "sub/b.py": "print(2)\n"})
    assert main(["check", str(tmp_path), "--format", "json", "--engines", "none"]) in (0, 1)
    first = capsys.readouterr().out
    assert main(["check", str(tmp_path), "--format", "json", "--engines", "none"]) in (0, 1)
    assert capsys.readouterr().out == first
    assert str(tmp_path) not in first
    jsonschema.validate(json.loads(first), verdict_schema())
