"""DB003: no N+1 queries (a query, or a lazy relationship load, per row of another query).

Two halves share one standard:

- ``NPlusOneQuery`` (per file) tracks loops over query results and reports the queries run
  inside them; for an attribute of the loop variable it records a ``lazy_access`` fact, since
  whether ``order.items`` is a relationship is declared in the models, usually another file;
- ``NPlusOneLazyLoad`` (project) reports the ``lazy_access`` facts whose attribute is a lazily
  loaded relationship of the loop's model (``relationship`` facts from ``OrmFacts``).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import libcst as cst

from critic.rule import Invalid, ProjectRule, PythonFile, PythonRule, RuleMeta, Valid
from critic.rules.python.orm_facts import is_eager
from critic.rules.python.orm_syntax import (
    QUERY_METHODS,
    annotation_kind,
    class_ref,
    cursor_like,
    dotted,
    http_client,
    is_migration_path,
    is_write_statement,
    last_name,
    positional,
    session_like,
    string_value,
    unwrap,
    web_session_names,
)

_SELECT_MODULES = frozenset({"sa", "sqlalchemy", "sqlmodel", "db", "orm"})
_STMT_METHODS = frozenset(
    {"where", "filter", "filter_by", "order_by", "join", "outerjoin", "join_from", "outerjoin_from", "limit",
     "offset", "options", "distinct", "group_by", "having", "execution_options", "select_from", "correlate"}
)
_QUERY_METHODS = _STMT_METHODS | frozenset(
    {"all", "yield_per", "exclude", "select_related", "prefetch_related", "only", "defer", "annotate", "using",
     "reverse", "iterator", "enable_eagerloads", "populate_existing"}
)
_ROW_METHODS = frozenset({"values", "values_list", "with_entities", "add_columns", "mappings", "tuples"})
_RESULT_METHODS = frozenset({"all", "fetchall", "fetchmany", "unique", "yield_per", "partitions"})
_EAGER_OPTIONS = frozenset({"options", "select_related", "prefetch_related"})
_LOADERS = frozenset({"joinedload", "selectinload", "subqueryload", "immediateload", "contains_eager", "raiseload", "noload"})
_NOT_LOADERS = frozenset({"lazyload", "defaultload", "load_only", "defer", "undefer", "undefer_group", "with_expression"})
_DJANGO_READS = frozenset(
    {"get", "filter", "all", "exclude", "first", "last", "count", "exists", "aggregate", "values", "values_list",
     "get_or_create", "in_bulk", "order_by", "select_related", "prefetch_related", "annotate", "latest", "earliest"}
)
_WRAPPERS = frozenset({"list", "sorted", "reversed", "tuple", "set"})
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


@dataclass(frozen=True, slots=True)
class _Q:
    """What an expression holds: a statement, an (unexecuted) query, objects, or rows."""

    kind: str  # "stmt" | "query" | "objects" | "rows"
    model: str = ""
    entity: bool = False  # iterating it yields model instances
    loaded: frozenset[str] = frozenset()  # relationships the query loads eagerly
    eager_all: bool = False

    @property
    def iterable(self) -> bool:
        return self.kind in ("query", "objects", "rows")


@dataclass(slots=True)
class _Frame:
    names: frozenset[str]
    source: _Q
    active: bool = True
    comp_for: cst.CompFor | None = None
    seen: set[tuple[str, str]] = field(default_factory=set)


@dataclass(slots=True)
class _Scope:
    env: dict[str, _Q] = field(default_factory=dict)
    sessions: set[str] = field(default_factory=set)  # parameters annotated as database sessions
    http: set[str] = field(default_factory=set)  # names of HTTP client sessions
    frames: list[_Frame] = field(default_factory=list)


_SERVICE = """\
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import Order


def order_totals(session: Session) -> dict[int, int]:
    orders = session.scalars(select(Order).options(selectinload(Order.items))).all()
    return {order.id: sum(item.price for item in order.items) for order in orders}
"""
_MODELS = """\
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    customer: Mapped["Customer"] = relationship()
    items: Mapped[list["Item"]] = relationship(back_populates="order")


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    price: Mapped[int]
    order: Mapped[Order] = relationship(back_populates="items")
