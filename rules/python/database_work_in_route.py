"""API007: route handlers are thin; database work belongs in a service layer."""
from __future__ import annotations

import libcst as cst

from critic.rule import Invalid, PythonFile, PythonRule, Valid
from critic.rules.python.web import WebScope, db_call, is_health_path, session_params

_HEALTH_NAMES = ("health", "healthz", "healthcheck", "health_check", "readiness", "liveness", "readyz", "livez")


class DatabaseWorkInRoute(WebScope, PythonRule):
    """
    ## What it does
    Reports database work written directly inside a route handler (a function decorated with
    a FastAPI/Flask route): SQLAlchemy session calls (`db.query`, `session.execute`, `add`,
    `commit`, `delete`, `refresh`, `scalars`, `get`...), DB-API cursor/connection calls
    (`cursor.execute`, `conn.commit`), and Flask-SQLAlchemy `Model.query.*`. Each line with
    such a call is reported once (a chain like `db.query(User).filter(...).first()` is one
    finding), so the report lists every statement to move. A session is recognised by its
    type (`Session`, `AsyncSession`), its provider (`Depends(get_db)`), or a conventional
    name (`db`, `session`, `conn`, `cursor`); for `get`/`delete`/`add` a name alone is not
    enough (a dict called `db` has `get` too).

    Health, readiness and liveness routes (`/health`, `/utils/health-check/`, `/ready`) are
    exempt: their job is to probe the database (`SELECT 1`), not to hold business logic.

    ## Why is this bad?
    A handler that queries and commits mixes HTTP with business and persistence logic; it
    cannot be reused or tested without a client, and transactions end up scattered across
    endpoints. AGT and EXE: routes are thin dispatchers, services are thick.

    ## Example
        @router.get("/users/{user_id}")
        def read_user(user_id: int, db: Session = Depends(get_db)):
            return db.query(User).filter(User.id == user_id).first()

    ## Use instead
        @router.get("/users/{user_id}")
        def read_user(user_id: int, service: UserService = Depends(get_user_service)):
            return service.get(user_id)
    """

    id = "API007"
    name = "database-work-in-route"
    tier = "nice_to_have"
    severity = "low"
    confidence = "high"
    sources = ("AGT Directory Structure", "EXE Python Backend")
    message = "Route handler talks to the database directly"
    fix = (
        "Move the query into a service or repository function that takes the session "
        "(e.g. `crud.get_user(session, user_id)`) and have the route call it; keep only HTTP concerns in the route."
    )
    VALID = (
        Valid(
            'from fastapi import APIRouter, Depends\nfrom app.services import UserService, get_user_service\n\nrouter = APIRouter()\n\n\n'
            '@router.get("/users/{user_id}")\ndef read_user(user_id: int, service: UserService = Depends(get_user_service)):\n    return service.get(user_id)\n'
        ),
        Valid(
            'from sqlalchemy.orm import Session\n\n\nclass UserRepository:\n    def __init__(self, db: Session):\n        self.db = db\n\n'
            '    def get(self, user_id):\n        return self.db.query(User).filter(User.id == user_id).first()\n'
        ),
        Valid(
            'from fastapi import APIRouter\n\nrouter = APIRouter()\ndb = {}\n\n\n@router.get("/items/{key}")\ndef read(key: str):\n    return db.get(key)\n'
        ),
    )
    # a readiness probe that pings the database is what a health route is for
    VALID = VALID + (
        Valid(
            'from fastapi import APIRouter\nfrom sqlalchemy import text\nfrom app.api.deps import SessionDep\n\n'
            'router = APIRouter(prefix="/utils")\n\n\n@router.get("/health-check/")\nasync def health_check(session: SessionDep) -> bool:\n'
            '    await session.execute(text("SELECT 1"))\n    return True\n'
        ),
    )
    INVALID = (
        Invalid(
            'from fastapi import APIRouter, Depends\nfrom sqlalchemy.orm import Session\nfrom app.db import get_db\n\nrouter = APIRouter()\n\n\n'
            '@router.post("/users", status_code=201)\ndef create_user(payload: UserIn, db: Session = Depends(get_db)):\n'
            '    user = User(**payload.model_dump())\n    db.add(user)\n    db.commit()\n    return user\n',
            line=11,
        ),
        Invalid(
            'from flask import Blueprint\n\nbp = Blueprint("users", __name__)\n\n\n@bp.get("/users")\ndef users():\n'
            '    return [u.to_dict() for u in User.query.limit(50).all()]\n',
            line=8,
        ),
    )

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.lines: set[int] = set()

    def get_visitors(self):
        if self.file.is_test:
            return {}
        return super().get_visitors()

    def visit_Call(self, node: cst.Call) -> None:
        scope = self.route_function
        if scope is None or _health_route(scope):
            return
        sessions = scope.data.get("sessions")
        if sessions is None:
            sessions = scope.data["sessions"] = session_params(scope.node, self.imports)
        what = db_call(node, sessions)
        if what is None:
            return
        # one finding per statement line: the chain db.query(...).filter(...).first() is one
        line_key = id(self._statement) if self._statement is not None else id(node)
        if line_key in self.lines:
            return
        self.lines.add(line_key)
        self.report(
            node,
            f"Route handler `{scope.name}` does database work directly (`{what}`)",
            f"Move the `{what}` work into a service or repository function that takes the session "
            f"(e.g. `crud.{scope.name}(session, ...)`) and have the route call it; keep only HTTP concerns in the route.",
        )

    # the innermost simple statement, to report a chain of calls once
    _statement: cst.CSTNode | None = None

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statement = node

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._statement = None


def _health_route(scope) -> bool:
    """A health/readiness route, by its path or (when the path is not literal) by its name."""
    paths = [r.path for r in scope.routes if r.path]
    if paths:
        return all(is_health_path(p) for p in paths)
    return scope.name.lower().strip("_") in _HEALTH_NAMES or scope.name.lower().startswith(("health_", "readiness_", "liveness_"))
