"""DB001: schema changes go through versioned migrations."""
from __future__ import annotations

from critic.rule import Invalid, ProjectRule, Valid

_MODELS = """\
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(255), nullable=False, unique=True)
"""
_REVISION = """\
revision = "0001"
down_revision = None


def upgrade():
    pass


def downgrade():
    pass
"""
_ALEMBIC_FOLDERS = frozenset({"alembic", "migrations", "migration"})


class SchemaWithoutMigrations(ProjectRule):
    """
    ## What it does
    Reports a project whose ORM models have no versioned migrations, and every call that creates
    the tables at run time.

    - SQLAlchemy models (a declarative base, `DeclarativeBase`, Flask-SQLAlchemy `db.Model`,
      SQLModel `table=True`) but no Alembic revision: no `.py` file in a `versions/` folder of
      an Alembic environment (`alembic/versions/`, `migrations/versions/`). `alembic.ini` and
      `env.py` alone are not migrations. Reported once, at line 1 of the first models module.
    - Django models in an app with no migration in the app's `migrations/` package. Reported
      once per app, at line 1 of its models module.
    - `Base.metadata.create_all(...)`, `SQLModel.metadata.create_all(...)`,
      `run_sync(Base.metadata.create_all)` and Flask-SQLAlchemy `db.create_all()` in non-test
      code, even when migrations exist: the call creates tables behind the migrations' back.

    Models declared in test code, abstract models and mixins do not need migrations; SQL files
    under a `migrations/` folder count as versioned migrations.

    ## Why is this bad?
    Without versioned migrations the schema of a running database cannot be upgraded or rolled
    back: a new column is either lost (`create_all` never alters an existing table) or applied by
    hand. AGT's stack and EXE's database rules ask for every schema change to go through
    versioned migrations (Alembic for SQLAlchemy).

    ## Example
        # app/main.py
        @asynccontextmanager
        async def lifespan(app):
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            yield

    ## Use instead
        # alembic/versions/0001_create_users.py holds the schema; the container runs
        #   alembic upgrade head
        # before it starts the server, and the app no longer creates tables itself.
        @asynccontextmanager
        async def lifespan(app):
            yield
    """

    id = "DB001"
    name = "schema-without-migrations"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("AGT role + Python stack (SQLAlchemy/Alembic)", "EXE Database (versioned migrations)")
    message = "ORM models exist but the schema has no versioned migrations"
    fix = (
        "Add Alembic (`alembic init alembic`), generate the first revision with "
        "`alembic revision --autogenerate -m 'initial schema'`, commit `alembic/versions/`, and run "
        "`alembic upgrade head` at deploy time."
    )
    VALID = (
        Valid(files={"app/models.py": _MODELS, "alembic.ini": "[alembic]\n", "alembic/env.py": "", "alembic/versions/0001_init.py": _REVISION}),
        Valid(files={"backend/app/models.py": _MODELS, "backend/migrations/env.py": "", "backend/migrations/versions/a1b2_users.py": _REVISION}),
        Valid(
            files={
                "shop/models.py": "from django.db import models\n\n\nclass Order(models.Model):\n    total = models.IntegerField()\n",
                "shop/migrations/__init__.py": "",
                "shop/migrations/0001_initial.py": "from django.db import migrations\n",
            }
        ),
        # models declared by the tests, and abstract bases, need no migrations
        Valid(files={"tests/test_models.py": _MODELS + "\n\nBase.metadata.create_all(engine)\n"}),
        Valid(files={"app/base.py": "from django.db import models\n\n\nclass Stamped(models.Model):\n    created = models.DateTimeField()\n\n    class Meta:\n        abstract = True\n"}),
    )
    INVALID = (
        Invalid(files={"app/models.py": _MODELS, "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}, line=1, path="app/models.py"),
        # Alembic is configured, but no revision was ever generated
        Invalid(files={"app/models.py": _MODELS, "alembic.ini": "[alembic]\n", "alembic/env.py": "", "alembic/versions/.gitkeep": ""}, line=1, path="app/models.py"),
        Invalid(
            files={
                "app/models.py": _MODELS,
                "alembic/env.py": "",
                "alembic/versions/0001_init.py": _REVISION,
                "app/main.py": "from app.models import Base\nfrom app.db import engine\n\nBase.metadata.create_all(bind=engine)\n",
            },
            line=4,
            path="app/main.py",
        ),
        Invalid(
            files={
                "app/__init__.py": "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\n\ndef create_app():\n    app = Flask(__name__)\n    db.init_app(app)\n    with app.app_context():\n        db.create_all()\n    return app\n",
            },
            line=11,
            path="app/__init__.py",
        ),
        Invalid(files={"shop/models.py": "from django.db import models\n\n\nclass Order(models.Model):\n    total = models.IntegerField()\n", "shop/migrations/__init__.py": ""}, line=1, path="shop/models.py"),
    )

    def check(self) -> None:
        paths = self.project.paths()
        sqlalchemy: list[str] = []
        django: dict[str, str] = {}  # app folder -> its first models module
        for fact in self.project.facts_of("model"):
            if fact.get("abstract") or fact.get("test"):
                continue
            if fact.get("framework") == "django":
                django.setdefault(_django_app(fact.path), fact.path)
            else:
                sqlalchemy.append(fact.path)
        if sqlalchemy or django:
            revisions, django_apps = self._migrations(paths)
            if sqlalchemy and not revisions:
                self.report(min(sqlalchemy), 1, self._sqlalchemy_message(paths))
            for app, module in sorted(django.items()):
                if app not in django_apps:
                    where = f"{app}/migrations/" if app else "migrations/"
                    self.report(
                        module,
                        1,
                        f"Django models have no migration in {where}",
                        "Run `python manage.py makemigrations` and commit the generated migrations package.",
                    )
        for fact in self.project.facts_of("create_all"):
            receiver = str(fact.get("receiver") or "metadata")
            self.report(
                fact.path,
                fact.line,
                f"Tables are created at run time by {receiver}.create_all(), bypassing versioned migrations",
                "Remove the create_all() call; create and change the schema with Alembic revisions and run "
                "`alembic upgrade head` before the app starts (tests may still create tables in a fixture).",
                column=int(fact.get("column", 1) or 1),
            )

    def _migrations(self, paths: list[str]) -> tuple[bool, set[str]]:
        """Whether any Alembic revision (or SQL migration) exists; the Django apps with migrations."""
        present = set(paths)
        revisions = False
        django_apps: set[str] = set()
        for path in paths:
            parts = path.split("/")
            if len(parts) < 2:
                continue
            name, folder = parts[-1], parts[-2]
            if folder == "versions" and name.endswith((".py", ".sql")) and name != "__init__.py" and len(parts) >= 3:
                env = "/".join(parts[:-2] + ["env.py"])
                if parts[-3] in _ALEMBIC_FOLDERS or env in present:
                    revisions = True
            elif folder == "migrations" and name.endswith(".py") and name != "__init__.py":
                django_apps.add("/".join(parts[:-2]))
            elif folder == "migrations" and name.endswith(".sql"):
                revisions = True
        return revisions, django_apps

    def _sqlalchemy_message(self, paths: list[str]) -> str:
        if any(p.rsplit("/", 1)[-1] == "alembic.ini" for p in paths):
            return "Alembic is configured but has no revision: the models' schema is not under versioned migrations"
        return self.message


def _django_app(path: str) -> str:
    """The Django app folder of a models module (``shop/models.py``, ``shop/models/order.py``)."""
    parts = path.split("/")[:-1]
    if parts and parts[-1] == "models":
        parts = parts[:-1]
    return "/".join(parts)