"""


class _NPlusOne(RuleMeta):
    """
    ## What it does
    Reports N+1 queries: inside a loop (or comprehension) over the results of a query, a query
    run per row, or a lazily loaded relationship read from the loop variable.

    The loop source is a query result: `session.query(...)` (and its `.filter/.all()` chain),
    `session.scalars(...)`, `session.execute(...)` (`.scalars().all()`), Flask-SQLAlchemy
    `Model.query...`, Django `Model.objects.all()/filter()...`, a DB-API `cursor.fetchall()`,
    or a local variable assigned one of those (also through `stmt = select(...)` and
    `result = session.execute(stmt)`). Inside it:

    - a query call: `session.query/get/execute/scalars/scalar`, `Model.query.<...>`,
      `Model.objects.<read>`, `db.get_or_404`, `cursor.execute` (writes are not queries here);
    - an attribute of the loop variable that the models declare as a lazily loaded
      relationship (`relationship(...)`, SQLModel `Relationship`, Django `ForeignKey`,
      `ManyToManyField`, `OneToOneField`, their `related_name`/`<model>_set` reverse accessors).

    Not reported: plain column attributes, relationships the loop's query loads eagerly
    (`selectinload`/`joinedload`/`subqueryload`/`contains_eager` of that relationship in
    `.options(...)`, Django `select_related`/`prefetch_related`; an option we cannot read counts
    as loading everything), relationships declared `lazy="selectin"`/`"joined"`/..., loops over
    rows of column queries, and test code.

    ## Why is this bad?
    One query per row turns a page of 50 orders into 51 round trips: latency grows with the
    data, and the database does 50 times the work. AGT lists N+1 queries among the
    anti-patterns to reject; EXE asks for eager loading or batch fetching.

    ## Example
        orders = session.scalars(select(Order)).all()
        for order in orders:
            customer = session.get(Customer, order.customer_id)
            print(customer.name, len(order.items))

    ## Use instead
        orders = session.scalars(
            select(Order).options(joinedload(Order.customer), selectinload(Order.items))
        ).all()
        for order in orders:
            print(order.customer.name, len(order.items))
    """

    id = "DB003"
    name = "n-plus-one-query"
    tier = "expected"
    severity = "medium"
    confidence = "medium"
    sources = ("AGT anti-pattern 5 (N+1 queries)", "EXE Database (avoid N+1, eager loading)")
    message = "Query runs once per row of another query's results (N+1 queries)"
    fix = (
        "Fetch the related rows in one query before the loop (a join, `WHERE id IN (...)`, or "
        "`selectinload`/`joinedload`; Django `select_related`/`prefetch_related`) and read them from memory."
    )
    VALID = (
        Valid(files={"app/models.py": _MODELS, "app/services.py": _SERVICE}),
        # plain columns of the loop variable, and a loop over rows of a column query
        Valid(
            files={
                "app/models.py": _MODELS,
                "app/services.py": (
                    "from app.models import Order\n\n\n"
                    "def summary(db):\n"
                    "    out = []\n"
                    "    for order in db.query(Order).filter(Order.status == 'open').all():\n"
                    "        out.append((order.id, order.status))\n"
                    "    for row in db.execute(select(Order.id, Order.status)):\n"
                    "        out.append(row.status)\n"
                    "    return out\n"
                ),
            }
        ),
        # Django: the loop's queryset follows the relation in the same query
        Valid(
            files={
                "shop/models.py": (
                    "from django.db import models\n\n\n"
                    "class Order(models.Model):\n"
                    "    customer = models.ForeignKey('Customer', on_delete=models.CASCADE, related_name='orders')\n"
                ),
                "shop/views.py": (
                    "from shop.models import Order\n\n\n"
                    "def names():\n"
                    "    return [o.customer.name for o in Order.objects.select_related('customer')]\n"
                ),
            }
        ),
        # a loop over a plain list is not a query result
        Valid("def load(session, ids):\n    return [session.get(User, i) for i in ids]\n"),
    )
    INVALID = (
        Invalid(
            "from sqlalchemy import select\n\n\n"
            "async def owners(session):\n"
            "    result = await session.execute(select(Order))\n"
            "    out = []\n"
            "    for order in result.scalars():\n"
            "        user = await session.get(User, order.user_id)\n"
            "        out.append(user)\n"
            "    return out\n",
            line=8,
        ),
        Invalid(
            files={
                "app/models.py": _MODELS,
                "app/services.py": (
                    "from app.models import Order\n\n\n"
                    "def totals(db):\n"
                    "    orders = db.query(Order).all()\n"
                    "    return {o.id: sum(i.price for i in o.items) for o in orders}\n"
                ),
            },
            line=6,
            path="app/services.py",
        ),
        # loading one relationship eagerly does not load the others
        Invalid(
            files={
                "app/models.py": _MODELS,
                "app/services.py": (
                    "from sqlalchemy.orm import selectinload\n\n\n"
                    "def report(session):\n"
                    "    stmt = select(Order).options(selectinload(Order.items))\n"
                    "    for order in session.scalars(stmt):\n"
                    "        print(len(order.items))\n"
                    "        print(order.customer)\n"
                ),
            },
            line=8,
            path="app/services.py",
        ),
        Invalid(
            "from app.models import Author, Book\n\n\n"
            "def catalogue():\n"
            "    data = []\n"
            "    for author in Author.query.order_by(Author.name).all():\n"
            "        data.append(Book.query.filter_by(author_id=author.id).count())\n"
            "    return data\n",
            line=7,
        ),
        Invalid(
            files={
                "shop/models.py": (
                    "from django.db import models\n\n\n"
                    "class Order(models.Model):\n"
                    "    customer = models.ForeignKey('Customer', on_delete=models.CASCADE)\n"
                ),
                "shop/views.py": (
                    "from shop.models import Order\n\n\n"
                    "def names():\n"
                    "    return [o.customer.name for o in Order.objects.filter(paid=True)]\n"
                ),
            },
            line=5,
            path="shop/views.py",
        ),
    )


class NPlusOneQuery(_NPlusOne, PythonRule):
    __doc__ = _NPlusOne.__doc__

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.scopes: list[_Scope] = [_Scope()]
        self.pending_loops: dict[cst.For, _Frame] = {}
        self.targets: set[cst.CSTNode] = set()  # attributes being assigned to
        self.web_sessions: set[str] = set()

    def get_visitors(self):
        if self.file.is_test or is_migration_path(self.file.parts):
            return {}
        return super().get_visitors()

    # ------------------------------------------------------------------ scopes
    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.web_sessions |= web_session_names(node)

    def _session(self, receiver: str | None) -> bool:
        scope = self.scopes[-1]
        return session_like(receiver, scope.sessions, self.web_sessions | scope.http)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        scope = _Scope()
        for param in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params):
            kind = annotation_kind(param.annotation.annotation) if param.annotation is not None else ""
            if kind == "db":
                scope.sessions.add(param.name.value)
            elif kind == "http":
                scope.http.add(param.name.value)
        self.scopes.append(scope)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.scopes.append(_Scope())

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.scopes.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        scope = self.scopes[-1]
        info = self._info(node.value)
        for target in node.targets:
            self._bind(scope, target.target, info)
            if isinstance(target.target, cst.Name) and http_client(node.value):
                scope.http.add(target.target.value)

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if item.asname is not None and isinstance(item.asname.name, cst.Name) and http_client(item.item):
                self.scopes[-1].http.add(item.asname.name.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(self.scopes[-1], node.target, self._info(node.value) if node.value is not None else None)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(self.scopes[-1], node.target, None)

    def _bind(self, scope: _Scope, target: cst.BaseExpression, info: _Q | None) -> None:
        if isinstance(target, cst.Name):
            if info is None:
                scope.env.pop(target.value, None)
            else:
                scope.env[target.value] = info
        elif isinstance(target, cst.Attribute):
            self.targets.add(target)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(scope, element.value, None)

    # ------------------------------------------------------------------ loops
    def visit_For(self, node: cst.For) -> None:
        frame = self._frame(node.iter, node.target)
        if frame is not None:
            self.pending_loops[node] = frame

    def visit_For_body(self, node: cst.For) -> None:
        frame = self.pending_loops.pop(node, None)
        self.scopes[-1].frames.append(frame or _Frame(_names(node.target), _Q("none"), active=False))

    def leave_For_body(self, node: cst.For) -> None:
        self.scopes[-1].frames.pop()

    def _visit_comprehension(self, node) -> None:
        frame = self._frame(node.for_in.iter, node.for_in.target)
        if frame is None:
            frame = _Frame(_names(node.for_in.target), _Q("none"), active=False)
        else:
            frame.comp_for = node.for_in
        self.scopes[-1].frames.append(frame)

    def _leave_comprehension(self, node) -> None:
        self.scopes[-1].frames.pop()

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _visit_comprehension
    leave_ListComp = leave_SetComp = leave_GeneratorExp = leave_DictComp = _leave_comprehension

    def visit_CompFor_iter(self, node: cst.CompFor) -> None:
        # the outermost iterable of a comprehension is evaluated once, before its loop
        frames = self.scopes[-1].frames
        if frames and frames[-1].comp_for is node:
            frames[-1].active = False

    def leave_CompFor_iter(self, node: cst.CompFor) -> None:
        frames = self.scopes[-1].frames
        if frames and frames[-1].comp_for is node:
            frames[-1].active = True

    def _frame(self, iterable: cst.BaseExpression, target: cst.BaseExpression) -> _Frame | None:
        iterable = unwrap(iterable)
        if isinstance(iterable, cst.Call) and last_name(iterable.func) == "enumerate" and iterable.args:
            iterable = unwrap(iterable.args[0].value)
            if isinstance(target, cst.Tuple) and len(target.elements) == 2:
                target = target.elements[1].value
        info = self._info(iterable)
        if info is None or not info.iterable:
            return None
        names = frozenset({target.value}) if isinstance(target, cst.Name) else frozenset()
        if not names:  # tuple unpacking: rows, not model instances
            info = replace(info, entity=False)
        return _Frame(names, info)

    def _in_loop(self) -> bool:
        return any(frame.active and frame.source.iterable for frame in self.scopes[-1].frames)

    # ------------------------------------------------------------------ inside loops
    def visit_Call(self, node: cst.Call) -> None:
        if not self._in_loop():
            return
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        base = func.value
        receiver = dotted(base)
        if self._session(receiver) and method in QUERY_METHODS:
            if method == "execute" and node.args and is_write_statement(node.args[0].value):
                return
            self.report(node)
        elif receiver is not None and cursor_like(receiver) and method == "execute":
            if not (node.args and is_write_statement(node.args[0].value)):
                self.report(node)
        elif isinstance(base, cst.Attribute) and _model_ref(base.value):
            if base.attr.value == "query" or (base.attr.value == "objects" and method in _DJANGO_READS):
                self.report(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        value = node.value
        if not isinstance(value, cst.Name) or node in self.targets:
            return
        frames = self.scopes[-1].frames
        for frame in reversed(frames):
            if value.value not in frame.names:
                continue
            source = frame.source
            attr = node.attr.value
            if not frame.active or source.kind not in ("query", "objects") or not source.entity:
                return
            if source.eager_all or attr in source.loaded:
                return
            key = (value.value, attr)
            if key in frame.seen:
                return  # loaded by the first access in this iteration
            frame.seen.add(key)
            self.fact("lazy_access", node, model=source.model, attr=attr)
            return

    # ------------------------------------------------------------------ what an expression holds
    def _info(self, expr: cst.BaseExpression | None) -> _Q | None:
        if expr is None:
            return None
        expr = unwrap(expr)
        if isinstance(expr, cst.Name):
            return self.scopes[-1].env.get(expr.value)
        if isinstance(expr, cst.Subscript):
            inner = self._info(expr.value)
            sliced = len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Slice)
            return inner if inner is not None and sliced else None
        if isinstance(expr, cst.Attribute):
            model = _model_ref(expr.value)
            return _Q("query", model, True) if model and expr.attr.value in ("query", "objects") else None
        if not isinstance(expr, cst.Call):
            return None
        func = expr.func
        args = positional(expr)
        if isinstance(func, cst.Name):
            if func.value == "select":
                return _select(args)
            if func.value in _WRAPPERS and args:
                inner = self._info(args[0])
                return inner if inner is not None and inner.iterable else None
            return None
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        base = func.value
        receiver = dotted(base)
        if method == "select" and receiver in _SELECT_MODULES:
            return _select(args)
        if self._session(receiver):
            if method == "query":
                model = class_ref(args[0]) if len(args) == 1 and not isinstance(args[0], cst.SimpleString) else ""
                return _Q("query", model, bool(model))
            if method in ("scalars", "execute", "stream_scalars", "stream") and args:
                if is_write_statement(args[0]):
                    return None
                stmt = self._info(args[0])
                if stmt is None or stmt.kind != "stmt":
                    # a statement built elsewhere: it may load relationships eagerly
                    stmt = _Q("stmt", "", True, eager_all=True)
                return replace(stmt, kind="objects" if "scalars" in method else "rows")
            return None
        if receiver is not None and cursor_like(receiver) and method in ("fetchall", "fetchmany", "execute"):
            return _Q("rows")
        inner = self._info(base)
        if inner is None:
            return None
        if method in _EAGER_OPTIONS:
            return _eager(inner, expr, method)
        if inner.kind == "stmt":
            return inner if method in _STMT_METHODS else None
        if inner.kind == "query":
            if method in _QUERY_METHODS:
                return inner
            return replace(inner, kind="rows", entity=False) if method in _ROW_METHODS else None
        if method == "scalars":
            return replace(inner, kind="objects")
        if method in _RESULT_METHODS:
            return inner
        return replace(inner, kind="rows", entity=False) if method in _ROW_METHODS else None


def _names(target: cst.BaseExpression) -> frozenset[str]:
    """The names a loop target binds (they hide the same names of an outer loop)."""
    if isinstance(target, cst.Name):
        return frozenset({target.value})
    if isinstance(target, (cst.Tuple, cst.List)):
        return frozenset().union(*(_names(e.value) for e in target.elements))
    return frozenset()


def _model_ref(expr: cst.BaseExpression) -> str:
    """``Order`` for ``Order`` or ``models.Order`` (the owner of ``.query``/``.objects``)."""
    return class_ref(expr) if isinstance(expr, (cst.Name, cst.Attribute)) else ""


def _select(args: list[cst.BaseExpression]) -> _Q:
    """``select(Order)``, ``select(models.Order)``: a statement over model instances."""
    first = args[0] if args else None
    model = class_ref(first) if isinstance(first, (cst.Name, cst.Attribute)) else ""
    return _Q("stmt", model, True) if model else _Q("stmt")


def _eager(inner: _Q, call: cst.Call, method: str) -> _Q:
    """``inner`` after ``.options(...)`` / ``.select_related(...)`` / ``.prefetch_related(...)``."""
    loaded = set(inner.loaded)
    if method == "select_related" and not call.args:
        return replace(inner, eager_all=True)
    for arg in call.args:
        if arg.star or arg.keyword is not None:
            return replace(inner, eager_all=True)
        name = _loaded_name(arg.value, django=method != "options")
        if name is None:
            return replace(inner, eager_all=True)
        if name:
            loaded.add(name)
    return replace(inner, loaded=frozenset(loaded))


def _loaded_name(expr: cst.BaseExpression, django: bool) -> str | None:
    """The first-level relationship a loader option loads; "" for none; None for unknown."""
    text = string_value(expr)
    if django:
        if text is None and isinstance(expr, cst.Call) and last_name(expr.func) == "Prefetch" and expr.args:
            text = string_value(expr.args[0].value)
        return text.split("__", 1)[0] if text else None
    if not isinstance(expr, cst.Call):
        return None
    while isinstance(expr.func, cst.Attribute) and isinstance(expr.func.value, cst.Call):
        expr = expr.func.value  # selectinload(A.b).joinedload(B.c): the first level is A.b
    loader = last_name(expr.func)
    if loader in _NOT_LOADERS:
        return ""
    if loader not in _LOADERS or not expr.args:
        return None
    first = expr.args[0].value
    if isinstance(first, cst.Attribute):
        return first.attr.value
    text = string_value(first)
    if text and text != "*":
        return text.split(".", 1)[0]
    return None


class NPlusOneLazyLoad(_NPlusOne, ProjectRule):
    __doc__ = _NPlusOne.__doc__

    def check(self) -> None:
        facts = self.project.facts_of("lazy_access")
        if not facts:
            return
        lazy: dict[str, dict[str, bool]] = {}  # model -> relationship -> loaded lazily
        for fact in self.project.facts_of("relationship"):
            rels = lazy.setdefault(str(fact.get("model")), {})
            name = str(fact.get("name"))
            rels[name] = rels.get(name, True) and not is_eager(fact.get("lazy"))
        bases: dict[str, set[str]] = {}
        django: set[str] = set()
        for fact in self.project.facts_of("model"):
            name = str(fact.get("name"))
            bases.setdefault(name, set()).update(fact.get("bases") or ())
            if fact.get("framework") == "django":
                django.add(name)
        for fact in facts:
            model, attr = str(fact.get("model")), str(fact.get("attr"))
            if not _relationship(model, attr, lazy, bases):
                continue
            if model in django:
                fix = f"Follow it in the loop's queryset: `.select_related('{attr}')` (a foreign key) or `.prefetch_related('{attr}')`."
            else:
                fix = f"Load it with the loop's query: `.options(selectinload({model}.{attr}))` (or `joinedload` for a many-to-one)."
            self.report(
                fact.path,
                fact.line,
                f"Relationship {model}.{attr} is lazy-loaded once per row of the loop (N+1 queries)",
                fix,
                column=int(fact.get("column", 1) or 1),
            )


def _relationship(model: str, attr: str, lazy: dict[str, dict[str, bool]], bases: dict[str, set[str]]) -> bool | None:
    """Whether ``model.attr`` is a lazily loaded relationship (looking through base classes)."""
    todo, seen = [model], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if attr in lazy.get(name, {}):
            return lazy[name][attr]
        todo.extend(bases.get(name, ()))
    return None
