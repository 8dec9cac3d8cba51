"""DB002: foreign keys are indexed."""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from critic.rule import Invalid, PythonFile, PythonRule, Valid
from critic.rules.python.orm_syntax import dotted, is_migration_path, keyword, last_name, literal_bool, positional, string_value

_COLUMNS = frozenset({"Column", "mapped_column"})
_INDEXES = frozenset({"Index", "UniqueConstraint", "PrimaryKeyConstraint"})
_ANY_SCOPE = ""
_EXEMPT = ("index", "primary_key", "unique")


@dataclass(frozen=True, slots=True)
class _Candidate:
    node: cst.Call
    names: frozenset[str]
    scope: str  # the class or Table(...) the column belongs to
    django: bool


class UnindexedForeignKey(PythonRule):
    """
    ## What it does
    Reports a foreign-key column without an index: `Column(ForeignKey(...))`,
    `mapped_column(ForeignKey(...))`, Flask-SQLAlchemy `db.Column(db.Integer, db.ForeignKey(...))`,
    a `Column` with a `ForeignKey` inside `Table(...)`, and SQLModel `Field(foreign_key=...)`,
    when it has no `index=True`.

    A column is indexed, and not reported, when it is part of the primary key
    (`primary_key=True`), is `unique=True`, or is named by an `Index(...)`,
    `UniqueConstraint(...)` or `PrimaryKeyConstraint(...)` in the class's `__table_args__`, the
    `Table(...)` call or the module (by name, `"user_id"`, or attribute, `Order.user_id`). A
    Django `ForeignKey` is indexed by default: only `db_index=False` is reported, unless the
    model's `Meta.indexes` names the field. Test code and migration files are not checked.

    ## Why is this bad?
    Most databases (PostgreSQL among them) do not index the referencing side of a foreign key.
    Every join from parent to children, every `WHERE user_id = ?` and every `ON DELETE` check of
    the parent then scans the whole child table. EXE's database rules ask for foreign keys to be
    indexed explicitly.

    ## Example
        class Order(Base):
            __tablename__ = "orders"
            id: Mapped[int] = mapped_column(primary_key=True)
            user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    ## Use instead
        class Order(Base):
            __tablename__ = "orders"
            id: Mapped[int] = mapped_column(primary_key=True)
            user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    """

    id = "DB002"
    name = "unindexed-foreign-key"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("EXE Database (index foreign keys)",)
    message = "Foreign-key column has no index"
    fix = "Add `index=True` to the column (or an `Index(...)` on it in `__table_args__`) and generate a migration for it."
    VALID = (
        Valid(
            "from sqlalchemy import Column, ForeignKey, Integer\n"
            "from app.db import Base\n\n\n"
            "class Order(Base):\n"
            '    __tablename__ = "orders"\n'
            "    id = Column(Integer, primary_key=True)\n"
            '    user_id = Column(Integer, ForeignKey("users.id"), index=True, nullable=False)\n'
        ),
        # an explicit Index in __table_args__, a composite primary key, a unique one-to-one
        Valid(
            "from sqlalchemy import ForeignKey, Index\n"
            "from sqlalchemy.orm import Mapped, mapped_column\n\n\n"
            "class Order(Base):\n"
            '    __tablename__ = "orders"\n'
            '    __table_args__ = (Index("ix_orders_user_created", "user_id", "created_at"),)\n'
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            '    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))\n\n\n'
            "class OrderTag(Base):\n"
            '    __tablename__ = "order_tags"\n'
            '    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)\n'
            '    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), primary_key=True)\n\n\n'
            "class Profile(Base):\n"
            '    __tablename__ = "profiles"\n'
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            '    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)\n'
        ),
        # a module-level Index on the attribute, declared after the class
        Valid(
            "import sqlalchemy as sa\n\n\n"
            "class Comment(Base):\n"
            '    __tablename__ = "comments"\n'
            "    id = sa.Column(sa.Integer, primary_key=True)\n"
            '    post_id = sa.Column(sa.Integer, sa.ForeignKey("posts.id"))\n\n\n'
            'sa.Index("ix_comments_post_id", Comment.post_id)\n'
        ),
        # Django indexes foreign keys by default
        Valid(
            "from django.db import models\n\n\n"
            "class Order(models.Model):\n"
            "    customer = models.ForeignKey('Customer', on_delete=models.CASCADE, related_name='orders')\n"
        ),
        # the schema history of Alembic is not the model
        Valid(
            'op.create_table("orders", sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id")))\n',
            path="alembic/versions/0001_orders.py",
        ),
    )
    INVALID = (
        Invalid(
            "from sqlalchemy import ForeignKey\n"
            "from sqlalchemy.orm import Mapped, mapped_column\n\n\n"
            "class Order(Base):\n"
            '    __tablename__ = "orders"\n'
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            '    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))\n',
            line=8,
        ),
        Invalid(
            "from flask_sqlalchemy import SQLAlchemy\n\n"
            "db = SQLAlchemy()\n\n\n"
            "class Post(db.Model):\n"
            "    id = db.Column(db.Integer, primary_key=True)\n"
            "    author_id = db.Column(\n"
            "        db.Integer,\n"
            '        db.ForeignKey("user.id"),\n'
            "        nullable=False,\n"
            "    )\n",
            line=8,
        ),
        # an index on another column does not cover this one
        Invalid(
            "from sqlalchemy import Column, ForeignKey, Index, Integer, Table\n\n"
            "order_items = Table(\n"
            '    "order_items",\n'
            "    metadata,\n"
            '    Column("id", Integer, primary_key=True),\n'
            '    Column("order_id", Integer, ForeignKey("orders.id"), index=True),\n'
            '    Column("product_id", Integer, ForeignKey("products.id")),\n'
            '    Index("ix_order_items_order", "order_id"),\n'
            ")\n",
            line=8,
        ),
        Invalid(
            "from sqlmodel import Field, SQLModel\n\n\n"
            "class Hero(SQLModel, table=True):\n"
            "    id: int | None = Field(default=None, primary_key=True)\n"
            '    team_id: int | None = Field(default=None, foreign_key="team.id")\n',
            line=6,
        ),
        Invalid(
            "from django.db import models\n\n\n"
            "class Order(models.Model):\n"
            "    customer = models.ForeignKey('Customer', on_delete=models.CASCADE, db_index=False)\n",
            line=5,
        ),
    )

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.sqlmodel_fields: set[str] = set()
        self.classes: list[str] = []  # enclosing class names
        self.tables: list[str] = []  # scopes of the enclosing Table(...) calls
        self.names: dict[cst.CSTNode, str] = {}  # value of `name = ...` in a class body -> name
        self.functions: list[str] = []
        self.candidates: list[_Candidate] = []
        self.indexed: dict[str, set[str]] = {}

    def get_visitors(self):
        if self.file.is_test or is_migration_path(self.file.parts):
            return {}
        return super().get_visitors()

    # ------------------------------------------------------------------ scopes
    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None and dotted(node.module) == "sqlmodel" and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                if dotted(alias.name) == "Field":
                    self.sqlmodel_fields.add(alias.evaluated_alias or "Field")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self.names[node.value] = node.targets[0].target.value

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and isinstance(node.target, cst.Name):
            self.names[node.value] = node.target.value

    def _scope(self) -> str:
        if self.tables:
            return self.tables[-1]
        for name in reversed(self.classes):
            if name != "Meta":
                return name
        return _ANY_SCOPE

    # ------------------------------------------------------------------ calls
    def visit_Call(self, node: cst.Call) -> None:
        callee = last_name(node.func)
        if callee == "Table":
            args = positional(node)
            table = string_value(args[0]) if args else None
            self.tables.append(self.names.get(node) or table or f"table@{id(node)}")
        elif callee in _COLUMNS:
            if any(_is_foreign_key(arg) for arg in positional(node)):
                self._candidate(node, django=False)
        elif callee in self.sqlmodel_fields:
            if keyword(node, "foreign_key") is not None:
                self._candidate(node, django=False)
        elif callee == "ForeignKey":
            db_index = keyword(node, "db_index")
            if db_index is not None and literal_bool(db_index.value) is False:
                self._candidate(node, django=True)
        elif callee in _INDEXES:
            self._index(node)

    def leave_Call(self, original_node: cst.Call) -> None:
        if last_name(original_node.func) == "Table" and self.tables:
            self.tables.pop()

    def _candidate(self, node: cst.Call, django: bool) -> None:
        exempt = ("primary_key", "unique") if django else _EXEMPT
        for name in exempt:
            arg = keyword(node, name)
            if arg is not None and literal_bool(arg.value) is not False:
                return  # True, or an expression we cannot judge
        names = set()
        if node in self.names:
            names.add(self.names[node])
        args = positional(node)
        explicit = string_value(args[0]) if args and not django else None
        if explicit:
            names.add(explicit)
        if not names and self.functions:
            names.add(self.functions[-1])  # a @declared_attr returning the column
        self.candidates.append(_Candidate(node, frozenset(names), self._scope(), django))

    def _index(self, node: cst.Call) -> None:
        scope = self._scope()
        refs: list[cst.BaseExpression] = list(positional(node))
        fields = keyword(node, "fields")
        if fields is not None and isinstance(fields.value, (cst.List, cst.Tuple)):
            refs.extend(e.value for e in fields.value.elements)
        for ref in refs:
            text = string_value(ref)
            if text is not None:
                self.indexed.setdefault(scope, set()).add(text.lstrip("-"))
            elif isinstance(ref, cst.Attribute):
                owner = ref.value
                where = owner.value if isinstance(owner, cst.Name) and owner.value[:1].isupper() else _ANY_SCOPE
                self.indexed.setdefault(where, set()).add(ref.attr.value)

    def leave_Module(self, original_node: cst.Module) -> None:
        anywhere = self.indexed.get(_ANY_SCOPE, set())
        for candidate in self.candidates:
            if candidate.names & (anywhere | self.indexed.get(candidate.scope, set())):
                continue
            if candidate.django:
                self.report(
                    candidate.node,
                    "Foreign key disables its index (db_index=False)",
                    "Drop `db_index=False` (Django indexes foreign keys by default), or add the field to `Meta.indexes`.",
                )
            else:
                self.report(candidate.node)


def _is_foreign_key(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Call) and last_name(expr.func) == "ForeignKey"
