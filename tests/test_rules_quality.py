"""Focused cases for SQL001 and QLT001-QLT004: exact locations (path, line, rule id), never counts."""
from __future__ import annotations

from pathlib import Path

import libcst as cst

from critic.api import critique
from critic.config import Config
from critic.testing import found

PY = "app/service.py"


def messages(tmp_path: Path, rule_id: str, files: dict[str, str]) -> list[str]:
    found(tmp_path, rule_id, files)
    report = critique([tmp_path], Config(select=(rule_id,)), engines=())
    return [f.message for f in sorted(report.findings, key=lambda f: f.line) if f.rule_id == rule_id]


# --------------------------------------------------------------------------- SQL001
def test_sql_taint_through_variables_and_reassignment(tmp_path):
    code = """
    from sqlalchemy import text

    def find(db, email, user_id):
        query = "SELECT * FROM users WHERE email = '" + email + "'"
        sql = query
        sql += " LIMIT 1"
        db.execute(text(sql))
        sql = "SELECT * FROM users WHERE id = :id"
        db.execute(text(sql), {"id": user_id})
        where = f"id = {user_id}"
        final = "SELECT * FROM users WHERE " + where
        db.execute(text(final))
    """
    assert found(tmp_path, "SQL001", {PY: code}) == [(PY, 7, "SQL001"), (PY, 12, "SQL001")]
    msgs = messages(tmp_path, "SQL001", {PY: code})
    assert "`+` concatenation" in msgs[0] and "`sql`" in msgs[0] and "`query`" in msgs[0]
    assert "an f-string" in msgs[1] and "`final`" in msgs[1] and "`where`" in msgs[1]


def test_sql_percent_operator_versus_parameters(tmp_path):
    code = """
    def lookup(cursor, name):
        cursor.execute("SELECT * FROM users WHERE name = %s", (name,))
        cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)
        cursor.executemany("INSERT INTO t (a) VALUES (%s)", [(name,)])
        cursor.execute(
            "SELECT * FROM users WHERE name = '{}'".format(name)
        )
    """
    assert found(tmp_path, "SQL001", {PY: code}) == [(PY, 3, "SQL001"), (PY, 5, "SQL001")]


def test_sql_constant_composition_is_clean(tmp_path):
    code = """
    from sqlalchemy import text
    TABLE = "items"
    COLUMNS = ("id", "name")
    BASE = "SELECT " + ", ".join(COLUMNS) + " FROM " + TABLE

    def listing(db, ids, status, sort):
        db.execute(text(BASE + " WHERE status = :s"), {"s": status})
        db.execute(text(f"SELECT * FROM {TABLE} WHERE id IN :ids"), {"ids": ids})
        marks = ",".join("?" for _ in ids)
        db.execute(f"SELECT * FROM t WHERE id IN ({marks})", ids)
        db.execute("SELECT * FROM t WHERE id IN ({})".format(",".join(["%s"] * len(ids))), ids)
        if sort not in {"name", "created_at"}:
            raise ValueError(sort)
        db.execute(f"SELECT * FROM t ORDER BY {sort}")
        label = "Hello " + status
        return label
    """
    assert found(tmp_path, "SQL001", {PY: code}) == []


def test_sql_identifier_interpolation_gets_whitelist_fix(tmp_path):
    code = """
    def rows(cursor, table):
        cursor.execute(f"SELECT * FROM {table}")
    """
    (tmp_path / "app").mkdir()
    assert found(tmp_path, "SQL001", {PY: code}) == [(PY, 2, "SQL001")]
    report = critique([tmp_path], Config(select=("SQL001",)), engines=())
    assert "whitelist" in report.findings[0].fix


def test_sql_sinks_django_pandas_and_aliases(tmp_path):
    code = """
    import pandas as pd
    import sqlalchemy as sa
    from django.db import connection
    from django.db.models.expressions import RawSQL

    def report(conn, db, qs, name, col):
        pd.read_sql_query(f"SELECT * FROM t WHERE n = '{name}'", conn)
        db.execute(sa.text("SELECT * FROM t WHERE n = '%s'" % name))
        Product.objects.raw("SELECT * FROM p WHERE n = '" + name + "'")
        qs.annotate(x=RawSQL("SELECT %s" % col, ()))
        qs.extra(where=[f"name = '{name}'"])
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM t WHERE n = '{name}'")
        db.connection().exec_driver_sql(f"VACUUM {name}")
    """
    assert found(tmp_path, "SQL001", {PY: code}) == [(PY, n, "SQL001") for n in (7, 8, 9, 10, 11, 13, 14)]


