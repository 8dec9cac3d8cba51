"""Focused cases for the web rules (API001-API008, SEC005-SEC007) and the route facts.

Every assertion is about locations (path, line, rule id) or resolved paths, never counts.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from critic.api import critique
from critic.config import Config
from critic.discover import discover
from critic.project import Project
from critic.registry import default_pack
from critic.rules.project.routes import join_path, resolve_routes
from critic.rules.python.http_error_outside_router import is_business_module
from critic.rules.python.rest_convention_violation import verb_segment
from critic.rules.python.web import is_exempt_path, is_health_path, is_versioned, module_of
from critic.runner import analyze_files
from critic.testing import found, write_tree


def routes(tmp_path: Path, files: dict[str, str]) -> dict[tuple[str, int], list[str | None]]:
    """(file, line) -> the full paths of the route declared there."""
    write_tree(tmp_path, files, dedent=True)
    config = Config(select=("NONE",))
    summaries = discover(tmp_path.resolve(), None, config).files
    results = analyze_files(tmp_path.resolve(), summaries, default_pack(), config)
    assert not [e for r in results for e in r.errors]
    project = Project(tmp_path.resolve(), summaries, tuple(f for r in results for f in r.facts))
    out: dict[tuple[str, int], list[str | None]] = {}
    for route in resolve_routes(project):
        out.setdefault(route.location, []).append(route.path)
    return out


# --------------------------------------------------------------------------- helpers
def test_path_words():
    assert is_versioned("/api/v1/users") and is_versioned("/v2/items") and is_versioned("/api/v2.1")
    assert not is_versioned("/users/v1") and not is_versioned("/apiv1x/users")
    assert is_exempt_path("/health") and is_exempt_path("/docs") and is_exempt_path("/") and is_exempt_path("/metrics")
    assert not is_exempt_path("/users/health-report") and is_exempt_path("/api/health")
    assert is_health_path("/api/v1/health") and is_health_path("/utils/health-check/") and not is_health_path("/healthy-food")
    assert verb_segment("/users/getUserById/{id}") == "getUserById"
    assert verb_segment("/users/update") == "update"
    assert verb_segment("/settings/{key}") is None and verb_segment("/addresses") is None and verb_segment("/{get}") is None
    assert join_path("fastapi", "/items", "") == "/items" and join_path("fastapi", "/items", "/") == "/items/"
    assert join_path("flask", "/auth/", "/login") == "/auth/login" and join_path("flask", "", "x") == "/x"
    assert module_of("app/api/v1/users.py") == "app.api.v1.users" and module_of("app/api/__init__.py") == "app.api"


def test_business_modules():
    assert is_business_module("app/services/item_service.py")
    assert is_business_module("app/crud.py") and is_business_module("app/repositories/users.py")
    assert is_business_module("app/core/config.py") and is_business_module("app/services/auth_service.py")
    assert not is_business_module("app/core/security.py")  # FastAPI dependencies (get_current_user) live there
    assert not is_business_module("app/core/errors.py")  # the exception-handler module of core
    assert not is_business_module("app/api/deps.py") and not is_business_module("app/routers/items.py")
    assert not is_business_module("app/main.py") and not is_business_module("app/api/services/x_endpoints.py")


# --------------------------------------------------------------------------- resolve_routes
def test_cross_file_prefixes_absolute_relative_and_constant(tmp_path):
    table = routes(
        tmp_path,
        {
            "app/main.py": """
                from fastapi import FastAPI
                from app.api.v1 import users
                from .routers import items
                from app.core.config import settings
                from app.api import api_router

                app = FastAPI()
                app.include_router(users.router, prefix="/api/v1")
                app.include_router(items.router, prefix=settings.API_V1_STR)
                app.include_router(api_router, prefix=f"{settings.API_V1_STR}/admin")
            """,
            "app/core/config.py": """
                class Settings:
                    API_V1_STR: str = "/api/v1"
            """,
            "app/api/__init__.py": """
                from fastapi import APIRouter
                from app.api.v1.reports import router as reports_router

                api_router = APIRouter()
                api_router.include_router(reports_router, prefix="/reports")
            """,
            "app/api/v1/users.py": """
                from fastapi import APIRouter

                router = APIRouter(prefix="/users")

                @router.get("")
                def list_users(limit: int = 10):
                    return []

                @router.get("/{user_id}")
                def read_user(user_id: int):
                    return {}
            """,
            "app/api/v1/reports.py": """
                from fastapi import APIRouter

                router = APIRouter()

                @router.get("/monthly")
                def monthly():
                    return {}
            """,
            "app/routers/items.py": """
                from fastapi import APIRouter

                router = APIRouter(prefix="/items")

                @router.post("/", status_code=201)
                def create_item():
                    return {}
            """,
        },
    )
    assert table == {
        ("app/api/v1/users.py", 5): ["/api/v1/users"],
        ("app/api/v1/users.py", 9): ["/api/v1/users/{user_id}"],
        ("app/api/v1/reports.py", 5): ["/api/v1/admin/reports/monthly"],
        ("app/routers/items.py", 5): ["/api/v1/items/"],
    }


def test_package_reexport_and_project_in_a_subfolder(tmp_path):
    # the project lives under backend/, its imports say app.*
    table = routes(
        tmp_path,
        {
            "backend/app/main.py": """
                from fastapi import FastAPI
                from app.api.v1 import router as v1

                app = FastAPI()
                app.include_router(v1, prefix="/api/v1")
            """,
            "backend/app/api/v1/__init__.py": """
                from .endpoints import router
            """,
            "backend/app/api/v1/endpoints.py": """
                from fastapi import APIRouter

                router = APIRouter(prefix="/orders")

                @router.get("/{order_id}")
                def read_order(order_id: int):
                    return {}
            """,
        },
    )
    assert table == {("backend/app/api/v1/endpoints.py", 5): ["/api/v1/orders/{order_id}"]}


def test_router_included_twice_appears_twice(tmp_path):
    table = routes(
        tmp_path,
        {
            "app/main.py": """
                from fastapi import FastAPI
                from app import items

                app = FastAPI()
                app.include_router(items.router, prefix="/v1")
                app.include_router(items.router, prefix="/v2")
            """,
            "app/items.py": """
                from fastapi import APIRouter

                router = APIRouter(prefix="/items")

                @router.get("/{item_id}")
                def read(item_id: int):
                    return {}
            """,
        },
    )
    assert table == {("app/items.py", 5): ["/v1/items/{item_id}", "/v2/items/{item_id}"]}


def test_flask_blueprint_url_prefix(tmp_path):
    files = {
        "app/__init__.py": """
            from flask import Flask

            def create_app():
                app = Flask(__name__)
                from app.auth.routes import auth_bp
                from app.api.routes import api_bp
                from app.admin import admin_bp
                app.register_blueprint(auth_bp, url_prefix="/auth")
                app.register_blueprint(api_bp)
                app.register_blueprint(admin_bp, url_prefix="/api/v1/admin")
                return app
        """,
        "app/auth/routes.py": """
            from flask import Blueprint

            auth_bp = Blueprint("auth", __name__, url_prefix="/ignored")

            @auth_bp.route("/login", methods=["POST"])
            def login():
                return {}
        """,
        "app/api/routes.py": """
            from flask import Blueprint

            api_bp = Blueprint("api", __name__, url_prefix="/api/v1/")

            @api_bp.route("/orders")
            def orders():
                return []
        """,
        "app/admin.py": """
            from flask import Blueprint

            admin_bp = Blueprint("admin", __name__)

            @admin_bp.get("/")
            def index():
                return {}
        """,
    }
    assert routes(tmp_path, files) == {
        ("app/auth/routes.py", 5): ["/auth/login"],  # register_blueprint(url_prefix=) replaces the blueprint's own
        ("app/api/routes.py", 5): ["/api/v1/orders"],
        ("app/admin.py", 5): ["/api/v1/admin/"],
    }
    assert found(tmp_path, "API003", {}) == [("app/auth/routes.py", 5, "API003")]


# --------------------------------------------------------------------------- API003 / API006
def test_health_route_outside_v1_is_exempt_and_satisfies_api006(tmp_path):
    files = {
        "app/main.py": """
            from fastapi import FastAPI
            from app.routers import health, items

            app = FastAPI()
            app.include_router(health.router)
            app.include_router(items.router, prefix="/api/v1")

            @app.get("/")
            def root():
                return {"name": "x"}

            @app.get("/status")
            def status():
                return {"ok": True}
        """,
        "app/routers/health.py": """
            from fastapi import APIRouter

            router = APIRouter(tags=["health"])

            @router.get("/health")
            def health():
                return {"status": "ok"}

            @router.get("/readyz")
            def ready():
                return {"status": "ok"}
        """,
        "app/routers/items.py": """
            from fastapi import APIRouter

            router = APIRouter(prefix="/items")

            @router.get("/{item_id}")
            def read(item_id: int):
                return {}
        """,
    }
    assert found(tmp_path, "API003", files) == [("app/main.py", 12, "API003")]
    assert found(tmp_path, "API006", {}) == []


def test_api006_reports_each_app_at_its_constructor(tmp_path):
    files = {
        "app/main.py": """
            from fastapi import FastAPI

            app = FastAPI(
                title="shop",
            )

            @app.get("/api/v1/items")
            def items(limit: int = 10):
                return []
        """,
    }
    assert found(tmp_path, "API006", files) == [("app/main.py", 3, "API006")]


# --------------------------------------------------------------------------- SEC007 / SEC006
def test_router_and_include_level_auth(tmp_path):
    files = {
        "app/main.py": """
            from fastapi import FastAPI, Depends
            from app.deps import get_current_user
            from app.routers import admin, items, public, auth

            app = FastAPI()
            app.include_router(admin.router, prefix="/v1/admin", dependencies=[Depends(get_current_user)])
            app.include_router(items.router, prefix="/v1/items")
            app.include_router(public.router, prefix="/v1/public")
            app.include_router(auth.router, prefix="/v1/auth")
        """,
        "app/routers/admin.py": """
            from fastapi import APIRouter

            router = APIRouter()

            @router.delete("/users/{user_id}", status_code=204)
            def delete_user(user_id: int):
                return None
        """,
        "app/routers/items.py": """
            from fastapi import APIRouter, Security
            from app.deps import get_current_user

            router = APIRouter(dependencies=[Security(get_current_user, scopes=["items"])])

            @router.post("", status_code=201)
            def create_item():
                return {}
        """,
        "app/routers/public.py": """
            from fastapi import APIRouter, Depends
            from app.deps import get_db, get_item_service

            router = APIRouter()

            @router.post("/feedback", status_code=201)
            def send_feedback(db=Depends(get_db), service=Depends(get_item_service)):
                return {}

            @router.patch("/profile")
            async def update_profile():
                return {}
        """,
        "app/routers/auth.py": """
            from fastapi import APIRouter

            router = APIRouter()

            @router.post("/login")
            def login():
                return {}

            @router.post("/password-reset")
            def reset():
                return {}
        """,
    }
    assert found(tmp_path, "SEC007", files) == [
        ("app/routers/public.py", 6, "SEC007"),
        ("app/routers/public.py", 10, "SEC007"),
    ]
    assert found(tmp_path, "SEC006", {}) == [
        ("app/routers/auth.py", 5, "SEC006"),
        ("app/routers/auth.py", 9, "SEC006"),
    ]


def test_sec007_flask_login_required_and_before_request_hook(tmp_path):
    files = {
        "app/views.py": """
            from flask import Blueprint
            from flask_login import login_required

            bp = Blueprint("notes", __name__, url_prefix="/v1/notes")
            admin = Blueprint("admin", __name__, url_prefix="/v1/admin")

            @admin.before_request
            def require_admin():
                verify_jwt_in_request()

            @bp.route("", methods=["POST"])
            @login_required
            def create_note():
                return {}, 201

            @bp.route("/<int:note_id>", methods=["PUT"])
            def update_note(note_id):
                return {}

            @admin.route("/purge", methods=["POST"])
            def purge():
                return {}
        """,
    }
    assert found(tmp_path, "SEC007", files) == [("app/views.py", 16, "SEC007")]


def test_sec006_global_limits(tmp_path):
    login = """
        @app.post("/v1/auth/login")
        def login():
            return {}
    """
    slowapi_without_middleware = """
        from fastapi import FastAPI
        from slowapi import Limiter
        from slowapi.util import get_remote_address

        limiter = Limiter(key_func=get_remote_address, default_limits=["100/minute"])
        app = FastAPI()
    """ + login
    assert found(tmp_path, "SEC006", {"app/main.py": slowapi_without_middleware}) == [("app/main.py", 8, "SEC006")]
    with_middleware = slowapi_without_middleware.replace(
        "app = FastAPI()\n", "app = FastAPI()\n        app.add_middleware(SlowAPIMiddleware)\n"
    )
    assert found(tmp_path, "SEC006", {"app/main.py": with_middleware}) == []


# --------------------------------------------------------------------------- API001
def test_api001_wrong_handler_shape_is_reported_at_the_response_not_the_app(tmp_path):
    files = {
        "app/main.py": """
            from fastapi import FastAPI, HTTPException, Request
            from fastapi.exceptions import RequestValidationError
            from fastapi.responses import JSONResponse

            app = FastAPI()

            @app.exception_handler(HTTPException)
            async def http_error(request: Request, exc: HTTPException):
                return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail})

            @app.exception_handler(RequestValidationError)
            async def invalid(request: Request, exc: RequestValidationError):
                return JSONResponse(status_code=422, content=envelope("invalid", exc.errors()))

            @app.get("/v1/items/{item_id}")
            def read(item_id: int):
                if item_id > 10:
                    return JSONResponse({"error": {"code": "gone", "message": "Gone", "detail": None}}, 410)
                return JSONResponse(content={"ok": True})
        """,
    }
    assert found(tmp_path, "API001", files) == [("app/main.py", 9, "API001")]


def test_api001_fastapi_app_without_validation_handler(tmp_path):
    files = {
        "app/main.py": """
            from fastapi import FastAPI
            from starlette.exceptions import HTTPException as StarletteHTTPException
            from app.errors import on_http_error

            app = FastAPI()
            app.add_exception_handler(StarletteHTTPException, on_http_error)

            @app.get("/v1/items")
            def items(limit: int = 10):
                return []
        """,
    }
    assert found(tmp_path, "API001", files) == [("app/main.py", 5, "API001")]


def test_api001_flask_handlers_and_abort(tmp_path):
    files = {
        "app/__init__.py": """
            from flask import Flask, jsonify

            app = Flask(__name__)

            @app.errorhandler(404)
            def not_found(error):
                return jsonify(error="Not found")

            @app.errorhandler(409)
            def conflict(error):
                return jsonify({"error": {"code": "conflict", "message": str(error), "detail": None}}), 409
        """,
        "app/views.py": """
            from flask import abort, jsonify
            from app import app

            @app.get("/v1/items/<int:item_id>")
            def show(item_id):
                if item_id == 1:
                    abort(409)
                if item_id == 2:
                    abort(404)
                return jsonify({"message": "bad"}), 400
        """,
    }
    assert found(tmp_path, "API001", files) == [
        ("app/__init__.py", 7, "API001"),  # a handler of the wrong shape, at its response
        ("app/views.py", 9, "API001"),  # abort(404): its handler does not build the envelope
        ("app/views.py", 10, "API001"),  # abort(409) above is fine: its handler does
    ]


# --------------------------------------------------------------------------- API002
def test_api002_flask_page_argument_read_but_not_applied(tmp_path):
    files = {
        "app/views.py": """
            from flask import Blueprint, jsonify, request

            bp = Blueprint("orders", __name__, url_prefix="/v1")

            @bp.get("/orders")
            def orders():
                page = request.args.get("page", 1, type=int)
                rows = Order.query.all()
                return jsonify({"items": [o.to_dict() for o in rows], "page": page})

            @bp.get("/orders/recent")
            def recent():
                rows = Order.query.order_by(Order.id.desc()).all()[:20]
                return jsonify([o.to_dict() for o in rows])

            @bp.get("/orders/<int:order_id>")
            def order(order_id):
                return jsonify(Order.query.get_or_404(order_id).to_dict())
        """,
    }
    assert found(tmp_path, "API002", files) == [("app/views.py", 5, "API002")]


def test_api002_async_scalars_and_pagination_dependency(tmp_path):
    files = {
        "app/routes.py": """
            from fastapi import APIRouter, Depends
            from sqlalchemy import select

            router = APIRouter()

            @router.get("/items")
            async def items(session=Depends(get_session)):
                result = await session.scalars(select(Item))
                return result.all()

            @router.get("/items/paged")
            async def paged(pagination: Pagination = Depends(), session=Depends(get_session)):
                return await item_service.page(session, pagination)

            @router.get("/items/count")
            async def count(session=Depends(get_session)):
                return {"count": len(await session.scalars(select(Item)))}
        """,
    }
    assert found(tmp_path, "API002", files) == [("app/routes.py", 6, "API002")]


# --------------------------------------------------------------------------- API004
def test_api004_raw_reads_and_validated_passthrough(tmp_path):
    files = {
        "app/views.py": """
            from flask import Blueprint, request
            from app.schemas import OrderSchema, Query

            bp = Blueprint("orders", __name__)

            @bp.post("/v1/orders")
            def create():
                order = OrderSchema().load(request.get_json())
                query = Query(**request.args)
                note = request.form.get("note")
                data = request.json
                size = request.args.get("size", 10, type=int)
                token = request.headers.get("Authorization")
                return {}, 201
        """,
        "app/api.py": """
            from fastapi import APIRouter, Request

            router = APIRouter()

            @router.post("/v1/import")
            async def import_rows(request: Request):
                model = Rows.model_validate(await request.json())
                raw = await request.body()
                page = request.query_params.get("page")
                return {}

            async def helper(request: Request):
                return await request.json()
        """,
    }
    assert found(tmp_path, "API004", files) == [
        ("app/api.py", 8, "API004"),
        ("app/api.py", 9, "API004"),
        ("app/views.py", 10, "API004"),
        ("app/views.py", 11, "API004"),
        ("app/views.py", 12, "API004"),
    ]


# --------------------------------------------------------------------------- API005
def test_api005_statuses_and_verbs(tmp_path):
    files = {
        "app/routes.py": """
            from fastapi import APIRouter, Response, status

            router = APIRouter()

            @router.post("/v1/users")
            def register_user(payload: UserIn):
                return service.register(payload)

            @router.post("/v1/jobs", status_code=202)
            def create_job(payload: JobIn):
                return {}

            @router.post("/v1/auth/token")
            def create_token(form: Form):
                return {}

            @router.delete("/v1/items/{item_id}")
            def delete_item(item_id: int):
                service.delete(item_id)
                return Response(status_code=status.HTTP_204_NO_CONTENT)

            @router.get("/v1/users/list")
            def users(limit: int = 10):
                return service.users(limit=limit)

            @router.post("/v1/orders", status_code=201)
            def add_order():
                return {}
        """,
    }
    assert found(tmp_path, "API005", files) == [("app/routes.py", 5, "API005"), ("app/routes.py", 22, "API005")]


# --------------------------------------------------------------------------- API007
def test_api007_one_finding_per_statement_line(tmp_path):
    files = {
        "app/routes.py": """
            from fastapi import APIRouter, Depends
            from sqlalchemy.ext.asyncio import AsyncSession

            router = APIRouter()

            @router.post("/v1/items", status_code=201)
            async def create(payload: ItemIn, s: AsyncSession = Depends(get_session)):
                item = Item(**payload.model_dump()); s.add(item); await s.commit()
                cache = {}
                cache.get("x")
                return item

            def not_a_route(db):
                return db.query(Item).all()

            @router.get("/v1/raw/{key}")
            def raw(key: str):
                with engine.connect() as conn:
                    cursor = conn.cursor()
                    cursor.execute("SELECT 1")
                return {}
        """,
    }
    assert found(tmp_path, "API007", files) == [
        ("app/routes.py", 8, "API007"),
        ("app/routes.py", 19, "API007"),
        ("app/routes.py", 20, "API007"),
    ]


# --------------------------------------------------------------------------- API008
def test_api008_business_modules_and_dependencies(tmp_path):
    files = {
        "app/services/orders.py": """
            from fastapi import Depends, HTTPException, Request
            from fastapi.responses import JSONResponse

            def get(db, order_id):
                raise HTTPException(404)

            def refuse():
                return JSONResponse(status_code=403, content={"error": {"code": "no"}})

            def current(request: Request):
                raise HTTPException(401)

            def dependency(token: str = Depends(scheme)):
                raise HTTPException(401)
        """,
        "app/routers/orders.py": """
            from fastapi import HTTPException

            def check():
                raise HTTPException(400)
        """,
    }
    assert found(tmp_path, "API008", files) == [("app/services/orders.py", 5, "API008"), ("app/services/orders.py", 8, "API008")]


# --------------------------------------------------------------------------- SEC005
@pytest.mark.parametrize(
    "code, lines",
    [
        ('from flask_cors import CORS\nCORS(app, resources={r"/api/*": {"origins": "*"}})\n', [2]),
        ('from flask_cors import CORS\nCORS(app, resources=r"/api/*")\n', [2]),
        ('from flask_cors import CORS\nCORS(app, origins=settings.ORIGINS)\n', []),
        ('from flask_cors import cross_origin\n\n@cross_origin()\ndef view():\n    return {}\n', [3]),
        ('from fastapi.middleware.cors import CORSMiddleware\napp.add_middleware(CORSMiddleware, allow_origin_regex=".*")\n', [2]),
        ('from fastapi.middleware.cors import CORSMiddleware\napp.add_middleware(CORSMiddleware, allow_origins=settings.origins, allow_methods=["*"])\n', []),
        ('from starlette.middleware import Middleware\nfrom starlette.middleware.cors import CORSMiddleware\nmw = [Middleware(CORSMiddleware, allow_origins=["*"])]\n', [3]),
        ("CORS_ORIGIN_ALLOW_ALL = True\n", [1]),
        ("CORS_ALLOW_ALL_ORIGINS = False\nCORS_ALLOW_CREDENTIALS = True\n", []),
    ],
)
def test_sec005_cases(tmp_path, code, lines):
    assert found(tmp_path, "SEC005", {"app/main.py": code}) == [("app/main.py", n, "SEC005") for n in lines]


def test_sec005_credentials_make_the_message_critical(tmp_path):
    write_tree(tmp_path, {"app/main.py": "from flask_cors import CORS\nCORS(app, supports_credentials=True)\n"})
    report = critique([tmp_path], Config(select=("SEC005",)), engines=())
    assert [(f.line, "critical" in f.message) for f in report.findings] == [(2, True)]


def test_sec007_auth_type_alias_from_another_module(tmp_path):
    files = {
        "app/deps.py": """
            from typing import Annotated
            from fastapi import Depends

            UserDep = Annotated[User, Depends(get_current_user)]
            DbDep = Annotated[Session, Depends(get_db)]
        """,
        "app/routes.py": """
            from fastapi import APIRouter
            from app.deps import DbDep, UserDep

            router = APIRouter(prefix="/v1")

            @router.post("/notes", status_code=201)
            def create_note(user: UserDep, db: DbDep):
                return {}

            @router.put("/notes/{note_id}")
            def update_note(note_id: int, db: DbDep):
                return {}
        """,
    }
    assert found(tmp_path, "SEC007", files) == [("app/routes.py", 10, "SEC007")]
