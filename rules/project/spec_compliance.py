"""PRJ004: when an OpenAPI spec is present, the implemented routes match it exactly."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from critic.parsers.yaml_doc import load_yaml
from critic.rule import Invalid, ProjectRule, Valid
from critic.rules.project.entry_point import entry_point
from critic.rules.project.routes import ResolvedRoute, resolve_routes
from critic.rules.python.web import is_health_path, segments
from critic.task import find_spec

#: Operations a spec may list that a framework answers by itself (HEAD for GET, CORS preflight).
_IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS", "TRACE"})
_SPEC_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
#: First path segments of the framework's own documentation routes, never undocumented.
_DOC_SEGMENTS = frozenset({"docs", "redoc", "openapi.json", "openapi.yaml", "swagger", "swagger.json", "favicon.ico"})
_PARAM = re.compile(r"\{[^{}/]*\}|<[^<>/]*>|(?<=/):[A-Za-z_]\w*")  # {id}, <int:id>, :id

_SPEC = """openapi: 3.0.3
info: {title: Users, version: "1.0"}
servers:
  - url: http://localhost:8000/api/v1
paths:
  /users:
    get:
      responses: {"200": {description: ok}}
    post:
      responses: {"201": {description: created}}
  /users/{id}:
    get:
      responses: {"200": {description: ok}}
"""
_MAIN = """from fastapi import FastAPI
from app.routers import users

app = FastAPI()
app.include_router(users.router, prefix="/api/v1")


@app.get("/health")
def health():
    return {"status": "ok"}
"""
_USERS = """from fastapi import APIRouter

router = APIRouter(prefix="/users")


@router.get("")
def list_users():
    return []


@router.post("", status_code=201)
def create_user():
    return {}


@router.get("/{user_id}")
def get_user(user_id: int):
    return {}
