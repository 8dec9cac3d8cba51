"""Write large, realistic generated backends for the benchmark (and nothing else).

``python bench/generate.py 500`` writes ``bench/generated/n500/``: a monorepo of services of
the kind coding agents produce (FastAPI + SQLAlchemy 2.0 mostly, some Flask), each with
routers, models, schemas, repositories, services, tests, Alembic migrations, a Dockerfile, a
compose file, .dockerignore, .gitignore and requirements, with violations of critic's standards
sprinkled in at a seeded rate. The size is the number of files written, all kinds included.
Output is deterministic for a (size, seed): the same bytes every time.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "generated"
#: Bumped when the templates change, so a tree written by an older generator is rewritten.
GENERATOR_VERSION = "4"

DOMAINS = (
    ("orders", ("order", "order_line", "shipment", "refund", "invoice")),
    ("inventory", ("product", "warehouse", "stock_level", "supplier", "reorder")),
    ("billing", ("account", "charge", "payment_method", "subscription", "coupon")),
    ("catalog", ("category", "listing", "review", "tag", "media_asset")),
    ("identity", ("profile", "team", "membership", "api_client", "audit_event")),
    ("support", ("ticket", "ticket_comment", "agent", "escalation", "sla_policy")),
    ("booking", ("venue", "reservation", "time_slot", "guest", "waitlist_entry")),
    ("content", ("article", "author", "revision", "comment", "newsletter")),
)
FIELD_TYPES = (
    ("str", "String(255)", '"sample"'),
    ("int", "Integer", "1"),
    ("bool", "Boolean", "True"),
    ("Decimal", "Numeric(12, 2)", 'Decimal("9.99")'),
    ("datetime", "DateTime(timezone=True)", "datetime.now(timezone.utc)"),
)
FIELD_NAMES = (
    "name", "title", "status", "reference", "quantity", "amount", "currency", "notes", "priority",
    "external_id", "is_active", "is_archived", "starts_at", "ends_at", "score", "position", "label",
    "region", "channel", "source", "kind", "version", "rating", "capacity",
)


def camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def plural(snake: str) -> str:
    if snake.endswith("y") and not snake.endswith("ey"):
        return snake[:-1] + "ies"
    if snake.endswith(("s", "x", "ch")):
        return snake + "es"
    return snake + "s"


@dataclass
class Entity:
    name: str  # snake_case
    fields: list[tuple[str, str, str, str]]  # (name, py type, sqlalchemy type, sample)
    parent: str | None  # snake_case of the entity it belongs to (a foreign key)
    flaws: set[str] = field(default_factory=set)

    @property
    def cls(self) -> str:
        return camel(self.name)

    @property
    def table(self) -> str:
        return plural(self.name)


@dataclass
class Service:
    name: str
    domain: str
    flask: bool
    entities: list[Entity]
    flaws: set[str]


#: Service-level flaws and entity-level flaws, with the chance each is planted.
SERVICE_FLAWS = {
    "hardcoded_secret": 0.25,  # SEC002
    "debug": 0.15,  # SEC008
    "wildcard_cors": 0.2,  # SEC005
    "create_all": 0.2,  # DB001
    "jwt_no_exp": 0.15,  # SEC004
    "weak_bcrypt": 0.15,  # SEC003
    "no_rate_limit": 0.3,  # SEC006
    "root_image": 0.25,  # DKR001
    "latest_image": 0.2,  # DKR004 / CMP006
    "no_healthcheck": 0.25,  # DKR005 / CMP002
    "compose_secret": 0.25,  # CMP001
    "privileged": 0.1,  # CMP007
    "todo": 0.3,  # QLT001
}
ENTITY_FLAWS = {
    "fstring_sql": 0.12,  # SQL001
    "unpaginated": 0.2,  # API002
    "db_in_route": 0.2,  # API007
    "raw_body": 0.12,  # API004
    "unindexed_fk": 0.35,  # DB002
    "n_plus_one": 0.12,  # DB003
    "double_commit": 0.15,  # DB004
    "bare_except": 0.15,  # QLT003
    "blocking": 0.12,  # QLT004
    "log_secret": 0.1,  # SEC001
    "placeholder": 0.1,  # QLT002
    "http_in_service": 0.15,  # API008
    "verb_path": 0.1,  # API005
    "no_auth": 0.15,  # SEC007
}


def plan(size: int, seed: int) -> list[Service]:
    """Services whose files add up to ``size`` (the last service is trimmed to fit)."""
    rng = random.Random(seed)
    services: list[Service] = []
    total = 0
    index = 0
    while total < size:
        domain, names = DOMAINS[index % len(DOMAINS)]
        count = rng.randint(2, 5)
        chosen = rng.sample(names, count)
        entities = []
        for position, name in enumerate(chosen):
            fields = []
            for fname in rng.sample(FIELD_NAMES, rng.randint(3, 7)):
                py, sa, sample = FIELD_TYPES[rng.randrange(len(FIELD_TYPES))]
                fields.append((fname, py, sa, sample))
            parent = chosen[rng.randrange(position)] if position and rng.random() < 0.7 else None
            flaws = {flaw for flaw, chance in ENTITY_FLAWS.items() if rng.random() < chance}
            entities.append(Entity(name, fields, parent, flaws))
        flaws = {flaw for flaw, chance in SERVICE_FLAWS.items() if rng.random() < chance}
        service = Service(f"{domain}_svc_{index:04d}", domain, rng.random() < 0.15, entities, flaws)
        services.append(service)
        total += len(service_files(service))
        index += 1
    return services


def generate(size: int, out: Path | None = None, seed: int = 0, *, force: bool = False) -> Path:
    """Write the tree of ``size`` files under ``out`` (default bench/generated/n<size>)."""
    out = Path(out) if out is not None else DEFAULT_OUT / f"n{size}"
    stamp = json.dumps({"size": size, "seed": seed, "generator": GENERATOR_VERSION, "source": _own_hash()})
    marker = out / ".bench-tree.json"
    if not force and marker.is_file() and marker.read_text(encoding="utf-8") == stamp:
        return out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    written = 0
    for service in plan(size, seed):
        for rel, text in service_files(service).items():
            if written >= size:
                break
            target = out / "services" / service.name / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            written += 1
    (out / ".gitignore").write_text("__pycache__/\n*.pyc\n.env\n", encoding="utf-8")
    marker.write_text(stamp, encoding="utf-8")
    return out


def _own_hash() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


# --------------------------------------------------------------------------- the files of one service
def service_files(s: Service) -> dict[str, str]:
    """Every file of one service, in a fixed order: relative path -> text."""
    files: dict[str, str] = {}
    if s.flask:
        files.update(_flask_service(s))
    else:
        files.update(_fastapi_service(s))
    files["Dockerfile"] = dockerfile(s)
    files["docker-compose.yml"] = compose(s)
    files[".dockerignore"] = ".git\n.env\n__pycache__/\n*.pyc\n.venv/\nnode_modules/\ntests/\n"
    files[".gitignore"] = "__pycache__/\n*.pyc\n.env\n.venv/\n.pytest_cache/\n"
    files["requirements.txt"] = _requirements(s)
    files["README.md"] = f"# {s.name}\n\nThe {s.domain} service: {', '.join(e.table for e in s.entities)}.\n"
    return files


def _requirements(s: Service) -> str:
    if s.flask:
        return "flask==3.0.3\nflask-sqlalchemy==3.1.1\nflask-limiter==3.8.0\nflask-login==0.6.3\npsycopg[binary]==3.2.3\ngunicorn==23.0.0\n"
    return (
        "fastapi==0.115.4\nuvicorn[standard]==0.32.0\nsqlalchemy[asyncio]==2.0.36\nasyncpg==0.30.0\n"
        "alembic==1.14.0\npydantic-settings==2.6.1\npython-jose[cryptography]==3.3.0\nbcrypt==4.2.0\nslowapi==0.1.9\n"
    )


def _fastapi_service(s: Service) -> dict[str, str]:
    files: dict[str, str] = {}
    files["app/__init__.py"] = ""
    files["app/main.py"] = fastapi_main(s)
    files["app/core/__init__.py"] = ""
    files["app/core/config.py"] = fastapi_config(s)
    files["app/core/security.py"] = fastapi_security(s)
    files["app/core/errors.py"] = fastapi_errors(s)
    files["app/db/__init__.py"] = ""
    files["app/db/session.py"] = fastapi_session(s)
    files["app/db/base.py"] = "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"
    files["app/models/__init__.py"] = "".join(f"from app.models.{e.name} import {e.cls}\n" for e in s.entities) + (
        "\n__all__ = [" + ", ".join(f'"{e.cls}"' for e in s.entities) + "]\n"
    )
    files["app/schemas/__init__.py"] = ""
    files["app/schemas/common.py"] = fastapi_common_schemas()
    files["app/repositories/__init__.py"] = ""
    files["app/services/__init__.py"] = ""
    files["app/services/exceptions.py"] = 'class NotFoundError(Exception):\n    """The requested record does not exist."""\n\n\nclass ConflictError(Exception):\n    """The change conflicts with the current state."""\n'
    files["app/api/__init__.py"] = ""
    files["app/api/deps.py"] = fastapi_deps(s)
    files["app/api/v1/__init__.py"] = ""
    files["app/api/v1/api.py"] = fastapi_api(s)
    files["app/api/v1/routers/__init__.py"] = ""
    files["app/api/v1/routers/health.py"] = fastapi_health()
    files["app/api/v1/routers/auth.py"] = fastapi_auth(s)
    for e in s.entities:
        files[f"app/models/{e.name}.py"] = fastapi_model(s, e)
        files[f"app/schemas/{e.name}.py"] = fastapi_schema(e)
        files[f"app/repositories/{e.name}_repository.py"] = fastapi_repository(s, e)
        files[f"app/services/{e.name}_service.py"] = fastapi_service_module(s, e)
        files[f"app/api/v1/routers/{e.table}.py"] = fastapi_router(s, e)
    files["tests/__init__.py"] = ""
    files["tests/conftest.py"] = fastapi_conftest(s)
    for e in s.entities:
        files[f"tests/test_{e.table}.py"] = fastapi_test(e)
    files["alembic/env.py"] = alembic_env()
    files["alembic/versions/0001_initial.py"] = alembic_initial(s)
    return files


def fastapi_main(s: Service) -> str:
    debug = "True" if "debug" in s.flaws else "settings.debug"
    origins = '["*"]' if "wildcard_cors" in s.flaws else "settings.cors_origins"
    creds = "True"
    create_all = (
        "    async with engine.begin() as conn:\n        await conn.run_sync(Base.metadata.create_all)\n"
        if "create_all" in s.flaws
        else "    await wait_for_database()\n"
    )
    todo = "# TODO: add request id middleware\n" if "todo" in s.flaws else ""
    return dedent(
        '''\
        import logging
        from contextlib import asynccontextmanager

        from fastapi import FastAPI
        from fastapi.middleware.cors import CORSMiddleware
        from slowapi import Limiter, _rate_limit_exceeded_handler
        from slowapi.errors import RateLimitExceeded
        from slowapi.util import get_remote_address

        from app.api.v1.api import api_router
        from app.core.config import get_settings
        from app.core.errors import register_exception_handlers
        from app.db.base import Base
        from app.db.session import engine, wait_for_database

        settings = get_settings()
        logger = logging.getLogger(__name__)
        limiter = Limiter(key_func=get_remote_address)


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            logger.info("starting %s", settings.service_name)
        '''
    ) + create_all + dedent(
        f'''\
            yield
            await engine.dispose()


        app = FastAPI(title="{s.name}", version="1.0.0", lifespan=lifespan, debug={debug})
        app.state.limiter = limiter
        app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)
        register_exception_handlers(app)
        @@TODO@@app.add_middleware(
            CORSMiddleware,
            allow_origins={origins},
            allow_credentials={creds},
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
        app.include_router(api_router, prefix="/api/v1")
        '''
    ).replace("@@TODO@@", todo)


def fastapi_config(s: Service) -> str:
    secret = '"super-secret-key-1234567890"' if "hardcoded_secret" in s.flaws else "Field(..., min_length=32)"
    minutes = "60 * 24 * 7" if "jwt_no_exp" in s.flaws else "15"
    return dedent(
        f'''\
        from functools import lru_cache

        from pydantic import Field
        from pydantic_settings import BaseSettings, SettingsConfigDict


        class Settings(BaseSettings):
            model_config = SettingsConfigDict(env_file=".env", extra="ignore")

            service_name: str = "{s.name}"
            debug: bool = False
            database_url: str = Field(..., description="postgresql+asyncpg URL")
            secret_key: str = {secret}
            jwt_algorithm: str = "HS256"
            access_token_expire_minutes: int = {minutes}
            cors_origins: list[str] = ["http://localhost:3000"]
            default_page_size: int = 20
            max_page_size: int = 100


        @lru_cache
        def get_settings() -> Settings:
            return Settings()
        '''
    )


def fastapi_security(s: Service) -> str:
    rounds = "10" if "weak_bcrypt" in s.flaws else "12"
    exp = "" if "jwt_no_exp" in s.flaws else '        "exp": now + timedelta(minutes=settings.access_token_expire_minutes),\n'
    return dedent(
        f'''\
        from datetime import datetime, timedelta, timezone

        import bcrypt
        from jose import JWTError, jwt

        from app.core.config import get_settings

        settings = get_settings()


        def hash_password(password: str) -> str:
            return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds={rounds})).decode()


        def verify_password(password: str, hashed: str) -> bool:
            return bcrypt.checkpw(password.encode(), hashed.encode())


        def create_access_token(subject: str) -> str:
            now = datetime.now(timezone.utc)
            payload = {{
                "sub": subject,
                "iat": now,
        '''
    ) + exp + dedent(
        '''\
            }
            return jwt.encode(payload, settings.secret_key, algorithm=settings.jwt_algorithm)


        def decode_access_token(token: str) -> str | None:
            try:
                payload = jwt.decode(token, settings.secret_key, algorithms=[settings.jwt_algorithm])
            except JWTError:
                return None
            subject = payload.get("sub")
            return subject if isinstance(subject, str) else None
        '''
    )


def fastapi_errors(s: Service) -> str:
    return dedent(
        '''\
        from fastapi import FastAPI, HTTPException, Request
        from fastapi.exceptions import RequestValidationError
        from fastapi.responses import JSONResponse


        def _envelope(code: str, message: str, detail: object = None) -> dict:
            return {"error": {"code": code, "message": message, "detail": detail}}


        def register_exception_handlers(app: FastAPI) -> None:
            @app.exception_handler(HTTPException)
            async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
                return JSONResponse(status_code=exc.status_code, content=_envelope("http_error", str(exc.detail)))

            @app.exception_handler(RequestValidationError)
            async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
                return JSONResponse(status_code=422, content=_envelope("validation_error", "Invalid request", exc.errors()))
        '''
    )


def fastapi_session(s: Service) -> str:
    return dedent(
        '''\
        import asyncio
        from collections.abc import AsyncIterator

        from sqlalchemy import text
        from sqlalchemy.exc import OperationalError
        from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

        from app.core.config import get_settings

        engine = create_async_engine(get_settings().database_url, pool_pre_ping=True, pool_size=10)
        SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


        async def get_session() -> AsyncIterator[AsyncSession]:
            async with SessionLocal() as session:
                yield session


        async def wait_for_database(attempts: int = 30) -> None:
            for attempt in range(attempts):
                try:
                    async with engine.connect() as conn:
                        await conn.execute(text("SELECT 1"))
                    return
                except OperationalError:
                    await asyncio.sleep(min(2.0, 0.1 * (attempt + 1)))
            raise RuntimeError("database did not become ready")
        '''
    )


def fastapi_common_schemas() -> str:
    return dedent(
        '''\
        from typing import Generic, TypeVar

        from pydantic import BaseModel

        T = TypeVar("T")


        class Page(BaseModel, Generic[T]):
            items: list[T]
            total: int
            limit: int
            offset: int
        '''
    )


def fastapi_deps(s: Service) -> str:
    lines = [
        "from typing import Annotated",
        "",
        "from fastapi import Depends, HTTPException, status",
        "from fastapi.security import OAuth2PasswordBearer",
        "from sqlalchemy.ext.asyncio import AsyncSession",
        "",
        "from app.core.security import decode_access_token",
        "from app.db.session import get_session",
    ]
    for e in s.entities:
        lines.append(f"from app.services.{e.name}_service import {e.cls}Service")
    lines += [
        "",
        'oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")',
        "SessionDep = Annotated[AsyncSession, Depends(get_session)]",
        "",
        "",
        "async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> str:",
        "    subject = decode_access_token(token)",
        "    if subject is None:",
        '        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Invalid token")',
        "    return subject",
        "",
        "",
        "CurrentUser = Annotated[str, Depends(get_current_user)]",
    ]
    for e in s.entities:
        lines += [
            "",
            "",
            f"def get_{e.name}_service(session: SessionDep) -> {e.cls}Service:",
            f"    return {e.cls}Service(session)",
        ]
    return "\n".join(lines) + "\n"


def fastapi_api(s: Service) -> str:
    lines = ["from fastapi import APIRouter", "", "from app.api.v1.routers import auth, health"]
    for e in s.entities:
        lines.append(f"from app.api.v1.routers import {e.table}")
    lines += ["", "api_router = APIRouter()", 'api_router.include_router(health.router, tags=["health"])']
    lines.append('api_router.include_router(auth.router, prefix="/auth", tags=["auth"])')
    for e in s.entities:
        lines.append(f'api_router.include_router({e.table}.router, prefix="/{e.table.replace("_", "-")}", tags=["{e.table}"])')
    return "\n".join(lines) + "\n"


def fastapi_health() -> str:
    return dedent(
        '''\
        from fastapi import APIRouter

        router = APIRouter()


        @router.get("/health")
        async def health() -> dict[str, str]:
            return {"status": "ok"}
        '''
    )


def fastapi_auth(s: Service) -> str:
    limit = "" if "no_rate_limit" in s.flaws else '@limiter.limit("5/minute")\n'
    return dedent(
        '''\
        from typing import Annotated

        from fastapi import APIRouter, Depends, HTTPException, Request, status
        from fastapi.security import OAuth2PasswordRequestForm
        from slowapi import Limiter
        from slowapi.util import get_remote_address

        from app.core.security import create_access_token, verify_password

        router = APIRouter()
        limiter = Limiter(key_func=get_remote_address)
        _USERS: dict[str, str] = {}


        @router.post("/token")
        '''
    ) + limit + dedent(
        '''\
        async def login(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, str]:
            hashed = _USERS.get(form.username)
            if hashed is None or not verify_password(form.password, hashed):
                raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Invalid credentials")
            return {"access_token": create_access_token(form.username), "token_type": "bearer"}
        '''
    )


def fastapi_model(s: Service, e: Entity) -> str:
    types = sorted({sa.split("(")[0] for _, _, sa, _ in e.fields} | {"Integer", "DateTime"})
    imports = ["from datetime import datetime, timezone", "from decimal import Decimal", ""]
    sa_imports = ", ".join(types + (["ForeignKey"] if e.parent else []))
    imports.append(f"from sqlalchemy import {sa_imports}")
    imports.append("from sqlalchemy.orm import Mapped, mapped_column" + (", relationship" if e.parent else ""))
    imports += ["", "from app.db.base import Base"]
    body = [
        "",
        "",
        f"class {e.cls}(Base):",
        f'    __tablename__ = "{e.table}"',
        "",
        "    id: Mapped[int] = mapped_column(Integer, primary_key=True)",
    ]
    for name, py, sa, _ in e.fields:
        body.append(f"    {name}: Mapped[{py} | None] = mapped_column({sa}, nullable=True)")
    if e.parent:
        index = "" if "unindexed_fk" in e.flaws else ", index=True"
        body.append(f'    {e.parent}_id: Mapped[int] = mapped_column(ForeignKey("{plural(e.parent)}.id"){index})')
        body.append(f'    {e.parent}: Mapped["{camel(e.parent)}"] = relationship(lazy="raise")')
    body += [
        "    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))",
        "",
        "    def __repr__(self) -> str:",
        f'        return f"<{e.cls} id={{self.id}}>"',
    ]
    if not any(py == "Decimal" for _, py, _, _ in e.fields):
        imports.remove("from decimal import Decimal")
    return "\n".join(imports + body) + "\n"


def fastapi_schema(e: Entity) -> str:
    lines = ["from datetime import datetime", "from decimal import Decimal", "", "from pydantic import BaseModel, ConfigDict, Field", ""]
    lines += ["", f"class {e.cls}Base(BaseModel):"]
    for name, py, _, _ in e.fields:
        if py == "str":
            lines.append(f"    {name}: str | None = Field(default=None, max_length=255)")
        else:
            lines.append(f"    {name}: {py} | None = None")
    lines += ["", "", f"class {e.cls}Create({e.cls}Base):"]
    lines.append(f"    {e.parent}_id: int" if e.parent else "    pass")
    lines += ["", "", f"class {e.cls}Update({e.cls}Base):", "    pass"]
    lines += ["", "", f"class {e.cls}Read({e.cls}Base):", "    model_config = ConfigDict(from_attributes=True)", "", "    id: int"]
    if e.parent:
        lines.append(f"    {e.parent}_id: int")
    lines.append("    created_at: datetime")
    return "\n".join(lines) + "\n"


def fastapi_repository(s: Service, e: Entity) -> str:
    text = dedent(
        f'''\
        from collections.abc import Sequence

        from sqlalchemy import func, select, text
        from sqlalchemy.ext.asyncio import AsyncSession

        from app.models.{e.name} import {e.cls}


        class {e.cls}Repository:
            def __init__(self, session: AsyncSession) -> None:
                self._session = session

            async def get(self, {e.name}_id: int) -> {e.cls} | None:
                return await self._session.get({e.cls}, {e.name}_id)

            async def list(self, *, limit: int, offset: int) -> Sequence[{e.cls}]:
                stmt = select({e.cls}).order_by({e.cls}.id).limit(limit).offset(offset)
                return (await self._session.scalars(stmt)).all()

            async def count(self) -> int:
                return (await self._session.scalar(select(func.count()).select_from({e.cls}))) or 0

            async def add(self, obj: {e.cls}) -> {e.cls}:
                self._session.add(obj)
                await self._session.flush()
                return obj

            async def delete(self, obj: {e.cls}) -> None:
                await self._session.delete(obj)
        '''
    )
    first = e.fields[0][0]
    if "fstring_sql" in e.flaws:
        text += dedent(
            f'''\

                async def search(self, term: str) -> list[dict]:
                    query = f"SELECT id, {first} FROM {e.table} WHERE {first} LIKE '%{{term}}%'"
                    result = await self._session.execute(text(query))
                    return [dict(row) for row in result.mappings()]
            '''
        )
    else:
        text += dedent(
            f'''\

                async def search(self, term: str) -> list[dict]:
                    query = text("SELECT id, {first} FROM {e.table} WHERE {first} LIKE :term LIMIT 50")
                    result = await self._session.execute(query, {{"term": f"%{{term}}%"}})
                    return [dict(row) for row in result.mappings()]
            '''
        )
    return text


def fastapi_service_module(s: Service, e: Entity) -> str:
    head = dedent(
        f'''\
        import logging

        from sqlalchemy.exc import SQLAlchemyError
        from sqlalchemy.ext.asyncio import AsyncSession

        from app.models.{e.name} import {e.cls}
        from app.repositories.{e.name}_repository import {e.cls}Repository
        from app.schemas.common import Page
        from app.schemas.{e.name} import {e.cls}Create, {e.cls}Read, {e.cls}Update
        from app.services.exceptions import NotFoundError
        '''
    )
    if "http_in_service" in e.flaws:
        head += "from fastapi import HTTPException\n"
    if "blocking" in e.flaws:
        head += "import requests\n"
    head += "\nlogger = logging.getLogger(__name__)\n\n\n"
    body = dedent(
        f'''\
        class {e.cls}Service:
            def __init__(self, session: AsyncSession) -> None:
                self._session = session
                self._repo = {e.cls}Repository(session)

            async def list(self, *, limit: int, offset: int) -> Page[{e.cls}Read]:
                rows = await self._repo.list(limit=limit, offset=offset)
                total = await self._repo.count()
                return Page[{e.cls}Read](items=[{e.cls}Read.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)

            async def get(self, {e.name}_id: int) -> {e.cls}:
                obj = await self._repo.get({e.name}_id)
                if obj is None:
        '''
    )
    if "http_in_service" in e.flaws:
        body += f'            raise HTTPException(status_code=404, detail="{e.cls} not found")\n'
    else:
        body += f'            raise NotFoundError("{e.name} %s" % {e.name}_id)\n'
    body += "        return obj\n\n"
    if "double_commit" in e.flaws:
        body += dedent(
            f'''\
                async def create(self, data: {e.cls}Create) -> {e.cls}:
                    obj = await self._repo.add({e.cls}(**data.model_dump()))
                    await self._session.commit()
                    logger.info("created {e.name} id=%s", obj.id)
                    await self._session.commit()
                    return obj
            '''
        )
    else:
        body += dedent(
            f'''\
                async def create(self, data: {e.cls}Create) -> {e.cls}:
                    try:
                        obj = await self._repo.add({e.cls}(**data.model_dump()))
                        await self._session.commit()
                    except SQLAlchemyError:
                        await self._session.rollback()
                        logger.exception("could not create {e.name}")
                        raise
                    return obj
            '''
        )
    body += dedent(
        f'''\

            async def update(self, {e.name}_id: int, data: {e.cls}Update) -> {e.cls}:
                obj = await self.get({e.name}_id)
                for key, value in data.model_dump(exclude_unset=True).items():
                    setattr(obj, key, value)
                try:
                    await self._session.commit()
                except SQLAlchemyError:
                    await self._session.rollback()
                    raise
                return obj

            async def delete(self, {e.name}_id: int) -> None:
                obj = await self.get({e.name}_id)
                try:
                    await self._repo.delete(obj)
                    await self._session.commit()
                except SQLAlchemyError:
                    await self._session.rollback()
                    raise
        '''
    )
    if "bare_except" in e.flaws:
        body += dedent(
            f'''\

                async def refresh_cache(self, {e.name}_id: int) -> None:
                    try:
                        await self.get({e.name}_id)
                    except:
                        pass
            '''
        )
    if "blocking" in e.flaws:
        body += dedent(
            f'''\

                async def notify(self, {e.name}_id: int) -> None:
                    requests.post("http://notifier:8080/events", json={{"{e.name}_id": {e.name}_id}}, timeout=5)
            '''
        )
    if "log_secret" in e.flaws:
        body += dedent(
            '''\

                def audit(self, user: str, password: str) -> None:
                    logger.info(f"login attempt for {user} with password {password}")
            '''
        )
    if "placeholder" in e.flaws:
        body += dedent(
            '''\

                async def export_csv(self) -> str:
                    raise NotImplementedError
            '''
        )
    if "n_plus_one" in e.flaws and e.parent:
        body += dedent(
            f'''\

                async def with_parents(self, limit: int) -> list[tuple[int, int]]:
                    rows = await self._repo.list(limit=limit, offset=0)
                    out = []
                    for row in rows:
                        parent = await self._session.get({e.cls}, row.{e.parent}_id)
                        out.append((row.id, parent.id if parent else 0))
                    return out
            '''
        )
    return head + body


def fastapi_router(s: Service, e: Entity) -> str:
    auth = "" if "no_auth" in e.flaws else ", current_user: CurrentUser"
    imports = dedent(
        f'''\
        from typing import Annotated

        from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
        from sqlalchemy import select

        from app.api.deps import CurrentUser, SessionDep, get_{e.name}_service
        from app.models.{e.name} import {e.cls}
        from app.schemas.common import Page
        from app.schemas.{e.name} import {e.cls}Create, {e.cls}Read, {e.cls}Update
        from app.services.exceptions import NotFoundError
        from app.services.{e.name}_service import {e.cls}Service

        router = APIRouter()
        ServiceDep = Annotated[{e.cls}Service, Depends(get_{e.name}_service)]

        '''
    )
    if "unpaginated" in e.flaws:
        listing = dedent(
            f'''\

            @router.get("")
            async def list_{e.table}(session: SessionDep, current_user: CurrentUser) -> list[{e.cls}Read]:
                rows = (await session.scalars(select({e.cls}))).all()
                return [{e.cls}Read.model_validate(r) for r in rows]
            '''
        )
    elif "db_in_route" in e.flaws:
        listing = dedent(
            f'''\

            @router.get("")
            async def list_{e.table}(
                session: SessionDep,
                current_user: CurrentUser,
                limit: Annotated[int, Query(ge=1, le=100)] = 20,
                offset: Annotated[int, Query(ge=0)] = 0,
            ) -> list[{e.cls}Read]:
                rows = (await session.scalars(select({e.cls}).limit(limit).offset(offset))).all()
                return [{e.cls}Read.model_validate(r) for r in rows]
            '''
        )
    else:
        listing = dedent(
            f'''\

            @router.get("")
            async def list_{e.table}(
                service: ServiceDep,
                current_user: CurrentUser,
                limit: Annotated[int, Query(ge=1, le=100)] = 20,
                offset: Annotated[int, Query(ge=0)] = 0,
            ) -> Page[{e.cls}Read]:
                return await service.list(limit=limit, offset=offset)
            '''
        )
    path = f'"/create{e.cls}"' if "verb_path" in e.flaws else '""'
    create_body = (
        f"    payload = {e.cls}Create.model_validate(await request.json())\n"
        if "raw_body" in e.flaws
        else ""
    )
    create_sig = f"request: Request, service: ServiceDep{auth}" if "raw_body" in e.flaws else f"payload: {e.cls}Create, service: ServiceDep{auth}"
    create = dedent(
        f'''\


        @router.post({path}, status_code=status.HTTP_201_CREATED)
        async def create_{e.name}({create_sig}) -> {e.cls}Read:
        '''
    ) + create_body + f"    return {e.cls}Read.model_validate(await service.create(payload))\n"
    rest = dedent(
        f'''\


        @router.get("/{{{e.name}_id}}")
        async def read_{e.name}({e.name}_id: int, service: ServiceDep, current_user: CurrentUser) -> {e.cls}Read:
            try:
                return {e.cls}Read.model_validate(await service.get({e.name}_id))
            except NotFoundError as exc:
                raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="{e.cls} not found") from exc


        @router.patch("/{{{e.name}_id}}")
        async def update_{e.name}({e.name}_id: int, payload: {e.cls}Update, service: ServiceDep{auth}) -> {e.cls}Read:
            try:
                return {e.cls}Read.model_validate(await service.update({e.name}_id, payload))
            except NotFoundError as exc:
                raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="{e.cls} not found") from exc


        @router.delete("/{{{e.name}_id}}", status_code=status.HTTP_204_NO_CONTENT)
        async def delete_{e.name}({e.name}_id: int, service: ServiceDep{auth}) -> None:
            try:
                await service.delete({e.name}_id)
            except NotFoundError as exc:
                raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="{e.cls} not found") from exc
        '''
    )
    return imports + listing + create + rest


def fastapi_conftest(s: Service) -> str:
    return dedent(
        '''\
        import os

        import pytest
        from fastapi.testclient import TestClient

        os.environ.setdefault("DATABASE_URL", "postgresql+asyncpg://test:test@localhost:5432/test")
        os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-0123")


        @pytest.fixture()
        def client() -> TestClient:
            from app.main import app

            return TestClient(app)
        '''
    )


def fastapi_test(e: Entity) -> str:
    url = "/api/v1/" + e.table.replace("_", "-")
    return dedent(
        f'''\
        def test_list_{e.table}_requires_auth(client):
            response = client.get("{url}")
            assert response.status_code == 401


        def test_create_{e.name}_validates_payload(client):
            response = client.post("{url}", json={{"{e.fields[0][0]}": []}})
            assert response.status_code in (401, 422)


        def test_health(client):
            assert client.get("/api/v1/health").json() == {{"status": "ok"}}
        '''
    )


def alembic_env() -> str:
    return dedent(
        '''\
        from logging.config import fileConfig

        from alembic import context
        from sqlalchemy import engine_from_config, pool

        from app.db.base import Base

        config = context.config
        if config.config_file_name is not None:
            fileConfig(config.config_file_name)
        target_metadata = Base.metadata


        def run_migrations_online() -> None:
            connectable = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
            with connectable.connect() as connection:
                context.configure(connection=connection, target_metadata=target_metadata)
                with context.begin_transaction():
                    context.run_migrations()


        run_migrations_online()
        '''
    )


def alembic_initial(s: Service) -> str:
    lines = [
        '"""initial schema"""',
        "import sqlalchemy as sa",
        "from alembic import op",
        "",
        'revision = "0001"',
        "down_revision = None",
        "",
        "",
        "def upgrade() -> None:",
    ]
    for e in s.entities:
        lines.append("    op.create_table(")
        lines.append(f'        "{e.table}",')
        lines.append('        sa.Column("id", sa.Integer(), primary_key=True),')
        for name, _, sa, _ in e.fields:
            lines.append(f'        sa.Column("{name}", sa.{sa}, nullable=True),')
        if e.parent:
            lines.append(f'        sa.Column("{e.parent}_id", sa.Integer(), sa.ForeignKey("{plural(e.parent)}.id"), nullable=False),')
        lines.append('        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),')
        lines.append("    )")
    lines += ["", "", "def downgrade() -> None:"]
    for e in reversed(s.entities):
        lines.append(f'    op.drop_table("{e.table}")')
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- flask variant
def _flask_service(s: Service) -> dict[str, str]:
    files: dict[str, str] = {}
    files["app/__init__.py"] = flask_factory(s)
    files["app/extensions.py"] = dedent(
        '''\
        from flask_limiter import Limiter
        from flask_limiter.util import get_remote_address
        from flask_login import LoginManager
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()
        login_manager = LoginManager()
        limiter = Limiter(key_func=get_remote_address)
        '''
    )
    files["app/config.py"] = flask_config(s)
    files["app/models.py"] = flask_models(s)
    files["app/errors.py"] = dedent(
        '''\
        from flask import jsonify
        from werkzeug.exceptions import HTTPException


        def register_error_handlers(app):
            @app.errorhandler(HTTPException)
            def http_error(exc):
                body = {"error": {"code": exc.name, "message": exc.description, "detail": None}}
                return jsonify(body), exc.code
        '''
    )
    files["app/health.py"] = dedent(
        '''\
        from flask import Blueprint, jsonify

        health_bp = Blueprint("health", __name__)


        @health_bp.get("/health")
        def health():
            return jsonify({"status": "ok"})
        '''
    )
    for e in s.entities:
        files[f"app/{e.table}/__init__.py"] = ""
        files[f"app/{e.table}/routes.py"] = flask_routes(s, e)
        files[f"app/{e.table}/services.py"] = flask_services(s, e)
    files["wsgi.py"] = "from app import create_app\n\napp = create_app()\n"
    files["tests/__init__.py"] = ""
    for e in s.entities:
        files[f"tests/test_{e.table}.py"] = dedent(
            f'''\
            from app import create_app


            def test_list_{e.table}_requires_login():
                client = create_app().test_client()
                assert client.get("/api/v1/{e.table}").status_code in (302, 401)
            '''
        )
    files["migrations/env.py"] = alembic_env()
    files["migrations/versions/0001_initial.py"] = alembic_initial(s)
    return files


def flask_factory(s: Service) -> str:
    lines = [
        "from flask import Flask",
        "from flask_cors import CORS",
        "",
        "from app.config import Config",
        "from app.errors import register_error_handlers",
        "from app.extensions import db, limiter, login_manager",
        "from app.health import health_bp",
    ]
    for e in s.entities:
        lines.append(f"from app.{e.table}.routes import bp as {e.table}_bp")
    lines += [
        "",
        "",
        "def create_app(config_class=Config):",
        "    app = Flask(__name__)",
        "    app.config.from_object(config_class)",
        "    db.init_app(app)",
        "    login_manager.init_app(app)",
        "    limiter.init_app(app)",
        "    CORS(app)" if "wildcard_cors" in s.flaws else '    CORS(app, origins=app.config["CORS_ORIGINS"])',
        "    register_error_handlers(app)",
        "    app.register_blueprint(health_bp)",
    ]
    for e in s.entities:
        lines.append(f'    app.register_blueprint({e.table}_bp, url_prefix="/api/v1/{e.table}")')
    if "create_all" in s.flaws:
        lines += ["    with app.app_context():", "        db.create_all()"]
    lines.append("    return app")
    if "debug" in s.flaws:
        lines += ["", "", 'if __name__ == "__main__":', "    create_app().run(debug=True)"]
    return "\n".join(lines) + "\n"


def flask_config(s: Service) -> str:
    secret = '"flask-dev-secret-0987654321"' if "hardcoded_secret" in s.flaws else 'os.environ["SECRET_KEY"]'
    return dedent(
        f'''\
        import os


        class Config:
            SECRET_KEY = {secret}
            SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///local.db")
            SQLALCHEMY_TRACK_MODIFICATIONS = False
            CORS_ORIGINS = os.environ.get("CORS_ORIGINS", "http://localhost:3000").split(",")
        '''
    )


def flask_models(s: Service) -> str:
    lines = ["from datetime import datetime, timezone", "", "from app.extensions import db"]
    kinds = {"String(255)": "db.String(255)", "Integer": "db.Integer", "Boolean": "db.Boolean", "Numeric(12, 2)": "db.Numeric(12, 2)", "DateTime(timezone=True)": "db.DateTime(timezone=True)"}
    for e in s.entities:
        lines += ["", "", f"class {e.cls}(db.Model):", f'    __tablename__ = "{e.table}"', "", "    id = db.Column(db.Integer, primary_key=True)"]
        for name, _, sa, _ in e.fields:
            lines.append(f"    {name} = db.Column({kinds[sa]}, nullable=True)")
        if e.parent:
            index = "" if "unindexed_fk" in e.flaws else ", index=True"
            lines.append(f'    {e.parent}_id = db.Column(db.Integer, db.ForeignKey("{plural(e.parent)}.id"), nullable=False{index})')
        lines.append("    created_at = db.Column(db.DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))")
        lines += ["", "    def to_dict(self):", '        return {"id": self.id, "created_at": self.created_at.isoformat()}']
    return "\n".join(lines) + "\n"


def flask_routes(s: Service, e: Entity) -> str:
    login = "" if "no_auth" in e.flaws else "@login_required\n"
    listing = (
        f"    return jsonify([row.to_dict() for row in {e.cls}.query.all()])\n"
        if "unpaginated" in e.flaws
        else '    limit = min(int(request.args.get("limit", 20)), 100)\n'
        + '    offset = int(request.args.get("offset", 0))\n'
        + f"    return jsonify([row.to_dict() for row in services.list_{e.table}(limit, offset)])\n"
    )
    create_read = 'request.get_json()' if "raw_body" in e.flaws else f"{e.cls}Payload.from_request()"
    return dedent(
        f'''\
        from flask import Blueprint, jsonify, request
        from flask_login import login_required

        from app.{e.table} import services
        from app.models import {e.cls}
        from app.{e.table}.services import {e.cls}Payload

        bp = Blueprint("{e.table}", __name__)


        @bp.get("")
        @login_required
        def list_{e.table}():
        '''
    ) + listing + dedent(
        f'''\


        @bp.post("")
        @@LOGIN@@def create_{e.name}():
            data = {create_read}
            obj = services.create_{e.name}(data)
            return jsonify(obj.to_dict()), 201


        @bp.get("/<int:{e.name}_id>")
        @login_required
        def read_{e.name}({e.name}_id):
            return jsonify(services.get_{e.name}({e.name}_id).to_dict())
        '''
    ).replace("@@LOGIN@@", login)


def flask_services(s: Service, e: Entity) -> str:
    first = e.fields[0][0]
    text = dedent(
        f'''\
        import logging
        from dataclasses import dataclass

        from flask import request
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        from app.extensions import db
        from app.models import {e.cls}

        logger = logging.getLogger(__name__)


        @dataclass
        class {e.cls}Payload:
            {first}: object = None

            @classmethod
            def from_request(cls) -> "{e.cls}Payload":
                body = request.get_json(silent=True) or {{}}
                return cls({first}=body.get("{first}"))


        def list_{e.table}(limit, offset):
            return db.session.scalars(db.select({e.cls}).order_by({e.cls}.id).limit(limit).offset(offset)).all()


        def get_{e.name}({e.name}_id):
            return db.get_or_404({e.cls}, {e.name}_id)


        def create_{e.name}(data):
            obj = {e.cls}()
            try:
                db.session.add(obj)
                db.session.commit()
            except SQLAlchemyError:
                db.session.rollback()
                raise
            return obj
        '''
    )
    if "fstring_sql" in e.flaws:
        text += dedent(
            f'''\


            def search(term):
                return db.session.execute(text("SELECT id FROM {e.table} WHERE {first} = '" + term + "'")).all()
            '''
        )
    return text


# --------------------------------------------------------------------------- containers
def dockerfile(s: Service) -> str:
    base = "python:latest" if "latest_image" in s.flaws else "python:3.12.7-slim-bookworm"
    user = "" if "root_image" in s.flaws else "USER 10001:10001\n"
    health = (
        ""
        if "no_healthcheck" in s.flaws
        else 'HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen(\'http://127.0.0.1:8000/api/v1/health\')"]\n'
    )
    todo = "# TODO: pin the system packages\n" if "todo" in s.flaws else ""
    cmd = '["gunicorn", "-b", "0.0.0.0:8000", "wsgi:app"]' if s.flask else '["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]'
    return (
        f"# syntax=docker/dockerfile:1\nFROM {base} AS builder\nWORKDIR /build\nCOPY requirements.txt .\n"
        "RUN pip install --no-cache-dir --prefix=/install -r requirements.txt\n\n"
        f"FROM {base}\n{todo}ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1\n"
        "RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app app\n"
        "WORKDIR /app\nCOPY --from=builder /install /usr/local\nCOPY --chown=10001:10001 . .\n"
        f"{user}EXPOSE 8000\n{health}CMD {cmd}\n"
    )


def compose(s: Service) -> str:
    image = "postgres:latest" if "latest_image" in s.flaws else "postgres:16.4-alpine"
    password = "hunter2-not-secret" if "compose_secret" in s.flaws else "${POSTGRES_PASSWORD:?set it}"
    health = (
        ""
        if "no_healthcheck" in s.flaws
        else (
            "    healthcheck:\n"
            '      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen(\'http://127.0.0.1:8000/api/v1/health\')"]\n'
            "      interval: 15s\n      timeout: 5s\n      retries: 5\n"
        )
    )
    privileged = "    privileged: true\n" if "privileged" in s.flaws else ""
    return (
        f"name: {s.name.replace('_', '-')}\n\nservices:\n  api:\n    build:\n      context: .\n"
        "    environment:\n      DATABASE_URL: postgresql+asyncpg://app:${POSTGRES_PASSWORD:?set it}@postgres:5432/app\n"
        "      SECRET_KEY: ${SECRET_KEY:?set it}\n"
        '    ports:\n      - "8000:8000"\n'
        "    depends_on:\n      postgres:\n        condition: service_healthy\n"
        f"{health}{privileged}    restart: unless-stopped\n    networks:\n      - backend\n\n"
        f"  postgres:\n    image: {image}\n    environment:\n      POSTGRES_USER: app\n      POSTGRES_DB: app\n"
        f"      POSTGRES_PASSWORD: {password}\n"
        "    volumes:\n      - pgdata:/var/lib/postgresql/data\n"
        '    healthcheck:\n      test: ["CMD-SHELL", "pg_isready -U app -d app"]\n      interval: 10s\n      timeout: 5s\n      retries: 5\n'
        "    restart: unless-stopped\n    networks:\n      - backend\n\n"
        "volumes:\n  pgdata:\n\nnetworks:\n  backend:\n    driver: bridge\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[50, 500], help="number of files per tree (default: 50 500)")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: bench/generated/n<SIZE>); one size only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="rewrite even if an identical tree is there")
    args = parser.parse_args(argv)
    if args.out is not None and len(args.sizes) != 1:
        parser.error("--out takes one size")
    for size in args.sizes:
        out = generate(size, args.out, args.seed, force=args.force)
        kinds: dict[str, int] = {}
        lines = 0
        for path in out.rglob("*"):
            if path.is_file() and path.name != ".bench-tree.json":
                kind = "python" if path.suffix == ".py" else path.name if path.name in ("Dockerfile", "docker-compose.yml") else "other"
                kinds[kind] = kinds.get(kind, 0) + 1
                if kind == "python":
                    lines += path.read_text(encoding="utf-8").count("\n")
        print(f"{out}: {sum(kinds.values())} files ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), {lines} Python lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
