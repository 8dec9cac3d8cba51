"""API008: HTTP errors are raised at the router layer only."""
from __future__ import annotations

import libcst as cst

from critic.rule import Invalid, PythonFile, PythonRule, Valid
from critic.rules.python.web import Imports, callee, dotted, function_params, is_depends, last, path_parts

#: Folders / module names of business code (services, data access, domain, utilities).
BUSINESS = frozenset(
    {
        "services", "service", "repositories", "repository", "repos", "repo", "models", "model", "crud",
        "domain", "core", "utils", "util", "helpers", "helper", "lib", "db", "database", "schemas",
        "tasks", "workers", "worker", "logic", "usecases", "use_cases", "business",
        "dao", "store", "stores",
    }
)
#: Folders / module names of the HTTP layer, where HTTP errors belong.
HTTP_LAYER = frozenset(
    {
        "routers", "router", "api", "apis", "routes", "route", "views", "view", "endpoints", "endpoint",
        "main", "app", "handlers", "handler", "errors", "error_handlers", "exception_handlers", "exceptions",
        "controllers", "controller", "resources", "blueprints", "deps", "dependencies", "middleware",
        "middlewares", "web", "http", "responses", "response", "http_errors", "security", "auth", "authentication",
        "permissions",
    }
)
_HTTP_ERRORS = {
    "fastapi.HTTPException": "HTTPException",
    "fastapi.exceptions.HTTPException": "HTTPException",
    "starlette.exceptions.HTTPException": "HTTPException",
    "werkzeug.exceptions.HTTPException": "HTTPException",
    "fastapi.responses.JSONResponse": "JSONResponse",
    "starlette.responses.JSONResponse": "JSONResponse",
    "fastapi.responses.Response": "Response",
    "fastapi.Response": "Response",
    "starlette.responses.Response": "Response",
    "fastapi.responses.ORJSONResponse": "ORJSONResponse",
    "flask.abort": "abort",
    "werkzeug.exceptions.abort": "abort",
    "flask.jsonify": "jsonify",
    "flask.make_response": "make_response",
    "flask.Response": "Response",
}
_HTTP_PARAM_TYPES = frozenset({"Request", "WebSocket", "HTTPConnection", "Response"})


#: Folders that only ever hold business code: an `auth.py` inside them is an auth *service*.
_STRICT_BUSINESS = frozenset(
    {"services", "service", "repositories", "repository", "repos", "repo", "crud", "domain", "dao", "usecases", "use_cases", "logic", "business"}
)
#: Module names that are the HTTP layer in a web package (FastAPI's `get_current_user` lives there)
#: but a service inside a business folder (`app/services/auth.py`).
_AUTH_STEMS = frozenset({"auth", "security", "authentication", "permissions"})


def is_business_module(path: str) -> bool:
    """Whether a module is business code: the innermost folder or name part that says which decides."""
    parts = path_parts(path)
    stem = parts[-1] if parts else ""
    if stem in _AUTH_STEMS and _STRICT_BUSINESS.intersection(parts[:-1]):
        return True
    # the whole name first, then its words from the last: auth_service is a service
    for token in (stem, *reversed(stem.split("_"))):
        if token in HTTP_LAYER:
            return False
        if token in BUSINESS:
            return True
    for part in reversed(parts[:-1]):
        if part in HTTP_LAYER:
            return False
        if part in BUSINESS:
            return True
    return False


def _http_function(func: cst.FunctionDef, imports: Imports) -> bool:
    """A FastAPI dependency or an HTTP-aware helper: it takes ``Depends(...)`` or a ``Request``."""
    for param in function_params(func):
        if is_depends(param.default, imports):
            return True
        annotation = param.annotation.annotation if param.annotation is not None else None
        if annotation is not None and last(dotted(annotation)) in _HTTP_PARAM_TYPES:
            return True
        if isinstance(annotation, cst.Subscript) and any(
            isinstance(s.slice, cst.Index) and is_depends(s.slice.value, imports) for s in annotation.slice[1:]
        ):
            return True
    return False


