"""DB004: multi-step mutations run in one transaction.

Two halves share one standard:

- ``NonAtomicCommit`` (per file) reports a function that commits more than once on a path,
  and records an ``unguarded_commit`` fact for a function that commits with no rollback path
  of its own; it also records the session dependencies (``session_dependency``),
  their ``Annotated`` aliases (``dependency_alias``) and the error handlers that roll back
  (``rollback_handler``);
- ``UnguardedCommit`` (project) reports the ``unguarded_commit`` facts whose session does not
  come from a dependency that rolls back on error, because that dependency usually lives in
  another file.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from critic.rule import Invalid, ProjectRule, PythonFile, PythonRule, RuleMeta, Valid
from critic.rules.python.orm_syntax import (
    annotation_kind,
    dotted,
    is_migration_path,
    last_name,
    positional,
    session_like,
    unwrap,
    web_session_names,
)

_BEGIN = frozenset({"begin", "begin_nested"})
_HANDLER_DECORATORS = frozenset(
    {"errorhandler", "app_errorhandler", "exception_handler", "teardown_request", "teardown_appcontext"}
)


@dataclass(slots=True)
class _Commit:
    node: cst.Call
    receiver: str
    branch: tuple[tuple[int, str], ...]
    blocks: tuple[int, ...]
    guarded: bool
    terminated: bool = False


@dataclass(slots=True)
class _Function:
    name: str
    handler: bool  # an error handler / teardown hook
    sessions: set[str] = field(default_factory=set)  # parameters annotated as sessions
    deps: dict[str, str] = field(default_factory=dict)  # parameter -> the dependency providing it
    bound: list[str] = field(default_factory=list)  # names bound by enclosing `with ... as name`
    begin: int = 0  # enclosing `with session.begin():` blocks
    branch: list[tuple[int, str]] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)
    commits: list[_Commit] = field(default_factory=list)
    rollbacks: list[str] = field(default_factory=list)
    params: set[str] = field(default_factory=set)  # every parameter name
    yields_session: bool = False
    yield_in_begin: bool = False
    reported: bool = False  # the second commit was reported


_DEPENDENCY = """\
from sqlalchemy.orm import Session

from app.db import SessionLocal


def get_db():
    db = SessionLocal()
    try:
        yield db
        db.commit()
    except Exception:
        db.rollback()
        raise
    finally:
        db.close()
"""
#: the full-stack-template shape: a session dependency that rolls back, crud functions that take it
_WITH_DEPENDENCY = """\
from collections.abc import AsyncGenerator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import SessionLocal


async def get_db() -> AsyncGenerator[AsyncSession, None]:
    async with SessionLocal() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_db)]
"""
_CRUD = """\
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Item


async def create_item(*, session: AsyncSession, title: str, owner_id: int) -> Item:
    item = Item(title=title, owner_id=owner_id)
    session.add(item)
    await session.commit()
    await session.refresh(item)
    return item
"""
_ROUTE = """\
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.deps import get_db
from app.models import User

router = APIRouter()


@router.post("/users")
def create_user(name: str, db: Session = Depends(get_db)):
    user = User(name=name)
    db.add(user)
    db.commit()
    return user
