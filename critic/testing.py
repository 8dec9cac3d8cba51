"""Holding rules to their own examples and fixtures to their annotations.

- ``example_findings(rule, example)``: run one rule on one VALID/INVALID example.
- ``read_annotations(root)``: the ``# critic-expect: ID`` / ``# critic-ok: ID`` lines of a
  fixture tree, each resolved to the line it speaks of.
- ``write_tree(root, files)`` and ``found(root, rule_id, files)``: a small tree written for a
  test, and where one rule reports in it.
"""
from __future__ import annotations

import re
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from critic.config import Config
from critic.model import FileSummary, Finding
from critic.registry import RulePack, default_pack
from critic.rule import Invalid, RuleMeta, Valid

DEFAULT_PATHS = {
    "python": "app/example.py",
    "dockerfile": "Dockerfile",
    "compose": "docker-compose.yml",
    "meta": "app/example.py",
}


def example_findings(rule: type[RuleMeta], example: Valid | Invalid, pack: RulePack | None = None) -> list[Finding]:
    """The findings of ``rule`` alone on one example (a snippet, or a whole tree in ``files``)."""
    from critic.api import critique

    pack = pack or default_pack()
    config = Config(select=(rule.id,))
    with tempfile.TemporaryDirectory(prefix="critic-example-") as tmp:
        root = Path(tmp)
        files = dict(example.files or {})
        if not files:
            files[example.path or DEFAULT_PATHS[rule.kind]] = example.code
        for rel, text in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        report = critique([root], config, engines=(), pack=pack, context=example.context)
    return [f for f in report.findings if f.rule_id == rule.id]


def example_problems(rule: type[RuleMeta], pack: RulePack | None = None) -> list[str]:
    """What is wrong with a rule against its own examples (empty when it honours them all)."""
    problems = []
    for index, example in enumerate(rule.VALID):
        found = example_findings(rule, example, pack)
        if found:
            problems.append(f"{rule.id} VALID[{index}] reported: " + "; ".join(f"{f.path}:{f.line} {f.message}" for f in found))
    for index, example in enumerate(rule.INVALID):
        found = example_findings(rule, example, pack)
        if not found:
            problems.append(f"{rule.id} INVALID[{index}] not reported")
        elif example.line is not None and not any(
            f.line == example.line and (example.path is None or f.path == example.path) for f in found
        ):
            problems.append(f"{rule.id} INVALID[{index}] expected at line {example.line}, got " + ", ".join(f"{f.path}:{f.line}" for f in found))
    return problems


# --------------------------------------------------------------------------- annotations
_ANNOTATION = re.compile(r"#\s*critic-(?P<what>expect|ok):\s*(?P<ids>[A-Za-z0-9_:.\-]+(?:\s*,\s*[A-Za-z0-9_:.\-]+)*)")
_ANNOTATED_KINDS = ("python", "dockerfile", "compose", "yaml")


@dataclass(frozen=True, slots=True)
class Annotation:
    path: str
    line: int  # the line it speaks of
    rule_id: str
    expect: bool  # True: must be reported; False: must not be
    at: int  # the line the annotation itself stands on


def read_annotations(root: Path, files: list[FileSummary] | None = None) -> list[Annotation]:
    from critic.discover import classify

    out: list[Annotation] = []
    paths = (
        [f.path for f in files if f.kind in _ANNOTATED_KINDS]
        if files is not None
        else sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and classify(p.name) in _ANNOTATED_KINDS)
    )
    for rel in paths:
        try:
            lines = (root / rel).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        own_line = {i + 1 for i, text in enumerate(lines) if _ANNOTATION.search(text) and text.lstrip().startswith("#")}
        for index, text in enumerate(lines):
            match = _ANNOTATION.search(text)
            if not match:
                continue
            number = index + 1
            if number in own_line:
                target = number + 1
                while target in own_line:
                    target += 1
            else:
                target = number
            for rule_id in match.group("ids").split(","):
                out.append(Annotation(rel, target, rule_id.strip(), match.group("what") == "expect", number))
    return out


def write_tree(root: Path, files: Mapping[str, "str | bytes"], *, dedent: bool = False) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``, folders included; text
    is UTF-8, its line ends as given. ``dedent`` strips a test's indentation and leading blank
    line from each text."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = (textwrap.dedent(content).lstrip("\n") if dedent else content).encode("utf-8")
        path.write_bytes(content)
    return root


def found(root: Path, rule_id: str, files: Mapping[str, str]) -> list[tuple[str, int, str]]:
    """(path, line, rule id) of every finding of ``rule_id`` on ``files`` (dedented) written
    under ``root``, that rule alone, no engines; a scan error fails the test."""
    from critic.api import critique

    write_tree(root, files, dedent=True)
    report = critique([root], Config(select=(rule_id,)), engines=())
    assert not report.errors, report.errors
    return sorted((f.path, f.line, f.rule_id) for f in report.findings if f.rule_id == rule_id)
