"""The rule model: what every rule declares, and the four kinds of rule critic runs.

- ``PythonRule``: a libcst visitor; all Python rules of a file share one batched traversal.
- ``DockerfileRule``: a fold over instructions (``step`` per instruction, ``finish`` at the end).
- ``ComposeRule``: a check over one parsed compose document.
- ``ProjectRule``: a check over the facts the per-file pass gathered for the whole tree.

A rule reports ``Report`` records (a location, a message, a fix); the runner turns them into
``Finding`` objects. A rule knows nothing about files on disk, configuration or output.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Mapping

import libcst as cst

from critic.model import Fact, Span

if TYPE_CHECKING:  # pragma: no cover
    from critic.parsers.dockerfile import Dockerfile, Instruction
    from critic.parsers.yaml_doc import Node, YamlDoc
    from critic.project import Project


# --------------------------------------------------------------------------- examples
@dataclass(frozen=True, slots=True)
class Valid:
    """Code the rule must accept. ``files`` (for project rules) is a whole tree."""

    code: str = ""
    path: str | None = None
    files: Mapping[str, str] | None = None
    #: for project rules: the project context (a task's include_docker, handoff, spec...)
    context: Mapping[str, object] | None = None


@dataclass(frozen=True, slots=True)
class Invalid:
    """Code the rule must report; ``line`` (1-based), when given, is where."""

    code: str = ""
    line: int | None = None
    path: str | None = None
    files: Mapping[str, str] | None = None
    #: for project rules: the project context (a task's include_docker, handoff, spec...)
    context: Mapping[str, object] | None = None


# --------------------------------------------------------------------------- reports
@dataclass(frozen=True, slots=True)
class Report:
    """One problem a rule saw, before the runner turns it into a Finding."""

    rule_id: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    fix: str
    secret_spans: tuple[Span, ...] = ()
    path: str | None = None  # project rules name the file; file rules leave it None


_SECTION = re.compile(r"^\s*##\s+(.+?)\s*$", re.MULTILINE)


class RuleMeta:
    """What every rule declares. Subclasses set the class attributes."""

    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    tier: ClassVar[str] = "expected"
    severity: ClassVar[str] = "medium"
    confidence: ClassVar[str] = "high"
    sources: ClassVar[tuple[str, ...]] = ()
    peers: ClassVar[tuple[str, ...]] = ()
    cwe: ClassVar[tuple[str, ...]] = ()
    owasp: ClassVar[tuple[str, ...]] = ()
    #: The default message (the problem) and fix (what to do); ``report`` may override both.
    message: ClassVar[str] = ""
    fix: ClassVar[str] = ""
    VALID: ClassVar[tuple[Valid, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()
    #: "python" | "dockerfile" | "compose" | "project"
    kind: ClassVar[str] = ""

    @classmethod
    def docs(cls) -> dict[str, str]:
        """The ruff-style sections of the docstring: What it does, Why is this bad?, ..."""
        text = _dedent(cls.__doc__ or "")
        sections: dict[str, str] = {}
        marks = list(_SECTION.finditer(text))
        for index, mark in enumerate(marks):
            end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
            sections[mark.group(1)] = text[mark.end() : end].strip("\n")
        return sections

    @classmethod
    def summary(cls) -> str:
        what = cls.docs().get("What it does", "").strip()
        return " ".join(what.split())


def _dedent(text: str) -> str:
    lines = text.expandtabs().splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    cut = min(indents) if indents else 0
    return "\n".join([lines[0].strip()] + [line[cut:] for line in lines[1:]]) if lines else ""


class _Reporter:
    """Collects a rule's reports; shared by every kind of rule."""

    def __init__(self) -> None:
        self.reports: list[Report] = []

    def _add(
        self,
        rule: type[RuleMeta],
        line: int,
        column: int,
        end_line: int,
        end_column: int,
        message: str | None,
        fix: str | None,
        secret_spans: tuple[Span, ...] = (),
        path: str | None = None,
    ) -> None:
        self.reports.append(
            Report(
                rule_id=rule.id,
                line=max(1, line),
                column=max(1, column),
                end_line=max(line, end_line),
                end_column=max(1, end_column),
                message=message or rule.message,
                fix=fix or rule.fix,
                secret_spans=secret_spans,
                path=path,
            )
        )


# --------------------------------------------------------------------------- python
@dataclass(frozen=True, slots=True)
class PythonFile:
    """What a Python rule may know about the file it visits."""

    path: str  # relative, POSIX
    text: str
    options: Mapping[str, object] = field(default_factory=dict)

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.path.split("/"))

    @property
    def is_test(self) -> bool:
        name = self.parts[-1]
        return (
            "tests" in self.parts[:-1]
            or "test" in self.parts[:-1]
            or name.startswith("test_")
            or name.endswith("_test.py")
            or name in ("conftest.py", "tests.py")  # tests.py: Django's per-app test module
        )


