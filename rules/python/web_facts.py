"""The web facts of a Python file: apps, routers, routes, includes, handlers, middleware.

One collector in the batched traversal states what each file declares; project rules
(``rules/project/routes.py`` joins them into full routes) and other engineers' rules read
them. Test files state nothing: an app built in a test is not the service.

Fact kinds and their data (names are a contract; add keys, never rename):

- ``app`` at ``FastAPI(``/``Flask(``/``Starlette(``: framework, cls, var, debug, module, target,
  dependencies_auth, dependencies_rate_limited
- ``route`` at the route decorator: framework, methods, path, owner, owner_target, module,
  function, is_async, params, param_types, auth, rate_limited, status_code, response_model,
  path_expr, returned_statuses, via ("decorator" | "call"). ``auth`` is what the file shows;
  ``resolve_routes`` adds router/include/app-level auth and auth type aliases from other files
- ``router`` at ``APIRouter(``/``Blueprint(``: var, kind, prefix, prefix_expr, module, target,
  framework, dependencies_auth, dependencies_rate_limited
- ``include`` at ``include_router``/``register_blueprint``: owner, owner_target, target,
  prefix (None when not given), prefix_expr, module, framework, dependencies_auth,
  dependencies_rate_limited
- ``exception_handler``: framework, exception, module, function, envelope (True/False/None)
- ``middleware``: name, module, owner_target
- ``limiter`` at ``Limiter(``: library, default_limits, module
- ``before_request`` (Flask hooks): owner_target, function, auth, module
- ``error_response`` at a response built with a status: call, status, envelope, in_handler,
  function, framework
- ``abort`` (Flask ``abort(code)``): status, function
- ``http_exception`` at ``raise HTTPException(...)``: status, function
- ``str_constant`` (module/class-level strings that look like paths): name, value, module
- ``auth_alias`` (``CurrentUser = Annotated[User, Depends(get_current_user)]``): name, module
- ``reexport`` (``from .x import y`` in a package ``__init__``): module, name, target
- ``mount`` at ``app.mount("/api/v1", api)`` (a sub-application): owner_target, target, prefix,
  prefix_expr, module
"""
from __future__ import annotations

import libcst as cst

from critic.rule import PythonFile, PythonVisitor
from critic.rules.python.web import (
    AUTH_NAME,
    Imports,
    RouteSpec,
    WebScope,
    argument,
    assigned_name,
    annotated_metadata,
    callee,
    code,
    dependency_is_auth,
    dependencies_auth,
    dependencies_rate_limited,
    dotted,
    function_auth,
    function_rate_limited,
    kwarg,
    last,
    owner_of_call,
    param_types,
    positional,
    status_code,
    string,
    strings,
    template,
    true,
)

_RESPONSES = {
    # qualified name -> (status keyword, status position or None, content keyword, framework)
    "fastapi.responses.JSONResponse": ("status_code", 1, "content", "fastapi"),
    "starlette.responses.JSONResponse": ("status_code", 1, "content", "fastapi"),
    "fastapi.responses.ORJSONResponse": ("status_code", 1, "content", "fastapi"),
    "fastapi.responses.UJSONResponse": ("status_code", 1, "content", "fastapi"),
    "fastapi.responses.Response": ("status_code", 1, "content", "fastapi"),
    "fastapi.Response": ("status_code", 1, "content", "fastapi"),
    "starlette.responses.Response": ("status_code", 1, "content", "fastapi"),
    "fastapi.responses.PlainTextResponse": ("status_code", 1, "content", "fastapi"),
    "starlette.responses.PlainTextResponse": ("status_code", 1, "content", "fastapi"),
    "fastapi.responses.HTMLResponse": ("status_code", 1, "content", "fastapi"),
    "flask.Response": ("status", 1, "response", "flask"),
    "flask.wrappers.Response": ("status", 1, "response", "flask"),
    "flask.make_response": ("status", 1, "", "flask"),
    "django.http.JsonResponse": ("status", None, "data", "django"),
    "django.http.HttpResponse": ("status", None, "content", "django"),
    "rest_framework.response.Response": ("status", 1, "data", "django"),
}
_HTTP_EXCEPTIONS = ("fastapi.HTTPException", "fastapi.exceptions.HTTPException", "starlette.exceptions.HTTPException")
_ABORTS = ("flask.abort", "werkzeug.exceptions.abort")
_HANDLER_DECORATORS = {"exception_handler": "fastapi", "errorhandler": "flask", "app_errorhandler": "flask"}


