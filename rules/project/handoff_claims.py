"""PRJ005: the build agent's hand-off claims hold in the delivered tree."""
from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from critic.parsers.dockerfile import Dockerfile, key_values, parse_dockerfile
from critic.parsers.yaml_doc import Node, load_yaml
from critic.rule import Invalid, ProjectRule, Valid
from critic.rules.dockerfile._support import substitute
from critic.rules.project.entry_point import entry_point
from critic.rules.project.routes import ResolvedRoute, resolve_routes
from critic.rules.project.spec_compliance import shape
from critic.rules.python.stack_facts import database_of_string

_IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

#: Framework names a claim may use -> the framework (non-Python ones can only be wrong here).
_FRAMEWORK_WORDS = {
    "fastapi": "fastapi", "flask": "flask", "django": "django", "starlette": "starlette", "litestar": "litestar",
    "sanic": "sanic", "aiohttp": "aiohttp", "tornado": "tornado", "quart": "quart", "falcon": "falcon",
    "bottle": "bottle", "pyramid": "pyramid", "express": "express", "expressjs": "express", "nestjs": "nestjs",
    "koa": "koa", "hapi": "hapi", "gin": "gin", "chi": "chi", "echo": "echo", "fiber": "fiber", "spring": "spring",
    "rails": "rails", "laravel": "laravel", "actix": "actix", "axum": "axum", "phoenix": "phoenix",
}
#: Modules whose import shows which framework serves the app.
_FRAMEWORK_MODULES = {
    "fastapi": "fastapi", "starlette": "starlette", "flask": "flask", "django": "django", "rest_framework": "django",
    "litestar": "litestar", "sanic": "sanic", "aiohttp": "aiohttp", "tornado": "tornado", "quart": "quart",
    "falcon": "falcon", "bottle": "bottle", "pyramid": "pyramid",
}
_DISPLAY = {"fastapi": "FastAPI", "flask": "Flask", "django": "Django", "starlette": "Starlette",
            "postgresql": "PostgreSQL", "mysql": "MySQL", "sqlite": "SQLite", "mongodb": "MongoDB"}
#: Database words a claim may use -> the engine; only these engines are compared.
_DATABASE_WORDS = {
    "postgres": "postgresql", "postgresql": "postgresql", "pg": "postgresql", "psql": "postgresql", "pgsql": "postgresql",
    "postgis": "postgresql", "timescaledb": "postgresql", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite",
    "sqlite3": "sqlite", "mongo": "mongodb", "mongodb": "mongodb",
}
_DRIVER_MODULES = {
    "psycopg": "postgresql", "psycopg2": "postgresql", "asyncpg": "postgresql", "pg8000": "postgresql",
    "pymysql": "mysql", "MySQLdb": "mysql", "aiomysql": "mysql", "asyncmy": "mysql", "mysql": "mysql",
    "sqlite3": "sqlite", "aiosqlite": "sqlite", "pymongo": "mongodb", "motor": "mongodb", "beanie": "mongodb",
    "mongoengine": "mongodb",
}
_REQUIREMENT_DRIVERS = re.compile(
    r"^\s*[\"']?(psycopg2?(?:-binary)?|psycopg\[[^\]]*\]|asyncpg|pg8000|pymysql|mysqlclient|aiomysql|asyncmy|"
    r"mysql-connector-python|aiosqlite|pymongo|motor|beanie|mongoengine)\b",
    re.IGNORECASE | re.MULTILINE,
)
_REQUIREMENT_ENGINE = {
    "psycopg": "postgresql", "psycopg2": "postgresql", "asyncpg": "postgresql", "pg8000": "postgresql",
    "pymysql": "mysql", "mysqlclient": "mysql", "aiomysql": "mysql", "asyncmy": "mysql",
    "mysql-connector-python": "mysql", "aiosqlite": "sqlite", "pymongo": "mongodb", "motor": "mongodb",
    "beanie": "mongodb", "mongoengine": "mongodb",
}
_IMAGE_ENGINE = (("postgis", "postgresql"), ("timescale", "postgresql"), ("postgres", "postgresql"),
                 ("mariadb", "mysql"), ("mysql", "mysql"), ("mongo", "mongodb"))
#: ASGI/WSGI servers: their default port, and the options that set it.
_SERVERS = {"uvicorn": 8000, "gunicorn": 8000, "hypercorn": 8000, "daphne": 8000, "granian": 8000}
_APP_TARGET = re.compile(r"^([A-Za-z_][\w.]*):([A-Za-z_]\w*)(?:\(.*\))?$")

