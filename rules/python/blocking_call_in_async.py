"""QLT004: blocking I/O inside `async def` (sleep, sync HTTP, files, subprocesses, sync DB)."""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from critic.rule import Invalid, PythonFile, PythonRule, Valid
from critic.rules.python._names import ImportAliases, last_name, string_value

_SLEEP_FIX = "Use `await asyncio.sleep(...)`."
_HTTP_FIX = "Use an async client: `async with httpx.AsyncClient() as client: await client.get(...)`."
_FILE_FIX = "Use `aiofiles.open(...)` with `await`, or move the file work to `await asyncio.to_thread(...)`."
_PROCESS_FIX = "Use `await asyncio.create_subprocess_exec(...)`, or `await asyncio.to_thread(subprocess.run, ...)`."
_SMTP_FIX = "Send mail with an async client (`aiosmtplib.send(...)`), or hand it to `await asyncio.to_thread(...)` / FastAPI `BackgroundTasks`."
_DRIVER_FIX = "Use an async driver (asyncpg, aiosqlite, aiomysql, psycopg's AsyncConnection) with `await`, or run the work in `await asyncio.to_thread(...)`."
_SESSION_FIX = (
    "Use an `AsyncSession` (`create_async_engine` + `async_sessionmaker`) and `await` its calls, "
    "or declare the endpoint with plain `def` so FastAPI runs it in its thread pool."
)

#: Fully qualified blocking callables -> the fix.
_BLOCKING: dict[str, str] = {
    "time.sleep": _SLEEP_FIX,
    "urllib.request.urlopen": _HTTP_FIX,
    "urllib.request.urlretrieve": _HTTP_FIX,
    "urllib.urlopen": _HTTP_FIX,
    "urllib2.urlopen": _HTTP_FIX,
    "httpx.Client": _HTTP_FIX,
    "builtins.open": _FILE_FIX,
    "io.open": _FILE_FIX,
    "os.system": _PROCESS_FIX,
    "os.popen": _PROCESS_FIX,
    "psycopg2.connect": _DRIVER_FIX,
    "psycopg.connect": _DRIVER_FIX,
    "psycopg.Connection.connect": _DRIVER_FIX,
    "sqlite3.connect": _DRIVER_FIX,
    "pymysql.connect": _DRIVER_FIX,
    "MySQLdb.connect": _DRIVER_FIX,
    "mysql.connector.connect": _DRIVER_FIX,
    "smtplib.SMTP": _SMTP_FIX,
    "smtplib.SMTP_SSL": _SMTP_FIX,
    "ftplib.FTP": _HTTP_FIX,
    "socket.create_connection": _HTTP_FIX,
}
_REQUESTS_CALLS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "Session", "session"})
_HTTPX_CALLS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"})
_SUBPROCESS_CALLS = frozenset({"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"})

#: Annotations (qualified) that mean a synchronous SQLAlchemy/SQLModel session.
_SYNC_SESSIONS = frozenset(
    {"sqlalchemy.orm.Session", "sqlalchemy.orm.session.Session", "sqlmodel.Session", "sqlmodel.orm.session.Session", "sqlalchemy.orm.scoped_session"}
)
_SESSION_FACTORIES = frozenset({"sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker", "sqlalchemy.orm.scoped_session"})
#: Session methods that talk to the database.
_SESSION_IO = frozenset(
    {"query", "execute", "scalar", "scalars", "get", "commit", "flush", "refresh", "rollback", "merge", "delete", "exec", "connection", "bulk_save_objects"}
)
_TYPE_WRAPPERS = frozenset({"Optional", "Annotated", "Union"})


@dataclass
class _Frame:
    name: str
    is_async: bool
    sessions: set[str] = field(default_factory=set)


