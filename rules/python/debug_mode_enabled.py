"""SEC008: debug mode is off."""
from __future__ import annotations

import libcst as cst

from critic.rule import Invalid, Valid
from critic.rules.python._secret_names import ImportAwareRule, dotted, keyword, last_name, subscript_key, words

_APP_CLASSES = frozenset({"FastAPI", "Starlette", "Quart", "Sanic"})
_UVICORN = frozenset({"uvicorn.run", "uvicorn.Config", "uvicorn.main.run", "uvicorn.config.Config"})
_DEV_WORDS = frozenset({"dev", "develop", "development", "local", "debug"})
_APP_WORDS = frozenset({"app", "application", "api", "server", "flask", "fastapi"})
_DEV_SETTINGS = frozenset({"dev", "development", "local", "test", "tests", "testing", "debug"})


def _is_true(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def dev_only(path: str) -> bool:
    """A development helper rather than the production entry point: `scripts/dev_server.py`, `run_dev.py`."""
    parts = path.split("/")
    stems = parts[:-1] + [parts[-1].rsplit(".", 1)[0]]
    return any(set(words(p)) & _DEV_WORDS for p in stems)


def settings_module(path: str) -> bool:
    """A Django-style settings module: `settings.py`, `settings/base.py`, `settings/production.py`."""
    parts = path.split("/")
    name = parts[-1]
    if name == "settings.py":
        return True
    return len(parts) > 1 and parts[-2] == "settings" and name.endswith(".py") and name[:-3] not in _DEV_SETTINGS


class DebugModeEnabled(ImportAwareRule):
    """
    ## What it does
    Checks for debug mode switched on in code that ships: `FastAPI(debug=True)` (also
    Starlette), Flask `app.run(debug=True)`, `app.debug = True`, `app.config["DEBUG"] = True`
    or `app.config.update(DEBUG=True)`, a module-level `DEBUG = True` in a settings module
    (`settings.py`, `settings/base.py`, `settings/production.py`), and
    `uvicorn.run(..., reload=True)` (or `debug=True`).

    Values read from the environment (`debug=settings.DEBUG`,
    `DEBUG = os.getenv("DEBUG") == "1"`) are fine, and so are development-only files
    (`settings/dev.py`, `settings/local.py`, `scripts/dev_server.py`, `run_dev.py`) and
    test code.

    ## Why is this bad?
    Debug mode turns every unhandled error into a page with the stack trace, local variables
    and settings, and Werkzeug's debugger is a remote Python shell (CWE-489, CWE-215). The
    auto-reloader watches the file system and doubles the processes in production. DEV asks
    for OWASP-compliant defaults.

    ## Example
        app = FastAPI(title="Orders", debug=True)

        if __name__ == "__main__":
            uvicorn.run("main:app", host="0.0.0.0", port=8000, reload=True)

    ## Use instead
        app = FastAPI(title="Orders", debug=settings.DEBUG)

        if __name__ == "__main__":
            uvicorn.run("main:app", host="0.0.0.0", port=8000)
    """

    id = "SEC008"
    name = "debug-mode-enabled"
    tier = "critical"
    severity = "high"
    confidence = "high"
    sources = ("DEV Constraints (OWASP)",)
    peers = ("bandit:B201",)
    cwe = ("CWE-489", "CWE-215")
    owasp = ("A05:2021",)
    message = "Debug mode is enabled"
    fix = "Turn debug off in shipped code, or read it from the environment with an off default (debug=settings.DEBUG)."
    VALID = (
        Valid(
            "import os\nimport uvicorn\nfrom fastapi import FastAPI\n\n"
            'app = FastAPI(debug=os.getenv("DEBUG") == "1")\n\n'
            'if __name__ == "__main__":\n    uvicorn.run("main:app", host="0.0.0.0", port=8000, reload=settings.RELOAD)\n',
            path="main.py",
        ),
        Valid('import uvicorn\nuvicorn.run("app.main:app", reload=True)\n', path="scripts/dev_server.py"),
        Valid("DEBUG = True\n", path="project/settings/dev.py"),
        Valid('DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"\n', path="project/settings.py"),
        Valid("class Settings(BaseSettings):\n    debug: bool = False\n\ndef toggle(self):\n    self.debug = True\n", path="app/config.py"),
    )
    INVALID = (
        Invalid('from fastapi import FastAPI\n\napp = FastAPI(title="x", debug=True)\n', line=3),
        Invalid('from flask import Flask\napp = Flask(__name__)\n\nif __name__ == "__main__":\n    app.run(host="0.0.0.0", debug=True)\n', line=5),
        Invalid("DEBUG = True\n", path="mysite/settings.py", line=1),
        Invalid('import uvicorn\n\nif __name__ == "__main__":\n    uvicorn.run("app.main:app", host="0.0.0.0", reload=True)\n', path="app/main.py", line=4),
        Invalid('app.config["DEBUG"] = True\n', line=1),
        Invalid("app.debug = True\n", line=1),
    )

    def __init__(self, file) -> None:
        super().__init__(file)
        self.off = file.is_test or dev_only(file.path)
        self.settings = settings_module(file.path)
        self.depth = 0  # inside a function or class

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.depth -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if self.off:
            return
        func = node.func
        qualified = self.imports.qualify(func) or ""
        last = last_name(func) or ""
        if qualified in _UVICORN:
            if _is_true(keyword(node, "reload")):
                self.report(node, "uvicorn runs with reload=True in the entry point", "Drop reload=True from the shipped entry point (use `uvicorn --reload` only in development).")
            elif _is_true(keyword(node, "debug")):
                self.report(node, "uvicorn runs with debug=True in the entry point", self.fix)
            return
        if last in _APP_CLASSES and _is_true(keyword(node, "debug")):
            self.report(node, f"{last}(debug=True) returns stack traces to clients", "Remove debug=True, or pass debug=settings.DEBUG with an off default.")
            return
        if isinstance(func, cst.Attribute):
            if last == "run" and _is_true(keyword(node, "debug")):
                self.report(node, "The app runs with debug=True (interactive debugger, stack traces)", "Remove debug=True from app.run(); serve with gunicorn/uvicorn and read DEBUG from the environment.")
            elif last in ("update", "from_mapping") and last_name(func.value) == "config" and _is_true(keyword(node, "DEBUG")):
                self.report(node, "App config sets DEBUG=True", self.fix)
        elif last == "run_simple" and _is_true(keyword(node, "use_debugger")):
            self.report(node, "Werkzeug runs with use_debugger=True", self.fix)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.off or not _is_true(node.value):
            return
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and t.attr.value == "debug" and set(words(last_name(t.value) or "")) & _APP_WORDS:
                self.report(node, f"`{dotted(t) or 'app.debug'}` is set to True", self.fix)
                return
            if isinstance(t, cst.Subscript) and subscript_key(t) == "DEBUG" and last_name(t.value) == "config":
                self.report(node, "App config sets DEBUG = True", self.fix)
                return
            if isinstance(t, cst.Name) and t.value == "DEBUG" and self.settings and self.depth == 0:
                self.report(node, "The settings module sets DEBUG = True", 'Read it from the environment with an off default: DEBUG = os.environ.get("DJANGO_DEBUG") == "1".')
                return
