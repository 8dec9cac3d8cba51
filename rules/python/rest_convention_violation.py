"""API005: REST conventions: 201 on create, 204 on delete, nouns in paths."""
from __future__ import annotations

import re

import libcst as cst

from critic.rule import Invalid, PythonRule, Valid
from critic.rules.python.web import RouteSpec, WebScope, argument, call_tail, db_call, kwarg, session_params, status_code, string

#: First words of a path segment that make it a verb (``/getUsers``, ``/users/update``).
VERBS = frozenset({"get", "fetch", "retrieve", "list", "create", "add", "insert", "update", "edit", "modify", "save", "delete", "remove", "destroy"})
_CREATING_NAME = re.compile(r"^(create|add|register|signup|sign_up|new|insert)(_|$)", re.IGNORECASE)
_NOT_CREATING = re.compile(r"login|logon|signin|token|refresh|password|forgot|reset|search|query|verify|validate|logout", re.IGNORECASE)
_PARAM = re.compile(r"^(\{.*\}|<.*>|:.+)$")
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_RESPONSE_TYPES = frozenset({"Response", "JSONResponse", "PlainTextResponse", "ORJSONResponse", "make_response"})


def verb_segment(path: str | None) -> str | None:
    """The first segment of ``path`` that starts with a verb, else None."""
    for segment in (path or "").split("/"):
        if not segment or _PARAM.match(segment):
            continue
        words = _WORDS.findall(segment)
        if words and words[0].lower() in VERBS:
            return segment
    return None


def _empty(value: cst.BaseExpression | None) -> bool:
    """A return value that sends no body: nothing, None, "", or a bare Response."""
    if value is None or (isinstance(value, cst.Name) and value.value == "None"):
        return True
    if string(value) == "":
        return True
    if isinstance(value, cst.Tuple) and value.elements:
        return _empty(value.elements[0].value)
    if isinstance(value, cst.Call) and call_tail(value) in _RESPONSE_TYPES:
        body = argument(value, 0, "content")
        return body is None or _empty(body)
    return False


