"""API006: the service exposes a health endpoint."""
from __future__ import annotations

import re

from critic.rule import Invalid, ProjectRule, Valid
from critic.rules.project.routes import resolve_routes
from critic.rules.python.web import is_health_path

_HEALTH_FUNCTION = re.compile(r"health|liveness|readiness", re.IGNORECASE)


class MissingHealthEndpoint(ProjectRule):
    """
    ## What it does
    Reports an application (`FastAPI(...)`, `Flask(...)`) when no route anywhere in the project
    serves a health path: `/health`, `/healthz`, `/healthcheck`, `/ready`, `/readyz`, `/live`,
    `/livez`, `/ping`, with or without a version prefix (`/api/v1/health`). A route whose
    handler is named for health (`health_check`) counts too, so a path critic cannot resolve
    does not cause a report. The finding is at the application's constructor.

    ## Why is this bad?
    Orchestrators, load balancers and the compose `healthcheck` need an endpoint to probe;
    DEV's validation criteria expect the server to answer a health check.

    ## Example
        app = FastAPI()

        @app.get("/api/v1/users")
        def list_users(limit: int = 50): ...

    ## Use instead
        app = FastAPI()

        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}
    """

    id = "API006"
    name = "missing-health-endpoint"
    tier = "expected"
    severity = "low"
    confidence = "high"
    sources = ("DEV Best Practices", "DEV validation criteria")
    message = "The application exposes no health endpoint"
    fix = 'Add a cheap `GET /health` route (for example `@app.get("/health")` returning `{"status": "ok"}`) and probe it from the Docker/compose healthcheck.'
    VALID = (
        Valid('from fastapi import FastAPI\n\napp = FastAPI()\n\n@app.get("/healthz")\ndef healthz():\n    return {"status": "ok"}\n', path="app/main.py"),
        Valid(files={
            "app/main.py": 'from fastapi import FastAPI\nfrom app.routers import health\n\napp = FastAPI()\napp.include_router(health.router, prefix="/api/v1")\n',
            "app/routers/health.py": 'from fastapi import APIRouter\n\nrouter = APIRouter()\n\n@router.get("/health")\nasync def health():\n    return {"status": "ok"}\n',
        }),
        Valid('from flask import Flask\n\napp = Flask(__name__)\n\n@app.get("/ping")\ndef ping():\n    return "pong"\n', path="app/main.py"),
    )
    INVALID = (
        Invalid('from fastapi import FastAPI\n\napp = FastAPI(title="x")\n\n@app.get("/api/v1/users")\ndef list_users(limit: int = 20):\n    return []\n', line=3, path="app/main.py"),
        Invalid(
            files={
                "app/__init__.py": 'from flask import Flask\n\n\ndef create_app():\n    app = Flask(__name__)\n    return app\n',
                "app/views.py": 'from flask import Blueprint\n\nbp = Blueprint("x", __name__)\n\n@bp.route("/status-page")\ndef page():\n    return "ok"\n',
            },
            path="app/__init__.py",
            line=5,
        ),
    )

    def check(self) -> None:
        apps = self.project.facts_of("app")
        if not apps:
            return
        for route in resolve_routes(self.project):
            if (route.path and is_health_path(route.path)) or (route.route_path and is_health_path(route.route_path)):
                return
            if route.function and _HEALTH_FUNCTION.search(route.function):
                return
        for app in apps:
            cls = str(app.get("cls") or ("FastAPI" if app.get("framework") == "fastapi" else "Flask"))
            self.report_fact(app, f"The {cls} application exposes no health endpoint (/health, /healthz, /ready...)")
