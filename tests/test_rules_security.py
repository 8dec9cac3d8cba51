"""SEC001, SEC002, SEC003, SEC004, SEC008: exact locations on small backends, and no secret leaks."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from critic.api import critique
from critic.config import Config
from critic.report import renderer

SEC_RULES = ("SEC001", "SEC002", "SEC003", "SEC004", "SEC008")


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def run(tmp_path: Path, files: dict[str, str], rules: tuple[str, ...] = SEC_RULES):
    _write(tmp_path, files)
    return critique([tmp_path], Config(select=rules), engines=())


def located(report, rule: str | None = None) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.rule_id) for f in report.findings if rule is None or f.rule_id == rule}


# --------------------------------------------------------------------------- SEC001
def test_sec001_reports_each_leaking_log_call_at_its_line(tmp_path):
    report = run(
        tmp_path,
        {
            "app/routers/auth.py": '''
            import logging
            from fastapi import APIRouter, Depends, Request

            logger = logging.getLogger(__name__)
            router = APIRouter()

            @router.post("/login")
            async def login(request: Request, form: OAuth2PasswordRequestForm = Depends()):
                logger.info("Login attempt for %s", form.username)
                logger.debug(f"password={form.password}")
                body = await request.json()
                logger.info("payload %s", body)
                token = create_access_token({"sub": form.username})
                logger.info("Issued token for %s", form.username)
                logger.info("Issued {}".format(token))
                logger.warning("Invalid token")
                logger.info("headers", extra={"headers": dict(request.headers)})
                print("token_type", token.token_type)
                return {"access_token": token, "token_type": "bearer"}

            def register(payload: UserCreate):
                logger.info("registering %s", payload.email)
                logger.info("registering %s", payload.model_dump())
                logger.info("registering %s", payload.model_dump(exclude={"password"}))
            ''',
        },
        ("SEC001",),
    )
    assert located(report) == {
        ("app/routers/auth.py", 10, "SEC001"),
        ("app/routers/auth.py", 12, "SEC001"),
        ("app/routers/auth.py", 15, "SEC001"),
        ("app/routers/auth.py", 17, "SEC001"),
        ("app/routers/auth.py", 23, "SEC001"),
    }
    messages = {f.line: f.message for f in report.findings}
    assert "password" in messages[10] and "form.password" in messages[10]
    assert "request body" in messages[12]
    assert "request headers" in messages[17]


def test_sec001_structlog_and_aliases(tmp_path):
    report = run(
        tmp_path,
        {
            "app/service.py": '''
            import structlog
            import logging as lg
            from flask import current_app

            log = structlog.get_logger()

            def charge(card_number, amount, api_key):
                log.info("charging", amount=amount)
                log.info("charging", card_number=card_number)
                log.bind(api_key=api_key).info("bound")
                lg.error("key=%s", api_key)
                current_app.logger.info("Authorization: %s", request.headers.get("Authorization"))
                current_app.logger.info("Agent: %s", request.headers.get("User-Agent"))
            ''',
        },
        ("SEC001",),
    )
    assert located(report) == {
        ("app/service.py", 9, "SEC001"),
        ("app/service.py", 10, "SEC001"),
        ("app/service.py", 11, "SEC001"),
        ("app/service.py", 12, "SEC001"),
    }


def test_sec001_ignores_test_code(tmp_path):
    report = run(tmp_path, {"tests/test_login.py": 'print(f"token {access_token}")\n'}, ("SEC001",))
    assert located(report) == set()


# --------------------------------------------------------------------------- SEC002
def test_sec002_literal_secrets_at_the_literal_line(tmp_path):
    report = run(
        tmp_path,
        {
            "app/core/config.py": '''
            import os
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                SECRET_KEY: str = "changeme"
                ALGORITHM: str = "HS256"
                ACCESS_TOKEN_EXPIRE_MINUTES: int = 30
                token_type: str = "bearer"
                DATABASE_URL: str = "postgresql://app:app-pass-1@db:5432/app"
                SAFE_URL: str = "postgresql://app:${POSTGRES_PASSWORD}@db:5432/app"
                NO_PASSWORD_URL: str = "postgresql://app@db:5432/app"
                API_KEY: str = ""

            JWT_SECRET = os.getenv("JWT_SECRET", "dev-secret")
            REDIS_PASSWORD = os.environ.get("REDIS_PASSWORD")
            STRIPE_KEY = os.environ["STRIPE_KEY"]
            password_field = "password"
            ''',
            "app/db.py": '''
            import psycopg2

            conn = psycopg2.connect(
                host="db",
                password="hunter2-pw",
            )
            ''',
            "tests/conftest.py": 'SECRET_KEY = "test-only-secret"\n',
        },
        ("SEC002",),
    )
    assert located(report) == {
        ("app/core/config.py", 5, "SEC002"),
        ("app/core/config.py", 9, "SEC002"),
        ("app/core/config.py", 14, "SEC002"),
        ("app/db.py", 5, "SEC002"),
    }


def test_sec002_flask_and_django_shapes(tmp_path):
    report = run(
        tmp_path,
        {
            "config.py": '''
            import os

            class Config:
                SECRET_KEY = os.environ.get("SECRET_KEY") or "hard to guess string"
                REMEMBER_COOKIE_NAME = "remember_token"

            app.config["SECRET_KEY"] = "dev"
            app.config.from_mapping(SECRET_KEY="dev")
            ''',
            "mysite/settings.py": '''
            DATABASES = {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "PASSWORD": "postgres",
                    "HOST": "db",
                }
            }
            ''',
        },
        ("SEC002",),
    )
    assert located(report) == {
        ("config.py", 4, "SEC002"),
        ("config.py", 7, "SEC002"),
        ("config.py", 8, "SEC002"),
        ("mysite/settings.py", 4, "SEC002"),
    }


PLANTED = "Pl4nted-S3cret-Value-90210"


def test_no_finding_or_rendering_shows_a_planted_secret(tmp_path):
    """The planted value sits where SEC002 finds it, on lines other rules report too."""
    files = {
        "app/main.py": f'''
        import jwt
        import logging
        from fastapi import FastAPI

        logger = logging.getLogger(__name__)
        SECRET_KEY = "{PLANTED}"
        app = FastAPI(debug=True, secret_key="{PLANTED}")

        def make(user):
            return jwt.encode({{"sub": user.id}}, "{PLANTED}", algorithm="HS256")

        def login(password):
            if password == "{PLANTED}":
                logger.info("checked %s", password)
        ''',
        "app/settings.py": f'''
        DATABASE_URL = "postgresql://app:{PLANTED}@db/app"
        class Settings(BaseSettings):
            jwt_secret: str = "{PLANTED}"
            DB_URL: str = os.getenv("DB_URL", f"postgresql://app:{PLANTED}@{{HOST}}/app")
        ''',
    }
    _write(tmp_path, files)
    report = critique([tmp_path], Config(), engines=())
    ids = {f.rule_id for f in report.findings}
    assert {"SEC001", "SEC002", "SEC004", "SEC008"} <= ids
    assert sum(1 for f in report.findings if f.rule_id == "SEC002") == 7
    for f in report.findings:
        for text in (f.message, f.fix, f.snippet):
            assert PLANTED not in text, f"{f.rule_id} at {f.path}:{f.line} shows the secret in {text!r}"
            assert PLANTED[:12] not in text
    for name in ("json", "text"):
        assert PLANTED not in renderer(name)(report, None)


# --------------------------------------------------------------------------- SEC003
def test_sec003_hashing_and_comparisons(tmp_path):
    report = run(
        tmp_path,
        {
            "app/security.py": '''
            import hashlib
            import bcrypt
            from passlib.context import CryptContext

            pwd_context = CryptContext(schemes=["bcrypt"], deprecated="auto", bcrypt__rounds=10)
            strong = CryptContext(schemes=["argon2", "md5_crypt"], deprecated="auto")
            salt = bcrypt.gensalt(rounds=11)
            ok_salt = bcrypt.gensalt()

            def hash_password(password: str) -> str:
                return hashlib.sha256(password.encode()).hexdigest()

            def token_fingerprint(token: str) -> str:
                return hashlib.sha256(token.encode()).hexdigest()

            def login(user, form):
                if user.password == form.password:
                    return True
                if form.password != form.password_confirm:
                    return False
                return pwd_context.verify(form.password, user.hashed_password)
            ''',
            "tests/conftest.py": 'import bcrypt\nFAST = bcrypt.gensalt(rounds=4)\n',
        },
        ("SEC003",),
    )
    assert located(report) == {
        ("app/security.py", 5, "SEC003"),
        ("app/security.py", 7, "SEC003"),
        ("app/security.py", 11, "SEC003"),
        ("app/security.py", 17, "SEC003"),
    }


# --------------------------------------------------------------------------- SEC004
def test_sec004_missing_exp_unverified_none_and_lifetimes(tmp_path):
    report = run(
        tmp_path,
        {
            "app/auth.py": '''
            from datetime import datetime, timedelta, timezone
            from jose import jwt

            ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24
            REFRESH_TOKEN_EXPIRE_MINUTES = 60 * 24 * 7

            def create_access_token(data: dict) -> str:
                to_encode = data.copy()
                to_encode.update({"exp": datetime.now(timezone.utc) + timedelta(minutes=15)})
                return jwt.encode(to_encode, KEY, algorithm="HS256")

            def create_reset_token(email: str) -> str:
                payload = {"sub": email, "type": "reset"}
                return jwt.encode(payload, KEY, algorithm="HS256")

            def create_refresh_token(sub: str) -> str:
                return jwt.encode({"sub": sub, "exp": datetime.now(timezone.utc) + timedelta(days=30)}, KEY)

            def issue(sub: str) -> str:
                return jwt.encode({"sub": sub, "exp": datetime.now(timezone.utc) + timedelta(hours=8)}, KEY)

            def peek(token: str) -> dict:
                return jwt.decode(token, KEY, options={"verify_signature": False})

            def lax(token: str) -> dict:
                return jwt.decode(token, KEY, algorithms=["HS256", "none"])
            ''',
        },
        ("SEC004",),
    )
    assert located(report) == {
        ("app/auth.py", 4, "SEC004"),
        ("app/auth.py", 14, "SEC004"),
        ("app/auth.py", 20, "SEC004"),
        ("app/auth.py", 23, "SEC004"),
        ("app/auth.py", 26, "SEC004"),
    }
    by_line = {f.line: f for f in report.findings}
    assert "expected-tier" in by_line[4].message and "1 day" in by_line[4].message
    assert "expected-tier" in by_line[20].message and "8 hours" in by_line[20].message
    assert "exp" in by_line[14].message
    assert by_line[4].tier == "critical"


# --------------------------------------------------------------------------- SEC008
def test_sec008_entry_points_and_settings(tmp_path):
    report = run(
        tmp_path,
        {
            "app/main.py": '''
            import uvicorn
            from fastapi import FastAPI

            app = FastAPI(debug=True)
            quiet = FastAPI(debug=settings.DEBUG)

            if __name__ == "__main__":
                uvicorn.run("app.main:app", host="0.0.0.0", reload=True)
            ''',
            "run.py": '''
            from app import create_app

            app = create_app()
            app.config["DEBUG"] = True
            app.run(host="0.0.0.0", debug=True)
            ''',
            "mysite/settings.py": 'import os\nDEBUG = True\nTEMPLATE_DEBUG = os.getenv("X") == "1"\n',
            "mysite/settings/dev.py": "DEBUG = True\n",
            "scripts/dev_server.py": 'import uvicorn\nuvicorn.run("app.main:app", reload=True)\n',
            "tests/test_app.py": "app = FastAPI(debug=True)\n",
        },
        ("SEC008",),
    )
    assert located(report) == {
        ("app/main.py", 4, "SEC008"),
        ("app/main.py", 8, "SEC008"),
        ("run.py", 4, "SEC008"),
        ("run.py", 5, "SEC008"),
        ("mysite/settings.py", 2, "SEC008"),
    }


@pytest.mark.parametrize("rule", SEC_RULES)
def test_rules_report_nothing_on_an_empty_module(tmp_path, rule):
    report = run(tmp_path, {"app/__init__.py": "\n"}, (rule,))
    assert located(report) == set()


def test_sec001_settings_environment_and_level_argument(tmp_path):
    report = run(
        tmp_path,
        {
            "app/startup.py": '''
            import logging
            import os

            logger = logging.getLogger(__name__)

            def startup(settings):
                logger.log(logging.INFO, "starting %s", settings.PROJECT_NAME)
                logger.debug("settings %s", settings.model_dump())
                logger.debug("env %s", dict(os.environ))
                logger.debug("home %s", os.environ.get("HOME"))
                logger.log(logging.DEBUG, "key %s", os.getenv("API_KEY"))
            ''',
        },
        ("SEC001",),
    )
    assert located(report) == {
        ("app/startup.py", 8, "SEC001"),
        ("app/startup.py", 9, "SEC001"),
        ("app/startup.py", 11, "SEC001"),
    }


def test_sec002_comparisons_cookie_names_and_examples(tmp_path):
    report = run(
        tmp_path,
        {
            "app/auth.py": '''
            ACCESS_TOKEN_COOKIE = "access_token"
            PASSWORD_PATTERN = r"^(?=.*\\d)(?=.*[a-z]).{8,}$"
            INCORRECT_PASSWORD = "Incorrect email or password"

            def login(username, password):
                if username == "admin" and password == "admin-pass-1":
                    return True
                if password == "":
                    return False

            class LoginIn(BaseModel):
                password: str = Field(..., examples=["correct-horse-battery"])
            ''',
        },
        ("SEC002",),
    )
    assert located(report) == {("app/auth.py", 6, "SEC002")}


def test_sec004_exp_in_seconds_and_refresh_exemption(tmp_path):
    report = run(
        tmp_path,
        {
            "app/tokens.py": '''
            import time
            import jwt

            def create_token(uid):
                return jwt.encode({"sub": uid, "exp": int(time.time()) + 3600 * 24}, KEY, algorithm="HS256")

            def create_refresh_token(uid):
                return jwt.encode({"sub": uid, "exp": int(time.time()) + 3600 * 24 * 30}, KEY, algorithm="HS256")

            def create_short(uid):
                return jwt.encode({"sub": uid, "exp": int(time.time()) + 900}, KEY, algorithm="HS256")
            ''',
        },
        ("SEC004",),
    )
    assert located(report) == {("app/tokens.py", 5, "SEC004")}