def envelope_shape(node: cst.CSTNode | None, imports: Imports) -> str:
    """"envelope" for ``{"error": {...}}``, "other" for a body of another shape, "unknown"."""
    if node is None:
        return "other"
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement) and string(element.key) == "error":
                value = element.value
                return "other" if string(value) is not None or isinstance(value, cst.FormattedString) else "envelope"
            if isinstance(element, cst.StarredDictElement):
                return "unknown"
        return "other"
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.List, cst.Tuple)):
        return "other"
    if isinstance(node, cst.Name) and node.value == "None":
        return "other"
    if isinstance(node, cst.Call):
        name = last(callee(node))
        if name in ("jsonify", "jsonable_encoder", "make_response", "dict"):
            keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
            if name == "dict" or (name == "jsonify" and keywords):
                if "error" in keywords:
                    value = keywords["error"]
                    return "other" if string(value) is not None or isinstance(value, cst.FormattedString) else "envelope"
                return "other" if keywords else "unknown"
            first = positional(node, 0)
            if first is None and name == "jsonify":
                return "other"
            return envelope_shape(first, imports) if first is not None else "unknown"
    return "unknown"


def _envelope(shapes: list[str]) -> bool | None:
    if "envelope" in shapes:
        return True
    if shapes and all(s == "other" for s in shapes):
        return False
    return None