class BlockingCallInAsync(ImportAliases, PythonRule):
    """
    ## What it does
    Finds blocking calls made directly in the body of an `async def` (not in a nested `def` or
    `lambda`, which may run in a thread): `time.sleep`, `requests.*`, `urllib.request.urlopen`,
    `httpx.get/post/...` and `httpx.Client`, the built-in `open()`, `subprocess.*`,
    `os.system`/`os.popen`, sync database drivers (`psycopg2.connect`, `sqlite3.connect`,
    `pymysql.connect`...), sync network clients (`smtplib.SMTP`/`SMTP_SSL`, `ftplib.FTP`,
    `socket.create_connection`), and a synchronous SQLAlchemy/SQLModel `Session` used without `await`
    (a parameter annotated `Session`, or a session opened from `Session(...)`/a `sessionmaker`
    inside the function). Import aliases are followed (`import time as t`,
    `from time import sleep`); `aiofiles.open`, `httpx.AsyncClient` and `AsyncSession` are fine.

    ## Why is this bad?
    An `async def` runs on the event loop. A blocking call stops the loop: every other request
    the worker is serving waits until it returns, so one slow HTTP call or query stalls the
    whole service. EXE asks for async I/O throughout.

    ## Example
        @router.get("/users")
        async def list_users(db: Session = Depends(get_db)):
            time.sleep(1)
            return db.query(User).all()

    ## Use instead
        @router.get("/users")
        async def list_users(db: AsyncSession = Depends(get_db)):
            await asyncio.sleep(1)
            return (await db.scalars(select(User))).all()
    """

    id = "QLT004"
    name = "blocking-call-in-async"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("EXE Python Backend",)
    peers = ("ruff:ASYNC210", "ruff:ASYNC220", "ruff:ASYNC221", "ruff:ASYNC222", "ruff:ASYNC230", "ruff:ASYNC251", "semgrep:async-blocking-call")
    message = "Blocking call inside `async def`"
    fix = "Use the async equivalent with `await`, or move the blocking work to `await asyncio.to_thread(...)`."

    VALID = (
        Valid(
            "import asyncio, time, aiofiles, httpx\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n"
            "async def handler(db: AsyncSession):\n"
            "    await asyncio.sleep(1)\n"
            "    async with aiofiles.open('x') as f:\n"
            "        data = await f.read()\n"
            "    async with httpx.AsyncClient() as client:\n"
            "        await client.get('https://example.com')\n"
            "    await db.execute('x')\n"
            "    await asyncio.to_thread(time.sleep, 1)\n"
            "    def work():\n"
            "        time.sleep(1)\n"
            "        return open('x').read()\n"
            "    return await asyncio.to_thread(work)\n"
        ),
        Valid(
            "import time, requests\n"
            "from sqlalchemy.orm import Session\n"
            "def sync_handler(db: Session):\n"
            "    time.sleep(1)\n"
            "    return db.query(User).all()\n"
        ),
    )
    INVALID = (
        Invalid("import time as t\nasync def f():\n    t.sleep(1)\n", line=3),
        Invalid("from requests import get\nasync def f(url):\n    return get(url).json()\n", line=3),
        Invalid("async def f(path):\n    with open(path) as fh:\n        return fh.read()\n", line=2),
        Invalid(
            "import smtplib\n\n\nasync def send_order_email(to, body):\n"
            "    with smtplib.SMTP('smtp.example.com') as smtp:\n        smtp.sendmail('noreply@example.com', [to], body)\n",
            line=5,
        ),
        Invalid(
            "from fastapi import Depends\n"
            "from sqlalchemy.orm import Session\n"
            "async def list_users(db: Session = Depends(get_db)):\n"
            "    users = db.query(User).all()\n"
            "    return users\n",
            line=4,
        ),
        Invalid(
            "from sqlalchemy.orm import sessionmaker\n"
            "SessionLocal = sessionmaker(bind=engine)\n"
            "async def job():\n"
            "    with SessionLocal() as session:\n"
            "        session.execute(stmt)\n",
            line=5,
        ),
        Invalid("import subprocess\nasync def f():\n    subprocess.run(['ls'])\n", line=3),
    )

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.aliases: dict[str, str] = {}
        self.frames: list[_Frame] = []
        self.factories: set[str] = set()  # module names bound to a sync sessionmaker
        self.session_types: set[str] = set()  # module aliases of Annotated[Session, ...]
        self.awaited: set[int] = set()

    # ----------------------------------------------------------------- module facts
    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        name = node.targets[0].target.value
        if not self.frames:
            if self._is_sync_factory_call(node.value):
                self.factories.add(name)
            elif self._is_sync_session_annotation(node.value):
                self.session_types.add(name)
        elif self.frames[-1].is_async and self._opens_sync_session(node.value):
            self.frames[-1].sessions.add(name)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if not isinstance(node.target, cst.Name) or node.value is None:
            return
        if not self.frames:
            if last_name(node.annotation.annotation) == "TypeAlias" and self._is_sync_session_annotation(node.value):
                self.session_types.add(node.target.value)
            elif self._is_sync_factory_call(node.value):
                self.factories.add(node.target.value)
        elif self.frames[-1].is_async and (
            self._opens_sync_session(node.value) or self._is_sync_session_annotation(node.annotation.annotation)
        ):
            self.frames[-1].sessions.add(node.target.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if self.frames and self.frames[-1].is_async and node.asname is not None and isinstance(node.asname.name, cst.Name):
            if self._opens_sync_session(node.item):
                self.frames[-1].sessions.add(node.asname.name.value)

    def _is_sync_factory_call(self, node: cst.BaseExpression) -> bool:
        if not isinstance(node, cst.Call):
            return False
        qualified = self.qualify(node.func)
        if qualified == "sqlalchemy.orm.scoped_session":
            inner = node.args[0].value if node.args else None
            return (isinstance(inner, cst.Name) and inner.value in self.factories) or (
                inner is not None and self._is_sync_factory_call(inner)
            )
        if qualified not in _SESSION_FACTORIES:
            return False
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "class_" and "Async" in (last_name(arg.value) or ""):
                return False
        return True

    def _opens_sync_session(self, node: cst.BaseExpression) -> bool:
        if not isinstance(node, cst.Call):
            return False
        if isinstance(node.func, cst.Name) and node.func.value in self.factories:
            return True
        return self.qualify(node.func) in _SYNC_SESSIONS

    def _is_sync_session_annotation(self, node: cst.BaseExpression) -> bool:
        text = string_value(node)
        if text is not None:
            try:
                node = cst.parse_expression(text.strip())
            except Exception:
                return False
        if isinstance(node, cst.Name) and node.value in self.session_types:
            return True
        if isinstance(node, cst.Subscript) and last_name(node.value) in _TYPE_WRAPPERS and node.slice:
            first = node.slice[0].slice
            if isinstance(first, cst.Index):
                if last_name(node.value) == "Union":
                    return any(isinstance(s.slice, cst.Index) and self._is_sync_session_annotation(s.slice.value) for s in node.slice)
                return self._is_sync_session_annotation(first.value)
            return False
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            return self._is_sync_session_annotation(node.left) or self._is_sync_session_annotation(node.right)
        return self.qualify(node) in _SYNC_SESSIONS

    # ----------------------------------------------------------------- scopes
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        frame = _Frame(node.name.value, node.asynchronous is not None)
        if frame.is_async:
            params = node.params
            for param in (*params.posonly_params, *params.params, *params.kwonly_params):
                if param.annotation is not None and self._is_sync_session_annotation(param.annotation.annotation):
                    frame.sessions.add(param.name.value)
        self.frames.append(frame)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.frames.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.frames.append(_Frame("<lambda>", False))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.frames.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.frames.append(_Frame(node.name.value, False))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.frames.pop()

    # ----------------------------------------------------------------- calls
    def visit_Await(self, node: cst.Await) -> None:
        self.awaited.add(id(node.expression))

    def visit_Call(self, node: cst.Call) -> None:
        if not self.frames or not self.frames[-1].is_async:
            return
        frame = self.frames[-1]
        func = node.func
        qualified = self.qualify(func)
        if qualified is None and isinstance(func, cst.Name) and func.value == "open":
            qualified = "builtins.open"
        fix = _blocking_fix(qualified) if qualified else None
        if fix is not None:
            shown = qualified.removeprefix("builtins.")
            self.report(node, f"Blocking call `{shown}()` inside `async def {frame.name}` stalls the event loop", fix)
            return
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in frame.sessions
            and func.attr.value in _SESSION_IO
            and id(node) not in self.awaited
        ):
            self.report(
                node,
                f"Synchronous SQLAlchemy `Session` call `{func.value.value}.{func.attr.value}()` inside `async def {frame.name}` blocks the event loop",
                _SESSION_FIX,
            )


def _blocking_fix(qualified: str) -> str | None:
    fix = _BLOCKING.get(qualified)
    if fix is not None:
        return fix
    module, _, name = qualified.rpartition(".")
    if module == "requests" and name in _REQUESTS_CALLS:
        return _HTTP_FIX
    if module == "httpx" and name in _HTTPX_CALLS:
        return _HTTP_FIX
    if module == "subprocess" and name in _SUBPROCESS_CALLS:
        return _PROCESS_FIX
    return None
