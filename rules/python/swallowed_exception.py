"""QLT003: failures silently swallowed by a bare `except:` or a broad `except Exception` handler."""
from __future__ import annotations

import re

import libcst as cst

from critic.rule import Invalid, PythonFile, PythonRule, Valid
from critic.rules.python._names import dotted, last_name

_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg"})
#: A receiver that is a logger: logger, log, logging, _logger, self.logger, app.logger, audit_log...
_LOGGER = re.compile(r"^_*(?:\w*_)?(?:log|logger|logging|structlog)$", re.IGNORECASE)
#: Calls on a logger that return a logger (`logger.bind(...).error`, loguru `logger.opt(...)`).
_LOGGER_FACTORIES = frozenset({"getLogger", "get_logger", "bind", "opt", "new", "child"})
#: Calls that hand the error to an error tracker: as good as logging it.
_REPORTERS = frozenset({"capture_exception", "capture_message", "report_exc_info", "notify_exception"})
#: Calls that leave the handler by raising (`abort(500)` raises HTTPException, sys.exit SystemExit).
_RAISING = frozenset({"abort", "sys.exit", "exit", "os._exit", "pytest.fail", "pytest.skip", "flask.abort"})
#: Calls that only print or inspect the caught exception: passing it to them hands nothing on.
_INSPECTING = frozenset(
    {"print", "str", "repr", "type", "format", "isinstance", "issubclass", "getattr", "hasattr", "len", "bool", "id", "vars", "pprint"}
)


def is_logging_call(node: cst.Call) -> bool:
    func = node.func
    if not isinstance(func, cst.Attribute):
        return last_name(func) in _REPORTERS
    if func.attr.value in _REPORTERS:
        return True
    if func.attr.value not in _LOG_METHODS:
        return False
    return _is_logger(func.value)


def _is_logger(receiver: cst.BaseExpression) -> bool:
    if isinstance(receiver, cst.Call):
        return last_name(receiver.func) in _LOGGER_FACTORIES
    name = last_name(receiver)
    return bool(name and _LOGGER.match(name))