class WebFacts(WebScope, PythonVisitor):
    """Collects the web facts of one file (see the module docstring for the contract)."""

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.module = self.imports.module
        #: handler functions registered by name in this file (add_exception_handler...)
        self._registered_handlers: dict[str, list[tuple[cst.CSTNode, dict]]] = {}
        self._function_shapes: dict[str, list[str]] = {}
        self._responses: list[tuple[cst.CSTNode, dict, str]] = []
        self._decorated_handlers: set[str] = set()
        #: ids of bodies already judged as part of a response (``return jsonify(...), 404``)
        self._covered: set[int] = set()
        #: id(call) -> the variable an app/router constructor call is assigned to
        self._assigned: dict[int, str] = {}

    def get_visitors(self):
        if self.file.is_test:
            return {}
        return super().get_visitors()

    # ------------------------------------------------------------------ functions
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        scope = self.functions[-1]
        scope.data["shapes"] = []
        scope.data["statuses"] = []
        scope.data["auth_calls"] = False
        handlers = []
        for decorator in node.decorators:
            call = decorator.decorator
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
                attr = call.func.attr.value
                if attr in _HANDLER_DECORATORS:
                    handlers.append((decorator, _HANDLER_DECORATORS[attr], _exception_name(positional(call, 0), self.imports)))
                elif attr == "middleware" and string(positional(call, 0)) == "http":
                    self.fact("middleware", decorator, name=node.name.value, module=self.module, owner_target=self.imports.target(dotted(call.func.value)))
            elif isinstance(call, cst.Attribute) and call.attr.value in ("before_request", "before_app_request"):
                scope.data["before_request"] = (decorator, self.imports.target(dotted(call.value)))
        scope.data["handlers"] = handlers

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        scope = self.functions[-1] if self.functions else None
        if scope is not None and scope.node is original_node:
            self._finish_function(scope)
        super().leave_FunctionDef(original_node)

    def _finish_function(self, scope) -> None:
        node = scope.node
        shapes = scope.data["shapes"]
        self._function_shapes.setdefault(scope.name, []).extend(shapes)
        for decorator, framework, exception in scope.data["handlers"]:
            self._decorated_handlers.add(scope.name)
            self.fact(
                "exception_handler",
                decorator,
                framework=framework,
                exception=exception,
                module=self.module,
                function=scope.name,
                envelope=_envelope(shapes),
            )
        hook = scope.data.get("before_request")
        if hook is not None:
            auth = bool(AUTH_NAME.search(scope.name)) or scope.data["auth_calls"] or function_auth(node, self.imports)
            self.fact("before_request", hook[0], owner_target=hook[1], function=scope.name, auth=auth, module=self.module)
        if not scope.routes:
            return
        auth = function_auth(node, self.imports)
        limited = function_rate_limited(node, self.imports)
        statuses = tuple(sorted(set(scope.data["statuses"])))
        for spec in scope.routes:
            self._route(spec, scope, auth, limited, statuses)

    def _route(self, spec: RouteSpec, scope, auth: bool, limited: bool, statuses: tuple[int, ...]) -> None:
        node = scope.node
        response_model = spec.response_model
        if response_model is None and node.returns is not None:
            text = code(node.returns.annotation)
            response_model = None if text in ("None", "Response", "JSONResponse") else text
        self.fact(
            "route",
            spec.decorator,
            framework=spec.framework,
            methods=spec.methods,
            path=spec.path,
            path_expr=spec.path_expr,
            owner=spec.owner,
            owner_target=self.imports.target(spec.owner),
            module=self.module,
            function=scope.name,
            is_async=scope.is_async,
            params=scope.params,
            param_types=param_types(node),
            auth=auth or spec.auth,
            rate_limited=limited or spec.rate_limited,
            status_code=spec.status_code,
            response_model=response_model,
            returned_statuses=statuses,
            via="decorator",
        )

    # ------------------------------------------------------------------ assignments
    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        self._constant(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        super().visit_AnnAssign(node)
        self._constant(node)

    def _constant(self, node: cst.Assign | cst.AnnAssign) -> None:
        if self.functions or node.value is None:
            return
        if isinstance(node.value, cst.Subscript):
            # CurrentUser = Annotated[User, Depends(get_current_user)]: an auth type alias
            if any(dependency_is_auth(m, self.imports) for m in annotated_metadata(node.value)):
                name = assigned_name(node)
                if name:
                    self.fact("auth_alias", node, name=last(name), module=self.module)
            return
        value = string(node.value)
        if value is None or not value.startswith("/") or len(value) > 200:
            return
        name = assigned_name(node)
        if name:
            self.fact("str_constant", node, name=last(name), value=value, module=self.module)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        super().visit_ImportFrom(node)
        if not self.file.path.endswith("__init__.py") or isinstance(node.names, cst.ImportStar) or self.functions:
            return
        for alias in node.names:
            name = dotted(alias.name)
            if not name:
                continue
            local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
            self.fact("reexport", node, module=self.module, name=local, target=self.imports.qualify(local))

    # ------------------------------------------------------------------ calls
    def visit_Raise(self, node: cst.Raise) -> None:
        exc = node.exc
        name = callee(exc) if isinstance(exc, cst.Call) else dotted(exc)
        if name and self.imports.is_(name, *_HTTP_EXCEPTIONS):
            status = status_code(argument(exc, 0, "status_code")) if isinstance(exc, cst.Call) else None
            self.fact("http_exception", node, status=status, function=self.function.name if self.function else None)

    def visit_Return(self, node: cst.Return) -> None:
        scope = self.function
        if scope is None or node.value is None:
            return
        value = node.value
        if isinstance(value, cst.Tuple) and len(value.elements) >= 2 and self.imports.framework == "flask":
            body, status = value.elements[0].value, status_code(value.elements[1].value)
            shape = envelope_shape(body, self.imports)
            scope.data["shapes"].append(shape)
            self._covered.add(id(body))
            if status is not None:
                scope.data["statuses"].append(status)
            if status is None or status >= 400:
                # with no literal status it is an error only inside an exception handler
                self._responses.append((body, {"call": "return", "status": status, "envelope": _envelope([shape]), "framework": "flask"}, scope.name))
            return
        if isinstance(value, (cst.Dict, cst.Call)):
            shape = envelope_shape(value, self.imports)
            if shape != "unknown" or isinstance(value, cst.Dict):
                scope.data["shapes"].append(shape)

    def visit_Call(self, node: cst.Call) -> None:
        name = callee(node)
        if not name:
            return
        scope = self.function
        if scope is not None and AUTH_NAME.search(last(name)):
            scope.data["auth_calls"] = True
        built = owner_of_call(node, self.imports)
        if built is not None:
            self._owner_fact(node, built)
            return
        attr = node.func.attr.value if isinstance(node.func, cst.Attribute) else ""
        if attr in ("include_router", "register_blueprint"):
            self._include(node, attr)
        elif attr in ("add_exception_handler", "register_error_handler"):
            handler = dotted(argument(node, 1, "handler" if attr == "add_exception_handler" else "f"))
            data = {
                "framework": "fastapi" if attr == "add_exception_handler" else "flask",
                "exception": _exception_name(argument(node, 0, "exc_class_or_status_code" if attr == "add_exception_handler" else "code_or_exception"), self.imports),
                "module": self.module,
                "function": last(handler) or None,
            }
            self._registered_handlers.setdefault(last(handler), []).append((node, data))
        elif attr == "add_middleware":
            middleware = dotted(argument(node, 0, "middleware_class"))
            self.fact("middleware", node, name=last(middleware) or "", module=self.module, owner_target=self.imports.target(dotted(node.func.value)))
        elif attr in ("add_api_route", "add_url_rule"):
            self._call_route(node, attr)
        elif attr == "mount":
            self._mount(node)
        full = self.imports.qualify(name)
        if last(name) == "Middleware" and self.imports.is_(name, "starlette.middleware.Middleware", "fastapi.middleware.Middleware"):
            self.fact("middleware", node, name=last(dotted(positional(node, 0))) or "", module=self.module, owner_target="")
        elif last(name) == "Limiter" and (self.imports.imports_from("slowapi", "flask_limiter", "fastapi_limiter") or full != name):
            library = full.split(".")[0] if full != name else ""
            limits = kwarg(node, "default_limits")
            self.fact("limiter", node, library=library, default_limits=limits is not None and not (isinstance(limits, (cst.List, cst.Tuple)) and not limits.elements), module=self.module)
        elif self.imports.is_(name, *_ABORTS) and self.imports.imports_from("flask", "werkzeug"):
            self.fact("abort", node, status=status_code(argument(node, 0, "status")), function=scope.name if scope else None)
        elif full in _RESPONSES or (name.partition(".")[0] not in self.imports.names and name in ("JSONResponse",)):
            self._response(node, full if full in _RESPONSES else "fastapi.responses.JSONResponse")
        elif full == "flask.jsonify" and id(node) not in self._covered and scope is not None:
            # a bare jsonify(...) is an error response only inside an error handler (status unknown)
            shape = envelope_shape(node, self.imports)
            scope.data["shapes"].append(shape)
            self._responses.append((node, {"call": "jsonify", "status": None, "envelope": _envelope([shape]), "framework": "flask"}, scope.name))

    def _response(self, node: cst.Call, full: str) -> None:
        status_kw, status_pos, content_kw, framework = _RESPONSES[full]
        status_node = kwarg(node, status_kw)
        if status_node is None and status_pos is not None:
            status_node = positional(node, status_pos)
        status = status_code(status_node)
        content = kwarg(node, content_kw) if content_kw else None
        if content is None:
            content = positional(node, 0)
        if content is not None:
            self._covered.add(id(content))
        shape = envelope_shape(content, self.imports) if (content is not None or last(full) != "make_response") else "unknown"
        scope = self.function
        if scope is not None:
            scope.data["shapes"].append(shape)
            if status is not None:
                scope.data["statuses"].append(status)
        if status is not None and status < 400:
            return  # with no status, or one critic cannot read, it is an error only inside a handler
        self._responses.append((node, {"call": last(full), "status": status, "envelope": _envelope([shape]), "framework": framework}, scope.name if scope else ""))

    def _owner_fact(self, node: cst.Call, built) -> None:
        var = self._assigned.get(id(node))
        target = self.imports.target(var) if var else None
        if built.kind == "app":
            deps = kwarg(node, "dependencies")
            debug = kwarg(node, "debug")
            self.fact(
                "app",
                node,
                framework=built.framework,
                cls=last(callee(node)),
                var=var,
                target=target,
                # FastAPI(debug=...) as written; Flask takes no debug argument (app.run does): unknown
                debug=None if built.framework == "flask" else (True if true(debug) else (False if debug is None or (isinstance(debug, cst.Name) and debug.value == "False") else None)),
                module=self.module,
                dependencies_auth=dependencies_auth(deps, self.imports),
                dependencies_rate_limited=dependencies_rate_limited(deps, self.imports),
            )
            return
        prefix_node = kwarg(node, "prefix" if built.kind == "APIRouter" else "url_prefix")
        prefix = string(prefix_node)
        deps = kwarg(node, "dependencies")
        self.fact(
            "router",
            node,
            var=var,
            kind=built.kind,
            framework=built.framework,
            target=target,
            prefix=prefix,
            prefix_expr=(template(prefix_node) or ()) if prefix_node is not None and prefix is None else (),
            module=self.module,
            dependencies_auth=dependencies_auth(deps, self.imports),
            dependencies_rate_limited=dependencies_rate_limited(deps, self.imports),
        )

    def _mount(self, node: cst.Call) -> None:
        """``app.mount("/api/v1", api)``: the routes of the sub-application ``api`` live under the prefix."""
        ref = dotted(argument(node, 1, "app"))
        owner = dotted(node.func.value) if isinstance(node.func, cst.Attribute) else None
        if not ref or not owner:
            return  # app.mount("/static", StaticFiles(...)): not an application of this project
        prefix_node = argument(node, 0, "path")
        prefix = string(prefix_node)
        self.fact(
            "mount",
            node,
            owner_target=self.imports.target(owner),
            target=self.imports.target(ref),
            prefix=prefix,
            prefix_expr=(template(prefix_node) or ()) if prefix_node is not None and prefix is None else (),
            module=self.module,
        )

    def _include(self, node: cst.Call, attr: str) -> None:
        target_node = argument(node, 0, "router" if attr == "include_router" else "blueprint")
        ref = dotted(target_node)
        prefix_node = kwarg(node, "prefix" if attr == "include_router" else "url_prefix")
        prefix = string(prefix_node)
        deps = kwarg(node, "dependencies")
        owner = dotted(node.func.value) if isinstance(node.func, cst.Attribute) else None
        self.fact(
            "include",
            node,
            owner=owner,
            owner_target=self.imports.target(owner),
            target=self.imports.target(ref) if ref else None,
            prefix=prefix,
            prefix_expr=(template(prefix_node) or ()) if prefix_node is not None and prefix is None else (),
            module=self.module,
            framework="fastapi" if attr == "include_router" else "flask",
            dependencies_auth=dependencies_auth(deps, self.imports),
            dependencies_rate_limited=dependencies_rate_limited(deps, self.imports),
        )

    def _call_route(self, node: cst.Call, attr: str) -> None:
        """``app.add_api_route("/x", endpoint, methods=[...])`` / ``app.add_url_rule("/x", view_func=f)``."""
        path = string(argument(node, 0, "path" if attr == "add_api_route" else "rule"))
        if path is None:
            return
        owner = dotted(node.func.value)
        if attr == "add_api_route":
            function = last(dotted(argument(node, 1, "endpoint")))
            framework = "fastapi"
        else:
            function = last(dotted(kwarg(node, "view_func") or positional(node, 2)))
            framework = "flask"
        methods_node = kwarg(node, "methods")
        methods = strings(methods_node) if methods_node is not None else ("GET",)
        self.fact(
            "route",
            node,
            framework=framework,
            methods=tuple(m.upper() for m in methods or ()),
            path=path,
            path_expr=(),
            owner=owner,
            owner_target=self.imports.target(owner),
            module=self.module,
            function=function or None,
            is_async=None,
            params=(),
            auth=False,
            rate_limited=False,
            status_code=status_code(kwarg(node, "status_code")),
            response_model=None,
            returned_statuses=(),
            via="call",
        )

    # the variable an app/router constructor is assigned to
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        for statement in node.body:
            if isinstance(statement, (cst.Assign, cst.AnnAssign)) and isinstance(statement.value, cst.Call):
                name = assigned_name(statement)
                if name:
                    self._assigned[id(statement.value)] = name

    def leave_Module(self, original_node: cst.Module) -> None:
        for name, registrations in self._registered_handlers.items():
            shapes = self._function_shapes.get(name)
            envelope = _envelope(shapes) if shapes is not None else None
            for node, data in registrations:
                self.fact("exception_handler", node, envelope=envelope, **data)
        handlers = set(self._registered_handlers) | self._decorated_handlers
        for node, data, function in self._responses:
            self.fact("error_response", node, in_handler=function in handlers, function=function or None, **data)



def _exception_name(node: cst.CSTNode | None, imports: Imports) -> str:
    """``HTTPException`` for ``StarletteHTTPException`` (an alias), ``404`` for a status."""
    if isinstance(node, cst.Integer):
        return node.value
    number = status_code(node)
    if number is not None:
        return str(number)
    return last(imports.qualify(dotted(node))) or ""
