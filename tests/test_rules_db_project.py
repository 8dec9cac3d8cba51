"""Persistence (DB001-DB004) and project-level (PRJ001, PRJ002, PRJ006) rules on small trees.

Every case asserts the exact locations (path, line, rule id) a rule reports.
"""
from __future__ import annotations

from pathlib import Path

from critic.api import critique
from critic.config import Config
from critic.testing import write_tree


def _tree(root: Path, files: dict[str, str]) -> Path:
    return write_tree(root, files, dedent=True)


def found(root: Path, rule: str, *, scan: Path | None = None, context=None) -> set[tuple[str, int, str]]:
    report = critique([scan or root], Config(select=(rule,)), engines=(), context=context)
    assert not report.errors, report.errors
    return {(f.path, f.line, f.rule_id) for f in report.findings if f.rule_id == rule}


def messages(root: Path, rule: str, **kwargs) -> list[str]:
    report = critique([root], Config(select=(rule,)), engines=(), **kwargs)
    return [f.message for f in report.findings if f.rule_id == rule]


MAIN = """
from fastapi import FastAPI

app = FastAPI()
"""

SQLA_MODELS = """
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from app.db.base import Base


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String, unique=True)
    orders = relationship("Order", back_populates="user")


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"), index=True)
    user = relationship("User", back_populates="orders")
    lines = relationship("OrderLine", lazy="selectin")
"""

REVISION = """
revision = "0001"
down_revision = None
"""


# --------------------------------------------------------------------------- DB001
def test_db001_models_without_revisions_reported_once_at_first_models_module(tmp_path):
    _tree(
        tmp_path,
        {
            "app/main.py": MAIN,
            "app/models/user.py": SQLA_MODELS,
            "app/models/item.py": "from app.db.base import Base\n\n\nclass Item(Base):\n    __tablename__ = 'items'\n",
            "alembic.ini": "[alembic]\n",
            "alembic/env.py": "",
            "alembic/versions/__init__.py": "",
        },
    )
    assert found(tmp_path, "DB001") == {("app/models/item.py", 1, "DB001")}
    assert messages(tmp_path, "DB001") == [
        "Alembic is configured but has no revision: the models' schema is not under versioned migrations"
    ]


def test_db001_create_all_reported_even_with_revisions_but_not_in_tests(tmp_path):
    _tree(
        tmp_path,
        {
            "app/models.py": SQLA_MODELS,
            "migrations/env.py": "",
            "migrations/versions/0001_init.py": REVISION,
            "app/main.py": """
                from contextlib import asynccontextmanager

                from fastapi import FastAPI

                from app.db import Base, engine


                @asynccontextmanager
                async def lifespan(app):
                    async with engine.begin() as conn:
                        await conn.run_sync(Base.metadata.create_all)
                    yield


                app = FastAPI(lifespan=lifespan)
            """,
            "tests/conftest.py": "from app.db import Base, engine\n\nBase.metadata.create_all(engine)\n",
        },
    )
    assert found(tmp_path, "DB001") == {("app/main.py", 11, "DB001")}


def test_db001_subfolder_scan_finds_its_own_alembic(tmp_path):
    _tree(
        tmp_path,
        {
            "backend/app/models.py": SQLA_MODELS,
            "backend/alembic/env.py": "",
            "backend/alembic/versions/0001_init.py": REVISION,
            "frontend/models.py": "x = 1\n",
        },
    )
    assert found(tmp_path, "DB001", scan=tmp_path / "backend") == set()


def test_db001_sqlmodel_tables_and_flask_models(tmp_path):
    _tree(
        tmp_path,
        {
            "app/schemas.py": "from sqlmodel import SQLModel\n\n\nclass HeroIn(SQLModel):\n    name: str\n",
            "app/tables.py": "from sqlmodel import Field, SQLModel\n\n\nclass Hero(SQLModel, table=True):\n    id: int | None = Field(default=None, primary_key=True)\n",
        },
    )
    assert found(tmp_path, "DB001") == {("app/tables.py", 1, "DB001")}
    flask = _tree(
        tmp_path / "flask",
        {
            "app/extensions.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
            "app/models.py": "from app.extensions import db\n\n\nclass Post(db.Model):\n    id = db.Column(db.Integer, primary_key=True)\n",
        },
    )
    assert found(flask, "DB001") == {("app/models.py", 1, "DB001")}


