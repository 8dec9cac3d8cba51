"""API003: routes live under a version prefix."""
from __future__ import annotations

from critic.rule import Invalid, ProjectRule, Valid
from critic.rules.project.routes import resolve_routes
from critic.rules.python.web import is_exempt_path, is_versioned

_MAIN = "from fastapi import FastAPI\nfrom app.api import users\n\napp = FastAPI()\n"


class UnversionedRoute(ProjectRule):
    """
    ## What it does
    Checks that every route, with the prefixes of its `APIRouter(prefix=...)`, every
    `include_router(prefix=...)`, a sub-application's `app.mount("/api/v1", api)` and Flask
    blueprint `url_prefix` joined in, lives under a
    version segment (`/v1`, `/api/v1`, `/api/v2.1`). Health, readiness, metrics and
    documentation routes (`/health`, `/healthz`, `/ready`, `/live`, `/ping`, `/metrics`,
    `/docs`, `/redoc`, `/openapi.json`) and the bare root `/` are exempt. Routes on a router
    that is never included anywhere, and prefixes critic cannot resolve to a literal, are not
    judged.

    ## Why is this bad?
    Without a version in the path, the first breaking change breaks every client at once;
    EXE asks for versioned APIs (`/v1/`) before breaking changes.

    ## Example
        router = APIRouter(prefix="/users")
        app.include_router(router)

    ## Use instead
        router = APIRouter(prefix="/users")
        app.include_router(router, prefix="/api/v1")
    """

    id = "API003"
    name = "unversioned-route"
    tier = "expected"
    severity = "low"
    confidence = "high"
    sources = ("EXE API Design", "DEV examples")
    message = "Route is not under a version prefix"
    fix = 'Mount the router under a version prefix: `app.include_router(router, prefix="/api/v1")` (or `url_prefix="/api/v1/..."` on the blueprint).'
    VALID = (
        Valid(files={
            "app/main.py": _MAIN + 'app.include_router(users.router, prefix="/api/v1")\n\n@app.get("/health")\ndef health():\n    return {"status": "ok"}\n',
            "app/api/users.py": 'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/users")\n\n@router.get("/{user_id}")\ndef read_user(user_id: int):\n    return {}\n',
        }),
        Valid(files={
            "app/__init__.py": 'from flask import Flask\nfrom .views import bp\n\ndef create_app():\n    app = Flask(__name__)\n    app.register_blueprint(bp)\n    return app\n',
            "app/views.py": 'from flask import Blueprint\n\nbp = Blueprint("items", __name__, url_prefix="/v2/items")\n\n@bp.route("/<int:item_id>")\ndef show(item_id):\n    return {}\n',
        }),
        Valid(files={
            "app/main.py": 'from fastapi import FastAPI\nfrom app.core.config import settings\nfrom app.api import api_router\n\napp = FastAPI()\napp.include_router(api_router, prefix=settings.API_V1_STR)\n',
            "app/core/config.py": 'class Settings:\n    API_V1_STR: str = "/api/v1"\n\nsettings = Settings()\n',
            "app/api/__init__.py": 'from fastapi import APIRouter\n\napi_router = APIRouter()\n\n@api_router.get("/items")\ndef list_items(limit: int = 10):\n    return []\n',
        }),
        # a versioned sub-application mounted into the root app
        Valid(files={
            "app/main.py": 'from fastapi import FastAPI\nfrom app.api import users\n\napi = FastAPI()\napi.include_router(users.router)\n\n'
            'app = FastAPI()\napp.mount("/api/v1", api)\n',
            "app/api/users.py": 'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/users")\n\n@router.get("/{user_id}")\ndef read_user(user_id: int):\n    return {}\n',
        }),
    )
    INVALID = (
        Invalid(
            files={
                "app/main.py": _MAIN + 'app.include_router(users.router)\n',
                "app/api/users.py": 'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/users")\n\n@router.get("/{user_id}")\ndef read_user(user_id: int):\n    return {}\n',
            },
            path="app/api/users.py",
            line=5,
        ),
        Invalid(
            files={"app.py": 'from flask import Flask\n\napp = Flask(__name__)\n\n@app.route("/items", methods=["GET", "POST"])\ndef items():\n    return []\n'},
            path="app.py",
            line=5,
        ),
    )

    def check(self) -> None:
        seen: set[tuple[str, int]] = set()
        for route in resolve_routes(self.project):
            if route.path is None or not route.mounted or route.location in seen:
                continue
            if is_versioned(route.path) or is_exempt_path(route.path):
                continue
            seen.add(route.location)
            methods = ",".join(route.methods) or "?"
            self.report(
                route.file,
                route.line,
                f"Route {methods} {route.path} is not under a version prefix",
                _fix(route),
                column=route.column,
            )


def _fix(route) -> str:
    """The change for this route: where it hangs decides where the version goes."""
    on_app = not any(route.prefixes)
    path = route.path or "/items"
    versioned = "/api/v1" + (path if path.startswith("/") else "/" + path)
    if route.framework == "flask":
        if on_app:
            return (
                f'Put the route in a blueprint registered with `app.register_blueprint(bp, url_prefix="/api/v1")`, '
                f'or version its rule directly: `@app.route("{versioned}")`.'
            )
        return 'Register the blueprint under a version: `app.register_blueprint(bp, url_prefix="/api/v1/...")` (or set `url_prefix` on the Blueprint).'
    if on_app:
        return (
            f'Move the route to an `APIRouter` mounted with `app.include_router(router, prefix="/api/v1")`, '
            f'or version its path directly: `@app.get("{versioned}")`.'
        )
    return 'Mount the router under a version prefix: `app.include_router(router, prefix="/api/v1")` (or `APIRouter(prefix="/api/v1/...")`).'

