"""False positives and misses found by a second reading of the rule pack against realistic
backends (a full-stack-template FastAPI service, a Flask app factory, Django + DRF, a messy
FastAPI service). Each case pins the exact locations (path, line, rule id)."""
from __future__ import annotations

from pathlib import Path

from critic.api import critique
from critic.config import Config
from critic.rule import PythonFile
from critic.testing import found, write_tree


def fixes(tmp_path: Path, rule_id: str, files: dict[str, str]) -> dict[tuple[str, int], str]:
    write_tree(tmp_path, files, dedent=True)
    report = critique([tmp_path], Config(select=(rule_id,)), engines=())
    return {(f.path, f.line): f.fix for f in report.findings if f.rule_id == rule_id}


# --------------------------------------------------------------------------- API004
def test_api004_reads_that_reach_a_schema_are_validated(tmp_path):
    files = {
        "app/books.py": """
            import json
            from flask import Blueprint, request
            from app.models import User
            from app.schemas import book_schema, WebhookEvent

            bp = Blueprint("books", __name__)

            @bp.post("/books")
            def create():
                data = book_schema.load(request.get_json(silent=True) or {})
                raw = request.get_json()
                if not raw:
                    return {}, 400
                again = book_schema.load(raw)
                body = request.get_data()
                event = WebhookEvent.model_validate(json.loads(body))
                orm = request.get_json()
                user = User(email=orm["email"])
                kept = request.get_json()
                return {"id": user.id}, 201
        """,
    }
    # the ORM model validates nothing; a read nobody validates stays a finding
    assert found(tmp_path, "API004", files) == [("app/books.py", 17, "API004"), ("app/books.py", 19, "API004")]


def test_api004_json_loads_is_not_a_validator(tmp_path):
    files = {
        "app/api.py": """
            import json
            from fastapi import APIRouter, Request

            router = APIRouter()

            @router.post("/v1/import")
            async def import_rows(request: Request):
                rows = json.loads(await request.body())
                return {"n": len(rows)}
        """,
    }
    assert found(tmp_path, "API004", files) == [("app/api.py", 8, "API004")]


# --------------------------------------------------------------------------- API007
def test_api007_health_probe_may_ping_the_database(tmp_path):
    files = {
        "app/routes.py": """
            from fastapi import APIRouter
            from sqlalchemy import text
            from app.deps import SessionDep

            router = APIRouter(prefix="/utils")

            @router.get("/health-check/")
            async def health_check(session: SessionDep) -> bool:
                await session.execute(text("SELECT 1"))
                return True

            @router.get("/items/{item_id}")
            async def read_item(item_id: int, session: SessionDep):
                return await session.get(Item, item_id)
        """,
    }
    assert found(tmp_path, "API007", files) == [("app/routes.py", 14, "API007")]
    assert "crud.read_item(session" in fixes(tmp_path, "API007", files)[("app/routes.py", 14)]


# --------------------------------------------------------------------------- DB004
_ROLLBACK_DEP = """
    from typing import Annotated
    from fastapi import Depends
    from sqlalchemy.ext.asyncio import AsyncSession

    async def get_db():
        async with SessionLocal() as session:
            try:
                yield session
            except Exception:
                await session.rollback()
                raise

    SessionDep = Annotated[AsyncSession, Depends(get_db)]
"""
_CRUD = """
    from sqlalchemy.ext.asyncio import AsyncSession

    async def create_item(*, session: AsyncSession, title: str):
        item = Item(title=title)
        session.add(item)
        await session.commit()
        return item

    class ItemRepository:
        def __init__(self, session):
            self.session = session

        async def add(self, item):
            self.session.add(item)
            await self.session.commit()
"""


def test_db004_crud_functions_take_the_callers_session(tmp_path):
    assert found(tmp_path, "DB004", {"app/deps.py": _ROLLBACK_DEP, "app/crud.py": _CRUD}) == []


def test_db004_crud_functions_reported_when_a_session_source_never_rolls_back(tmp_path):
    plain = "def get_plain_db():\n    db = SessionLocal()\n    try:\n        yield db\n    finally:\n        db.close()\n"
    files = {"app/deps.py": _ROLLBACK_DEP, "app/plain.py": plain, "app/crud.py": _CRUD}
    assert found(tmp_path, "DB004", files) == [("app/crud.py", 6, "DB004"), ("app/crud.py", 15, "DB004")]


