"""Small syntactic helpers the persistence rules share: names, sessions, keyword arguments.

Everything here looks at one libcst node (and its direct children); nothing walks a tree.
"""
from __future__ import annotations

import libcst as cst

from critic.rules.python._names import dotted
from critic.rules.python._names import string_value as _string_value

__all__ = ["dotted"]

#: The last part of a receiver that, by the names agents give them, is a database session or
#: connection: ``session``, ``db``, ``self._session``, ``db.session``, ``async_session``, ``conn``.
_SESSION_NAMES = frozenset({"session", "db", "sess", "dbsession", "conn", "connection"})
_CURSOR_NAMES = frozenset({"cursor", "cur"})

#: Session methods that read from the database.
QUERY_METHODS = frozenset(
    {"query", "get", "get_one", "execute", "scalars", "scalar", "get_or_404", "first_or_404", "one_or_404"}
)
#: SQLAlchemy statement constructors that write.
WRITE_STATEMENTS = frozenset({"insert", "update", "delete", "upsert"})
_WRITE_SQL = ("insert", "update", "delete", "merge", "upsert", "replace")


def last_name(expr: cst.BaseExpression | None) -> str:
    """The last name of ``a.b.c`` (``c``), of ``c``, or of a call's callee; else ""."""
    if isinstance(expr, cst.Call):
        expr = expr.func
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return ""


def unwrap(expr: cst.BaseExpression) -> cst.BaseExpression:
    """The expression under ``await``."""
    while isinstance(expr, cst.Await):
        expr = expr.expression
    return expr


def session_like(
    text: str | None,
    known: frozenset[str] | set[str] = frozenset(),
    excluded: frozenset[str] | set[str] = frozenset(),
) -> bool:
    """Does the dotted receiver ``text`` name a database session (or a DB-API connection)?

    ``known`` are names known to be sessions (parameters annotated ``Session``); ``excluded``
    are names known not to be (``from flask import session``, the cookie session). A
    ``request.session`` is a web session, never a database one.
    """
    if not text:
        return False
    if text in known:
        return True
    if text.split(".", 1)[0] in excluded or text == "request.session" or text.endswith(".request.session"):
        return False
    last = text.rsplit(".", 1)[-1].lstrip("_").lower()
    return last in _SESSION_NAMES or last.endswith(("session", "_db"))


def web_session_names(node: cst.ImportFrom) -> set[str]:
    """Names an import binds to a web framework's cookie session (``from flask import session``)."""
    if isinstance(node.names, cst.ImportStar) or node.module is None:
        return set()
    module = dotted(node.module) or ""
    if module.split(".", 1)[0] not in ("flask", "starlette", "quart", "django"):
        return set()
    return {alias.evaluated_alias or "session" for alias in node.names if dotted(alias.name) == "session"}


_DB_SESSION_TYPES = frozenset({"Session", "AsyncSession", "scoped_session", "async_scoped_session", "Connection", "AsyncConnection"})
_HTTP_MODULES = frozenset({"requests", "aiohttp", "httpx"})
_HTTP_TYPES = frozenset({"ClientSession", "AsyncClient"})


def annotation_kind(annotation: cst.BaseExpression) -> str:
    """"db" for a database session type (``Session``, ``Annotated[AsyncSession, ...]``), "http" for
    an HTTP client session (``aiohttp.ClientSession``, ``requests.Session``), else ""."""
    names = _annotation_names(annotation)
    if any(n.split(".", 1)[0] in _HTTP_MODULES or n.rsplit(".", 1)[-1] in _HTTP_TYPES for n in names):
        return "http"
    return "db" if any(n.rsplit(".", 1)[-1] in _DB_SESSION_TYPES for n in names) else ""


def _annotation_names(annotation: cst.BaseExpression) -> list[str]:
    if isinstance(annotation, (cst.Name, cst.Attribute)):
        return [dotted(annotation) or ""]
    if isinstance(annotation, cst.Subscript):
        out = _annotation_names(annotation.value)
        for element in annotation.slice:
            if isinstance(element.slice, cst.Index):
                out += _annotation_names(element.slice.value)
        return out
    if isinstance(annotation, cst.BinaryOperation):
        return _annotation_names(annotation.left) + _annotation_names(annotation.right)
    return []


def http_client(expr: cst.BaseExpression | None) -> bool:
    """``requests.Session()``, ``aiohttp.ClientSession(...)``, ``httpx.AsyncClient()``: not a database."""
    expr = unwrap(expr) if expr is not None else None
    if not isinstance(expr, cst.Call):
        return False
    name = dotted(expr.func) or ""
    return name.split(".", 1)[0] in _HTTP_MODULES and "." in name or name.rsplit(".", 1)[-1] in _HTTP_TYPES


def cursor_like(text: str | None) -> bool:
    return bool(text) and text.rsplit(".", 1)[-1].lstrip("_").lower() in _CURSOR_NAMES


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call) -> list[cst.BaseExpression]:
    return [arg.value for arg in call.args if arg.keyword is None and not arg.star]


def literal_bool(expr: cst.BaseExpression | None) -> bool | None:
    """True/False for the literals ``True``/``False``/``None``; None when it is not a literal."""
    if isinstance(expr, cst.Name):
        if expr.value == "True":
            return True
        if expr.value in ("False", "None"):
            return False
    return None


def string_value(expr: cst.BaseExpression | None) -> str | None:
    """The value of a plain (or implicitly concatenated) string literal; None otherwise."""
    return _string_value(expr) if expr is not None else None


def class_ref(expr: cst.BaseExpression | None) -> str:
    """The class a model reference names: ``Item``, ``models.Item``, ``"Item"``, ``"app.Item"``."""
    text = string_value(expr)
    if text is not None:
        name = text.rsplit(".", 1)[-1]
        return name if name[:1].isupper() else ""
    if isinstance(expr, cst.Lambda):
        return class_ref(expr.body)
    name = last_name(expr) if isinstance(expr, (cst.Name, cst.Attribute)) else ""
    return name if name[:1].isupper() else ""


def is_write_statement(expr: cst.BaseExpression | None) -> bool:
    """``insert(User)...``, ``update(...).where(...)``, ``text("DELETE ...")``, ``"UPDATE ..."``."""
    expr = unwrap(expr) if expr is not None else None
    while isinstance(expr, cst.Call):
        func = expr.func
        name = last_name(func)
        if isinstance(func, cst.Name) or (isinstance(func, cst.Attribute) and not isinstance(func.value, cst.Call)):
            if name in WRITE_STATEMENTS:
                return True
            if name == "text":
                args = positional(expr)
                return bool(args) and sql_writes(string_value(args[0]))
            return False
        expr = func.value if isinstance(func, cst.Attribute) else None
    return sql_writes(string_value(expr))


def sql_writes(sql: str | None) -> bool:
    words = sql.split(None, 1) if sql else []
    return bool(words) and words[0].lower() in _WRITE_SQL


def is_migration_path(parts: tuple[str, ...]) -> bool:
    """Alembic revisions and Django migrations: generated schema history, not models."""
    folders = parts[:-1]
    return "migrations" in folders or ("versions" in folders and any(p in ("alembic", "migration", "migrations") for p in folders))