def test_sql_list_of_fragments_joined(tmp_path):
    code = """
    def search(cursor, filters, name):
        safe = ["1 = 1"]
        if name:
            safe.append("name = %s")
        cursor.execute("SELECT * FROM t WHERE " + " AND ".join(safe), (name,))
        unsafe = []
        for key, value in filters.items():
            unsafe.append(f"{key} = '{value}'")
        cursor.execute("SELECT * FROM t WHERE " + " AND ".join(unsafe))
    """
    assert found(tmp_path, "SQL001", {PY: code}) == [(PY, 9, "SQL001")]


def test_sql_clean_branch_does_not_cleanse_other_paths(tmp_path):
    code = """
    def f(cursor, x, rows):
        query = "SELECT 1"
        if x:
            query = f"SELECT * FROM t WHERE a = {x}"
        else:
            query = "SELECT 2"
        cursor.execute(query)
        for row in rows:
            q = f"SELECT * FROM t WHERE a = {row}"
            cursor.execute(q)
            q = "SELECT 1"
            cursor.execute(q)
        q = "SELECT 3"
        cursor.execute(q)
    """
    assert found(tmp_path, "SQL001", {PY: code}) == [(PY, 7, "SQL001"), (PY, 10, "SQL001")]


def test_sql_psycopg_composition_is_clean(tmp_path):
    code = """
    from psycopg2 import sql

    def f(cursor, table, name):
        cursor.execute(sql.SQL("SELECT * FROM {} WHERE n = %s").format(sql.Identifier(table)), (name,))
        cursor.execute(sql.SQL("SELECT * FROM ") + sql.Identifier(table))
    """
    assert found(tmp_path, "SQL001", {PY: code}) == []


def test_sql_scopes_do_not_leak(tmp_path):
    code = """
    def build(name):
        query = f"SELECT * FROM t WHERE n = '{name}'"
        return query

    def run(cursor, query):
        cursor.execute(query)

    def fetch(conn, url):
        return conn.fetch(f"https://{url}")
    """
    assert found(tmp_path, "SQL001", {PY: code}) == []


# --------------------------------------------------------------------------- QLT001
def test_todo_markers_in_python_dockerfile_and_compose(tmp_path):
    files = {
        PY: '''
        """Service module.

        TODO: split this file
        """
        TODOS = ["todo"]  # the list of todos

        # Todo list endpoints
        def f():
            # todo: validate
            x = 1  # noqa: E501  # FIXME
            return "TODO: not a comment"
        # critic-expect: QLT001
        ''',
        "Dockerfile": """
        FROM python:3.12-slim
        # TODO pin the digest
        # install the todo app
        CMD ["python"]
        """,
        "docker-compose.yml": """
        services:
          api:
            image: api:1.0  # HACK: pinned by hand
            # todo-service lives elsewhere
        """,
    }
    assert found(tmp_path, "QLT001", files) == [
        ("Dockerfile", 2, "QLT001"),
        (PY, 3, "QLT001"),
        (PY, 9, "QLT001"),
        (PY, 10, "QLT001"),
        ("docker-compose.yml", 3, "QLT001"),
    ]


# --------------------------------------------------------------------------- QLT002
def test_placeholders_and_exemptions(tmp_path):
    code = """
    import abc
    from typing import Protocol, overload

    class Store(Protocol):
        def get(self, key): ...

    class Base(metaclass=abc.ABCMeta):
        @abc.abstractmethod
        def run(self):
            raise NotImplementedError

    class NotFound(Exception):
        pass

    class Repo:
        @overload
        def get(self, x: int) -> int: ...
        def save(self, item):
            \"\"\"Save it.\"\"\"
            raise NotImplementedError()

    @app.post("/users")
    async def create_user(
        payload,
    ):
        pass

    def rate():
        if True:
            return "not implemented"
        return 1

    def compute():
        total = 1
        # ... existing code ...
        return total
    """
    assert found(tmp_path, "QLT002", {PY: code}) == [(PY, 18, "QLT002"), (PY, 23, "QLT002"), (PY, 28, "QLT002"), (PY, 35, "QLT002")]