# --------------------------------------------------------------------------- SEC007
def test_sec007_webhooks_and_signup_under_auth_are_exempt(tmp_path):
    files = {
        "app/main.py": """
            from fastapi import APIRouter, Depends, Request
            from app.deps import get_current_user

            router = APIRouter()

            @router.get("/v1/me")
            def me(user=Depends(get_current_user)):
                return user

            @router.post("/v1/webhooks/stripe")
            async def stripe_webhook(request: Request):
                return {}

            @router.post("/v1/auth/accounts", status_code=201)
            def create_account(payload: Credentials):
                return {}

            @router.post("/v1/admin/accounts", status_code=201)
            def admin_create_account(payload: Credentials):
                return {}

            @router.delete("/v1/auth/accounts/{account_id}", status_code=204)
            def delete_account(account_id: int):
                return None
        """,
    }
    assert found(tmp_path, "SEC007", files) == [("app/main.py", 18, "SEC007"), ("app/main.py", 22, "SEC007")]


def test_sec007_flask_fix_names_flask_decorators(tmp_path):
    files = {
        "app/views.py": """
            from flask import Blueprint
            from flask_login import login_required

            bp = Blueprint("notes", __name__, url_prefix="/api/v1/notes")

            @bp.get("")
            @login_required
            def list_notes():
                return []

            @bp.delete("/<int:note_id>")
            def delete_note(note_id):
                return "", 204
        """,
    }
    assert "@login_required" in fixes(tmp_path, "SEC007", files)[("app/views.py", 11)]


# --------------------------------------------------------------------------- SEC002 / SEC003
def test_sec002_sec003_test_configuration_is_test_code(tmp_path):
    files = {
        "app/config.py": """
            import os

            class Config:
                SECRET_KEY = os.environ.get("SECRET_KEY")
                BCRYPT_LOG_ROUNDS = 12

            class DevelopmentConfig(Config):
                SECRET_KEY = "dev"

            class TestingConfig(Config):
                SECRET_KEY = "test-secret"
                BCRYPT_LOG_ROUNDS = 4
        """,
        "config/settings/test.py": """
            SECRET_KEY = "insecure-test-key"
            PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        """,
        "shop/tests.py": """
            def test_login(client):
                client.post("/login", data={"username": "a", "password": "Pa55word-for-tests"})
        """,
    }
    assert found(tmp_path, "SEC002", files) == [("app/config.py", 8, "SEC002")]
    assert found(tmp_path, "SEC003", files) == []


def test_django_tests_module_is_test_code():
    assert PythonFile("shop/tests.py", "").is_test
    assert not PythonFile("shop/testing_utils.py", "").is_test


# --------------------------------------------------------------------------- SEC005
def test_sec005_flask_cors_extension_is_judged_at_init_app(tmp_path):
    files = {
        "app/extensions.py": """
            from flask_cors import CORS

            cors = CORS()
        """,
        "app/__init__.py": """
            from flask import Flask
            from app.extensions import cors

            def create_app():
                app = Flask(__name__)
                cors.init_app(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}})
                return app

            def create_open_app():
                app = Flask(__name__)
                cors.init_app(app)
                return app
        """,
    }
    assert found(tmp_path, "SEC005", files) == [("app/__init__.py", 11, "SEC005")]


# --------------------------------------------------------------------------- API002
def test_api002_constant_lists_need_no_pagination(tmp_path):
    files = {
        "app/routes.py": """
            import enum
            from fastapi import APIRouter

            router = APIRouter()

            class Granularity(str, enum.Enum):
                day = "day"

            @router.get("/v1/granularities")
            async def granularities() -> list[str]:
                return [g.value for g in Granularity]

            @router.get("/v1/orders")
            async def orders(service=Depends(get_service)) -> list[OrderOut]:
                return await service.list_orders()
        """,
    }
    assert found(tmp_path, "API002", files) == [("app/routes.py", 13, "API002")]