_MAIN = "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get(\"/api/v1/users\")\ndef list_users():\n    return []\n"
_DOCKERFILE = 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nEXPOSE 8000\nCMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]\n'
_COMPOSE = 'services:\n  api:\n    build: .\n    ports:\n      - "8080:8000"\n'


def _handoff(**claims: object) -> str:
    return json.dumps(claims, indent=2) + "\n"


@dataclass(frozen=True)
class _Port:
    """Where the tree says the service listens (container side), and the line that says so."""

    source: str  # "EXPOSE" | "compose" | "command"
    ports: frozenset[int]
    path: str
    line: int
    label: str  # "the Dockerfile EXPOSEs 8000"


class HandoffClaims(ProjectRule):
    """
    ## What it does
    When the critique task gives the build agent's hand-off (`handoff`/`outputs` in the task's
    inputs, or `critic critique --handoff FILE`), checks each claim it makes against the tree,
    in both shapes the seeds define: DEV's `outputs` (`files_created`, `files_modified`,
    `migrations`, `endpoints`, `port`, `framework`, `database`, `commands`, `self_validation`)
    and AGT's hand-off (`deliverables.endpoints.total`, `deliverables.database.migrations`,
    `api.base_url`, `verification.test`, `test_coverage`). One finding per broken claim:

    - a listed file that does not exist (also when the tree is a sub-folder of the paths the
      agent used: `backend/app/main.py` is found as `app/main.py`);
    - a listed endpoint no route serves: `/api/v1/users` must be the path of a route or a prefix
      of routes, `GET /api/v1/users/{id}` a route with that method and path (paths compare by
      shape); an `api.base_url` no route lives under; more endpoints claimed in total than routes;
    - a `port` the Dockerfile's `EXPOSE`, the app service's compose `ports`/`expose` (container
      side) or the server command (`uvicorn --port`, `gunicorn --bind`, the server's default
      port when none is given, in the Dockerfile's CMD or the compose `command`) contradicts. A
      claimed port that is the published side of the app's compose mapping (`"8080:8000"`)
      counts as the container port it maps to. Reported at the Dockerfile `EXPOSE` line when it
      disagrees, else at the compose port, else at the command;
    - a `framework` that names another framework than the one the code imports, and a
      `database` that names another engine than every one the code, the requirements and the
      compose images use (no evidence at all is not a contradiction);
    - a `commands` entry that starts `uvicorn module:app` (gunicorn, hypercorn) for a module
      that does not exist;
    - passing tests or a coverage figure reported for a project without test files, and more
      migrations claimed than the tree holds.

    Findings about the hand-off's own claims are located at the claim in the hand-off file when
    it lies in the scanned tree, else at line 1 of the application's entry point. Not checked:
    URLs, deployment ids, timings, image sizes and anything else only a run can confirm.

    ## Why is this bad?
    The planner answers the user from the hand-off without resuming the agent (DEV: "The planner
    uses these to answer user questions"), and AGT's QA engineer starts from it. A hand-off that
    lists files that were never written, endpoints that are not routed or the wrong port sends
    the user and the next agent to things that are not there.

    ## Example
        {"files_created": ["app/main.py", "app/services/billing.py"],
         "endpoints": ["/api/v1/users", "/api/v1/invoices"], "port": 8080}
        # app/services/billing.py does not exist, no route serves /api/v1/invoices,
        # the Dockerfile says EXPOSE 8000 and uvicorn --port 8000

    ## Use instead
        {"files_created": ["app/main.py"], "endpoints": ["/api/v1/users"], "port": 8000}
    """

    id = "PRJ005"
    name = "false-handoff-claim"
    tier = "critical"
    severity = "high"
    confidence = "high"
    sources = ("DEV Output Requirements", "AGT Hand-Off Format")
    message = "The hand-off claims something the delivered tree contradicts"
    fix = "Make the hand-off describe what was delivered (or deliver what it claims) before handing off."
    VALID = (
        Valid(
            files={
                "app/main.py": _MAIN,
                "Dockerfile": _DOCKERFILE,
                "docker-compose.yml": _COMPOSE,
                "handoff.json": _handoff(
                    files_created=["app/main.py", "Dockerfile"],
                    endpoints=["/api/v1/users", "GET /api/v1/users"],
                    port=8080,  # the published side of "8080:8000"
                    framework="FastAPI 0.111",
                    database="PostgreSQL 16",  # no evidence either way: not a contradiction
                    commands={"dev": "uvicorn app.main:app --reload", "test": "pytest"},
                ),
            },
            context={"handoff": "handoff.json"},
        ),
        # the AGT shape, given inline; the tree is the backend/ folder the agent wrote into
        Valid(
            files={"app/main.py": _MAIN, "tests/test_users.py": "def test_users():\n    assert True\n"},
            context={
                "handoff": {
                    "handoff": {"agent": "Backend Developer", "status": "complete"},
                    "deliverables": {"endpoints": {"total": 1}},
                    "verification": {"all_passed": True, "test": 0},
                    "api": {"base_url": "/api/v1"},
                    "outputs": {"files_created": ["backend/app/main.py"]},
                }
            },
        ),
        # no hand-off: nothing to check
        Valid(files={"app/main.py": _MAIN}),
    )
    INVALID = (
        # a file that does not exist, at its line in the hand-off
        Invalid(
            files={"app/main.py": _MAIN, "handoff.json": _handoff(files_created=["app/main.py", "app/services/billing.py"])},
            context={"handoff": "handoff.json"},
            line=4,
            path="handoff.json",
        ),
        # an endpoint no route serves
        Invalid(
            files={"app/main.py": _MAIN, "handoff.json": _handoff(endpoints=["/api/v1/users", "POST /api/v1/users"])},
            context={"handoff": "handoff.json"},
            line=4,
            path="handoff.json",
        ),
        # the port: at the Dockerfile's EXPOSE line
        Invalid(
            files={"app/main.py": _MAIN, "Dockerfile": _DOCKERFILE, "handoff.json": _handoff(port=5000)},
            context={"handoff": "handoff.json"},
            line=4,
            path="Dockerfile",
        ),
        # another framework, given inline: at line 1 of the entry point
        Invalid(files={"app/main.py": _MAIN}, context={"handoff": {"framework": "Flask 3"}}, line=1, path="app/main.py"),
        # another database
        Invalid(
            files={"app/main.py": _MAIN, "app/db.py": 'import os\n\nURL = os.environ.get("DATABASE_URL", "sqlite:///./app.db")\n'},
            context={"handoff": {"database": "PostgreSQL 15"}},
            line=1,
            path="app/main.py",
        ),
    )

    # ------------------------------------------------------------------ entry
    def check(self) -> None:
        raw = self.project.context.get("handoff")
        if raw is None:
            return
        self._where: str | None = None
        self._tree: Node | None = None
        self._routes: list[ResolvedRoute] | None = None
        doc = self._load(raw)
        if doc is None:
            return
        # endpoints may be claimed relative to the API's base URL ("GET /users" under /api/v1)
        self._bases = [b for b in (_base_path(doc), _base_path(doc.get("outputs"))) if b]
        sections: list[tuple[tuple, Mapping]] = [((), doc)]
        outputs = doc.get("outputs")
        if isinstance(outputs, Mapping):
            sections.append((("outputs",), outputs))
        for at, section in sections:
            self._files(at, section)
            self._endpoints(at, section)
            self._port(at, section)
            self._framework(at, section)
            self._database(at, section)
            self._commands(at, section)
            self._tests(at, section)
        self._agt(doc)

    def _load(self, raw: object) -> Mapping | None:
        if isinstance(raw, Mapping):
            return raw
        if not isinstance(raw, str):
            return None
        root = self.project.root.resolve()
        path = Path(raw)
        full = path if path.is_absolute() else root / path
        try:
            rel = full.resolve().relative_to(root).as_posix()
        except ValueError:
            rel = None
        name = rel or path.name
        try:
            text = full.read_text(encoding="utf-8-sig")
        except OSError as exc:
            self._report_at_entry(f"The hand-off `{name}` cannot be read: {exc.strerror or exc}", "Pass the path of the hand-off JSON file the build agent wrote.")
            return None
        if rel is not None and self.project.exists(rel):
            self._where = rel
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            if self._where:
                self.report(self._where, exc.lineno, f"The hand-off is not valid JSON: {exc.msg}", "Write the hand-off as one JSON object.", column=exc.colno)
            else:
                self._report_at_entry(f"The hand-off `{name}` is not valid JSON: {exc.msg}", "Write the hand-off as one JSON object.")
            return None
        if not isinstance(doc, Mapping):
            self._report_at_entry(f"The hand-off `{name}` is not a JSON object", "Write the hand-off as one JSON object.")
            return None
        if self._where:
            parsed = load_yaml(text)
            self._tree = parsed.root if not parsed.errors else None
        return doc

    # ------------------------------------------------------------------ locating
    def _line(self, keys: Sequence[object]) -> int:
        node = self._tree
        line = 1
        for key in keys:
            if node is None:
                break
            if isinstance(key, int):
                if node.kind != "seq" or key >= len(node.value):
                    break
                node = node.value[key]
                line = node.line
            else:
                node = node.get(str(key))
                if node is None:
                    break
                line = node.key_line or node.line
        return line

    def _claim(self, keys: Sequence[object], message: str, fix: str) -> None:
        if self._where is not None:
            self.report(self._where, self._line(keys), message, fix)
        else:
            self._report_at_entry(message, fix)

    def _report_at_entry(self, message: str, fix: str) -> None:
        where = entry_point(self.project)
        if where is not None:
            self.report(where, 1, message, fix)

    # ------------------------------------------------------------------ files
    def _files(self, at: tuple, section: Mapping) -> None:
        for key in ("files_created", "files_modified"):
            items = section.get(key)
            if not isinstance(items, list):
                continue
            for index, item in enumerate(items):
                if isinstance(item, str) and item.strip() and not self._file_exists(item):
                    self._claim(
                        at + (key, index),
                        f"The hand-off lists `{item.strip()}` under {key}, but the file does not exist",
                        f"Create `{item.strip()}` as described, or remove it from {key} so the hand-off lists only delivered files.",
                    )
        migrations = section.get("migrations")
        if isinstance(migrations, list):
            for index, item in enumerate(migrations):
                if isinstance(item, str) and item.strip() and not self._file_exists(item, anywhere=True):
                    self._claim(
                        at + ("migrations", index),
                        f"The hand-off lists the migration `{item.strip()}`, but no such file exists",
                        "Add the migration (an Alembic revision under versions/), or list the migrations that exist.",
                    )

    def _file_exists(self, claim: str, anywhere: bool = False) -> bool:
        text = claim.strip().replace("\\", "/")
        while text.startswith("./"):
            text = text[2:]
        text = text.strip("/")
        if not text:
            return True
        root = self.project.root
        parts = PurePosixPath(text).parts
        # the claim may name the tree's own folder first (backend/app/main.py for app/main.py)
        for start in range(len(parts)):
            candidate = "/".join(parts[start:])
            if self.project.exists(candidate) or (root / candidate).exists():
                return True
        if anywhere or len(parts) == 1:
            name = parts[-1]
            return any(p.rsplit("/", 1)[-1] == name for p in self.project.paths())
        return any(p.endswith("/" + text) for p in self.project.paths())

    # ------------------------------------------------------------------ endpoints
    def _all_routes(self) -> list[ResolvedRoute]:
        if self._routes is None:
            self._routes = [r for r in resolve_routes(self.project) if r.methods]
        return self._routes

    def _routes_known(self) -> bool:
        """Can critic say what is routed? Not for a tree without any app or route it resolves."""
        return bool(self._all_routes()) or bool(self.project.facts_of("app"))

    def _endpoints(self, at: tuple, section: Mapping) -> None:
        items = section.get("endpoints")
        if isinstance(items, Mapping):  # {"GET /users": "lists users", ...}
            keyed = [(key, key) for key in items]
        elif isinstance(items, list):
            keyed = list(enumerate(items))
        else:
            return
        if not self._routes_known():
            return
        for index, item in keyed:
            method, path = _endpoint(item)
            if path is None or self._routed(method, path):
                continue
            if any(self._routed(method, base + path) for base in self._bases if not path.startswith(base + "/")):
                continue
            label = f"{method} {path}" if method else path
            self._claim(
                at + ("endpoints", index),
                f"The hand-off lists the endpoint `{label}`, but no route serves it",
                f"Implement `{label}` (check the router prefixes and the include_router/register_blueprint calls), or remove it from the hand-off's endpoints.",
            )

    def _routed(self, method: str | None, path: str) -> bool:
        wanted = shape(path)
        for route in self._all_routes():
            methods = set(route.methods) - _IMPLICIT_METHODS or set(route.methods)
            if method and method not in methods:
                continue
            if route.path is None or not route.mounted:
                own = shape(route.route_path) if route.route_path else None
                if own is None or wanted.endswith(own) or (not method and own.startswith(wanted)):
                    return True
                continue
            got = shape(route.path)
            if got == wanted or (not method and (got.startswith(wanted.rstrip("/") + "/") or wanted == "/")):
                return True
        return False

    # ------------------------------------------------------------------ port
    def _port(self, at: tuple, section: Mapping) -> None:
        claimed = _int(section.get("port"))
        if claimed is None:
            return
        sources, published = self._port_sources()
        wanted = {claimed} | published.get(claimed, set())
        wrong = [s for s in sources if s.ports and not (s.ports & wanted)]
        if not wrong:
            return
        first = wrong[0]
        said = "; ".join(s.label for s in wrong)
        self.report(
            first.path,
            first.line,
            f"The hand-off claims port {claimed}, but {said}",
            "Use one port everywhere (EXPOSE, the server's --port, the compose container port) and report that port in the hand-off.",
        )

    def _port_sources(self) -> tuple[list[_Port], dict[int, set[int]]]:
        sources: list[_Port] = []
        published: dict[int, set[int]] = {}
        compose_command: _Port | None = None
        build_paths: list[str] = []
        for path, service in self._compose_services():
            if service.kind != "map" or service.get("build") is None:
                continue
            build_paths.append(_dockerfile_of(path, service.get("build")))
            ports, line = _compose_ports(service, published)
            if ports:
                sources.append(_Port("compose", frozenset(ports), path, line, f"{path} maps container port {_list(ports)}"))
            command = service.get("command")
            if command is not None:
                words = _command_words(command.plain())
                port = _server_port(words) if words else None
                if port is not None:
                    compose_command = _Port("command", frozenset({port}), path, command.key_line or command.line, f"the compose command listens on {port}")
        dockerfile = self._app_dockerfile(build_paths)
        if dockerfile is not None:
            text = self.project.read_text(dockerfile)
            if text is not None:
                parsed = parse_dockerfile(text)
                exposed, command = _dockerfile_ports(parsed, dockerfile)
                if exposed is not None:
                    sources.insert(0, exposed)
                if compose_command is None and command is not None:
                    compose_command = command
        if compose_command is not None:
            sources.append(compose_command)
        return sources, published

    def _app_dockerfile(self, build_paths: Iterable[str]) -> str | None:
        dockerfiles = self.project.paths("dockerfile")
        for wanted in build_paths:
            if wanted in dockerfiles:
                return wanted
        if not dockerfiles:
            return None
        return min(dockerfiles, key=lambda p: (p.count("/"), p))

    # ------------------------------------------------------------------ framework and database
    def _framework(self, at: tuple, section: Mapping) -> None:
        claim = section.get("framework")
        if not isinstance(claim, str):
            return
        claimed = {_FRAMEWORK_WORDS[w] for w in _words(claim) if w in _FRAMEWORK_WORDS}
        used = {str(f.get("framework")) for f in self.project.facts_of("app") if f.get("framework") in _FRAMEWORK_MODULES}
        for fact in self.project.facts_of("stack"):
            used |= {_FRAMEWORK_MODULES[m] for m in fact.get("imports") or () if m in _FRAMEWORK_MODULES}
        if "fastapi" in used:
            used.add("starlette")
        if not claimed or not used or claimed & used:
            return
        self._claim(
            at + ("framework",),
            f"The hand-off says the framework is {claim.strip()!r}, but the code uses {_names(used - {'starlette'} or used)}",
            "Report the framework the code is built on in the hand-off's framework field.",
        )

    def _database(self, at: tuple, section: Mapping) -> None:
        claim = section.get("database")
        if not isinstance(claim, str):
            return
        claimed = {_DATABASE_WORDS[w] for w in _words(claim) if w in _DATABASE_WORDS}
        if not claimed:
            return
        used = self._databases_used()
        if not used or claimed & used:
            return
        self._claim(
            at + ("database",),
            f"The hand-off says the database is {claim.strip()!r}, but the project uses {_names(used)}",
            "Report the database the code, the requirements and the compose stack actually use, or switch the code to the claimed one.",
        )

    def _databases_used(self) -> set[str]:
        used: set[str] = set()
        for fact in self.project.facts_of("stack"):
            used |= {_DRIVER_MODULES[m] for m in fact.get("imports") or () if m in _DRIVER_MODULES}
            used |= set(fact.get("databases") or ())
        for path in self.project.paths("other"):
            name = path.rsplit("/", 1)[-1]
            if not (name.startswith("requirements") and name.endswith((".txt", ".in"))) and name != "pyproject.toml":
                continue
            text = self.project.read_text(path) or ""
            used |= {_REQUIREMENT_ENGINE[_requirement_name(m)] for m in _REQUIREMENT_DRIVERS.findall(text) if _requirement_name(m) in _REQUIREMENT_ENGINE}
        for path, service in self._compose_services():
            image = service.get("image") if service.kind == "map" else None
            if image is not None and isinstance(image.value, str):
                repo = image.value.split("@")[0].rsplit(":", 1)[0].rsplit("/", 1)[-1].lower()
                for word, engine in _IMAGE_ENGINE:
                    if repo.startswith(word):
                        used.add(engine)
                        break
            environment = service.get("environment") if service.kind == "map" else None
            for value in _environment_values(environment):
                engine = database_of_string(value)
                if engine:
                    used.add(engine)
        return used & {"postgresql", "mysql", "sqlite", "mongodb"}

    # ------------------------------------------------------------------ commands and tests
    def _commands(self, at: tuple, section: Mapping) -> None:
        commands = section.get("commands")
        if not isinstance(commands, Mapping):
            return
        for key, command in commands.items():
            if not isinstance(command, str):
                continue
            words = _command_words(command)
            for module in _app_modules(words):
                relative = module.replace(".", "/")
                if self._file_exists(relative + ".py") or self._file_exists(relative + "/__init__.py"):
                    continue
                self._claim(
                    at + ("commands", key),
                    f"The hand-off's `{key}` command serves `{module}`, but there is no module {relative}.py",
                    f"Point the command at the module that builds the app, or add `{relative}.py`.",
                )

    def _tests(self, at: tuple, section: Mapping) -> None:
        claims: list[tuple[tuple, str]] = []
        checks = section.get("self_validation")
        if isinstance(checks, Mapping) and isinstance(checks.get("checks_run"), list):
            for index, item in enumerate(checks["checks_run"]):
                if isinstance(item, str) and re.search(r"\btests?\b.*\bpass", item, re.IGNORECASE):
                    claims.append((at + ("self_validation", "checks_run", index), f"reports {item.strip()!r}"))
        verification = section.get("verification")
        if isinstance(verification, Mapping) and "test" in verification and verification.get("test") in (0, "0", "passed", "pass", True):
            claims.append((at + ("verification", "test"), "reports the test run as passed"))
        if "test_coverage" in section and section.get("test_coverage") not in (None, "", "0%", 0):
            claims.append((at + ("test_coverage",), f"reports test coverage of {section.get('test_coverage')}"))
        deliverables = section.get("deliverables")
        if isinstance(deliverables, Mapping) and deliverables.get("test_coverage") not in (None, "", "0%", 0):
            claims.append((at + ("deliverables", "test_coverage"), f"reports test coverage of {deliverables.get('test_coverage')}"))
        if not claims or self._has_tests():
            return
        keys, what = claims[0]
        self._claim(keys, f"The hand-off {what}, but the project has no test files", "Write the tests (pytest files under tests/) and run them before reporting results.")

    def _has_tests(self) -> bool:
        for path in self.project.paths("python"):
            parts = path.split("/")
            name = parts[-1]
            if name.startswith("test_") or name.endswith("_test.py") or (("tests" in parts[:-1] or "test" in parts[:-1]) and name not in ("__init__.py", "conftest.py")):
                return True
        return False

    # ------------------------------------------------------------------ AGT's hand-off shape
    def _agt(self, doc: Mapping) -> None:
        deliverables = doc.get("deliverables")
        if isinstance(deliverables, Mapping):
            endpoints = deliverables.get("endpoints")
            total = _int(endpoints.get("total")) if isinstance(endpoints, Mapping) else None
            if total is not None and self._routes_known():
                routed = {(m, r.path) for r in self._all_routes() for m in r.methods if m not in _IMPLICIT_METHODS}
                if total > len(routed):
                    self._claim(
                        ("deliverables", "endpoints", "total"),
                        f"The hand-off counts {total} endpoints, but the code routes {len(routed)}",
                        "Count the routes that exist (method and path), or implement the ones that are missing.",
                    )
            database = deliverables.get("database")
            claimed = _int(database.get("migrations")) if isinstance(database, Mapping) else None
            if claimed is not None:
                found = self._migration_count()
                if claimed > found:
                    self._claim(
                        ("deliverables", "database", "migrations"),
                        f"The hand-off counts {claimed} migrations, but the tree holds {found}",
                        "Commit the migration files (Alembic revisions under versions/), or report the number that exist.",
                    )
        api = doc.get("api")
        if isinstance(api, Mapping) and isinstance(api.get("base_url"), str) and self._routes_known():
            base = _endpoint(api["base_url"])[1]
            if base and not self._routed(None, base):
                self._claim(
                    ("api", "base_url"),
                    f"The hand-off gives the API base URL `{api['base_url']}`, but no route lives under it",
                    "Mount the routers under that prefix (include_router(prefix=...)/url_prefix), or report the prefix the routes use.",
                )

    def _compose_services(self) -> list[tuple[str, Node]]:
        """(compose file, service node) for every service of every compose file that parses."""
        out: list[tuple[str, Node]] = []
        for path in self.project.paths("compose"):
            text = self.project.read_text(path)
            doc = load_yaml(text) if text is not None else None
            services = doc.root.get("services") if doc is not None and doc.root is not None else None
            if services is not None and services.kind == "map":
                out += [(path, service) for service in services.value.values()]
        return out

    def _migration_count(self) -> int:
        count = 0
        for path in self.project.paths():
            parts = path.split("/")
            name = parts[-1]
            if name == "__init__.py":
                continue
            if "versions" in parts[:-1] and name.endswith(".py"):
                count += 1
            elif "migrations" in parts[:-1] and (name.endswith(".sql") or re.match(r"\d{3,}_.*\.py$", name)):
                count += 1
        return count