class RestConventionViolation(WebScope, PythonRule):
    """
    ## What it does
    Checks three REST conventions on every route (reported at the route decorator):

    - a POST route that creates (its handler is named `create_*`, `add_*`, `register`,
      `signup`, or it adds to a session / calls `.create(...)`) answers 201: FastAPI
      `status_code=201` / `status.HTTP_201_CREATED`, Flask `return ..., 201`. Login, token,
      refresh, password-reset and search POSTs are not creations; an explicit other status
      (`202 Accepted`) is respected;
    - a DELETE route answers 204 (an explicit `202` is respected) and, when it declares 204,
      returns no body;
    - paths are nouns: no segment starting with a verb (`/getUsers`, `/createItem`,
      `/users/update`, `/delete-item`); path parameters are ignored.

    ## Why is this bad?
    Clients and generated SDKs rely on the status codes (201 + the created resource, 204 with
    an empty body) and on resource-shaped URLs; a 200 for every outcome and RPC-style paths
    make the API inconsistent. EXE asks for REST conventions; AGT's examples answer 201 on
    registration and 204 on delete.

    ## Example
        @router.post("/createItem")
        def create_item(payload: ItemIn): ...

        @router.delete("/items/{item_id}")
        def delete_item(item_id: int):
            return {"message": "deleted"}

    ## Use instead
        @router.post("/items", status_code=201)
        def create_item(payload: ItemIn): ...

        @router.delete("/items/{item_id}", status_code=204)
        def delete_item(item_id: int) -> None: ...
    """

    id = "API005"
    name = "rest-convention-violation"
    tier = "nice_to_have"
    severity = "low"
    confidence = "medium"
    sources = ("EXE API Design", "AGT examples")
    message = "Route breaks REST conventions"
    fix = "Answer 201 on create and 204 (no body) on delete, and name paths after resources: `POST /items`, `DELETE /items/{id}`."
    VALID = (
        Valid(
            'from fastapi import APIRouter, status\n\nrouter = APIRouter()\n\n\n@router.post("/items", status_code=status.HTTP_201_CREATED)\n'
            'def create_item(payload: ItemIn):\n    return service.create(payload)\n\n\n'
            '@router.delete("/items/{item_id}", status_code=204)\ndef delete_item(item_id: int) -> None:\n    service.delete(item_id)\n\n\n'
            '@router.post("/auth/login")\ndef login(form: LoginForm):\n    return service.login(form)\n'
        ),
        Valid(
            'from flask import Blueprint, jsonify\n\nbp = Blueprint("notes", __name__)\n\n\n@bp.route("/notes", methods=["POST"])\ndef add_note():\n'
            '    return jsonify(service.add()), 201\n\n\n@bp.route("/notes/<int:note_id>", methods=["DELETE"])\ndef delete_note(note_id):\n'
            '    service.delete(note_id)\n    return "", 204\n'
        ),
        Valid('from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get("/settings/{key}")\ndef read_setting(key: str):\n    return {}\n'),
    )
    INVALID = (
        Invalid('from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.post("/users")\ndef create_user(payload: UserIn):\n    return service.create(payload)\n', line=6),
        Invalid(
            'from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.delete("/items/{item_id}", status_code=204)\n'
            'def delete_item(item_id: int):\n    service.delete(item_id)\n    return {"message": "Item deleted"}\n',
            line=6,
        ),
        Invalid('from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get("/getUserById/{user_id}")\ndef get_user(user_id: int):\n    return {}\n', line=6),
        Invalid(
            'from flask import Blueprint, jsonify\n\nbp = Blueprint("notes", __name__)\n\n\n@bp.route("/notes/<int:note_id>", methods=["DELETE"])\n'
            'def delete_note(note_id):\n    service.delete(note_id)\n    return jsonify({"deleted": note_id})\n',
            line=6,
        ),
    )

    def get_visitors(self):
        if self.file.is_test:
            return {}
        return super().get_visitors()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        scope = self.functions[-1]
        if not scope.routes:
            return
        scope.data["rest"] = {"returns": [], "statuses": set(), "creates": False}
        for spec in scope.routes:
            segment = verb_segment(spec.path)
            if segment is not None:
                self.report(
                    spec.decorator,
                    f"Path {spec.path} names an action (`{segment}`), not a resource",
                    "Name the path after the resource and let the HTTP method carry the action: `POST /items`, `GET /users/{id}`, `PATCH /users/{id}`.",
                )

    def _rest(self) -> dict | None:
        scope = self.function
        return scope.data.get("rest") if scope is not None else None

    def visit_Return(self, node: cst.Return) -> None:
        state = self._rest()
        if state is None:
            return
        state["returns"].append(node.value)
        value = node.value
        if isinstance(value, cst.Tuple) and len(value.elements) >= 2:
            code = status_code(value.elements[1].value)
            if code is not None:
                state["statuses"].add(code)

    def visit_Call(self, node: cst.Call) -> None:
        scope = self.function
        state = scope.data.get("rest") if scope is not None else None
        if state is None:
            return
        tail = call_tail(node)
        if tail in _RESPONSE_TYPES:
            code = status_code(kwarg(node, "status_code") or kwarg(node, "status") or (node.args[1].value if len(node.args) > 1 and node.args[1].keyword is None else None))
            if code is not None:
                state["statuses"].add(code)
        if tail == "create" or (tail in ("add", "add_all") and db_call(node, scope.data.setdefault("sessions", session_params(scope.node, self.imports)))):
            state["creates"] = True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        scope = self.function
        state = scope.data.get("rest") if scope is not None and scope.node is original_node else None
        if state is not None:
            for spec in scope.routes:
                self._statuses(spec, scope.name, state)
        super().leave_FunctionDef(original_node)

    def _statuses(self, spec: RouteSpec, function: str, state: dict) -> None:
        statuses: set[int] = {s for s in state["statuses"] if s < 400}  # error statuses say nothing about success
        declared = spec.status_code
        if spec.has("POST") and declared in (None, 200) and 201 not in statuses and not statuses - {200}:
            creating = _CREATING_NAME.search(function) or state["creates"]
            if creating and not _NOT_CREATING.search(function) and not _NOT_CREATING.search(spec.path or ""):
                self.report(
                    spec.decorator,
                    f"POST route `{function}` creates a resource but answers {declared or 200}, not 201",
                    "Declare `status_code=status.HTTP_201_CREATED` on the route (Flask: `return ..., 201`).",
                )
        if spec.has("DELETE"):
            effective = declared if declared is not None else (204 if 204 in statuses else None)
            if effective == 204 or (declared is None and 204 in statuses):
                if any(not _empty(value) for value in state["returns"]):
                    self.report(
                        spec.decorator,
                        f"DELETE route `{function}` declares 204 No Content but returns a body",
                        "Return nothing (`None`, or `Response(status_code=204)`) from a 204 route.",
                    )
            elif effective in (None, 200) and not statuses - {200}:
                self.report(
                    spec.decorator,
                    f"DELETE route `{function}` answers {effective or 200}, not 204 No Content",
                    "Declare `status_code=204` and return no body.",
                )