"""


class _NonAtomic(RuleMeta):
    """
    ## What it does
    Reports database writes that are not one transaction with a rollback path:

    - a function that calls `commit()` on a session (or DB-API connection) more than once on
      the same path (commits in the two branches of an `if`, or after a `return`, are not
      counted together). Reported at the second commit;
    - a function that commits its writes (added or deleted objects, changed attributes,
      executed statements: a commit is the evidence that something was written) with no
      rollback path: not inside `with session.begin():` / `async with session.begin():`, not on
      a session bound by a `with ... as session:` block (a session context manager or helper),
      no `rollback()` in the function, and the session is not injected by a dependency that
      rolls back on error (`get_db` with `except: db.rollback()`, or yielding inside
      `session.begin()`), nor rolled back by an error handler or teardown hook. A session that a function merely receives as an argument (a crud
      function's `session: AsyncSession`, a repository's `self.session`) is the caller's: it
      is not reported when every session dependency of the project rolls back on error.
      Reported at the first such commit.

    A function can have both findings: the first commit has no rollback path, the second
    splits the work.

    Test code, migration files and the wrappers that delegate a commit (a method named
    `commit`, as in a unit of work) are not checked.

    ## Why is this bad?
    Each commit is a point of no return: when the second step fails, the first is already
    stored and the data is half-written (an order without its items, a debit without its
    credit). A commit that fails with no rollback leaves the session unusable and, behind a
    pooled connection, can leak a broken transaction. EXE asks for transactions around
    multi-step mutations that roll back on any failure.

    ## Example
        def place_order(db: Session, data: OrderIn) -> Order:
            order = Order(customer_id=data.customer_id)
            db.add(order)
            db.commit()
            db.add_all([Item(order_id=order.id, **i.model_dump()) for i in data.items])
            db.commit()
            return order

    ## Use instead
        def place_order(db: Session, data: OrderIn) -> Order:
            with db.begin():
                order = Order(customer_id=data.customer_id)
                db.add(order)
                db.flush()
                db.add_all([Item(order_id=order.id, **i.model_dump()) for i in data.items])
            return order
    """

    id = "DB004"
    name = "non-atomic-commit"
    tier = "expected"
    severity = "medium"
    confidence = "medium"
    sources = ("EXE Database (transactions around multi-step mutations, roll back on failure)",)
    message = "Writes are committed with no rollback path"
    fix = (
        "Run the writes in `with session.begin():` (`async with session.begin():`), or wrap them in "
        "`try: ... session.commit()` / `except Exception: session.rollback(); raise`."
    )
    VALID = (
        Valid(
            "def transfer(session, source, target, amount):\n"
            "    with session.begin():\n"
            "        session.add(Debit(account=source, amount=amount))\n"
            "        session.add(Credit(account=target, amount=amount))\n"
        ),
        Valid(
            "async def create(session, item):\n"
            "    try:\n"
            "        session.add(item)\n"
            "        await session.commit()\n"
            "    except SQLAlchemyError:\n"
            "        await session.rollback()\n"
            "        raise\n"
            "    return item\n"
        ),
        # one commit per branch: only one of them runs
        Valid(
            "def upsert(db, user, data):\n"
            "    try:\n"
            "        if user is None:\n"
            "            db.add(User(**data))\n"
            "            db.commit()\n"
            "            return\n"
            "        user.name = data['name']\n"
            "        db.commit()\n"
            "    except Exception:\n"
            "        db.rollback()\n"
            "        raise\n"
        ),
        # the session comes from a dependency that rolls back on error
        Valid(files={"app/deps.py": _DEPENDENCY, "app/routers/users.py": _ROUTE}),
        # crud functions take the session of a context-managed dependency (full-stack template)
        Valid(files={"app/api/deps.py": _WITH_DEPENDENCY, "app/crud.py": _CRUD}),
        # a context-managed session closes (and rolls back) on error
        Valid(
            "def seed(engine):\n"
            "    with Session(engine) as session:\n"
            "        session.add_all([Role(name='admin'), Role(name='user')])\n"
            "        session.commit()\n"
        ),
    )
    INVALID = (
        Invalid(
            "def place_order(db, data):\n"
            "    order = Order(customer_id=data.customer_id)\n"
            "    db.add(order)\n"
            "    db.commit()\n"
            "    for item in data.items:\n"
            "        db.add(Item(order_id=order.id, sku=item.sku))\n"
            "    db.commit()\n"
            "    return order\n",
            line=7,
        ),
        Invalid(files={"app/routers/users.py": _ROUTE}, line=14, path="app/routers/users.py"),
        # a dependency that only closes the session does not roll back the handler's writes
        Invalid(
            files={
                "app/deps.py": "def get_db():\n    db = SessionLocal()\n    try:\n        yield db\n    finally:\n        db.close()\n",
                "app/routers/users.py": _ROUTE,
            },
            line=14,
            path="app/routers/users.py",
        ),
        # the crud function's session may come from a dependency that never rolls back
        Invalid(
            files={
                "app/deps.py": "def get_db():\n    db = SessionLocal()\n    try:\n        yield db\n    finally:\n        db.close()\n",
                "app/crud.py": _CRUD,
            },
            line=9,
            path="app/crud.py",
        ),
        Invalid(
            "from sqlalchemy import delete\n\n\n"
            "async def purge(session, user_id):\n"
            "    await session.execute(delete(Token).where(Token.user_id == user_id))\n"
            "    await session.commit()\n",
            line=6,
        ),
    )


class NonAtomicCommit(_NonAtomic, PythonRule):
    __doc__ = _NonAtomic.__doc__

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.functions: list[_Function] = []
        self.web_sessions: set[str] = set()

    def get_visitors(self):
        if self.file.is_test or is_migration_path(self.file.parts):
            return {}
        return super().get_visitors()

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.web_sessions |= web_session_names(node)

    def _session(self, fn: _Function, receiver: str | None) -> bool:
        return session_like(receiver, fn.sessions, self.web_sessions)

    # ------------------------------------------------------------------ module-level aliases
    def visit_Assign(self, node: cst.Assign) -> None:
        if not self.functions:
            for t in node.targets:
                self._alias(t.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if not self.functions:
            self._alias(node.target, node.value)

    def _alias(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        """``SessionDep = Annotated[Session, Depends(get_db)]``: the project rule resolves it."""
        dependency = _depends_target(value)
        if dependency and isinstance(target, cst.Name):
            self.fact("dependency_alias", target, name=target.value, target=dependency)

    # ------------------------------------------------------------------ functions
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        handler = any(last_name(d.decorator) in _HANDLER_DECORATORS for d in node.decorators)
        fn = _Function(node.name.value, handler)
        for param in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params):
            name = param.name.value
            fn.params.add(name)
            annotation = param.annotation.annotation if param.annotation is not None else None
            dep = _depends_target(param.default) if param.default is not None else ""
            if not dep and annotation is not None:
                dep = _depends_target(annotation) or (dotted(annotation) or "").rsplit(".", 1)[-1]
            if dep:
                fn.deps[name] = dep
            if annotation is not None and annotation_kind(annotation) == "db":
                fn.sessions.add(name)
        self.functions.append(fn)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        fn = self.functions.pop()
        if fn.yields_session:
            rollback = bool(fn.rollbacks) or fn.yield_in_begin
            self.fact("session_dependency", original_node.name, name=fn.name, rollback=rollback)
        if fn.handler:
            for receiver in fn.rollbacks:
                self.fact("rollback_handler", original_node.name, receiver=receiver)
        if fn.rollbacks or "commit" in fn.name:
            return  # a `def commit(self): self.session.commit()` wrapper is the caller's transaction
        for commit in fn.commits:
            if not commit.guarded:
                root = commit.receiver.split(".", 1)[0]
                self.fact(
                    "unguarded_commit",
                    commit.node,
                    receiver=commit.receiver,
                    dependency=fn.deps.get(root, ""),
                    # handed in by the caller (a crud function's `session` argument, a repository's `self.session`)
                    parameter=(root in fn.params and root not in fn.deps) or root in ("self", "cls") or _typed_only(fn, root),
                )
                return

    # ------------------------------------------------------------------ blocks and branches
    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if self.functions:
            self.functions[-1].blocks.append(id(node))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        if self.functions and self.functions[-1].blocks:
            self.functions[-1].blocks.pop()

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self.visit_IndentedBlock(node)  # type: ignore[arg-type]

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self.leave_IndentedBlock(original_node)  # type: ignore[arg-type]

    def visit_If_body(self, node: cst.If) -> None:
        if self.functions:
            self.functions[-1].branch.append((id(node), "body"))

    def leave_If_body(self, node: cst.If) -> None:
        if self.functions:
            self.functions[-1].branch.pop()

    def visit_If_orelse(self, node: cst.If) -> None:
        if self.functions:
            self.functions[-1].branch.append((id(node), "orelse"))

    def leave_If_orelse(self, node: cst.If) -> None:
        if self.functions:
            self.functions[-1].branch.pop()

    def visit_Return(self, node: cst.Return) -> None:
        self._terminate()

    def visit_Raise(self, node: cst.Raise) -> None:
        self._terminate()

    def _terminate(self) -> None:
        """A return/raise ends the path of every commit made earlier in its block (or inside it)."""
        if not self.functions or not self.functions[-1].blocks:
            return
        fn = self.functions[-1]
        block = fn.blocks[-1]
        for commit in fn.commits:
            if block in commit.blocks:
                commit.terminated = True

    # ------------------------------------------------------------------ with blocks
    def visit_With(self, node: cst.With) -> None:
        if not self.functions:
            return
        fn = self.functions[-1]
        for item in node.items:
            call = unwrap(item.item)
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value in _BEGIN:
                fn.begin += 1
            if item.asname is not None and isinstance(item.asname.name, cst.Name):
                fn.bound.append(item.asname.name.value)

    def leave_With(self, original_node: cst.With) -> None:
        if not self.functions:
            return
        fn = self.functions[-1]
        for item in original_node.items:
            call = unwrap(item.item)
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value in _BEGIN:
                fn.begin -= 1
            if item.asname is not None and isinstance(item.asname.name, cst.Name) and fn.bound:
                fn.bound.pop()

    def visit_Yield(self, node: cst.Yield) -> None:
        if not self.functions:
            return
        fn = self.functions[-1]
        value = node.value
        if isinstance(value, cst.Name) and (self._session(fn, value.value) or value.value in fn.bound):
            fn.yields_session = True
            fn.yield_in_begin = fn.yield_in_begin or fn.begin > 0

    # ------------------------------------------------------------------ calls
    def visit_Call(self, node: cst.Call) -> None:
        if not self.functions or not isinstance(node.func, cst.Attribute):
            return
        fn = self.functions[-1]
        method = node.func.attr.value
        receiver = dotted(node.func.value)
        if method not in ("commit", "rollback") or not self._session(fn, receiver):
            return
        assert receiver is not None
        if method == "rollback":
            fn.rollbacks.append(receiver)
        elif not positional(node):
            self._commit(fn, node, receiver)

    def _commit(self, fn: _Function, node: cst.Call, receiver: str) -> None:
        guarded = fn.begin > 0 or receiver.split(".", 1)[0] in fn.bound
        commit = _Commit(node, receiver, tuple(fn.branch), tuple(fn.blocks), guarded)
        if not fn.reported:
            for earlier in fn.commits:
                if not earlier.terminated and not _exclusive(earlier.branch, commit.branch):
                    fn.reported = True
                    self.report(
                        node,
                        "Function commits more than once: the steps before the first commit stay stored if a later one fails",
                        "Commit once, at the end of the unit of work: make the steps one transaction "
                        "(`with session.begin():`, or `session.flush()` between steps and a single commit with "
                        "`except: session.rollback()`).",
                    )
                    break
        fn.commits.append(commit)


class UnguardedCommit(_NonAtomic, ProjectRule):
    __doc__ = _NonAtomic.__doc__

    def check(self) -> None:
        facts = self.project.facts_of("unguarded_commit")
        if not facts:
            return
        aliases = {str(f.get("name")): str(f.get("target")) for f in self.project.facts_of("dependency_alias")}
        providers = self.project.facts_of("session_dependency")
        safe = {str(f.get("name")) for f in providers if f.get("rollback")}
        # every session the project hands out is rolled back on error: a session that a function
        # merely receives as an argument (crud.create_user(session=...)) comes from one of them
        all_safe = bool(providers) and len(safe) == len({str(f.get("name")) for f in providers})
        handled = {str(f.get("receiver")) for f in self.project.facts_of("rollback_handler")}
        for fact in facts:
            dependency = str(fact.get("dependency") or "")
            dependency = aliases.get(dependency, dependency)
            if dependency in safe or str(fact.get("receiver")) in handled:
                continue
            if all_safe and fact.get("parameter"):
                continue
            self.report_fact(fact)


def _exclusive(a: tuple[tuple[int, str], ...], b: tuple[tuple[int, str], ...]) -> bool:
    """Two points are on exclusive paths when they sit in different branches of one `if`."""
    branches = dict(a)
    return any(key in branches and branches[key] != side for key, side in b)


def _typed_only(fn: _Function, root: str) -> bool:
    """A parameter whose "dependency" is only its type (``session: AsyncSession``), not a provider."""
    return root in fn.params and fn.deps.get(root, "") in ("Session", "AsyncSession", "scoped_session", "Connection", "AsyncConnection")


def _depends_target(expr: cst.BaseExpression | None) -> str:
    """``get_db`` of ``Depends(get_db)`` or of ``Annotated[Session, Depends(get_db)]``; else ""."""
    if isinstance(expr, cst.Call) and last_name(expr.func) == "Depends":
        args = positional(expr)
        return last_name(args[0]) if args and isinstance(args[0], (cst.Name, cst.Attribute)) else ""
    if isinstance(expr, cst.Subscript) and last_name(expr.value) == "Annotated":
        for element in expr.slice[1:]:
            if isinstance(element.slice, cst.Index):
                found = _depends_target(element.slice.value)
                if found:
                    return found
    return ""