# --------------------------------------------------------------------------- helpers
def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _names(values: Iterable[str]) -> str:
    return ", ".join(_DISPLAY.get(v, v) for v in sorted(values))


def _list(values: Iterable[int]) -> str:
    return ", ".join(str(v) for v in sorted(values))


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _requirement_name(match: str) -> str:
    name = match.lower().split("[")[0]
    return name[: -len("-binary")] if name.endswith("-binary") else name


def _base_path(section: object) -> str | None:
    """The path of the API base URL a hand-off gives (``api.base_url`` or ``base_url``)."""
    if not isinstance(section, Mapping):
        return None
    api = section.get("api")
    raw = api.get("base_url") if isinstance(api, Mapping) else None
    raw = raw if isinstance(raw, str) else section.get("base_url")
    if not isinstance(raw, str):
        return None
    path = _endpoint(raw)[1]
    return path.rstrip("/") if path and path.rstrip("/") else None


def _endpoint(item: object) -> tuple[str | None, str | None]:
    """(method or None, path) of a claimed endpoint: "/x", "GET /x", a URL, {"method", "path"}."""
    method: str | None = None
    if isinstance(item, Mapping):
        raw_method = item.get("method")
        method = raw_method.upper() if isinstance(raw_method, str) else None
        text = item.get("path") or item.get("url") or item.get("endpoint")
    else:
        text = item
    if not isinstance(text, str):
        return None, None
    text = text.strip()
    head, _, rest = text.partition(" ")
    if head.upper() in _HTTP_METHODS and rest.strip():
        method, text = head.upper(), rest.strip()
    if "://" in text:
        text = urlsplit(text).path or "/"
    text = text.split("?")[0].split("#")[0].strip()
    if not text.startswith("/"):
        return method, None
    return method, text


