"""PRJ002: tests exist for the code."""
from __future__ import annotations

import re

from critic.rule import Invalid, ProjectRule, Valid
from critic.rules.project.entry_point import entry_point

_MAIN = "from fastapi import FastAPI\n\napp = FastAPI()\n"
_TEST = "def test_health(client):\n    assert client.get('/health').status_code == 200\n"
_DJANGO_TEST = re.compile(r"^\s*(async\s+)?def\s+test|^\s*class\s+\w*Test", re.MULTILINE)


class MissingTests(ProjectRule):
    """
    ## What it does
    Reports a project with Python code but no test file: no `test_*.py` or `*_test.py`
    anywhere (in `tests/` or beside the code), and no Django `tests.py` that defines a test.
    Reported once, at line 1 of the application's entry point.

    ## Why is this bad?
    AGT requires unit tests before hand-off and EXE's testing protocol runs them in the
    container; DEV's validation criteria include "tests pass". Code delivered without tests
    gives the critique nothing to run and the next change nothing to protect it.

    ## Example
        app/main.py
        app/routers/users.py

    ## Use instead
        app/main.py
        app/routers/users.py
        tests/conftest.py
        tests/test_users.py
    """

    id = "PRJ002"
    name = "missing-tests"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("AGT Before Handoff (unit tests)", "EXE Testing Protocol")
    message = "The project has no tests"
    fix = (
        "Add pytest tests under `tests/` (`tests/test_<feature>.py`) covering each endpoint's success and "
        "error cases, with fixtures in `tests/conftest.py`."
    )
    VALID = (
        Valid(files={"app/main.py": _MAIN, "tests/test_health.py": _TEST}),
        Valid(files={"app/main.py": _MAIN, "app/health_test.py": _TEST}),
        Valid(files={"manage.py": "", "shop/tests.py": "from django.test import TestCase\n\n\nclass OrderTests(TestCase):\n    pass\n"}),
        # nothing to test
        Valid(files={"README.md": "# notes\n"}),
    )
    INVALID = (
        Invalid(files={"app/main.py": _MAIN, "tests/__init__.py": "", "tests/conftest.py": "import pytest\n"}, line=1, path="app/main.py"),
        # Django's generated tests.py with no test in it
        Invalid(files={"manage.py": "", "shop/tests.py": "from django.test import TestCase\n\n# Create your tests here.\n"}, line=1, path="manage.py"),
    )

    def check(self) -> None:
        python = self.project.paths("python")
        if not python:
            return
        for path in python:
            name = path.rsplit("/", 1)[-1]
            if name.startswith("test_") or name.endswith("_test.py"):
                return
        for path in python:
            if path.rsplit("/", 1)[-1] == "tests.py":
                text = self.project.read_text(path) or ""
                if _DJANGO_TEST.search(text):
                    return
        where = entry_point(self.project)
        if where is not None:
            self.report(where, 1)
