"""SEC006: authentication endpoints are rate limited."""
from __future__ import annotations

import re

from critic.rule import Invalid, ProjectRule, Valid
from critic.rules.project.routes import ResolvedRoute, resolve_routes

#: Words (after dropping "-", "_" and case) that make a route an authentication endpoint.
AUTH_ENDPOINT = re.compile(r"login|logon|signin|signup|register|token|password|passwd|forgot", re.IGNORECASE)
_CREDENTIAL_METHODS = frozenset({"POST", "PUT", "PATCH"})
_GLOBAL_MIDDLEWARE = re.compile(r"slowapi|ratelimit|rate_limit|limiter|throttl", re.IGNORECASE)


def is_auth_endpoint(route: ResolvedRoute) -> bool:
    """A route for login, token, sign-up/registration or password reset (by path or handler name)."""
    words = " ".join(x for x in (route.path or route.route_path or "", route.function or "") if x)
    return bool(AUTH_ENDPOINT.search(re.sub(r"[-_]", "", words)))


class AuthRouteWithoutRateLimit(ProjectRule):
    """
    ## What it does
    Reports login, token, sign-up/registration and password-reset routes (by path or handler
    name, for the methods that take credentials: POST/PUT/PATCH) that have no rate limit: no
    slowapi / flask-limiter `@limiter.limit(...)` decorator, no fastapi-limiter
    `Depends(RateLimiter(...))` on the route, its router, its include or the app, and no
    global limit (a flask-limiter `Limiter(default_limits=...)`, a slowapi `Limiter` with
    `default_limits` and `SlowAPIMiddleware` registered, or a rate-limiting middleware).

    ## Why is this bad?
    An unthrottled login or reset endpoint is an open door to credential stuffing and
    brute force (CWE-307). AGT, EXE and SPC all ask for rate-limited auth endpoints.

    ## Example
        @router.post("/login")
        def login(form: OAuth2PasswordRequestForm = Depends()): ...

    ## Use instead
        @router.post("/login")
        @limiter.limit("5/minute")
        def login(request: Request, form: OAuth2PasswordRequestForm = Depends()): ...
    """

    id = "SEC006"
    name = "auth-route-without-rate-limit"
    tier = "expected"
    severity = "medium"
    confidence = "medium"
    sources = ("AGT Security Checklist", "EXE Security", "SPC Security Measures")
    cwe = ("CWE-307",)
    owasp = ("A07:2021",)
    message = "Authentication endpoint has no rate limit"
    fix = 'Throttle it: `@limiter.limit("5/minute")` (slowapi / flask-limiter) or `dependencies=[Depends(RateLimiter(times=5, seconds=60))]` (fastapi-limiter).'
    VALID = (
        Valid(
            'from fastapi import APIRouter, Request\nfrom slowapi import Limiter\nfrom slowapi.util import get_remote_address\n\n'
            'limiter = Limiter(key_func=get_remote_address)\nrouter = APIRouter()\n\n'
            '@router.post("/login")\n@limiter.limit("5/minute")\ndef login(request: Request):\n    return {}\n', path="app/main.py"
        ),
        Valid(
            'from fastapi import APIRouter, Depends\nfrom fastapi_limiter.depends import RateLimiter\n\n'
            'router = APIRouter(dependencies=[Depends(RateLimiter(times=5, seconds=60))])\n\n'
            '@router.post("/token")\nasync def token():\n    return {}\n', path="app/main.py"
        ),
        Valid(
            'from flask import Flask\nfrom flask_limiter import Limiter\nfrom flask_limiter.util import get_remote_address\n\n'
            'app = Flask(__name__)\nlimiter = Limiter(get_remote_address, app=app, default_limits=["100 per hour"])\n\n'
            '@app.route("/login", methods=["POST"])\ndef login():\n    return {}\n', path="app/main.py"
        ),
        Valid('from fastapi import APIRouter\n\nrouter = APIRouter()\n\n@router.get("/users/me/tokens")\ndef list_tokens(limit: int = 10):\n    return []\n', path="app/main.py"),
    )
    INVALID = (
        Invalid('from fastapi import APIRouter\n\nrouter = APIRouter()\n\n@router.post("/auth/register", status_code=201)\ndef register():\n    return {}\n', line=5, path="app/main.py"),
        Invalid(
            'from flask import Blueprint\n\nbp = Blueprint("auth", __name__)\n\n@bp.route("/forgot-password", methods=["GET", "POST"])\ndef forgot():\n    return {}\n',
            line=5, path="app/main.py",
        ),
        Invalid(
            'from fastapi import FastAPI\nfrom slowapi import Limiter\nfrom slowapi.util import get_remote_address\n\n'
            'app = FastAPI()\nlimiter = Limiter(key_func=get_remote_address, default_limits=["100/minute"])\n\n'
            '@app.post("/api/v1/login")\ndef login():\n    return {}\n',
            line=8, path="app/main.py",
        ),
    )

    def check(self) -> None:
        if self._global_limit():
            return
        seen: set[tuple[str, int]] = set()
        for route in resolve_routes(self.project):
            if route.via != "decorator" or route.rate_limited or route.location in seen:
                continue
            if not _CREDENTIAL_METHODS.intersection(route.methods) or not is_auth_endpoint(route):
                continue
            seen.add(route.location)
            shown = route.path or route.route_path or route.function or "?"
            self.report(
                route.file,
                route.line,
                f"Authentication endpoint {','.join(route.methods)} {shown} has no rate limit",
                _FLASK_FIX if route.framework == "flask" else _FASTAPI_FIX,
                column=route.column,
            )

    def _global_limit(self) -> bool:
        """A limit that applies to every route of the app."""
        middleware = [str(m.get("name") or "") for m in self.project.facts_of("middleware")]
        if any(_GLOBAL_MIDDLEWARE.search(name) and "SlowAPI" not in name for name in middleware):
            return True
        slowapi_middleware = any(name.startswith("SlowAPI") for name in middleware)
        for limiter in self.project.facts_of("limiter"):
            if not limiter.get("default_limits"):
                continue
            library = str(limiter.get("library") or "")
            if library == "flask_limiter" or (library == "slowapi" and slowapi_middleware):
                return True
        return any(app.get("dependencies_rate_limited") for app in self.project.facts_of("app"))


_FLASK_FIX = (
    'Throttle it with flask-limiter: `limiter = Limiter(get_remote_address)` initialised on the app, '
    'and `@limiter.limit("5 per minute")` on the view.'
)
_FASTAPI_FIX = (
    'Throttle it: slowapi `@limiter.limit("5/minute")` on the route (with a `request: Request` parameter), '
    'or fastapi-limiter `dependencies=[Depends(RateLimiter(times=5, seconds=60))]`.'
)
