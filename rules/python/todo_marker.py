"""QLT001: TODO/FIXME/XXX/HACK markers left in delivered code (Python; see also the Dockerfile
and compose variants in rules/dockerfile/todo_marker.py and rules/compose/todo_marker.py)."""
from __future__ import annotations

import re

import libcst as cst

from critic.rule import Invalid, PythonRule, Valid

# A marker opens the comment (after any extra '#'). Upper-case markers may be followed by a
# space; any other spelling needs ':' or '(' ("# todo: x", "# Fixme(bob)"), so that prose such
# as "# Todo list endpoints" in a to-do app is not a marker.
_COMMENT_MARKER = re.compile(
    r"^[#\s]*(?:(?P<upper>TODO|FIXME|XXX|HACK)(?=[\s:(?!]|$)|(?P<any>(?i:todo|fixme|xxx|hack))(?=\s*[:(])|(?P<fixme>(?i:fixme))(?=\s|$))"
)
# In a docstring a marker opens a line and is followed by ':' or '(' ("TODO: paginate").
_DOCSTRING_MARKER = re.compile(r"^\s*(?P<any>(?i:todo|fixme|xxx|hack))(?=\s*[:(])")


def marker_in_comment(text: str) -> str | None:
    """The marker that opens a comment, or a ``#`` section of it (``x = 1  # noqa  # TODO``),
    upper-cased, else None. ``text`` is the comment without its leading ``#``."""
    for section in text.split("#"):
        match = _COMMENT_MARKER.match(section)
        if match:
            return (match.group("upper") or match.group("any") or match.group("fixme")).upper()
    return None


def marker_in_docstring_line(text: str) -> str | None:
    match = _DOCSTRING_MARKER.match(text)
    return match.group("any").upper() if match else None


def marker_message(marker: str) -> str:
    return f"`{marker}` marker left in delivered code"


class TodoMarkerBase:
    """
    ## What it does
    Finds `TODO`, `FIXME`, `XXX` and `HACK` markers in delivered code: Python comments and
    docstring lines, Dockerfile comments and compose-file comments. A marker opens the comment
    (`# TODO`, `# todo: ...`, `# FIXME(bob)`, `# XXX`, `# HACK`); lower- or mixed-case markers
    need a `:` or `(` after them, so prose such as `# Todo list routes` in a to-do app is not a
    marker, and words in string literals (`"todos"`) never are. critic's own annotation and
    suppression comments are not markers.

    ## Why is this bad?
    A marker is an admission that the work is not finished: AGT rejects a hand-off that
    contains TODOs, and EXE requires complete, production-ready code. The missing piece is
    usually a validation, an error path or a security control nobody will come back for.

    ## Example
        def create_order(payload: OrderIn, db: Session = Depends(get_db)):
            # TODO: check stock before saving
            return repo.save(db, payload)

    ## Use instead
        def create_order(payload: OrderIn, db: Session = Depends(get_db)):
            stock.reserve(db, payload.items)
            return repo.save(db, payload)
    """

    id = "QLT001"
    name = "todo-marker"
    tier = "critical"
    severity = "medium"
    confidence = "high"
    sources = ("AGT role", "AGT anti-pattern 1", "AGT Handoff (rejected if it contains TODOs)", "EXE Code Quality")
    peers = ("ruff:FIX001", "ruff:FIX002", "ruff:FIX003", "ruff:FIX004", "ruff:TD001", "ruff:TD002", "ruff:TD003", "ruff:TD004")
    message = "TODO/FIXME/XXX/HACK marker left in delivered code"
    fix = "Finish the work the marker describes and delete the marker; track anything left over in the issue tracker, not in the code."

    VALID = (
        Valid(
            "# Todo list routes\n"
            "TODOS = []\n"
            "def list_todos():\n"
            '    """Return every todo item."""\n'
            '    return {"todo": TODOS, "note": "TODO: not a comment"}\n'
        ),
        Valid("x = 1  # critic-expect: SQL001\n# see the XXXL size chart\n"),
        Valid(files={"Dockerfile": "FROM python:3.12-slim\n# install the todo app\nCMD [\"python\"]\n"}),
        Valid(files={"docker-compose.yml": "services:\n  todo-api:  # the todo service\n    image: todo:1.0\n"}),
    )
    INVALID = (
        Invalid("def f():\n    # TODO: validate input\n    return 1\n", line=2),
        Invalid("x = 1  # fixme(bob) wrong constant\n", line=1),
        Invalid('def f():\n    """Create a user.\n\n    TODO: hash the password\n    """\n    return 1\n', line=4),
        Invalid(files={"Dockerfile": "FROM python:3.12-slim\n# HACK pin until the wheel exists\nCMD [\"python\"]\n"}, path="Dockerfile", line=2),
        Invalid(
            files={"docker-compose.yml": "services:\n  api:\n    image: api:1.0  # XXX: pin a digest\n"},
            path="docker-compose.yml",
            line=3,
        ),
    )


class TodoMarker(TodoMarkerBase, PythonRule):
    __doc__ = TodoMarkerBase.__doc__

    def visit_Comment(self, node: cst.Comment) -> None:
        marker = marker_in_comment(node.value[1:])
        if marker is not None:
            self.report(node, marker_message(marker))

    def visit_Module(self, node: cst.Module) -> None:
        self._docstring(node.body)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._docstring(node.body.body if isinstance(node.body, cst.IndentedBlock) else ())

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._docstring(node.body.body if isinstance(node.body, cst.IndentedBlock) else ())

    def _docstring(self, statements) -> None:
        if not statements or not isinstance(statements[0], cst.SimpleStatementLine):
            return
        first = statements[0].body[0] if statements[0].body else None
        if not isinstance(first, cst.Expr) or not isinstance(first.value, cst.SimpleString):
            return
        string = first.value
        for offset, line in enumerate(string.value.split("\n")):
            text = line.lstrip("rRbBuU") if offset == 0 else line
            text = text.lstrip("\"'") if offset == 0 else text
            marker = marker_in_docstring_line(text)
            if marker is not None:
                self.report(string, marker_message(marker), line_offset=offset)