def _environment_values(node: Node | None) -> list[str]:
    if node is None:
        return []
    if node.kind == "map":
        return [str(v.value) for v in node.value.values() if v.kind == "scalar" and v.value is not None]
    if node.kind == "seq":
        return [str(v.value).partition("=")[2] for v in node.value if v.kind == "scalar"]
    return []


def _dockerfile_of(compose_path: str, build: Node | None) -> str:
    base = compose_path.rsplit("/", 1)[0] if "/" in compose_path else ""
    context, dockerfile = ".", "Dockerfile"
    if build is not None and build.kind == "scalar":
        context = str(build.value)
    elif build is not None and build.kind == "map":
        ctx = build.get("context")
        df = build.get("dockerfile")
        context = str(ctx.value) if ctx is not None and ctx.kind == "scalar" else "."
        dockerfile = str(df.value) if df is not None and df.kind == "scalar" else "Dockerfile"
    parts = [p for p in (base + "/" + context + "/" + dockerfile).split("/") if p and p != "."]
    out: list[str] = []
    for part in parts:
        if part == "..":
            if out:
                out.pop()
        else:
            out.append(part)
    return "/".join(out)


def _compose_ports(service: Node, published: dict[int, set[int]]) -> tuple[set[int], int]:
    """The container ports of a service's ports/expose, the line of the first, and host->container."""
    ports: set[int] = set()
    line = 0
    for key in ("ports", "expose"):
        node = service.get(key)
        if node is None or node.kind != "seq":
            continue
        for item in node.value:
            container, host = _port_item(item, key == "expose")
            if container is None:
                continue
            ports.add(container)
            line = line or item.line
            if host is not None:
                published.setdefault(host, set()).add(container)
    return ports, line


