"""API002: list endpoints are paginated."""
from __future__ import annotations

import re

import libcst as cst

from critic.rule import Invalid, PythonFile, PythonRule, Valid
from critic.rules.python.web import FunctionScope, WebScope, call_tail, code, dotted, function_params, last, string

#: Parameter (and Flask query-argument) names that carry pagination.
PAGINATION = frozenset(
    {"limit", "offset", "page", "size", "page_size", "pagesize", "per_page", "perpage", "cursor", "skip", "take", "page_number", "page_token", "next_token", "max_results"}
)
_PAGINATION_TYPE = re.compile(r"Paginat|Paging|PageParams|^Params$|LimitOffset", re.IGNORECASE)
#: Calls that bound a query or a sequence.
_BOUNDING = frozenset({"limit", "offset", "slice", "paginate", "fetchmany", "islice", "page", "get_page", "Paginator", "limit_offset", "top", "take"})
#: Calls that return every row of a query.
_ALL_ROWS = frozenset({"all", "fetchall"})
#: Calls that only wrap their argument into a response.
_WRAPPERS = frozenset({"jsonify", "list", "tuple", "sorted", "JSONResponse", "ORJSONResponse", "make_response", "jsonable_encoder", "Response", "dict"})
#: Calls a pagination value can go to without bounding anything.
_NOT_APPLYING = frozenset({"jsonify", "dict", "len", "str", "int", "float", "print", "min", "max", "abs", "bool", "repr", "format", "JSONResponse", "info", "debug", "warning", "error", "exception", "log"})
#: Calls that compute in memory and read no data (a handler calling nothing else lists constants).
_IN_MEMORY = frozenset(
    {"list", "tuple", "set", "frozenset", "sorted", "dict", "len", "str", "int", "float", "bool", "enumerate", "range", "zip", "reversed", "isinstance", "getattr", "min", "max", "sum", "any", "all", "map", "filter", "items", "keys", "values", "upper", "lower", "title", "strip", "format"}
)
_COLLECTION_MODEL = re.compile(r"^(typing\.)?(list|List|Sequence|Iterable|set|Set|tuple|Tuple|frozenset)\[")


def _collection(expr: cst.BaseExpression | None, names: set[str]) -> bool:
    """Whether an expression is every row of a query (``.all()``, ``fetchall()``) or built from one."""
    if expr is None:
        return False
    if isinstance(expr, cst.Await):
        return _collection(expr.expression, names)
    if isinstance(expr, cst.Name):
        return expr.value in names
    if isinstance(expr, cst.Call):
        tail = call_tail(expr)
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _ALL_ROWS and not expr.args:
            return True
        if tail in _WRAPPERS:
            return any(_collection(arg.value, names) for arg in expr.args)
        return False
    if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        loop: cst.CompFor | None = expr.for_in
        while loop is not None:
            if _collection(loop.iter, names):
                return True
            loop = loop.inner_for_in
        return False
    if isinstance(expr, cst.Dict):
        return any(isinstance(e, cst.DictElement) and _collection(e.value, names) for e in expr.elements)
    if isinstance(expr, cst.Tuple) and expr.elements:
        return _collection(expr.elements[0].value, names)
    return False