class HttpErrorOutsideRouter(PythonRule):
    """
    ## What it does
    Reports `HTTPException(...)` (raised or built), `JSONResponse`/`Response`, Flask `abort`,
    `jsonify` and `make_response` in business modules: services, repositories, models,
    crud, domain, core, utils, db (by the innermost folder or module name that says which:
    `app/services/user_service.py`, `app/crud.py`). Router, API, view, endpoint, handler,
    error, response, dependency, middleware and security/auth modules (where FastAPI
    dependencies such as `get_current_user` live) are the HTTP layer and are not checked,
    except an auth/security module inside a services, repositories or crud folder
    (`app/services/auth.py` is an auth service); neither
    are functions that are themselves HTTP-aware (a FastAPI dependency taking `Depends(...)`,
    a helper taking the `Request`).

    ## Why is this bad?
    A service that raises `HTTPException` ties business logic to one web framework and one
    transport, and it cannot be reused from a CLI, a worker or a test without HTTP. EXE:
    raise domain-specific exceptions; map them to HTTP errors at the router layer only.

    ## Example
        # app/services/item_service.py
        def get_item(db, item_id):
            item = db.get(Item, item_id)
            if item is None:
                raise HTTPException(status_code=404, detail="Item not found")
            return item

    ## Use instead
        # app/services/item_service.py
        def get_item(db, item_id):
            item = db.get(Item, item_id)
            if item is None:
                raise ItemNotFound(item_id)
            return item

        # app/routers/items.py maps ItemNotFound to a 404
    """

    id = "API008"
    name = "http-error-outside-router"
    tier = "expected"
    severity = "low"
    confidence = "high"
    sources = ("EXE Python Backend",)
    message = "HTTP error raised outside the router layer"
    fix = "Raise a domain exception (e.g. `class ItemNotFound(Exception)`) here and translate it to an HTTP status in the router or an exception handler."
    VALID = (
        Valid(
            'from fastapi import APIRouter, HTTPException\n\nrouter = APIRouter()\n\n\n@router.get("/v1/items/{item_id}")\n'
            'def read_item(item_id: int):\n    raise HTTPException(status_code=404, detail="Item not found")\n',
            path="app/routers/items.py",
        ),
        Valid(
            'from fastapi import Depends, HTTPException\nfrom app.security import oauth2_scheme\n\n\n'
            'def get_current_user(token: str = Depends(oauth2_scheme)):\n    raise HTTPException(status_code=401, detail="Not authenticated")\n',
            path="app/core/security.py",
        ),
        # a FastAPI dependency in an auth service module is still HTTP-aware
        Valid(
            'from fastapi import Depends, HTTPException\nfrom app.core.security import oauth2_scheme\n\n\n'
            'async def get_current_user(token: str = Depends(oauth2_scheme)):\n    raise HTTPException(status_code=401, detail="Not authenticated")\n',
            path="app/services/auth.py",
        ),
        Valid('class ItemNotFound(Exception):\n    pass\n\n\ndef get_item(items, item_id):\n    if item_id not in items:\n        raise ItemNotFound(item_id)\n    return items[item_id]\n', path="app/services/items.py"),
    )
    INVALID = (
        Invalid(
            'from fastapi import HTTPException\n\n\ndef get_item(db, item_id):\n    item = db.get(Item, item_id)\n    if item is None:\n'
            '        raise HTTPException(status_code=404, detail="Item not found")\n    return item\n',
            path="app/services/item_service.py",
            line=7,
        ),
        Invalid(
            'from flask import abort\n\n\ndef find_user(user_id):\n    user = User.query.get(user_id)\n    if user is None:\n        abort(404)\n    return user\n',
            path="app/crud.py",
            line=7,
        ),
        Invalid(
            'from fastapi import HTTPException\n\n\ndef authenticate(db, email, password):\n    user = find(db, email)\n'
            '    if user is None or not verify(password, user.hashed_password):\n'
            '        raise HTTPException(status_code=401, detail="Bad credentials")\n    return user\n',
            path="app/services/auth.py",
            line=7,
        ),
    )

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.imports = Imports(file.path)
        self.functions: list[bool] = []  # per enclosing function: is it HTTP-aware?

    def get_visitors(self):
        if self.file.is_test or not is_business_module(self.file.path):
            return {}
        return super().get_visitors()

    def visit_Import(self, node: cst.Import) -> None:
        self.imports.add(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.imports.add(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append((bool(self.functions) and self.functions[-1]) or _http_function(node, self.imports))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if self.functions and self.functions[-1]:
            return
        name = callee(node)
        if not name:
            return
        full = self.imports.qualify(name)
        what = _HTTP_ERRORS.get(full)
        if what is None or (full == name and name.partition(".")[0] not in self.imports.names):
            return
        if what == "HTTPException":
            message = "HTTPException raised in a business module (services/repositories/models belong to no transport)"
        else:
            message = f"`{what}(...)` builds an HTTP response in a business module"
        self.report(node, message)