# --------------------------------------------------------------------------- API003
def test_api003_mounted_sub_application_carries_the_version(tmp_path):
    files = {
        "app/main.py": """
            from fastapi import FastAPI
            from app.routers import items, legacy

            api = FastAPI()
            api.include_router(items.router)

            app = FastAPI()
            app.mount("/api/v1", api)
            app.include_router(legacy.router)

            @app.get("/health")
            def health():
                return {"status": "ok"}
        """,
        "app/routers/items.py": """
            from fastapi import APIRouter

            router = APIRouter(prefix="/items")

            @router.get("/{item_id}")
            def read_item(item_id: int):
                return {}
        """,
        "app/routers/legacy.py": """
            from fastapi import APIRouter

            router = APIRouter(prefix="/legacy")

            @router.get("/{item_id}")
            def read_legacy(item_id: int):
                return {}
        """,
    }
    assert found(tmp_path, "API003", files) == [("app/routers/legacy.py", 5, "API003")]


def test_api003_fix_matches_where_the_route_hangs(tmp_path):
    files = {
        "app.py": """
            from flask import Flask

            app = Flask(__name__)

            @app.route("/items")
            def items():
                return []
        """,
    }
    assert '@app.route("/api/v1/items")' in fixes(tmp_path, "API003", files)[("app.py", 5)]


# --------------------------------------------------------------------------- QLT004 / SEC004 / SEC001
def test_qlt004_smtplib_in_async(tmp_path):
    files = {
        "app/mail.py": """
            import smtplib

            async def send(to, body):
                with smtplib.SMTP("smtp.example.com") as smtp:
                    smtp.sendmail("noreply@example.com", [to], body)

            def send_sync(to, body):
                with smtplib.SMTP("smtp.example.com") as smtp:
                    smtp.sendmail("noreply@example.com", [to], body)
        """,
    }
    assert found(tmp_path, "QLT004", files) == [("app/mail.py", 4, "QLT004")]


def test_sec004_unverified_claims_only_when_never_verified(tmp_path):
    files = {
        "app/security.py": """
            from jose import jwt

            def user_id(token):
                return int(jwt.get_unverified_claims(token)["sub"])

            def verified(token):
                issuer = jwt.get_unverified_claims(token)["iss"]
                return jwt.decode(token, KEYS[issuer], algorithms=["RS256"])
        """,
    }
    assert found(tmp_path, "SEC004", files) == [("app/security.py", 4, "SEC004")]


def test_sec001_last_four_digits_are_masked(tmp_path):
    files = {
        "app/pay.py": """
            import logging

            logger = logging.getLogger(__name__)

            def charge(card_number):
                logger.info("Charging card ending %s", card_number[-4:])
                logger.info("Charging card %s", card_number)
        """,
    }
    assert found(tmp_path, "SEC001", files) == [("app/pay.py", 7, "SEC001")]


# --------------------------------------------------------------------------- QLT002
def test_qlt002_migrations_merge_and_irreversible(tmp_path):
    files = {
        "alembic/versions/c3_merge.py": """
            revision = "c3"
            down_revision = ("a1", "b2")

            def upgrade():
                pass

            def downgrade():
                pass
        """,
        "alembic/versions/a1_users.py": """
            revision = "a1"
            down_revision = None

            def upgrade():
                pass

            def downgrade():
                pass
        """,
    }
    assert found(tmp_path, "QLT002", files) == [("alembic/versions/a1_users.py", 4, "QLT002")]


# --------------------------------------------------------------------------- API008
def test_api008_auth_module_in_a_services_folder_is_a_service(tmp_path):
    body = """
        from fastapi import Depends, HTTPException

        def authenticate(user):
            if user is None:
                raise HTTPException(status_code=401, detail="Bad credentials")
            return user

        def get_current_user(token: str = Depends(oauth2_scheme)):
            raise HTTPException(status_code=401, detail="Not authenticated")
    """
    files = {"app/services/auth.py": body, "app/core/security.py": body, "app/auth.py": body}
    assert found(tmp_path, "API008", files) == [("app/services/auth.py", 5, "API008")]


# --------------------------------------------------------------------------- PRJ001
def test_prj001_fix_names_only_what_is_missing_and_skips_migrations(tmp_path):
    files = {
        "alembic/versions/0001_init.py": "revision = '1'\n",
        "app/models.py": "x = 1\n",
        "docker-compose.yml": "services:\n  api:\n    build: .\n",
    }
    got = fixes(tmp_path, "PRJ001", files)
    assert list(got) == [("app/models.py", 1)]
    fix = got[("app/models.py", 1)]
    assert "Dockerfile" in fix and ".dockerignore" in fix and "docker-compose.yml" not in fix
