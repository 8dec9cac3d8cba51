"""What critic knows about FastAPI, Flask and Starlette code, read syntactically.

Small pure helpers (names, literals, status codes), the import map of one file, the
recognition of route decorators, auth dependencies and rate limits, and ``WebScope``: a
mixin for visitors in the batched traversal that keeps the imports, the app/router
variables and the stack of enclosing functions (with the routes each one defines).

Nothing here imports or evaluates the scanned code: every answer comes from its syntax.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import HTTPStatus

import libcst as cst

from critic.rule import PythonFile
from critic.rules.python._names import dotted, function_params  # noqa: F401  (re-exported to the rules)

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ROUTE_ATTRS = frozenset(HTTP_VERBS) | {"route", "api_route"}

#: Constructors of the objects routes hang on: qualified name -> (framework, kind).
CONSTRUCTORS: dict[str, tuple[str, str]] = {
    "fastapi.FastAPI": ("fastapi", "app"),
    "fastapi.applications.FastAPI": ("fastapi", "app"),
    "starlette.applications.Starlette": ("fastapi", "app"),
    "flask.Flask": ("flask", "app"),
    "fastapi.APIRouter": ("fastapi", "APIRouter"),
    "fastapi.routing.APIRouter": ("fastapi", "APIRouter"),
    "flask.Blueprint": ("flask", "Blueprint"),
    "flask.blueprints.Blueprint": ("flask", "Blueprint"),
}
_CONSTRUCTOR_NAMES = {"FastAPI": ("fastapi", "app"), "Flask": ("flask", "app"), "APIRouter": ("fastapi", "APIRouter"), "Blueprint": ("flask", "Blueprint")}

_WEB_ROOTS = ("fastapi", "flask", "starlette", "django", "rest_framework", "quart", "werkzeug")
_OWNERISH = re.compile(r"(^|_)(app|application|api|router|routes|bp|blueprint|blp|v\d+)($|_)|router$|_bp$|^bp_|blueprint$", re.IGNORECASE)

#: A dependency / decorator name that stands for authentication.
AUTH_NAME = re.compile(
    r"current_?\w*user|auth|verify|token|require|login|oauth|jwt|bearer|api_?key|admin|permission|principal|superuser|role|guard",
    re.IGNORECASE,
)
#: ... unless it names a service, a session or a form that merely mentions auth (get_auth_service).
_NOT_AUTH = re.compile(r"limit|throttl|service|repositor|repo$|session|settings|config|hasher|client|form|_db$|^get_db$|logger", re.IGNORECASE)
#: A decorator that stands for authentication (Flask-Login, Flask-JWT-Extended, Flask-HTTPAuth...).
AUTH_DECORATOR = re.compile(
    r"login_required|jwt_required|auth|token_required|permission|roles?_(required|accepted)|admin_required|requires_|protected|fresh_jwt",
    re.IGNORECASE,
)
RATE_LIMIT = re.compile(r"limit|throttl", re.IGNORECASE)
_NOT_RATE_LIMIT = re.compile(r"exempt", re.IGNORECASE)

#: Path segments of health and documentation endpoints.
HEALTH_SEGMENTS = frozenset(
    {"health", "healthz", "healthcheck", "health-check", "health_check", "ready", "readyz", "readiness", "live", "livez", "liveness", "ping"}
)
EXEMPT_SEGMENTS = HEALTH_SEGMENTS | {"metrics", "docs", "redoc", "openapi.json", "openapi.yaml", "swagger", "swagger.json", "favicon.ico"}


# --------------------------------------------------------------------------- small helpers
def last(name: str | None) -> str:
    return name.rsplit(".", 1)[-1] if name else ""


def callee(node: cst.CSTNode | None) -> str | None:
    """The dotted name a call calls (``Depends`` for ``Depends(x)``), else None."""
    return dotted(node.func) if isinstance(node, cst.Call) else None


def call_tail(node: cst.CSTNode | None) -> str:
    """The last name of what a call calls, even on a chain: ``limit`` for ``q.filter(x).limit(5)``."""
    if not isinstance(node, cst.Call):
        return ""
    func = node.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return ""


def kwarg(call: cst.Call, name: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def positional(call: cst.Call, index: int) -> cst.BaseExpression | None:
    seen = 0
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            if seen == index:
                return arg.value
            seen += 1
    return None


def argument(call: cst.Call, index: int, name: str) -> cst.BaseExpression | None:
    """The argument given by keyword ``name`` or at position ``index``."""
    found = kwarg(call, name)
    return found if found is not None else positional(call, index)


def string(node: cst.CSTNode | None) -> str | None:
    """The value of a plain (or implicitly concatenated) string literal, else None."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            value = node.evaluated_value
        except Exception:  # pragma: no cover - malformed escapes
            return None
        return value if isinstance(value, str) else None
    return None