def _port_item(item: Node, expose: bool) -> tuple[int | None, int | None]:
    if item.kind == "map":
        target = item.get("target")
        host = item.get("published")
        return (_int(_resolve_default(str(target.value))) if target is not None else None,
                _int(_resolve_default(str(host.value))) if host is not None else None)
    if item.kind != "scalar" or item.value is None:
        return None, None
    text = _resolve_default(str(item.raw if item.raw is not None else item.value))
    text = text.split("/")[0]
    if expose:
        return _int(text), None
    pieces = text.rsplit(":", 2)
    container = _int(pieces[-1].split("-")[0])
    host = _int(pieces[-2].split("-")[0]) if len(pieces) >= 2 else None
    return container, host


def _resolve_default(text: str) -> str:
    """``${PORT:-8000}`` -> ``8000``; other variables are left (and then fail to parse)."""
    return re.sub(r"\$\{[A-Za-z_]\w*:?-([^}]*)\}", r"\1", text)


def _dockerfile_ports(dockerfile: Dockerfile, path: str) -> tuple[_Port | None, _Port | None]:
    final = dockerfile.final_stage
    if final is None:
        return None, None
    variables: dict[str, str | None] = {}
    exposed: set[int] = set()
    expose_line = 0
    command: _Port | None = None
    for ins in dockerfile.stage_instructions(final.index):
        if ins.keyword in ("ENV", "ARG"):
            for name, value in key_values(ins, dockerfile.escape):
                if value is not None or name not in variables:
                    variables[name] = value
        elif ins.keyword == "EXPOSE":
            for word in ins.arguments.split():
                value = substitute(word, variables)
                if value is None:
                    continue
                number = value.split("/")[0]
                low, _, high = number.partition("-")
                if _int(low) is None:
                    continue
                exposed |= set(range(int(low), (_int(high) or int(low)) + 1)) if _int(high) else {int(low)}
                expose_line = expose_line or ins.line
        elif ins.keyword in ("CMD", "ENTRYPOINT"):
            words = list(ins.json_form) if ins.json_form is not None else _command_words(ins.arguments)
            words = [substitute(w, variables) or w for w in words]
            port = _server_port(words)
            if port is not None:
                command = _Port("command", frozenset({port}), path, ins.line, f"the {ins.keyword} listens on {port}")
    expose = _Port("EXPOSE", frozenset(exposed), path, expose_line, f"the Dockerfile EXPOSEs {_list(exposed)}") if exposed else None
    return expose, command


