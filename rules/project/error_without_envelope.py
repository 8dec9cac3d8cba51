"""API001: error responses use one envelope, {"error": {"code", "message", "detail"}}."""
from __future__ import annotations

from critic.model import Fact
from critic.rule import Invalid, ProjectRule, Valid

_FASTAPI_HTTP = ("HTTPException",)
_FASTAPI_VALIDATION = ("RequestValidationError", "ValidationError")
_FLASK_ALL = ("HTTPException", "Exception")


class ErrorWithoutEnvelope(ProjectRule):
    """
    ## What it does
    Checks that error responses leave the API in one envelope,
    `{"error": {"code": ..., "message": ..., "detail": ...}}`:

    - a response built with an error status (FastAPI/Starlette `JSONResponse`/`Response` with
      `status_code >= 400`, Flask `return jsonify(...), 404` / `make_response(..., 400)`,
      Django/DRF `JsonResponse`/`Response` with `status >= 400`), or any response built inside
      an exception handler, whose body is a literal of another shape (`{"detail": ...}`,
      `{"error": "text"}`, a bare string, no body);
    - Flask `abort(4xx)` when no error handler that builds the envelope is registered for
      `HTTPException`, `Exception` or that status;
    - a FastAPI app (reported at `FastAPI(...)`) whose routes raise `HTTPException` or take
      validated parameters, when the project registers no exception handler for
      `HTTPException` (FastAPI's or Starlette's) or none for `RequestValidationError`:
      FastAPI's defaults answer `{"detail": ...}`. A handler that is registered but builds
      another shape is reported at its response, not again here;
    - a Flask app (reported at `Flask(...)`) with no error handler at all: Flask's defaults are
      HTML pages.

    Bodies critic cannot see (a variable, a helper's return value) are given the benefit of
    the doubt; so is a handler whose body it cannot classify.

    ## Why is this bad?
    Clients (and agents) parse errors by one shape; EXE asks for one consistent error envelope.
    A mix of `{"detail"}`, `{"message"}` and HTML error pages forces every client to guess.

    ## Example
        return JSONResponse(status_code=404, content={"detail": "Item not found"})

    ## Use instead
        return JSONResponse(
            status_code=404,
            content={"error": {"code": "not_found", "message": "Item not found", "detail": None}},
        )
    """

    id = "API001"
    name = "error-without-envelope"
    tier = "expected"
    severity = "low"
    confidence = "medium"
    sources = ("EXE API Design",)
    message = 'Error response is not in the {"error": {...}} envelope'
    fix = 'Return errors as `{"error": {"code": ..., "message": ..., "detail": ...}}`, and register exception handlers that reshape HTTPException and validation errors into it.'
    VALID = (
        Valid(
            'from fastapi import FastAPI, HTTPException, Request\nfrom fastapi.exceptions import RequestValidationError\n'
            'from fastapi.responses import JSONResponse\n\napp = FastAPI()\n\n\n'
            'def envelope(code, message, detail=None):\n    return {"error": {"code": code, "message": message, "detail": detail}}\n\n\n'
            '@app.exception_handler(HTTPException)\nasync def http_error(request: Request, exc: HTTPException):\n'
            '    return JSONResponse(status_code=exc.status_code, content=envelope("http_error", str(exc.detail)))\n\n\n'
            '@app.exception_handler(RequestValidationError)\nasync def invalid(request: Request, exc: RequestValidationError):\n'
            '    return JSONResponse(status_code=422, content={"error": {"code": "invalid", "message": "Invalid request", "detail": exc.errors()}})\n\n\n'
            '@app.get("/v1/items/{item_id}")\ndef read_item(item_id: int):\n    raise HTTPException(status_code=404, detail="Item not found")\n', path="app/main.py"
        ),
        Valid(
            'from flask import Flask, abort, jsonify\nfrom werkzeug.exceptions import HTTPException\n\napp = Flask(__name__)\n\n\n'
            '@app.errorhandler(HTTPException)\ndef http_error(exc):\n'
            '    return jsonify({"error": {"code": exc.name, "message": exc.description, "detail": None}}), exc.code\n\n\n'
            '@app.get("/v1/items/<int:item_id>")\ndef show(item_id):\n    abort(404)\n', path="app/main.py"
        ),
        Valid('from fastapi.responses import JSONResponse\n\n\ndef ok():\n    return JSONResponse(status_code=200, content={"detail": "fine"})\n', path="app/main.py"),
    )
    INVALID = (
        Invalid(
            'from fastapi import APIRouter\nfrom fastapi.responses import JSONResponse\n\nrouter = APIRouter()\n\n\n'
            '@router.get("/v1/items/{item_id}")\ndef read_item(item_id: int):\n'
            '    return JSONResponse(status_code=404, content={"detail": "Item not found"})\n',
            line=9, path="app/main.py",
        ),
        Invalid(
            'from fastapi import FastAPI, HTTPException\n\napp = FastAPI()\n\n\n'
            '@app.get("/v1/items/{item_id}")\ndef read_item(item_id: int):\n    raise HTTPException(status_code=404, detail="Item not found")\n',
            line=3, path="app/main.py",
        ),
        Invalid(
            'from flask import Flask, jsonify\n\napp = Flask(__name__)\n\n\n@app.errorhandler(404)\ndef not_found(exc):\n'
            '    return jsonify({"message": "not found"}), 404\n\n\n'
            '@app.get("/v1/items/<int:item_id>")\ndef show(item_id):\n    return jsonify(error="no such item"), 404\n',
            line=13, path="app/main.py",
        ),
        Invalid(
            files={
                "app/__init__.py": 'from flask import Flask\n\napp = Flask(__name__)\n',
                "app/views.py": 'from flask import abort\nfrom app import app\n\n\n@app.get("/v1/items/<int:item_id>")\ndef show(item_id):\n    abort(404)\n',
            },
            path="app/views.py",
            line=7,
        ),
    )

    def check(self) -> None:
        handlers = self.project.facts_of("exception_handler")
        for fact in self.project.facts_of("error_response"):
            if fact.get("envelope") is not False:
                continue
            status = fact.get("status")
            if status is None and not fact.get("in_handler"):
                continue
            what = f"status {status}" if status is not None else "an exception handler"
            self.report_fact(fact, f'Error response ({what}) is not in the {{"error": {{...}}}} envelope')
        flask_handlers = [h for h in handlers if h.get("framework") == "flask"]
        for fact in self.project.facts_of("abort"):
            status = fact.get("status")
            names = _FLASK_ALL + ((str(status),) if status is not None else ())
            if not _shaping(flask_handlers, names):
                self.report_fact(
                    fact,
                    f"abort({status if status is not None else '...'}) renders Flask's default error page: no error handler builds the envelope",
                    'Register `@app.errorhandler(HTTPException)` returning `jsonify({"error": {...}}), exc.code`, or return the envelope directly.',
                )
        # what FastAPI apps need is the same for every app: work it out once, not per app
        fastapi_missing: list[str] | None = None
        for app in self.project.facts_of("app"):
            if app.get("framework") == "fastapi":
                if fastapi_missing is None:
                    fastapi_missing = self._fastapi_missing(handlers)
                self._report_fastapi_app(app, fastapi_missing)
            elif app.get("framework") == "flask" and not flask_handlers:
                self.report_fact(
                    app,
                    "The Flask app registers no error handler: errors leave as HTML pages, not the envelope",
                    'Register `@app.errorhandler(HTTPException)` (and `Exception`) returning `jsonify({"error": {...}}), code`.',
                )

    def _fastapi_missing(self, handlers: tuple[Fact, ...]) -> list[str]:
        """The exceptions FastAPI apps raise here and no registered handler shapes."""
        raises = bool(self.project.facts_of("http_exception"))
        validates = any(r.get("params") for r in self.project.facts_of("route") if r.get("framework") == "fastapi")
        if not (raises or validates):
            return []
        # a handler of the wrong shape is reported at its response instead, so any counts here
        registered = {str(h.get("exception")) for h in handlers if h.get("framework") == "fastapi"}
        missing = []
        if not registered.intersection(_FASTAPI_HTTP):
            missing.append("HTTPException")
        if not registered.intersection(_FASTAPI_VALIDATION):
            missing.append("RequestValidationError")
        return missing

    def _report_fastapi_app(self, app: Fact, missing: list[str]) -> None:
        if app.get("cls") == "Starlette":  # Starlette apps have no request validation
            missing = [m for m in missing if m != "RequestValidationError"]
        if missing:
            self.report_fact(
                app,
                f"The {app.get('cls') or 'FastAPI'} app has no exception handler that shapes {' and '.join(missing)} into the error envelope",
                "Register `app.add_exception_handler(StarletteHTTPException, ...)` and `app.add_exception_handler(RequestValidationError, ...)` handlers that return `JSONResponse(content={\"error\": {...}})`.",
            )


def _shaping(handlers: list[Fact], exceptions: tuple[str, ...]) -> bool:
    """A registered handler for one of ``exceptions`` whose body is not known to break the envelope."""
    return any(h.get("exception") in exceptions and h.get("envelope") is not False for h in handlers)