def strings(node: cst.CSTNode | None) -> tuple[str, ...] | None:
    """The strings of a list/tuple/set of string literals (a lone string counts as one)."""
    single = string(node)
    if single is not None:
        return (single,)
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        out = []
        for element in node.elements:
            value = string(element.value)
            if value is None:
                return None
            out.append(value)
        return tuple(out)
    return None


def true(node: cst.CSTNode | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


_STATUS_ATTR = re.compile(r"^HTTP_(\d{3})(_|$)")


def status_code(node: cst.CSTNode | None) -> int | None:
    """An HTTP status written as ``201``, ``status.HTTP_201_CREATED`` or ``HTTPStatus.CREATED``."""
    if isinstance(node, cst.Integer):
        try:
            return int(node.value)
        except ValueError:
            return None
    if isinstance(node, cst.Attribute):
        if node.attr.value in ("value",) and isinstance(node.value, cst.Attribute):
            return status_code(node.value)
        match = _STATUS_ATTR.match(node.attr.value)
        if match:
            return int(match.group(1))
        if last(dotted(node.value)) == "HTTPStatus":
            try:
                return int(HTTPStatus[node.attr.value])
            except KeyError:
                return None
    return None


_EMPTY_MODULE = cst.Module(body=[])


def code(node: cst.CSTNode) -> str:
    """The source text of an expression, on one line."""
    return " ".join(_EMPTY_MODULE.code_for_node(node).split())


def module_of(path: str) -> str:
    """``app.api.v1.users`` for ``app/api/v1/users.py``; a package's ``__init__`` is the package."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def path_parts(path: str) -> tuple[str, ...]:
    """The folders and the file stem of a relative path."""
    parts = path.split("/")
    if parts and parts[-1].endswith(".py"):
        parts[-1] = parts[-1][:-3]
    return tuple(parts)


# --------------------------------------------------------------------------- imports
class Imports:
    """The names one file imports, each mapped to what it stands for (``Depends`` -> ``fastapi.Depends``)."""

    def __init__(self, path: str) -> None:
        self.module = module_of(path)
        is_package = path.endswith("__init__.py")
        parts = self.module.split(".") if self.module else []
        self.package = parts if is_package else parts[:-1]
        self.names: dict[str, str] = {}
        self.roots: set[str] = set()

    def add(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted(alias.name)
                if not full:
                    continue
                self.roots.add(full.split(".")[0])
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.names[alias.asname.name.value] = full
                else:
                    head = full.split(".")[0]
                    self.names.setdefault(head, head)
            return
        base = self._from_module(node)
        if base is None:
            return
        if node.module is not None and not node.relative:
            self.roots.add(base.split(".")[0])
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = dotted(alias.name)
            if not name:
                continue
            local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
            self.names[local] = f"{base}.{name}" if base else name

    def _from_module(self, node: cst.ImportFrom) -> str | None:
        module = dotted(node.module) if node.module is not None else ""
        if module is None:
            return None
        level = len(node.relative)
        if not level:
            return module
        package = list(self.package)
        if level > 1:
            package = package[: len(package) - (level - 1)] if level - 1 <= len(package) else []
        return ".".join([p for p in package + ([module] if module else []) if p])

    def qualify(self, name: str | None) -> str:
        """What a dotted name in this file refers to: imported names are expanded."""
        if not name:
            return ""
        head, _, rest = name.partition(".")
        target = self.names.get(head)
        if target is None:
            return name
        return f"{target}.{rest}" if rest else target

    def target(self, name: str | None) -> str:
        """A reference as resolvable across files: imported names expanded, local ones module-qualified."""
        if not name:
            return ""
        head = name.partition(".")[0]
        if head in self.names:
            return self.qualify(name)
        return f"{self.module}.{name}" if self.module else name

    def is_(self, name: str | None, *qualified: str) -> bool:
        """Whether ``name`` refers to one of ``qualified`` (or, when not imported, has the same last name)."""
        if not name:
            return False
        full = self.qualify(name)
        if full in qualified:
            return True
        head = name.partition(".")[0]
        return head not in self.names and last(name) in {last(q) for q in qualified}

    def imports_from(self, *roots: str) -> bool:
        return any(r in self.roots for r in roots)

    @property
    def framework(self) -> str | None:
        if "fastapi" in self.roots or "starlette" in self.roots:
            return "fastapi"
        if "flask" in self.roots:
            return "flask"
        if "django" in self.roots or "rest_framework" in self.roots:
            return "django"
        return None

    @property
    def web(self) -> bool:
        return any(r in self.roots for r in _WEB_ROOTS)


# --------------------------------------------------------------------------- dependencies
def _dependency_target(call: cst.Call) -> tuple[str, cst.BaseExpression | None]:
    """For ``Depends(x)`` / ``Security(x)``: the name the dependency calls, and x."""
    target = argument(call, 0, "dependency")
    if isinstance(target, cst.Call):
        return last(callee(target)), target
    return last(dotted(target)), target


def is_depends(node: cst.CSTNode | None, imports: Imports) -> bool:
    return isinstance(node, cst.Call) and imports.is_(callee(node), "fastapi.Depends", "fastapi.params.Depends", "fastapi.Security")


def dependency_is_auth(node: cst.CSTNode | None, imports: Imports, annotation: cst.CSTNode | None = None) -> bool:
    """``Depends(get_current_user)``, ``Security(...)``, ``Depends(JWTBearer())``; ``Depends()`` takes the annotation."""
    if not isinstance(node, cst.Call):
        return False
    name = callee(node)
    if imports.is_(name, "fastapi.Security", "fastapi.params.Security"):
        return True
    if not imports.is_(name, "fastapi.Depends", "fastapi.params.Depends"):
        return False
    target, _ = _dependency_target(node)
    if not target and annotation is not None:
        target = last(dotted(annotation))
    return bool(target) and bool(AUTH_NAME.search(target)) and not _NOT_AUTH.search(target)


def dependency_is_rate_limit(node: cst.CSTNode | None, imports: Imports) -> bool:
    """``Depends(RateLimiter(times=5, seconds=60))`` (fastapi-limiter) and similar."""
    if not is_depends(node, imports):
        return False
    target, _ = _dependency_target(node)  # type: ignore[arg-type]
    return bool(RATE_LIMIT.search(target)) and not _NOT_RATE_LIMIT.search(target)


def _elements(node: cst.CSTNode | None) -> list[cst.BaseExpression]:
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return [e.value for e in node.elements]
    return []


def dependencies_auth(node: cst.CSTNode | None, imports: Imports) -> bool:
    """Whether a ``dependencies=[...]`` list holds an auth dependency."""
    return any(dependency_is_auth(e, imports) for e in _elements(node))


def dependencies_rate_limited(node: cst.CSTNode | None, imports: Imports) -> bool:
    return any(dependency_is_rate_limit(e, imports) for e in _elements(node))


def annotated_metadata(annotation: cst.CSTNode | None) -> list[cst.BaseExpression]:
    """The metadata of ``Annotated[T, Depends(x), ...]``."""
    if isinstance(annotation, cst.Subscript) and last(dotted(annotation.value)) == "Annotated":
        return [
            s.slice.value for s in annotation.slice[1:] if isinstance(s.slice, cst.Index)
        ]
    return []


def _decorator_name(decorator: cst.Decorator) -> str:
    node = decorator.decorator
    return (callee(node) if isinstance(node, cst.Call) else dotted(node)) or ""


def param_types(func: cst.FunctionDef) -> tuple[str, ...]:
    """The last names of the plain annotations of parameters without a default (``CurrentUser``)."""
    out = []
    for param in function_params(func):
        if param.default is None and param.annotation is not None:
            name = last(dotted(param.annotation.annotation))
            if name:
                out.append(name)
    return tuple(out)


def param_names(func: cst.FunctionDef) -> tuple[str, ...]:
    return tuple(p.name.value for p in function_params(func))


def _auth_alias(annotation: cst.CSTNode | None) -> bool:
    """``current_user: CurrentUser`` where ``CurrentUser = Annotated[User, Depends(...)]``."""
    name = last(dotted(annotation))
    return bool(name) and bool(re.search(r"current_?\w*user|authenticated|auth(user|context)|token(data|payload)", name, re.IGNORECASE))


def function_auth(func: cst.FunctionDef, imports: Imports) -> bool:
    """Whether a function requires authentication by itself: an auth decorator or an auth dependency."""
    for decorator in func.decorators:
        name = last(_decorator_name(decorator))
        if name and AUTH_DECORATOR.search(name) and not RATE_LIMIT.search(name):
            return True
    for param in function_params(func):
        annotation = param.annotation.annotation if param.annotation is not None else None
        if dependency_is_auth(param.default, imports, annotation):
            return True
        if any(dependency_is_auth(m, imports) for m in annotated_metadata(annotation)):
            return True
        if param.default is None and _auth_alias(annotation):
            return True
    return False


def function_rate_limited(func: cst.FunctionDef, imports: Imports) -> bool:
    """A rate-limit decorator (slowapi / flask-limiter ``@limiter.limit``) or dependency."""
    for decorator in func.decorators:
        name = _decorator_name(decorator)
        if name and RATE_LIMIT.search(name) and not _NOT_RATE_LIMIT.search(name) and last(name) not in ROUTE_ATTRS:
            return True
    for param in function_params(func):
        annotation = param.annotation.annotation if param.annotation is not None else None
        if dependency_is_rate_limit(param.default, imports):
            return True
        if any(dependency_is_rate_limit(m, imports) for m in annotated_metadata(annotation)):
            return True
    return False


# --------------------------------------------------------------------------- routes
@dataclass(frozen=True)
class Owner:
    """A variable that routes hang on: an app, an APIRouter, a Blueprint."""

    var: str
    framework: str
    kind: str  # "app" | "APIRouter" | "Blueprint"


@dataclass(frozen=True)
class RouteSpec:
    """What a route decorator says."""

    decorator: cst.Decorator
    call: cst.Call
    framework: str
    owner: str
    methods: tuple[str, ...]
    path: str | None  # the literal path, None when not a literal
    path_expr: tuple[tuple[str, str], ...]  # ("lit", text) / ("ref", name) parts when not a literal
    status_code: int | None
    response_model: str | None
    auth: bool  # decorator-level dependencies
    rate_limited: bool

    @property
    def is_get(self) -> bool:
        return "GET" in self.methods

    def has(self, method: str) -> bool:
        return method in self.methods


def template(node: cst.CSTNode | None) -> tuple[tuple[str, str], ...] | None:
    """A path or prefix as parts: literal text and references (``settings.API_V1_STR``) by last name."""
    literal = string(node)
    if literal is not None:
        return (("lit", literal),)
    if isinstance(node, cst.FormattedString):
        out: list[tuple[str, str]] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(("lit", part.value))
            elif isinstance(part, cst.FormattedStringExpression):
                name = dotted(part.expression)
                if not name:
                    return None
                out.append(("ref", last(name)))
        return tuple(out)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = template(node.left), template(node.right)
        return left + right if left is not None and right is not None else None
    name = dotted(node)
    if name:
        return (("ref", last(name)),)
    return None


def route_spec(decorator: cst.Decorator, imports: Imports, owners: dict[str, Owner]) -> RouteSpec | None:
    """The route a decorator declares (``@app.get("/x")``, ``@bp.route("/x", methods=[...])``), else None."""
    call = decorator.decorator
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return None
    attr = call.func.attr.value
    if attr not in ROUTE_ATTRS:
        return None
    owner = dotted(call.func.value)
    if not owner:
        return None
    path_node = argument(call, 0, "rule" if attr == "route" else "path")
    path = string(path_node)
    known = owners.get(owner)
    if known is None:
        if path is None or (path and not path.startswith("/")):
            return None
        if not (imports.web or _OWNERISH.search(last(owner))):
            return None
        if last(owner).lower() in ("limiter", "cache", "client", "mock", "requests", "httpx", "session", "self", "cls"):
            return None
    if known is not None:
        framework = known.framework
    elif attr == "route":
        framework = "flask"
    elif attr == "api_route":
        framework = "fastapi"
    else:
        framework = imports.framework or "unknown"
        if framework == "django":
            return None
    if attr in ("route", "api_route"):
        methods_node = kwarg(call, "methods")
        given = strings(methods_node) if methods_node is not None else ("GET",)
        methods = tuple(m.upper() for m in given) if given is not None else ()
    else:
        methods = (attr.upper(),)
    parts = template(path_node) if path is None and path_node is not None else None
    response = kwarg(call, "response_model")
    deps = kwarg(call, "dependencies")
    return RouteSpec(
        decorator=decorator,
        call=call,
        framework=framework,
        owner=owner,
        methods=methods,
        path=path if path_node is not None else ("" if framework == "flask" else None),
        path_expr=parts or (),
        status_code=status_code(kwarg(call, "status_code")),
        response_model=code(response) if response is not None and not (isinstance(response, cst.Name) and response.value == "None") else None,
        auth=dependencies_auth(deps, imports),
        rate_limited=dependencies_rate_limited(deps, imports),
    )


def owner_of_call(call: cst.Call, imports: Imports) -> Owner | None:
    """``FastAPI(...)``, ``APIRouter(...)``, ``Flask(...)``, ``Blueprint(...)``: what it builds."""
    name = callee(call)
    if not name:
        return None
    full = imports.qualify(name)
    found = CONSTRUCTORS.get(full)
    if found is None and name.partition(".")[0] not in imports.names:
        found = _CONSTRUCTOR_NAMES.get(name)
    if found is None:
        return None
    return Owner("", found[0], found[1])


def assigned_name(node: cst.Assign | cst.AnnAssign) -> str | None:
    if isinstance(node, cst.AnnAssign):
        return dotted(node.target)
    if len(node.targets) == 1:
        return dotted(node.targets[0].target)
    return None


# --------------------------------------------------------------------------- path words
_VERSION = re.compile(r"^/(?:[\w.-]*api[\w.-]*/)?v\d+(?:[._]\d+)?(?:/|$)", re.IGNORECASE)


def segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def is_versioned(path: str) -> bool:
    """``/v1/...``, ``/api/v1/...``, ``/api/v2.1/...``."""
    return bool(_VERSION.match("/" + path.lstrip("/")))


def is_health_path(path: str) -> bool:
    """A health/readiness/liveness path, with or without a version prefix (``/api/v1/health``)."""
    return any(s.lower() in HEALTH_SEGMENTS for s in segments(path))


def is_exempt_path(path: str) -> bool:
    """Health, metrics and documentation paths (and the bare root), which need no version."""
    parts = segments(path)
    if not parts:
        return True
    return is_health_path(path) or parts[0].lower() in EXEMPT_SEGMENTS or parts[0].lower().startswith("openapi")


# --------------------------------------------------------------------------- the scope mixin
@dataclass
class FunctionScope:
    node: cst.FunctionDef
    routes: tuple[RouteSpec, ...]
    params: tuple[str, ...]
    data: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def is_async(self) -> bool:
        return self.node.asynchronous is not None

    @property
    def is_route(self) -> bool:
        return bool(self.routes)


class WebScope:
    """Mixin for visitors: the file's imports, its app/router variables, the enclosing functions.

    Subclasses that define ``visit_FunctionDef``, ``leave_FunctionDef``, ``visit_Assign``,
    ``visit_AnnAssign``, ``visit_Import`` or ``visit_ImportFrom`` call ``super()`` first.
    """

    file: PythonFile

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)  # type: ignore[call-arg]
        self.imports = Imports(file.path)
        self.owners: dict[str, Owner] = {}
        self.functions: list[FunctionScope] = []

    # imports and app/router variables
    def visit_Import(self, node: cst.Import) -> None:
        self.imports.add(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.imports.add(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._note_owner(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._note_owner(node)

    def _note_owner(self, node: cst.Assign | cst.AnnAssign) -> None:
        if isinstance(node.value, cst.Call):
            built = owner_of_call(node.value, self.imports)
            name = assigned_name(node)
            if built is not None and name:
                self.owners[name] = Owner(name, built.framework, built.kind)

    # functions
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        routes = tuple(r for r in (route_spec(d, self.imports, self.owners) for d in node.decorators) if r is not None)
        self.functions.append(FunctionScope(node, routes, param_names(node)))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if self.functions:
            self.functions.pop()

    @property
    def function(self) -> FunctionScope | None:
        return self.functions[-1] if self.functions else None

    @property
    def route_function(self) -> FunctionScope | None:
        """The innermost enclosing function that is a route handler."""
        for scope in reversed(self.functions):
            if scope.is_route:
                return scope
        return None


# --------------------------------------------------------------------------- database work
#: Variable names that hold a SQLAlchemy session / DB-API connection or cursor.
SESSION_NAMES = frozenset({"db", "session", "db_session", "dbsession", "sess", "conn", "connection", "cursor", "cur", "async_session", "database"})
_SESSION_TYPES = frozenset({"Session", "AsyncSession", "Connection", "AsyncConnection", "scoped_session", "Cursor"})
_SESSION_PROVIDERS = re.compile(r"(^|_)(db|session|database|conn|connection)$", re.IGNORECASE)
#: Session / connection / cursor methods that talk to the database.
DB_METHODS = frozenset(
    {
        "query", "execute", "exec", "executemany", "add", "add_all", "commit", "delete", "refresh", "scalars", "scalar",
        "merge", "flush", "rollback", "get", "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings",
        "exec_driver_sql", "cursor", "fetch", "fetchrow", "fetchval",
    }
)
#: Methods that only a real session has (a dict or a list named ``db`` has ``get``, never ``commit``).
_AMBIGUOUS_METHODS = frozenset({"get", "delete", "add", "fetch"})


def session_params(func: cst.FunctionDef, imports: Imports) -> set[str]:
    """Parameters that are sessions by their type or their provider (``db: Session = Depends(get_db)``)."""
    out = set()
    for param in function_params(func):
        annotation = param.annotation.annotation if param.annotation is not None else None
        types = [annotation] if annotation is not None else []
        types += [annotation.slice[0].slice.value] if isinstance(annotation, cst.Subscript) and annotation.slice and isinstance(annotation.slice[0].slice, cst.Index) else []
        if any(last(dotted(t)) in _SESSION_TYPES or re.search(r"Session(Dep)?$", last(dotted(t)) or "") for t in types):
            out.add(param.name.value)
            continue
        default = param.default
        if is_depends(default, imports):
            target = argument(default, 0, "dependency")  # type: ignore[arg-type]
            if _SESSION_PROVIDERS.search(last(dotted(target)) or ""):
                out.add(param.name.value)
    return out


def db_call(call: cst.Call, sessions: set[str]) -> str | None:
    """``db.query`` / ``session.commit`` / ``cursor.execute`` / ``User.query.filter_by``: the call as written, else None."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    method = func.attr.value
    receiver = func.value
    name = dotted(receiver)
    # Flask-SQLAlchemy: User.query.filter_by(...), models.User.query.get(...)
    if isinstance(receiver, cst.Attribute) and receiver.attr.value == "query":
        model = last(dotted(receiver.value))
        if model[:1].isupper():
            return f"{dotted(receiver) or model + '.query'}.{method}"
    if method not in DB_METHODS or not name:
        return None
    tail = last(name)
    known = name in sessions or tail in sessions
    sessionish = known or tail.lower() in SESSION_NAMES or tail.lower().endswith("session")
    if not sessionish:
        return None
    if method in _AMBIGUOUS_METHODS and not (known or "session" in tail.lower() or tail.lower() in ("conn", "connection", "cursor", "cur")):
        return None
    return f"{name}.{method}"