def test_db001_django_apps_each_need_migrations(tmp_path):
    model = "from django.db import models\n\n\nclass Thing(models.Model):\n    name = models.CharField(max_length=10)\n"
    _tree(
        tmp_path,
        {
            "shop/models.py": model,
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": "",
            "blog/models/__init__.py": "",
            "blog/models/post.py": model,
            "blog/migrations/__init__.py": "",
        },
    )
    assert found(tmp_path, "DB001") == {("blog/models/post.py", 1, "DB001")}


def test_db001_nothing_without_models(tmp_path):
    _tree(tmp_path, {"app/main.py": MAIN, "app/schemas.py": "from pydantic import BaseModel\n\n\nclass UserIn(BaseModel):\n    email: str\n"})
    assert found(tmp_path, "DB001") == set()


# --------------------------------------------------------------------------- DB002
def test_db002_locations(tmp_path):
    _tree(
        tmp_path,
        {
            "app/models.py": """
                import sqlalchemy as sa
                from sqlalchemy import Column, ForeignKey, Index, Integer, Table
                from sqlalchemy.orm import declared_attr, mapped_column


                class OwnedMixin:
                    @declared_attr
                    def owner_id(cls):
                        return Column(Integer, ForeignKey("users.id"))


                class Comment(Base):
                    __tablename__ = "comments"
                    __table_args__ = (sa.UniqueConstraint("post_id", "author_id"),)
                    id = Column(Integer, primary_key=True)
                    post_id = Column(Integer, ForeignKey("posts.id"))
                    author_id = Column(Integer, ForeignKey("users.id"))
                    editor_id = mapped_column(ForeignKey("users.id"), index=False)
                    reviewer_id = mapped_column(ForeignKey("users.id"), index=settings.INDEX_FKS)


                tags = Table(
                    "post_tags",
                    metadata,
                    Column("post_id", ForeignKey("posts.id"), primary_key=True),
                    Column("tag_id", ForeignKey("tags.id")),
                )
                Index("ix_post_tags_tag", tags.c.tag_id)
            """,
            "tests/models.py": "from sqlalchemy import Column, ForeignKey\n\n\nclass T(Base):\n    x = Column(ForeignKey('a.id'))\n",
        },
    )
    # post_id and author_id sit in the unique constraint; tag_id in the module-level Index;
    # reviewer_id's index is an expression we cannot judge
    assert found(tmp_path, "DB002") == {("app/models.py", 9, "DB002"), ("app/models.py", 18, "DB002")}


def test_db002_django_db_index_false_unless_meta_indexes(tmp_path):
    _tree(
        tmp_path,
        {
            "shop/models.py": """
                from django.db import models


                class Line(models.Model):
                    order = models.ForeignKey("Order", on_delete=models.CASCADE, db_index=False)
                    product = models.ForeignKey("Product", on_delete=models.PROTECT, db_index=False)

                    class Meta:
                        indexes = [models.Index(fields=["order", "-created"])]
            """,
        },
    )
    assert found(tmp_path, "DB002") == {("shop/models.py", 6, "DB002")}


