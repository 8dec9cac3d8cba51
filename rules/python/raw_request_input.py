"""API004: inputs are validated at the boundary, not read raw from the request."""
from __future__ import annotations

import re

import libcst as cst

from critic.rule import Invalid, PythonFile, PythonRule, Valid
from critic.rules.python.web import WebScope, call_tail, dotted, function_params, last

#: Starlette ``Request`` coroutines that hand over the raw body.
_STARLETTE_READS = frozenset({"json", "body", "form", "stream"})
_STARLETTE_MAPPINGS = frozenset({"query_params"})
#: Flask ``request`` attributes that are raw, unvalidated input.
_FLASK_MAPPINGS = frozenset({"form", "args", "values", "json", "data"})
_FLASK_CALLS = frozenset({"get_json", "get_data"})
#: Calls that validate what they are given: schema loaders and Pydantic entry points.
_VALIDATORS = frozenset(
    {"load", "loads", "validate", "model_validate", "model_validate_json", "parse_obj", "parse_raw", "validate_python", "validate_json", "deserialize"}
)
_REQUEST_TYPES = frozenset({"Request", "HTTPConnection"})
#: Class names that are schemas, not ORM models: ``UserCreate(**data)``, ``LoginSchema().load(data)``.
_SCHEMA_CLASS = re.compile(
    r"(Schema|Serializer|Model|In|Input|Create|Update|Patch|Payload|Body|Params|Query|Form|Filter|Event|Command|DTO)$"
)


_JSON_MODULES = frozenset({"json", "orjson", "ujson", "simplejson", "rapidjson"})


def _json_parse(node: cst.Call) -> bool:
    """``json.loads(...)``: parses, validates nothing."""
    return isinstance(node.func, cst.Attribute) and dotted(node.func.value) in _JSON_MODULES


def _strict_validator(node: cst.Call) -> bool:
    """A call that validates what it is given: a schema loader, a Pydantic entry point, a schema class."""
    tail = call_tail(node)
    if tail in _VALIDATORS:
        return not _json_parse(node)
    return tail[:1].isupper() and bool(_SCHEMA_CLASS.search(tail))


