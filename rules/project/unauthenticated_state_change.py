"""SEC007: routes that change state require authentication when the app has an auth mechanism."""
from __future__ import annotations

import re

from critic.rule import Invalid, ProjectRule, Valid
from critic.rules.project.routes import ResolvedRoute, resolve_routes
from critic.rules.python.web import MUTATING, is_health_path

#: Routes that must stay reachable without a session: the ways to obtain one, and probes.
_EXEMPT = re.compile(r"login|logon|logout|signin|signout|signup|register|token|refresh|password|passwd|forgot|webhook", re.IGNORECASE)
#: Middleware that authenticates every request (Starlette's AuthenticationMiddleware, a JWT middleware...).
_AUTH_MIDDLEWARE = re.compile(r"auth|jwt|token|login|api_?key", re.IGNORECASE)


#: Authentication namespaces: creating an account there is signing up (`POST /auth/accounts`).
_AUTH_SEGMENTS = frozenset({"auth", "oauth", "oauth2", "identity", "authentication"})
_SIGNUP_TARGETS = frozenset({"account", "accounts", "user", "users"})


_FLASK_FIX = (
    "Require the authenticated user: decorate the view with the app's auth decorator (`@login_required`, "
    "`@jwt_required()`), or guard its blueprint with a `@bp.before_request` hook that checks it."
)


def is_exempt(route: ResolvedRoute) -> bool:
    path = route.path or route.route_path or ""
    words = re.sub(r"[-_]", "", " ".join(x for x in (path, route.function or "") if x))
    if _EXEMPT.search(words) or is_health_path(path):
        return True
    segments = [s.lower() for s in path.split("/") if s and not s.startswith(("{", "<"))]
    return (
        "POST" in route.methods
        and bool(segments)
        and segments[-1] in _SIGNUP_TARGETS
        and bool(_AUTH_SEGMENTS.intersection(segments[:-1]))
        and not path.rstrip("/").endswith(("}", ">"))
    )