class UnpaginatedListEndpoint(WebScope, PythonRule):
    """
    ## What it does
    Reports GET routes that return a collection without bounding it. A route returns a
    collection when its `response_model` or return annotation is a list (`list[Item]`,
    `List[Item]`, `Sequence[Item]`), or when it returns every row of a query (`.all()`,
    `.scalars().all()`, `fetchall()`), directly, through a local variable, a list
    comprehension, a `jsonify(...)` or a `{"items": rows}` dict. It is reported (at the route
    decorator) when it takes no pagination parameter (limit/offset, page/size, cursor, a
    `Pagination` dependency, or Flask `request.args.get("page")`), or takes one but never
    uses it: no `.limit()`/`.offset()`/`.paginate()`/slicing in the handler and the value is
    not passed on to a service that could apply it. A route returning one item, or a
    paginated `Page[...]` model, is fine, and so is a route declared to return a list whose
    body reads no data at all (`return [g.value for g in Granularity]`, the values of an
    enum or a constant: nothing that grows with a table).

    ## Why is this bad?
    An unbounded list grows with the table: one request can read and serialise every row,
    exhausting memory and time (CWE-770). EXE: paginate all list endpoints; never return
    unbounded collections.

    ## Example
        @router.get("/items", response_model=list[ItemOut])
        def list_items(db: Session = Depends(get_db)):
            return db.query(Item).all()

    ## Use instead
        @router.get("/items", response_model=list[ItemOut])
        def list_items(limit: int = Query(50, le=200), offset: int = 0, db: Session = Depends(get_db)):
            return db.query(Item).order_by(Item.id).offset(offset).limit(limit).all()
    """

    id = "API002"
    name = "unpaginated-list-endpoint"
    tier = "expected"
    severity = "medium"
    confidence = "medium"
    sources = ("EXE API Design", "AGT clarification example")
    cwe = ("CWE-770",)
    message = "List endpoint returns an unbounded collection"
    fix = "Take `limit`/`offset` (or `page`/`size`, or a cursor) with an upper bound, e.g. `limit: int = Query(50, le=200)`, and apply them to the query: `.offset(offset).limit(limit)`."
    VALID = (
        Valid(
            'from fastapi import APIRouter, Depends, Query\n\nrouter = APIRouter()\n\n\n@router.get("/items", response_model=list[ItemOut])\n'
            'def list_items(limit: int = Query(50, le=200), offset: int = 0, db=Depends(get_db)):\n'
            '    return db.query(Item).offset(offset).limit(limit).all()\n'
        ),
        Valid(
            'from fastapi import APIRouter, Depends\n\nrouter = APIRouter()\n\n\n@router.get("/items/{item_id}", response_model=ItemOut)\n'
            'def read_item(item_id: int, db=Depends(get_db)):\n    return db.query(Item).filter(Item.id == item_id).first()\n'
        ),
        Valid(
            'from fastapi import APIRouter, Depends\n\nrouter = APIRouter()\n\n\n@router.get("/reports")\n'
            'def reports(limit: int = 20, offset: int = 0, service=Depends(get_service)):\n    return service.list(limit=limit, offset=offset)\n'
        ),
        Valid(
            'from flask import Blueprint, jsonify, request\n\nbp = Blueprint("items", __name__)\n\n\n@bp.get("/items")\ndef items():\n'
            '    page = request.args.get("page", 1, type=int)\n    result = Item.query.paginate(page=page, per_page=20)\n'
            '    return jsonify([i.to_dict() for i in result.items])\n'
        ),
    )
    # the values of an enum: a fixed list that no table can grow
    VALID = VALID + (
        Valid(
            'import enum\nfrom fastapi import APIRouter\n\nrouter = APIRouter()\n\n\nclass Granularity(str, enum.Enum):\n    day = "day"\n    week = "week"\n\n\n'
            '@router.get("/granularities")\nasync def list_granularities() -> list[str]:\n    return [g.value for g in Granularity]\n'
        ),
    )
    INVALID = (
        # declared as a list and filled by a service: may grow with a table
        Invalid(
            'from fastapi import APIRouter, Depends\n\nrouter = APIRouter()\n\n\n@router.get("/orders")\n'
            'async def list_orders(service=Depends(get_order_service)) -> list[OrderOut]:\n    return await service.list_orders()\n',
            line=6,
        ),
        Invalid(
            'from fastapi import APIRouter, Depends\n\nrouter = APIRouter()\n\n\n@router.get("/users", response_model=list[UserOut])\n'
            'def list_users(db=Depends(get_db)):\n    return db.query(User).all()\n',
            line=6,
        ),
        Invalid(
            'from fastapi import APIRouter, Depends\n\nrouter = APIRouter()\n\n\n@router.get("/export")\n'
            'def export(limit: int = 1000, db=Depends(get_db)):\n    rows = db.execute(select(Item)).scalars().all()\n    return {"items": rows}\n',
            line=6,
        ),
        Invalid(
            'from flask import Flask, jsonify\n\napp = Flask(__name__)\n\n\n@app.route("/notes")\ndef notes():\n'
            '    return jsonify([n.to_dict() for n in Note.query.all()])\n',
            line=6,
        ),
    )

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.args: list[bool] = []  # per enclosing argument: does its call apply pagination?
        self.calls: list[str] = []
        self.keywords: set[int] = set()  # ids of keyword names (``limit=`` is not a use of ``limit``)

    def get_visitors(self):
        if self.file.is_test:
            return {}
        return super().get_visitors()

    def _list_route(self) -> FunctionScope | None:
        scope = self.function
        return scope if scope is not None and "list" in scope.data else None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        scope = self.functions[-1]
        spec = next((r for r in scope.routes if r.is_get), None)
        if spec is None:
            return
        params = set()
        for param in function_params(node):
            name = param.name.value
            annotation = param.annotation.annotation if param.annotation is not None else None
            type_name = last(dotted(annotation)) if annotation is not None else ""
            if isinstance(annotation, cst.Subscript) and last(dotted(annotation.value)) == "Annotated":
                type_name = last(dotted(annotation.slice[0].slice.value)) if isinstance(annotation.slice[0].slice, cst.Index) else ""
            if name.lower() in PAGINATION or "pag" in name.lower() or (type_name and _PAGINATION_TYPE.search(type_name)):
                params.add(name)
        model = spec.response_model or (code(node.returns.annotation) if node.returns is not None else "")
        scope.data["list"] = {
            "spec": spec,
            "params": params,
            "names": set(),
            "model": bool(_COLLECTION_MODEL.match(model or "")),
            "returns": False,
            "bounded": False,
            "applied": False,
            "body": False,  # inside the body (not the decorators or parameter defaults)
            "reads": False,  # the body calls something that may read data
        }

    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        scope = self.function
        if scope is not None and scope.node is node and "list" in scope.data:
            scope.data["list"]["body"] = True
    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        scope = self.function
        state = scope.data.get("list") if scope is not None and scope.node is original_node else None
        super().leave_FunctionDef(original_node)
        if state is None or not (state["model"] or state["returns"]) or state["bounded"]:
            return
        if not state["returns"] and not state["reads"]:
            return  # declared as a list, but built in memory from constants
        path = state["spec"].path
        where = f"GET {path}" if path is not None else f"GET route `{original_node.name.value}`"
        if not state["params"]:
            self.report(state["spec"].decorator, f"{where} returns a collection with no pagination parameters")
        elif not state["applied"]:
            names = ", ".join(sorted(state["params"]))
            self.report(
                state["spec"].decorator,
                f"{where} takes pagination parameters ({names}) but never applies them to the query",
                "Apply them to the query (`.offset(offset).limit(limit)`) or pass them to the service that runs it.",
            )

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        scope = self._list_route()
        if scope is None:
            return
        state = scope.data["list"]
        names = [dotted(t.target) for t in node.targets]
        value = node.value
        if _collection(value, state["names"]):
            state["names"].update(n for n in names if n)
        if isinstance(value, cst.Call) and call_tail(value) == "get" and isinstance(value.func, cst.Attribute):
            source = dotted(value.func.value) or ""
            key = string(value.args[0].value) if value.args else None
            if source.endswith("request.args") and key and key.lower() in PAGINATION:
                state["params"].update(n for n in names if n)

    def visit_Return(self, node: cst.Return) -> None:
        scope = self._list_route()
        if scope is not None and _collection(node.value, scope.data["list"]["names"]):
            scope.data["list"]["returns"] = True

    def visit_Call(self, node: cst.Call) -> None:
        tail = call_tail(node)
        self.calls.append(tail)
        scope = self.route_function
        if scope is None or "list" not in scope.data:
            return
        if tail in _BOUNDING:
            scope.data["list"]["bounded"] = True
        if scope.data["list"]["body"] and tail not in _IN_MEMORY:
            scope.data["list"]["reads"] = True

    def leave_Call(self, original_node: cst.Call) -> None:
        self.calls.pop()

    def visit_Slice(self, node: cst.Slice) -> None:
        scope = self.route_function
        if scope is not None and "list" in scope.data:
            scope.data["list"]["bounded"] = True

    def visit_Arg(self, node: cst.Arg) -> None:
        tail = self.calls[-1] if self.calls else ""
        self.args.append(bool(tail) and tail not in _NOT_APPLYING and not tail[:1].isupper())
        if node.keyword is not None:
            self.keywords.add(id(node.keyword))

    def leave_Arg(self, original_node: cst.Arg) -> None:
        self.args.pop()

    def visit_Name(self, node: cst.Name) -> None:
        if not self.args or not self.args[-1] or id(node) in self.keywords:
            return
        scope = self.route_function
        if scope is not None and "list" in scope.data and node.value in scope.data["list"]["params"]:
            scope.data["list"]["applied"] = True