class RawRequestInput(WebScope, PythonRule):
    """
    ## What it does
    Reports handlers that read request input raw instead of through a declared model:
    FastAPI/Starlette `await request.json()`, `request.body()`, `request.form()`,
    `request.stream()`, `request.query_params[...]` inside a route; Flask
    `request.get_json()`, `request.json`, `request.data`, `request.form[...]`,
    `request.form.get(...)`, `request.args[...]`, `request.args.get(...)` (even with
    `type=int`), `request.values`. A read passed straight to a validator
    (`Schema().load(request.get_json())`, `Model.model_validate(await request.json())`,
    `Model(**request.json)`, `schema.load(request.get_json(silent=True) or {})`) is validated
    and not reported, and so is a read kept in a local variable that later reaches a schema
    loader or a schema class in the same handler (`data = request.get_json()` then
    `schema.load(data)`; `body = await request.body()` then
    `Event.model_validate(json.loads(body))`, the webhook pattern that needs the raw bytes for
    a signature check). A variable that only reaches an ORM model (`User(email=data["email"])`)
    is not validated. Headers and cookies are not input bodies and are not checked.

    ## Why is this bad?
    A raw dict has no types, no bounds and no required fields: every handler re-validates it by
    hand (or forgets to). DEV, AGT and EXE all ask for validation at the boundary with
    Pydantic or schema models.

    ## Example
        @router.post("/items")
        async def create_item(request: Request):
            data = await request.json()
            return await service.create(data["title"])

    ## Use instead
        class ItemCreate(BaseModel):
            title: str = Field(min_length=1, max_length=200)

        @router.post("/items", status_code=201)
        async def create_item(payload: ItemCreate):
            return await service.create(payload.title)
    """

    id = "API004"
    name = "raw-request-input"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("DEV Constraints", "AGT Security Checklist", "EXE Python Backend")
    cwe = ("CWE-20",)
    owasp = ("A03:2021",)
    message = "Handler reads raw request input instead of a validated model"
    fix = "Declare the input as a Pydantic model parameter (FastAPI) or load it through a schema (`ItemSchema().load(request.get_json())`, `Item.model_validate(...)`)."
    VALID = (
        Valid(
            'from fastapi import APIRouter, Request\nfrom app.schemas import ItemCreate\n\nrouter = APIRouter()\n\n\n'
            '@router.post("/items", status_code=201)\nasync def create_item(request: Request, payload: ItemCreate):\n'
            '    request_id = request.headers.get("X-Request-ID")\n    return {"title": payload.title}\n'
        ),
        Valid(
            'from flask import Blueprint, request\nfrom app.schemas import ItemSchema, Query\n\nbp = Blueprint("items", __name__)\n\n\n'
            '@bp.post("/items")\ndef create_item():\n    data = ItemSchema().load(request.get_json())\n'
            '    query = Query.model_validate(request.args.to_dict())\n    return data, 201\n'
        ),
        # marshmallow's documented pattern: read, then load through the schema
        Valid(
            'from flask import Blueprint, request\nfrom app.schemas import book_schema, BookSchema\n\nbp = Blueprint("books", __name__)\n\n\n'
            '@bp.post("/books")\ndef create_book():\n    data = book_schema.load(request.get_json(silent=True) or {})\n'
            '    json_data = request.get_json()\n    if not json_data:\n        return {"error": {"code": "empty"}}, 400\n'
            '    other = BookSchema().load(json_data)\n    return data, 201\n'
        ),
        # the raw bytes are needed for the signature; the event is validated from them
        Valid(
            'import json\nfrom fastapi import APIRouter, Header, Request\nfrom app.schemas import WebhookEvent\n\nrouter = APIRouter()\n\n\n'
            '@router.post("/webhooks/billing")\nasync def billing(request: Request, x_signature: str = Header(...)):\n'
            '    body = await request.body()\n    check(body, x_signature)\n    payload = json.loads(body)\n'
            '    event = WebhookEvent.model_validate(payload)\n    return {"type": event.type}\n'
        ),
        Valid(
            'from starlette.middleware.base import BaseHTTPMiddleware\n\n\nclass Audit(BaseHTTPMiddleware):\n'
            '    async def dispatch(self, request, call_next):\n        body = await request.body()\n        return await call_next(request)\n'
        ),
    )
    INVALID = (
        Invalid(
            'from fastapi import APIRouter, Request\n\nrouter = APIRouter()\n\n\n@router.post("/items")\n'
            'async def create_item(request: Request):\n    data = await request.json()\n    return data\n',
            line=8,
        ),
        Invalid(
            'from flask import Flask, request\n\napp = Flask(__name__)\n\n\n@app.get("/items")\ndef items():\n'
            '    page = request.args.get("page", 1, type=int)\n    return {"page": page}\n',
            line=8,
        ),
        Invalid(
            'from flask import Flask, request\n\napp = Flask(__name__)\n\n\n@app.post("/login")\ndef login():\n'
            '    email = request.form["email"]\n    return {"email": email}\n',
            line=8,
        ),
        # the variable reaches an ORM model, which validates nothing
        Invalid(
            'from flask import Flask, request\nfrom app.models import User\n\napp = Flask(__name__)\n\n\n@app.post("/users")\ndef create():\n'
            '    data = request.get_json()\n    user = User(email=data["email"])\n    return {"id": user.id}, 201\n',
            line=9,
        ),
    )

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.validated: set[int] = set()  # ids of argument expressions given to a validator
        self.handled: set[int] = set()  # ids of inner nodes already covered by a report
        self.calls: list[cst.Call] = []
        self.validating = 0  # depth of strict validator calls around the current node
        self.targets: list[str | None] = []  # the local name each enclosing assignment value goes to

    def get_visitors(self):
        if self.file.is_test:
            return {}
        return super().get_visitors()

    # which names are a request object here ------------------------------------------------
    def _flask_request(self, node: cst.BaseExpression) -> bool:
        name = dotted(node)
        return bool(name) and self.imports.qualify(name) == "flask.request"

    def _starlette_request(self, node: cst.BaseExpression) -> bool:
        scope = self.route_function
        if scope is None or not isinstance(node, cst.Name):
            return False
        requests = scope.data.get("requests")
        if requests is None:
            requests = set()
            for param in function_params(scope.node):
                annotation = param.annotation.annotation if param.annotation is not None else None
                if last(dotted(annotation)) in _REQUEST_TYPES:
                    requests.add(param.name.value)
            scope.data["requests"] = requests
        return node.value in requests

    # validators ----------------------------------------------------------------------------
    # local variables: a raw read kept in a name, and whether that name reaches a validator --------
    def _flow(self) -> dict | None:
        scope = self.route_function
        if scope is None:
            return None
        return scope.data.setdefault("flow", {"raw": {}, "deferred": [], "validated": set()})

    def visit_Assign_value(self, node: cst.Assign) -> None:
        target = node.targets[0].target if len(node.targets) == 1 else None
        self.targets.append(target.value if isinstance(target, cst.Name) else None)

    def leave_Assign_value(self, node: cst.Assign) -> None:
        self.targets.pop()

    def visit_AnnAssign_value(self, node: cst.AnnAssign) -> None:
        self.targets.append(node.target.value if isinstance(node.target, cst.Name) else None)

    def leave_AnnAssign_value(self, node: cst.AnnAssign) -> None:
        self.targets.pop()

    def visit_Name(self, node: cst.Name) -> None:
        flow = self._flow() if (self.validating or (self.targets and self.targets[-1])) else None
        if not flow or node.value not in flow["raw"]:
            return
        root = flow["raw"][node.value]
        if self.validating:
            flow["validated"].add(root)
        elif self.targets and self.targets[-1]:
            flow["raw"].setdefault(self.targets[-1], root)  # payload = json.loads(body)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        scope = self.function
        flow = scope.data.get("flow") if scope is not None else None
        super().leave_FunctionDef(original_node)
        if flow:
            for root, node, message in flow["deferred"]:
                if root not in flow["validated"]:
                    self.report(node, message)

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)
        if _strict_validator(node):
            self.validating += 1
        tail = call_tail(node)
        if (tail in _VALIDATORS and not _json_parse(node)) or (tail[:1].isupper() and not tail.endswith("Response")):
            for arg in node.args:
                self.validated.add(id(arg.value))
                if isinstance(arg.value, cst.Await):
                    self.validated.add(id(arg.value.expression))
        if not isinstance(node.func, cst.Attribute):
            return
        func = node.func
        if id(node) in self.validated:  # the whole read is validated: so is the request mapping inside it
            self.validated.add(id(func.value))
            return
        # Starlette: await request.json() / request.body() / request.form()
        if func.attr.value in _STARLETTE_READS and self._starlette_request(func.value):
            self._report(node, func, f"`{dotted(func)}()` reads the raw request body")
            return
        # Flask: request.get_json() / request.get_data()
        if func.attr.value in _FLASK_CALLS and self._flask_request(func.value):
            self._report(node, func, f"`{dotted(func)}()` reads the raw request body")
            return
        # Flask: request.args.get(...), request.form.get(...), request.args.to_dict()
        inner = func.value
        if isinstance(inner, cst.Attribute) and inner.attr.value in _FLASK_MAPPINGS and self._flask_request(inner.value):
            self._report(node, inner, f"`{dotted(func)}(...)` reads raw request input")
        elif isinstance(inner, cst.Attribute) and inner.attr.value in _STARLETTE_MAPPINGS and self._starlette_request(inner.value):
            self._report(node, inner, f"`{dotted(func)}(...)` reads raw query parameters")

    def leave_Call(self, original_node: cst.Call) -> None:
        self.calls.pop()
        if _strict_validator(original_node):
            self.validating -= 1

    def visit_Subscript(self, node: cst.Subscript) -> None:
        value = node.value
        if id(node) in self.validated or not isinstance(value, cst.Attribute):
            return
        if value.attr.value in _FLASK_MAPPINGS and self._flask_request(value.value):
            self._report(node, value, f"`{dotted(value)}[...]` reads raw request input")
        elif value.attr.value in _STARLETTE_MAPPINGS and self._starlette_request(value.value):
            self._report(node, value, f"`{dotted(value)}[...]` reads raw query parameters")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) in self.handled or id(node) in self.validated:
            return
        if node.attr.value in _FLASK_MAPPINGS and self._flask_request(node.value):
            self._report(node, node, f"`{dotted(node)}` reads raw request input")

    def _report(self, node: cst.CSTNode, inner: cst.CSTNode, message: str) -> None:
        self.handled.add(id(inner))
        if self.validating:
            return  # nested inside a schema loader: `schema.load(request.get_json(silent=True) or {})`
        target = self.targets[-1] if self.targets else None
        flow = self._flow() if target else None
        if flow is not None and target:
            # `data = request.get_json()`: decided when the handler ends, by where `data` goes
            flow["raw"][target] = target
            flow["deferred"].append((target, node, message))
            return
        self.report(node, message)