def _command_words(command: object) -> list[str]:
    if isinstance(command, list):
        words = [str(w) for w in command]
        # ["sh", "-c", "uvicorn ..."]
        if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in ("sh", "bash") and words[1] == "-c":
            return _command_words(words[2])
        return words
    if not isinstance(command, str):
        return []
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in ("sh", "bash") and words[1] == "-c":
        return _command_words(words[2])
    return words


def _server_port(words: Sequence[str]) -> int | None:
    """The port an ASGI/WSGI server command listens on (its default when none is given)."""
    words = [_resolve_default(w) for w in words]
    for index, word in enumerate(words):
        name = word.rsplit("/", 1)[-1]
        if name in _SERVERS or (name == "-m" and index + 1 < len(words) and words[index + 1] in _SERVERS):
            server = name if name in _SERVERS else words[index + 1]
            return _port_option(words[index + 1 :], bind=server != "uvicorn") or _SERVERS[server]
        if name == "fastapi" and index + 1 < len(words) and words[index + 1] in ("run", "dev"):
            return _port_option(words[index + 2 :]) or 8000
        if name == "flask" and "run" in words[index + 1 :]:
            return _port_option(words[index + 1 :], short_p=True) or 5000
        if name == "manage.py" and index + 1 < len(words) and words[index + 1] == "runserver":
            rest = [w for w in words[index + 2 :] if not w.startswith("-")]
            if rest:
                return _int(rest[0].rsplit(":", 1)[-1])
            return 8000
    return None


def _port_option(words: Sequence[str], bind: bool = True, short_p: bool = False) -> int | None:
    for index, word in enumerate(words):
        value: str | None = None
        if word in ("--port",) or (short_p and word == "-p"):
            value = words[index + 1] if index + 1 < len(words) else None
        elif word.startswith("--port="):
            value = word.partition("=")[2]
        elif bind and word in ("--bind", "-b"):
            value = words[index + 1] if index + 1 < len(words) else None
            value = value.rsplit(":", 1)[-1] if value else None
        elif bind and word.startswith("--bind="):
            value = word.partition("=")[2].rsplit(":", 1)[-1]
        if value is not None:
            number = _int(value)
            if number is not None:
                return number
            return None
    return None


def _app_modules(words: Sequence[str]) -> list[str]:
    """The module of ``uvicorn pkg.mod:app`` (gunicorn, hypercorn, granian, daphne) commands."""
    out = []
    serving = False
    for word in words:
        name = word.rsplit("/", 1)[-1]
        if name in _SERVERS:
            serving = True
            continue
        if serving and not word.startswith("-"):
            match = _APP_TARGET.match(word)
            if match:
                out.append(match.group(1))
                serving = False
    return out