def test_placeholder_base_method_overridden_in_same_file(tmp_path):
    code = """
    class Notifier:
        def send(self, text):
            raise NotImplementedError

    class EmailNotifier(Notifier):
        def send(self, text):
            return smtp.send(text)

    class Unused:
        def send(self, text):
            raise NotImplementedError
    """
    assert found(tmp_path, "QLT002", {PY: code}) == [(PY, 10, "QLT002")]


# --------------------------------------------------------------------------- QLT003
def test_swallowed_exceptions(tmp_path):
    code = """
    import logging
    log = logging.getLogger(__name__)

    def f():
        try:
            work()
        except:
            log.exception("x")
            raise
        try:
            work()
        except (KeyError, Exception) as exc:
            print(exc)
        try:
            work()
        except Exception as exc:
            log.warning("failed: %s", exc)
        try:
            work()
        except BaseException:
            def later():
                raise
            return later
        try:
            work()
        except ValueError:
            pass
        try:
            work()
        except Exception:
            return {"error": "failed"}
    """
    assert found(tmp_path, "QLT003", {PY: code}) == [(PY, 7, "QLT003"), (PY, 12, "QLT003"), (PY, 20, "QLT003"), (PY, 30, "QLT003")]


# --------------------------------------------------------------------------- QLT004
def test_blocking_calls_and_aliases(tmp_path):
    code = """
    import time as t
    import subprocess, os
    from time import sleep
    from urllib.request import urlopen
    import httpx
    import requests
    import aiofiles
    import sqlite3

    async def handler(url):
        t.sleep(1)
        sleep(1)
        urlopen(url)
        requests.get(url)
        httpx.post(url)
        async with httpx.AsyncClient() as client:
            await client.get(url)
        with open("f") as fh:
            fh.read()
        async with aiofiles.open("f") as fh:
            await fh.read()
        subprocess.check_output(["ls"])
        os.system("ls")
        sqlite3.connect("db")
        helper = lambda: t.sleep(1)
        def sync_part():
            t.sleep(1)
        return helper, sync_part

    def sync_handler(url):
        t.sleep(1)
        requests.get(url)
    """
    assert found(tmp_path, "QLT004", {PY: code}) == [(PY, n, "QLT004") for n in (11, 12, 13, 14, 15, 18, 22, 23, 24)]


def test_sync_session_in_async_def(tmp_path):
    code = """
    from typing import Annotated
    from fastapi import Depends
    from sqlalchemy.orm import Session, sessionmaker
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    SessionLocal = sessionmaker(bind=engine)
    AsyncLocal = async_sessionmaker(engine)
    DbDep = Annotated[Session, Depends(get_db)]

    async def list_users(db: Session = Depends(get_db)):
        db.add(User())
        return db.query(User).all()

    async def count(db: DbDep):
        return db.scalar(stmt)

    async def ok(db: AsyncSession = Depends(get_db)):
        await db.execute(stmt)
        async with AsyncLocal() as session:
            await session.commit()

    async def job():
        with SessionLocal() as session:
            session.commit()

    def sync_ok(db: Session = Depends(get_db)):
        return db.query(User).all()
    """
    assert found(tmp_path, "QLT004", {PY: code}) == [(PY, 12, "QLT004"), (PY, 15, "QLT004"), (PY, 24, "QLT004")]


def test_sql_gives_up_on_pathologically_deep_expressions():
    """A chain deeper than the interpreter's recursion limit is skipped, not a crash."""
    from critic.rule import PythonFile
    from critic.rules.python.sql_string_building import SqlStringBuilding

    expr: cst.BaseExpression = cst.Name("x")
    for _ in range(5000):
        expr = cst.BinaryOperation(expr, cst.Modulo(), cst.Name("y"))
    rule = SqlStringBuilding(PythonFile(PY, ""))
    assign = cst.Assign([cst.AssignTarget(cst.Name("q"))], expr)
    assert rule.leave_Assign(assign) is None
    call = cst.Call(cst.Attribute(cst.Name("cursor"), cst.Name("execute")), [cst.Arg(expr)])
    assert rule.visit_Call(call) is None