class SwallowedException(PythonRule):
    """
    ## What it does
    Finds exception handlers that hide failures: every bare `except:`, and every
    `except Exception` / `except BaseException` (alone or in a tuple) whose body neither
    re-raises (any `raise`, `abort(...)`, `sys.exit(...)`) nor logs (a `logger.*`, `logging.*`,
    `log.*` call, or an error tracker's `capture_exception`) nor hands the caught exception
    object on (`future.set_exception(exc)`, `error = exc`, `return exc`). `print` and
    `traceback.print_exc()` are not logging, and `str(exc)` in a response is not handing it on.
    Handlers of specific exceptions (`except KeyError:`) are not reported.

    ## Why is this bad?
    A swallowed exception turns a failure into silence: the request "succeeds", data is lost
    or half-written, and nobody can find out why. A bare `except:` also catches
    `KeyboardInterrupt` and `SystemExit`. EXE requires errors to be handled explicitly, never
    hidden.

    ## Example
        try:
            send_welcome_email(user)
        except Exception:
            pass

    ## Use instead
        try:
            send_welcome_email(user)
        except SMTPException:
            logger.exception("welcome email failed for user %s", user.id)
    """

    id = "QLT003"
    name = "swallowed-exception"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("EXE Code Quality",)
    peers = ("ruff:E722", "ruff:BLE001", "ruff:S110", "ruff:S112", "bandit:B110", "bandit:B112")
    cwe = ("CWE-390", "CWE-396")
    message = "Broad exception handler swallows the error"
    fix = "Catch the specific exceptions you expect; log the failure (`logger.exception(...)`) or re-raise it, e.g. as an HTTP error the client can act on."
    BARE_FIX = "Name the exceptions you expect (`except (ValueError, KeyError):`), or at least `except Exception:` with `logger.exception(...)` and a re-raise."

    VALID = (
        Valid(
            "import logging\n"
            "logger = logging.getLogger(__name__)\n"
            "def f():\n"
            "    try:\n"
            "        work()\n"
            "    except Exception:\n"
            '        logger.exception("work failed")\n'
            "    try:\n"
            "        work()\n"
            "    except (ValueError, Exception) as exc:\n"
            "        db.rollback()\n"
            "        raise HTTPException(500) from exc\n"
            "    try:\n"
            "        work()\n"
            "    except KeyError:\n"
            "        pass\n"
        ),
        Valid(
            "def f():\n"
            "    try:\n"
            "        work()\n"
            "    except Exception as exc:\n"
            "        self.logger.bind(job=1).error(\"failed: %s\", exc)\n"
            "    try:\n"
            "        work()\n"
            "    except BaseException:\n"
            "        sentry_sdk.capture_exception()\n"
            "    try:\n"
            "        work()\n"
            "    except Exception:\n"
            "        abort(500)\n"
        ),
    )
    INVALID = (
        Invalid("try:\n    work()\nexcept:\n    raise\n", line=3),
        Invalid("def f():\n    try:\n        work()\n    except Exception:\n        pass\n", line=4),
        Invalid(
            "def f():\n"
            "    try:\n"
            "        work()\n"
            "    except (ValueError, BaseException) as e:\n"
            '        print("failed", e)\n'
            "        def later():\n"
            "            raise e\n"
            "        return None\n",
            line=4,
        ),
    )

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        # open broad handlers: [node, handled]; a function or lambda starts a new group
        self.frames: list[list] = []
        self.barriers: list[int] = [0]

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.type is None:
            self.report(node, "Bare `except:` catches every exception, including KeyboardInterrupt and SystemExit", self.BARE_FIX)
            return
        if _is_broad(node.type):
            bound = node.name.name.value if node.name is not None and isinstance(node.name.name, cst.Name) else None
            self.frames.append([node, False, bound])

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        if self.frames and self.frames[-1][0] is original_node:
            node, handled, _ = self.frames.pop()
            if not handled:
                caught = "BaseException" if _catches(node.type, "BaseException") else "Exception"
                self.report(node, f"`except {caught}` swallows the error: the handler neither re-raises nor logs it")

    # `except* Exception:` (TryStar) is held to the same standard
    visit_ExceptStarHandler = visit_ExceptHandler
    leave_ExceptStarHandler = leave_ExceptHandler

    def _mark(self) -> None:
        for frame in self.frames[self.barriers[-1] :]:
            frame[1] = True

    def visit_Raise(self, node: cst.Raise) -> None:
        self._mark()

    def visit_Call(self, node: cst.Call) -> None:
        if not self.frames:
            return
        if is_logging_call(node) or dotted(node.func) in _RAISING:
            self._mark()
            return
        callee = dotted(node.func) or ""
        if callee in _INSPECTING or callee.startswith(("traceback.", "print")):
            return
        for arg in node.args:  # the caught exception object is handed on: future.set_exception(exc)
            self._handed_on(arg.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.frames:
            self._handed_on(node.value)  # stored for later: `error = exc`

    def visit_Return(self, node: cst.Return) -> None:
        if self.frames and node.value is not None:
            self._handed_on(node.value)

    def _handed_on(self, value: cst.BaseExpression) -> None:
        if isinstance(value, cst.Name):
            for frame in self.frames[self.barriers[-1] :]:
                if frame[2] == value.value:
                    frame[1] = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.barriers.append(len(self.frames))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.barriers.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.barriers.append(len(self.frames))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.barriers.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.barriers.append(len(self.frames))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.barriers.pop()


def _is_broad(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Tuple):
        return any(_is_broad(element.value) for element in node.elements)
    return dotted(node) in _BROAD


def _catches(node: cst.BaseExpression, name: str) -> bool:
    if isinstance(node, cst.Tuple):
        return any(_catches(element.value, name) for element in node.elements)
    return last_name(node) == name
