"""Where a finding about the project as a whole is shown: the application's entry point."""
from __future__ import annotations

from critic.project import Project

#: Conventional names of an entry-point module, when no app construction was seen.
_ENTRY_NAMES = ("main.py", "app.py", "wsgi.py", "asgi.py", "server.py", "run.py")


def _support(path: str) -> bool:
    parts = path.split("/")
    name, folders = parts[-1], parts[:-1]
    return (
        bool({"tests", "test", "migrations", "versions", "alembic"} & set(folders))
        or name.startswith("test_")
        or name in ("conftest.py", "__init__.py")
    )


def entry_point(project: Project) -> str | None:
    """The file a project-level finding is reported in (at line 1).

    The first module that builds the app (an ``app`` fact: ``FastAPI(``/``Flask(``), else
    Django's ``manage.py`` or ``settings.py``, else the shallowest module with a conventional
    entry-point name, else the first Python file of the application (not a test, a migration
    or an empty ``__init__.py``), else the first file, by path order.
    None for an empty tree.
    """
    apps = sorted((f.path, f.line) for f in project.facts_of("app"))
    if apps:
        return apps[0][0]
    python = project.paths("python")
    for wanted in (("manage.py",), ("settings.py",), _ENTRY_NAMES):
        named = [p for p in python if p.rsplit("/", 1)[-1] in wanted]
        if named:
            return min(named, key=lambda p: (p.count("/"), p))
    if python:
        # the first module of the application itself: not a test, not a generated migration
        own = [p for p in python if not _support(p)]
        return (own or python)[0]
    files = project.paths()
    return files[0] if files else None