# --------------------------------------------------------------------------- DB003
def test_db003_relationships_resolved_across_files(tmp_path):
    _tree(
        tmp_path,
        {
            "app/models.py": SQLA_MODELS,
            "app/services.py": """
                from sqlalchemy import select
                from sqlalchemy.orm import joinedload

                from app import models


                def emails(session):
                    orders = session.scalars(select(models.Order)).all()
                    return [order.user.email for order in orders]


                def eager(session):
                    stmt = select(models.Order).options(joinedload(models.Order.user))
                    return [order.user.email for order in session.scalars(stmt)]


                def columns_and_selectin(session):
                    out = []
                    for order in session.query(models.Order).filter(models.Order.id > 3):
                        out.append((order.id, order.user_id, len(order.lines)))
                    return out


                def backwards(db):
                    for user in db.query(models.User).all():
                        print(user.orders)
                        print(user.orders)
            """,
        },
    )
    assert found(tmp_path, "DB003") == {("app/services.py", 9, "DB003"), ("app/services.py", 26, "DB003")}


def test_db003_queries_inside_loops_over_query_results(tmp_path):
    _tree(
        tmp_path,
        {
            "app/services.py": """
                from flask import session


                async def owners(db):
                    result = await db.execute(select(Order))
                    for order in result.scalars():
                        owner = await db.get(User, order.user_id)
                        session.get("cart")
                        await db.execute(update(Order).where(Order.id == order.id).values(seen=True))


                def per_id(db, ids):
                    return [db.get(User, i) for i in ids]


                def once(db):
                    return [u.id for u in db.query(User).all()]


                def flask_models():
                    for author in Author.query.all():
                        Book.query.filter_by(author_id=author.id).count()

                        def later():
                            return Book.query.all()


                async def webhooks(db, http: aiohttp.ClientSession):
                    async with aiohttp.ClientSession() as session:
                        for hook in db.scalars(select(Hook)):
                            await session.get(hook.url)
                            await http.get(hook.url)
            """,
        },
    )
    assert found(tmp_path, "DB003") == {("app/services.py", 7, "DB003"), ("app/services.py", 22, "DB003")}


def test_db003_django_reverse_accessors(tmp_path):
    _tree(
        tmp_path,
        {
            "shop/models.py": """
                from django.db import models


                class Customer(models.Model):
                    name = models.CharField(max_length=20)


                class Order(models.Model):
                    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
            """,
            "shop/views.py": """
                from shop.models import Customer


                def counts():
                    return {c.name: c.order_set.count() for c in Customer.objects.all()}


                def prefetched():
                    return {c.name: c.order_set.count() for c in Customer.objects.prefetch_related("order_set")}
            """,
        },
    )
    assert found(tmp_path, "DB003") == {("shop/views.py", 5, "DB003")}


# --------------------------------------------------------------------------- DB004
def test_db004_second_commit_and_unguarded_first(tmp_path):
    _tree(
        tmp_path,
        {
            "app/services.py": """
                def place(db, data):
                    db.add(Order())
                    db.commit()
                    db.add(Line())
                    db.commit()


                def split_by_branch(db, x):
                    try:
                        if x:
                            db.commit()
                        else:
                            db.commit()
                    except Exception:
                        db.rollback()
                        raise


                def early_return(db, x):
                    try:
                        if x:
                            db.commit()
                            return
                        db.commit()
                    except Exception:
                        db.rollback()
                        raise


                def update_only(db, item, name):
                    item.name = name
                    db.commit()


                class UnitOfWork:
                    def commit(self):
                        self.session.commit()
            """,
        },
    )
    assert found(tmp_path, "DB004") == {
        ("app/services.py", 3, "DB004"),
        ("app/services.py", 5, "DB004"),
        ("app/services.py", 32, "DB004"),
    }


def test_db004_dependency_with_rollback_covers_the_routes_using_it(tmp_path):
    _tree(
        tmp_path,
        {
            "app/deps.py": """
                from typing import Annotated

                from fastapi import Depends
                from sqlalchemy.ext.asyncio import AsyncSession


                async def get_session():
                    async with SessionLocal() as session:
                        try:
                            yield session
                        except Exception:
                            await session.rollback()
                            raise


                async def get_plain_session():
                    async with SessionLocal() as session:
                        yield session


                SessionDep = Annotated[AsyncSession, Depends(get_session)]
            """,
            "app/routes.py": """
                from fastapi import Depends

                from app.deps import SessionDep, get_plain_session


                async def covered(session: SessionDep):
                    session.add(Item())
                    await session.commit()


                async def not_covered(session=Depends(get_plain_session)):
                    session.add(Item())
                    await session.commit()
            """,
        },
    )
    assert found(tmp_path, "DB004") == {("app/routes.py", 13, "DB004")}