"""


@dataclass(frozen=True)
class _Operation:
    method: str
    path: str  # as the spec writes it
    path_line: int
    method_line: int


class SpecCompliance(ProjectRule):
    """
    ## What it does
    When the project carries an OpenAPI spec, compares the operations it defines with the routes
    the code declares (FastAPI and Flask, through routers, `include_router(prefix=...)`,
    blueprints and `url_prefix`). The spec is the one the critique task names (`spec`), the one
    configured with `[tool.critic.options.PRJ004] spec = "..."`, else the first of
    `specs/openapi.yaml`, `specs/openapi.yml`, `specs/openapi.json`, `openapi.yaml`,
    `openapi.yml`, `openapi.json`.

    Reports every spec operation no route implements (at the path key in the spec; at the
    method key when the path has other operations implemented) and every route the spec does
    not document (at its decorator). Paths match by shape: `/users/{id}` equals
    `/users/{user_id}` and Flask's `/users/<int:id>`; the path of the spec's first-level
    `servers` URLs (`http://host/api/v1` -> `/api/v1`, server variables at their defaults) or
    Swagger 2's `basePath` is put in front of every spec path; a trailing slash is ignored.

    Not reported: HEAD, OPTIONS and TRACE operations (frameworks answer them themselves); the
    framework's documentation routes (`/docs`, `/redoc`, `/openapi.json`); health probes
    (`/health`, `/healthz`, `/ready`, `/live`, `/ping`...) and `/metrics`, which DEV asks every
    service to expose for the orchestrator and which are infrastructure, not API contract (a
    probe the spec documents must still be implemented); routes whose full path critic cannot
    resolve, or whose router is never included, are never called undocumented and satisfy an
    operation whose path ends with theirs. A project without any route critic can resolve
    (Django, another language) is not compared. A spec named by the task or configuration that
    does not exist is reported at the application's entry point; a spec that does not parse, at
    the parse error.

    ## Why is this bad?
    AGT implements "exactly what's in the locked specs": the frontend, the tests and other
    services are generated from `specs/openapi.yaml`. A missing operation breaks its callers; an
    undocumented route is API surface nobody reviewed, secured or tested against the contract.

    ## Example
        # specs/openapi.yaml: servers: [{url: /api/v1}], paths: {/users: {get, post}}
        @router.get("/users")          # mounted at /api/v1: POST /api/v1/users is missing
        def list_users(): ...

        @router.get("/users/export")   # not in the spec
        def export_users(): ...

    ## Use instead
        @router.get("/users")
        def list_users(): ...

        @router.post("/users", status_code=201)
        def create_user(payload: UserCreate): ...
    """

    id = "PRJ004"
    name = "spec-mismatch"
    tier = "critical"
    severity = "high"
    confidence = "high"
    sources = ("AGT Spec Compliance", "AGT boundaries (implement the locked specs exactly)")
    message = "The implemented routes do not match the OpenAPI spec"
    fix = "Implement exactly the operations of the OpenAPI spec: add the missing routes and remove the routes the spec does not define (the spec is the contract; change it first if a route belongs)."
    VALID = (
        Valid(files={"specs/openapi.yaml": _SPEC, "app/main.py": _MAIN, "app/routers/users.py": _USERS, "app/routers/__init__.py": "", "app/__init__.py": ""}),
        # Flask converters, a blueprint prefix and a JSON spec with Swagger 2's basePath
        Valid(
            files={
                "openapi.json": json.dumps(
                    {"swagger": "2.0", "basePath": "/v1", "paths": {"/items/{item_id}": {"get": {}, "delete": {}}, "/items": {"head": {}}}},
                    indent=2,
                ),
                "app.py": (
                    "from flask import Flask, Blueprint\n\napp = Flask(__name__)\nbp = Blueprint('items', __name__, url_prefix='/v1/items')\n\n\n"
                    "@bp.route('/<int:item_id>', methods=['GET', 'DELETE'])\ndef item(item_id):\n    return {}\n\n\n"
                    "@app.route('/healthz')\ndef healthz():\n    return {}\n\n\napp.register_blueprint(bp)\n"
                ),
            }
        ),
        # no spec: nothing to compare with
        Valid(files={"app/main.py": _MAIN, "app/routers/users.py": _USERS}),
    )
    INVALID = (
        # DELETE /users/{id} is in the spec, no route implements it: at its method key
        Invalid(
            files={
                "specs/openapi.yaml": _SPEC + "    delete:\n      responses: {\"204\": {description: gone}}\n",
                "app/main.py": _MAIN,
                "app/routers/users.py": _USERS,
            },
            line=14,
            path="specs/openapi.yaml",
        ),
        # the whole path is missing: at the path key
        Invalid(
            files={
                "specs/openapi.yaml": _SPEC + "  /teams:\n    get:\n      responses: {\"200\": {description: ok}}\n",
                "app/main.py": _MAIN,
                "app/routers/users.py": _USERS,
            },
            line=14,
            path="specs/openapi.yaml",
        ),
        # an undocumented route, at its decorator
        Invalid(
            files={
                "specs/openapi.yaml": _SPEC,
                "app/main.py": _MAIN,
                "app/routers/users.py": _USERS + '\n\n@router.get("/{user_id}/export")\ndef export_user(user_id: int):\n    return {}\n',
            },
            line=21,
            path="app/routers/users.py",
        ),
        # the spec the task names does not exist
        Invalid(files={"app/main.py": _MAIN, "app/routers/users.py": _USERS}, context={"spec": "api/openapi.yaml"}, line=1, path="app/main.py"),
    )

    def check(self) -> None:
        configured = self.project.context.get("spec") or self.options.get("spec")
        spec = find_spec(self.project.paths(), str(configured) if configured else None)
        if spec is None:
            return
        text = self.project.read_text(spec)
        if text is None:
            where = entry_point(self.project)
            if where is not None:
                self.report(
                    where,
                    1,
                    f"The OpenAPI spec `{spec}` to check the routes against does not exist",
                    "Add the spec at that path, or name the right one in the task (`spec`) or in `[tool.critic.options.PRJ004] spec`.",
                )
            return
        parsed = self._operations(spec, text)
        if parsed is None:
            return
        operations, prefixes = parsed
        routes = [r for r in resolve_routes(self.project) if r.methods]
        if not routes:
            return
        self._compare(spec, operations, prefixes, routes)

    # ------------------------------------------------------------------ the spec
    def _operations(self, spec: str, text: str) -> tuple[list[_Operation], list[str]] | None:
        doc = load_yaml(text)
        root = doc.root
        if doc.errors or root is None:
            if spec.endswith(".json"):
                return self._json_operations(spec, text)
            error = doc.errors[0] if doc.errors else None
            self.report(
                spec,
                error.line if error else 1,
                f"The OpenAPI spec cannot be parsed: {error.message if error else 'empty document'}",
                "Fix the spec's syntax so the routes can be checked against it.",
                column=error.column if error else 1,
            )
            return None
        if root.kind != "map":
            self.report(spec, root.line, "The OpenAPI spec is not a mapping with `paths`", "Write the spec as an OpenAPI 3 (or Swagger 2) document.")
            return None
        paths = root.get("paths")
        operations: list[_Operation] = []
        if paths is not None and paths.kind == "map":
            for path, item in paths.value.items():
                if item.kind != "map" or not str(path).startswith("/"):
                    continue
                path_line = item.key_line or item.line
                for method, op in item.value.items():
                    if str(method).lower() in _SPEC_METHODS:
                        operations.append(_Operation(str(method).upper(), str(path), path_line, op.key_line or path_line))
        return operations, _prefixes(root.plain())

    def _json_operations(self, spec: str, text: str) -> tuple[list[_Operation], list[str]] | None:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            self.report(spec, exc.lineno, f"The OpenAPI spec cannot be parsed: {exc.msg}", "Fix the spec's JSON so the routes can be checked against it.", column=exc.colno)
            return None
        lines = text.splitlines()
        operations = []
        paths = data.get("paths") if isinstance(data, dict) else None
        for path, item in (paths or {}).items() if isinstance(paths, dict) else ():
            if not isinstance(item, dict) or not str(path).startswith("/"):
                continue
            key = re.compile(re.escape(json.dumps(path)) + r"\s*:")
            line = next((i + 1 for i, t in enumerate(lines) if key.search(t)), 1)
            for method in item:
                if str(method).lower() in _SPEC_METHODS:
                    operations.append(_Operation(str(method).upper(), str(path), line, line))
        return operations, _prefixes(data if isinstance(data, dict) else {})

    # ------------------------------------------------------------------ the comparison
    def _compare(self, spec: str, operations: list[_Operation], prefixes: list[str], routes: list[ResolvedRoute]) -> None:
        exact: dict[tuple[str, str], ResolvedRoute] = {}
        loose: list[tuple[str, str]] = []  # (method, the route's own path shape) of unresolved routes
        for route in routes:
            methods = [m for m in route.methods if m not in _IMPLICIT_METHODS]
            if route.path is None or not route.mounted:
                own = shape(route.route_path) if route.route_path else ""
                loose += [(m, own) for m in methods]
                continue
            for method in methods:
                exact.setdefault((method, shape(route.path)), route)
        documented: set[tuple[str, str]] = set()
        missing: list[_Operation] = []
        implemented_paths: set[str] = set()
        for op in operations:
            fulls = {shape(prefix + op.path) for prefix in prefixes}
            documented |= {(op.method, full) for full in fulls}
            if op.method in _IMPLICIT_METHODS:
                continue
            found = any((op.method, full) in exact for full in fulls) or any(
                m == op.method and any(full.endswith(own) for full in fulls) for m, own in loose
            )
            if found:
                implemented_paths.add(op.path)
            else:
                missing.append(op)
        for op in missing:
            full = (prefixes[0] if prefixes else "") + op.path
            whole = op.path not in implemented_paths
            self.report(
                spec,
                op.path_line if whole else op.method_line,
                f"Spec operation {op.method} {full} is not implemented by any route",
                f"Add a `{op.method}` route for `{full}` (the spec's path `{op.path}`{_prefix_note(prefixes)}) that implements the operation as the spec defines it.",
            )
        undocumented: dict[tuple[str, int, str], list[str]] = {}
        for (method, path), route in exact.items():
            if (method, path) in documented or _exempt(path):
                continue
            undocumented.setdefault((route.file, route.line, route.path or path), []).append(method)
        for (file, line, path), methods in sorted(undocumented.items()):
            label = ", ".join(sorted(set(methods)))
            self.report(
                file,
                line,
                f"Route {label} {path} is not in the OpenAPI spec `{spec}`",
                f"Remove the route, or have the spec document `{label} {path}` first: the spec is the contract and AGT implements exactly what it defines.",
            )


def shape(path: str) -> str:
    """A path with every parameter as ``{}`` and no trailing slash: ``/users/<int:id>/`` -> ``/users/{}``."""
    out = _PARAM.sub("{}", path)
    out = re.sub(r"/{2,}", "/", out)
    if len(out) > 1:
        out = out.rstrip("/")
    return out or "/"


def _prefixes(doc: object) -> list[str]:
    """The path prefixes of the spec's servers (OpenAPI 3) or its basePath (Swagger 2)."""
    out: list[str] = []
    if not isinstance(doc, dict):
        return [""]
    servers = doc.get("servers")
    if isinstance(servers, list):
        for server in servers:
            if not isinstance(server, dict) or not isinstance(server.get("url"), str):
                continue
            url = server["url"]
            variables = server.get("variables") if isinstance(server.get("variables"), dict) else {}
            for name, var in variables.items():
                default = var.get("default") if isinstance(var, dict) else None
                if default is not None:
                    url = url.replace("{" + str(name) + "}", str(default))
            path = url if url.startswith("/") else urlsplit(url).path
            out.append(_rooted(path))
    base = doc.get("basePath")
    if isinstance(base, str):
        out.append(_rooted(base))
    return list(dict.fromkeys(out)) or [""]


def _rooted(path: str) -> str:
    """A prefix as routes see it: ``api/v1/`` (a relative server URL) is ``/api/v1``."""
    path = path.strip().rstrip("/")
    return "/" + path if path and not path.startswith("/") else path


def _prefix_note(prefixes: list[str]) -> str:
    shown = [p for p in prefixes if p]
    return f" under the servers prefix `{shown[0]}`" if shown else ""


def _exempt(path: str) -> bool:
    parts = segments(path)
    if not parts:
        return False
    return is_health_path(path) or parts[0].lower() in _DOC_SEGMENTS or parts[-1].lower() == "metrics"
