"""Facts about a file's technology stack, for checking a hand-off's claims (PRJ005).

One collector in the batched traversal records, per non-test file, at most one ``stack`` fact
(at line 1) with:

- ``imports``: the top-level modules it imports among the web frameworks and database drivers
  critic knows (``fastapi``, ``flask``, ``django``, ``psycopg2``, ``asyncpg``, ``sqlite3``...);
- ``databases``: the database engines its string literals name: the scheme of a database URL
  (``postgresql+asyncpg://...`` -> ``postgresql``; only the scheme is kept, never the URL, which
  may carry credentials) and Django's ``django.db.backends.<engine>``.

Test files state nothing: tests often run against SQLite whatever the service uses.
"""
from __future__ import annotations

import re

import libcst as cst

from critic.rule import PythonFile, PythonVisitor

#: Top-level modules worth knowing about: web frameworks, ORMs and database drivers.
STACK_MODULES = frozenset(
    {
        "fastapi", "starlette", "flask", "django", "rest_framework", "litestar", "sanic", "aiohttp",
        "tornado", "quart", "falcon", "bottle", "pyramid",
        "sqlalchemy", "sqlmodel", "tortoise", "peewee", "mongoengine", "beanie",
        "psycopg", "psycopg2", "asyncpg", "pg8000", "pymysql", "MySQLdb", "aiomysql", "asyncmy", "mysql",
        "sqlite3", "aiosqlite", "pymongo", "motor", "redis",
    }
)
_URL = re.compile(r"^\s*(postgres(?:ql)?|mysql|mariadb|sqlite|mongodb|redis)(?:\+[\w.-]+)?:", re.IGNORECASE)
_DJANGO_ENGINE = re.compile(r"^django\.db\.backends\.(postgresql(?:_psycopg2)?|mysql|sqlite3|oracle)$")
_ENGINE_NAMES = {
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "postgresql_psycopg2": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "mongodb": "mongodb",
    "redis": "redis",
    "oracle": "oracle",
}


def database_of_string(value: str) -> str | None:
    """The engine a string names as a database URL or a Django engine, else None."""
    match = _URL.match(value)
    if match:
        return _ENGINE_NAMES[match.group(1).lower()]
    match = _DJANGO_ENGINE.match(value)
    if match:
        return _ENGINE_NAMES[match.group(1)]
    return None


class StackFacts(PythonVisitor):
    """Collects the ``stack`` fact of one file (see the module docstring)."""

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self._imports: set[str] = set()
        self._databases: set[str] = set()

    def get_visitors(self):
        if self.file.is_test:
            return {}
        return super().get_visitors()

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            head = _head(alias.name)
            if head in STACK_MODULES:
                self._imports.add(head)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        head = _head(node.module)
        if head in STACK_MODULES:
            self._imports.add(head)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        text = node.value
        # cheap pre-check on the raw token before evaluating it
        if "://" not in text and ":" not in text[:20] and "django.db.backends" not in text:
            return
        try:
            value = node.evaluated_value
        except Exception:  # an odd literal is no database
            return
        if isinstance(value, str):
            engine = database_of_string(value)
            if engine:
                self._databases.add(engine)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        first = node.parts[0] if node.parts else None
        if isinstance(first, cst.FormattedStringText):
            engine = database_of_string(first.value)
            if engine:
                self._databases.add(engine)

    def leave_Module(self, original_node: cst.Module) -> None:
        if self._imports or self._databases:
            self.fact("stack", None, imports=tuple(sorted(self._imports)), databases=tuple(sorted(self._databases)))


def _head(node: cst.BaseExpression) -> str:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else ""
