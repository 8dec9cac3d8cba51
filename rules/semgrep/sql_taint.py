import sqlite3
from uuid import UUID

import pandas as pd
from flask import request
from sqlalchemy import text
from sqlalchemy.orm import Session


def find_user(db: Session, name: str):
    query = f"SELECT * FROM users WHERE name = '{name}'"
    # ruleid: formatted-sql-query
    return db.execute(text(query)).all()


def search(conn: sqlite3.Connection, term):
    sql = "SELECT id FROM items WHERE title LIKE '%" + term + "%'"
    cursor = conn.cursor()
    # ruleid: formatted-sql-query
    cursor.execute(sql)
    return cursor.fetchall()


def by_columns(db, columns):
    # ruleid: formatted-sql-query
    return db.execute("SELECT {} FROM users".format(", ".join(columns)))


def by_status(db, status):
    sql = "SELECT * FROM orders WHERE status = '%s'" % status
    # ruleid: formatted-sql-query
    return pd.read_sql(sql, db)


def flask_lookup(db):
    name = request.args.get("name")
    where = "name = '" + name + "'"
    # ruleid: formatted-sql-query
    return db.execute(text("SELECT * FROM users WHERE " + where))


def by_id(db, user_id: int):
    # ok: formatted-sql-query
    return db.execute(text(f"SELECT * FROM users WHERE id = {user_id}"))


def by_uuid(db, user_id: UUID):
    # ok: formatted-sql-query
    return db.execute(text(f"SELECT * FROM users WHERE id = '{user_id}'"))


def by_casted(db, raw_id):
    # ok: formatted-sql-query
    return db.execute(text(f"SELECT * FROM users WHERE id = {int(raw_id)}"))


def run_given(db, query):
    # ok: formatted-sql-query
    return db.execute(query)


def bound(db, name):
    # ok: formatted-sql-query
    return db.execute(text("SELECT * FROM users WHERE name = :name"), {"name": name})


def constant_only(db):
    table = "users"
    # ok: formatted-sql-query
    return db.execute(text(f"SELECT count(*) FROM {table}"))


def bound_values_built_query(db, names):
    placeholders = ", ".join(f":n{i}" for i in range(len(names)))
    params = {f"n{i}": n for i, n in enumerate(names)}
    # ok: formatted-sql-query
    return db.execute(text(f"SELECT * FROM users WHERE name IN ({placeholders})"), params)


def filter_by(db, filters: dict[str, str]):
    # semgrep OSS does not carry taint through a comprehension's loop variable (SQL001 does)
    where = " AND ".join(f"{column} = '{value}'" for column, value in filters.items())
    # todoruleid: formatted-sql-query
    return db.execute(text("SELECT id FROM items WHERE " + where))