class PythonVisitor(cst.BatchableCSTVisitor):
    """A visitor in the batched traversal that may report and record facts.

    Nodes are stored as they are reported; their positions are resolved once after the
    traversal, and only when something was reported, so a clean file never pays for it.
    """

    _visitor_names: ClassVar[dict[type, tuple[str, ...]]] = {}

    def __init__(self, file: PythonFile) -> None:
        super().__init__()
        self.file = file
        self.pending: list[tuple[str, cst.CSTNode, str | None, str | None, tuple[cst.CSTNode, ...], str | None]] = []
        self.pending_facts: list[tuple[str, cst.CSTNode | None, dict[str, object]]] = []

    def get_visitors(self):  # the same names for every instance of a class: look them up once
        cls = type(self)
        names = PythonVisitor._visitor_names.get(cls)
        if names is None:
            names = tuple(
                name
                for name in dir(cls)
                if (name.startswith("visit_") or name.startswith("leave_"))
                and callable(getattr(cls, name))
                and not getattr(getattr(cls, name), "_is_no_op", False)
            )
            PythonVisitor._visitor_names[cls] = names
        return {name: getattr(self, name) for name in names}

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        fix: str | None = None,
        *,
        secrets: tuple[cst.CSTNode, ...] = (),
        rule_id: str | None = None,
        line_offset: int = 0,
    ) -> None:
        """Report ``node``; ``secrets`` are nodes whose text must be masked in any output.

        ``line_offset`` > 0 reports the line that many lines below the node's first line
        (a line inside a multi-line string, such as a docstring), at column 1.
        """
        self.pending.append((rule_id or "", node, message, fix, tuple(secrets), line_offset or None))

    def fact(self, kind: str, node: cst.CSTNode | None, /, **data: object) -> None:
        """Record a fact for the project-level rules, located at ``node`` (or line 1)."""
        self.pending_facts.append((kind, node, data))


class PythonRule(RuleMeta, PythonVisitor):
    kind = "python"


# --------------------------------------------------------------------------- dockerfile
class DockerfileRule(RuleMeta, _Reporter):
    """A fold over a Dockerfile: ``start`` once, ``step`` per instruction, ``finish`` at the end."""

    kind = "dockerfile"

    def __init__(
        self,
        path: str,
        dockerfile: "Dockerfile",
        options: Mapping[str, object] | None = None,
        lines: "tuple[str, ...] | list[str] | None" = None,
    ) -> None:
        _Reporter.__init__(self)
        self.path = path
        self.dockerfile = dockerfile
        self.options = options or {}
        #: The file's physical lines (as findings' snippets see them), for locating values to mask.
        self.lines = tuple(lines or ())

    def step(self, instruction: "Instruction") -> None:
        pass

    def finish(self) -> None:
        pass

    def report(
        self,
        line: int,
        message: str | None = None,
        fix: str | None = None,
        *,
        column: int = 1,
        end_line: int | None = None,
        end_column: int | None = None,
        secret_spans: tuple[Span, ...] = (),
    ) -> None:
        self._add(type(self), line, column, end_line or line, end_column or column, message, fix, secret_spans)

    def report_instruction(
        self, instruction: "Instruction", message: str | None = None, fix: str | None = None, *, secret_spans: tuple[Span, ...] = ()
    ) -> None:
        self.report(
            instruction.line,
            message,
            fix,
            column=instruction.column,
            end_line=instruction.end_line,
            secret_spans=secret_spans,
        )


# --------------------------------------------------------------------------- compose
class ComposeRule(RuleMeta, _Reporter):
    """A check over one compose document. ``check`` is called only when it parsed to a mapping."""

    kind = "compose"

    def __init__(self, path: str, doc: "YamlDoc", options: Mapping[str, object] | None = None) -> None:
        _Reporter.__init__(self)
        self.path = path
        self.doc = doc
        self.options = options or {}

    def check(self, root: "Node") -> None:
        raise NotImplementedError(f"{type(self).__name__} must define check()")

    def report(
        self,
        node: "Node | int",
        message: str | None = None,
        fix: str | None = None,
        *,
        at_key: bool = True,
        secret_spans: tuple[Span, ...] = (),
    ) -> None:
        """Report at a node (at its key's line when it is a mapping value) or at a line number."""
        if isinstance(node, int):
            self._add(type(self), node, 1, node, 1, message, fix, secret_spans)
            return
        line = node.key_line if at_key and node.key_line else node.line
        self._add(type(self), line, node.column if line == node.line else 1, max(line, node.end_line), 1, message, fix, secret_spans)


# --------------------------------------------------------------------------- project
class ProjectRule(RuleMeta, _Reporter):
    """A check over the whole scanned tree, from the facts of every file."""

    kind = "project"

    def __init__(self, project: "Project", options: Mapping[str, object] | None = None) -> None:
        _Reporter.__init__(self)
        self.project = project
        self.options = options or {}

    def check(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define check()")

    def report(
        self,
        path: str,
        line: int = 1,
        message: str | None = None,
        fix: str | None = None,
        *,
        column: int = 1,
        end_line: int | None = None,
        end_column: int | None = None,
    ) -> None:
        self._add(type(self), line, column, end_line or line, end_column or column, message, fix, (), path)

    def report_fact(self, fact: Fact, message: str | None = None, fix: str | None = None) -> None:
        column = int(fact.get("column", 1) or 1)
        self.report(fact.path, fact.line, message, fix, column=column, end_line=int(fact.get("end_line", fact.line) or fact.line))