# --------------------------------------------------------------------------- PRJ001
def test_prj001_reported_at_the_app_module(tmp_path):
    _tree(tmp_path, {"alembic/env.py": "", "app/main.py": "\n" + MAIN, "app/util.py": ""})
    assert found(tmp_path, "PRJ001") == {("app/main.py", 1, "PRJ001")}
    assert messages(tmp_path, "PRJ001") == ["The project has no Dockerfile, no compose file and no .dockerignore"]


def test_prj001_dockerignore_is_part_of_the_deliverable_and_include_docker_false(tmp_path):
    _tree(tmp_path, {"app/main.py": MAIN, "Dockerfile": "FROM python:3.12-slim\n", "docker-compose.yml": "services: {}\n"})
    assert found(tmp_path, "PRJ001") == {("app/main.py", 1, "PRJ001")}
    assert messages(tmp_path, "PRJ001") == ["The project has no .dockerignore"]
    _tree(tmp_path, {".dockerignore": ".git\n"})
    assert found(tmp_path, "PRJ001") == set()
    bare = _tree(tmp_path / "bare", {"app/main.py": MAIN})
    assert found(bare, "PRJ001", context={"include_docker": False}) == set()
    assert found(bare, "PRJ001", context={"include_docker": "false"}) == set()
    assert found(bare, "PRJ001") == {("app/main.py", 1, "PRJ001")}


def test_prj001_django_entry_point_and_compose_only(tmp_path):
    _tree(tmp_path, {"config/settings.py": "DEBUG = False\n", "manage.py": "", "shop/views.py": "", "compose.yaml": "services: {}\n"})
    assert found(tmp_path, "PRJ001") == {("manage.py", 1, "PRJ001")}
    assert messages(tmp_path, "PRJ001") == ["The project has no Dockerfile and no .dockerignore"]


# --------------------------------------------------------------------------- PRJ002
def test_prj002_tests_folder_without_test_files(tmp_path):
    _tree(tmp_path, {"app/main.py": MAIN, "tests/__init__.py": "", "tests/conftest.py": "", "tests/helpers.py": ""})
    assert found(tmp_path, "PRJ002") == {("app/main.py", 1, "PRJ002")}
    (tmp_path / "tests" / "api").mkdir()
    (tmp_path / "tests" / "api" / "users_test.py").write_text("def test_x():\n    pass\n")
    assert found(tmp_path, "PRJ002") == set()


def test_prj002_no_python_no_finding(tmp_path):
    _tree(tmp_path, {"Dockerfile": "FROM nginx:1.27\n", "README.md": ""})
    assert found(tmp_path, "PRJ002") == set()


# --------------------------------------------------------------------------- PRJ006
def test_prj006_one_finding_per_doc_file(tmp_path):
    _tree(
        tmp_path,
        {
            "README.md": "",
            "LICENSE": "",
            "CHANGELOG.md": "",
            "docs/architecture.rst": "",
            "docs/README.md": "",
            "notes.txt": "",
            "requirements.txt": "",
            "requirements-dev.txt": "",
            ".github/ISSUE_TEMPLATE.md": "",
            "tests/data/sample.txt": "",
            "app/templates/email.txt": "",
            "app/main.py": MAIN,
        },
    )
    assert found(tmp_path, "PRJ006") == {
        ("CHANGELOG.md", 1, "PRJ006"),
        ("docs/architecture.rst", 1, "PRJ006"),
        ("notes.txt", 1, "PRJ006"),
    }
    assert found(tmp_path, "PRJ006", context={"documentation_requested": True}) == set()