class UnauthenticatedStateChange(ProjectRule):
    """
    ## What it does
    When the application has an authentication mechanism (any route, router, include or app
    with a `Depends(get_current_user)`-style dependency, `Security(...)`, `login_required` /
    `jwt_required`, or a Flask `before_request` auth hook), reports POST/PUT/PATCH/DELETE
    routes that require none of it: not on the route, not through a router-level or
    include-level `dependencies=[...]`, not app-wide. Login, logout, registration, token,
    refresh, password-reset and health routes are exempt (creating an account under an auth
    namespace, `POST /auth/accounts`, is registration), and so are webhooks (`/webhooks/...`,
    a `*_webhook` handler): a provider calling back authenticates with a signature, never
    with a user's session. An app with no auth at all is not
    judged here (the whole API may be public by design), nor one that authenticates every
    request in a middleware (`AuthenticationMiddleware`, a JWT middleware).

    ## Why is this bad?
    One forgotten dependency leaves a write endpoint open to anyone (CWE-306); AGT's checklist
    asks for auth on every protected route.

    ## Example
        @router.delete("/items/{item_id}", status_code=204)
        def delete_item(item_id: int, service: ItemService = Depends(get_item_service)): ...

    ## Use instead
        @router.delete("/items/{item_id}", status_code=204)
        def delete_item(item_id: int, user: User = Depends(get_current_user),
                        service: ItemService = Depends(get_item_service)): ...
    """

    id = "SEC007"
    name = "unauthenticated-state-change"
    tier = "expected"
    severity = "high"
    confidence = "medium"
    sources = ("AGT Security Checklist", "SPC Authentication")
    cwe = ("CWE-306",)
    owasp = ("A01:2021",)
    message = "State-changing route requires no authentication"
    fix = "Require the authenticated user: add `user: User = Depends(get_current_user)` to the handler, or `dependencies=[Depends(get_current_user)]` on its router."
    VALID = (
        Valid(
            'from fastapi import APIRouter, Depends\nfrom app.deps import get_current_user\n\n'
            'router = APIRouter(dependencies=[Depends(get_current_user)])\n\n'
            '@router.post("/items", status_code=201)\ndef create_item():\n    return {}\n', path="app/main.py"
        ),
        Valid(
            'from fastapi import APIRouter, Depends\nfrom app.deps import get_current_user\n\nrouter = APIRouter()\n\n'
            '@router.post("/auth/login")\ndef login():\n    return {}\n\n'
            '@router.get("/me")\ndef me(user=Depends(get_current_user)):\n    return user\n', path="app/main.py"
        ),
        # a provider's callback carries a signature, not a user session
        Valid(
            'from fastapi import APIRouter, Depends, Header, Request\nfrom app.deps import get_current_user\n\nrouter = APIRouter()\n\n'
            '@router.get("/me")\ndef me(user=Depends(get_current_user)):\n    return user\n\n'
            '@router.post("/webhooks/billing")\nasync def billing_webhook(request: Request, x_signature: str = Header(...)):\n'
            '    verify(await request.body(), x_signature)\n    return {}\n', path="app/main.py"
        ),
        # sign-up under the auth namespace
        Valid(
            'from fastapi import APIRouter, Depends\nfrom app.deps import get_current_user\n\nrouter = APIRouter(prefix="/auth")\n\n'
            '@router.get("/me")\ndef me(user=Depends(get_current_user)):\n    return user\n\n'
            '@router.post("/accounts", status_code=201)\ndef create_account(payload: Credentials):\n    return {}\n', path="app/main.py"
        ),
        Valid('from fastapi import APIRouter\n\nrouter = APIRouter()\n\n@router.post("/contact", status_code=201)\ndef contact():\n    return {}\n', path="app/main.py"),
        Valid(
            'from flask import Blueprint\nfrom flask_login import login_required\n\nbp = Blueprint("b", __name__)\n\n'
            '@bp.route("/notes", methods=["POST"])\n@login_required\ndef create_note():\n    return {}, 201\n', path="app/main.py"
        ),
    )
    INVALID = (
        Invalid(
            'from fastapi import APIRouter, Depends\nfrom app.deps import get_current_user\n\nrouter = APIRouter()\n\n'
            '@router.get("/me")\ndef me(user=Depends(get_current_user)):\n    return user\n\n'
            '@router.delete("/items/{item_id}", status_code=204)\ndef delete_item(item_id: int):\n    return None\n',
            line=10, path="app/main.py",
        ),
        Invalid(
            files={
                "app/main.py": 'from fastapi import FastAPI, Depends\nfrom app.deps import get_current_user\nfrom app.routers import admin, public\n\n'
                'app = FastAPI()\napp.include_router(admin.router, prefix="/v1/admin", dependencies=[Depends(get_current_user)])\napp.include_router(public.router, prefix="/v1")\n',
                "app/routers/admin.py": 'from fastapi import APIRouter\n\nrouter = APIRouter()\n\n@router.post("/users", status_code=201)\ndef create_user():\n    return {}\n',
                "app/routers/public.py": 'from fastapi import APIRouter\n\nrouter = APIRouter()\n\n@router.put("/settings")\ndef update_settings():\n    return {}\n',
            },
            path="app/routers/public.py",
            line=5,
        ),
    )

    def check(self) -> None:
        routes = resolve_routes(self.project)
        if not self._has_auth(routes):
            return
        if any(_AUTH_MIDDLEWARE.search(str(m.get("name") or "")) for m in self.project.facts_of("middleware")):
            return  # every request is authenticated before it reaches a route
        seen: set[tuple[str, int]] = set()
        for route in routes:
            if route.via != "decorator" or route.auth or route.location in seen:
                continue
            if not MUTATING.intersection(route.methods) or is_exempt(route):
                continue
            seen.add(route.location)
            shown = route.path or route.route_path or route.function or "?"
            self.report(
                route.file,
                route.line,
                f"{','.join(m for m in route.methods if m in MUTATING)} {shown} changes state without requiring authentication",
                _FLASK_FIX if route.framework == "flask" else None,
                column=route.column,
            )

    def _has_auth(self, routes: list[ResolvedRoute]) -> bool:
        if any(route.auth for route in routes):
            return True
        for kind in ("router", "include", "app"):
            if any(fact.get("dependencies_auth") for fact in self.project.facts_of(kind)):
                return True
        return any(fact.get("auth") for fact in self.project.facts_of("before_request"))
