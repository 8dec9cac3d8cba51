"""SQL001: SQL text built by f-string, ``%``, ``.format()``, ``+`` or ``join`` reaches an execution sink."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

import libcst as cst

from critic.rule import Invalid, PythonFile, PythonRule, Valid
from critic.rules.python._names import ImportAliases, dotted, last_name, string_value

# --------------------------------------------------------------------------- sinks
#: Methods that execute their first argument as SQL, whatever the receiver (DB-API cursors and
#: connections, SQLAlchemy Session/Connection/AsyncSession, Django's connection.cursor()).
_EXECUTE = frozenset({"execute", "executemany", "executescript", "exec_driver_sql"})
#: asyncpg / `databases` query methods: generic names, so the built text must look like SQL.
_FETCH = frozenset({"fetch", "fetchrow", "fetchval", "fetch_all", "fetch_one", "fetch_val", "iterate"})
_TEXT = frozenset(
    {"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text", "sqlmodel.text", "sqlalchemy.sql.expression.TextClause"}
)
_READ_SQL = frozenset({"read_sql", "read_sql_query"})
#: Keyword names under which the SQL text may be passed instead of positionally.
_SQL_KEYWORDS = frozenset({"sql", "statement", "query", "operation", "text", "raw_query", "stmt", "sql_script"})
#: Django QuerySet.extra() keyword arguments that hold raw SQL fragments.
_EXTRA_KEYWORDS = frozenset({"where", "select", "tables", "order_by"})

#: Every sink's name: a file that mentions none of them is skipped.
_SINK_HINT = re.compile(
    r"\b(?:" + "|".join(sorted(_EXECUTE | _FETCH | _READ_SQL | {"text", "raw", "RawSQL", "extra"})) + r")\b"
)
_SQLISH = re.compile(
    r"\bselect\b[\s\S]*\bfrom\b|\binsert\s+into\b|\bupdate\b[\s\S]*\bset\b|\bdelete\s+from\b|"
    r"\b(?:create|drop|alter|truncate)\s+(?:table|index|view|schema|database)\b|\bwhere\b",
    re.IGNORECASE,
)
#: Literal text just before a hole that makes the hole an identifier (table/column), not a value.
_IDENT_BEFORE = re.compile(
    r"(?:\b(?:from|join|into|update|table|by|select|distinct|exists|index)\s+|\.|\"|`)\Z", re.IGNORECASE
)
_UPPER = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
#: Calls whose result is a number or a fixed value whatever their argument: not injectable.
_SAFE_CALLS = frozenset({"int", "float", "len", "bool", "round", "abs", "range", "uuid4", "uuid.uuid4"})
#: Calls that return their (constant) argument's content in another container.
_CONTAINER_CALLS = frozenset({"str", "list", "tuple", "set", "sorted", "frozenset", "reversed"})
#: String/container methods whose result is constant when the receiver (and arguments) are.
_CONST_METHODS = frozenset(
    {
        "upper", "lower", "strip", "lstrip", "rstrip", "title", "capitalize", "replace",
        "items", "keys", "values", "copy", "format", "join", "get", "removeprefix", "removesuffix",
    }
)
#: Methods that keep a built string's taint (``query.strip()``).
_TAINT_METHODS = frozenset({"upper", "lower", "strip", "lstrip", "rstrip", "replace", "removesuffix", "removeprefix"})
_LIST_MUTATORS = frozenset({"append", "extend", "insert", "add", "update"})
_PERCENT_HOLE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]")
_FORMAT_HOLE = re.compile(r"\{[^{}]*\}")

CONST = "const"


@dataclass(frozen=True, slots=True)
class Taint:
    """A string built dynamically: how, through which variables, what its literal text says."""

    how: str  # "an f-string", "`%` formatting", "`.format()`", "`+` concatenation", "`join()`"
    via: tuple[str, ...] = ()  # variables it flowed through, origin first
    ident: bool = False  # an identifier (table/column name) is interpolated
    text: str = ""  # the literal SQL pieces, to tell SQL from other strings at generic sinks
    #: the nested blocks (if/else/loop bodies) it was assigned in; not part of its identity
    block: tuple[int, ...] = field(default=(), compare=False)

    def through(self, name: str) -> Taint:
        if self.via and self.via[-1] == name:
            return self
        return Taint(self.how, self.via + (name,), self.ident, self.text)


def _guarded(method):
    """Give up on one pathologically nested expression instead of crashing the rule."""

    @functools.wraps(method)
    def wrapper(self, node):
        if self.off:
            return None
        try:
            return method(self, node)
        except RecursionError:
            return None

    return wrapper


def _holes_are_identifiers(prefixes: list[str]) -> bool:
    return any(_IDENT_BEFORE.search(prefix) for prefix in prefixes)


class SqlStringBuilding(ImportAliases, PythonRule):
    """
    ## What it does
    Finds SQL text that is built from values at run time (an f-string with a non-constant
    placeholder, `%` formatting, `.format()`, `+` concatenation or `"...".join(...)` of
    non-constant parts) and reaches a place that executes it: DB-API
    `execute`/`executemany`/`executescript`, SQLAlchemy `Session`/`Connection`/`AsyncSession`
    `.execute()`, `text()`, `exec_driver_sql()`, Django `raw()`/`extra()`/`RawSQL`, asyncpg and
    `databases` query methods, or `pandas.read_sql`. The text may reach the sink directly or
    through local variables (assignments, `query += ...`, `sql = query`, list `append`s that
    are joined later). Composition of constants only (literals, module-level `UPPER_CASE`
    constants, whitelist lookups, `int()` casts, placeholder lists such as
    `",".join(["%s"] * len(ids))`) is not reported, nor are parameterized calls.

    ## Why is this bad?
    A value spliced into SQL text is parsed as SQL: a quote in a user's input ends the literal
    and the rest runs as a statement (CWE-89, OWASP A03 Injection). Bound parameters are sent
    apart from the SQL text and can never change its meaning. Table and column names cannot be
    bound, so they must come from a fixed whitelist.

    ## Example
        def find_user(db, email):
            query = f"SELECT * FROM users WHERE email = '{email}'"
            return db.execute(text(query)).first()

    ## Use instead
        def find_user(db, email):
            query = text("SELECT * FROM users WHERE email = :email")
            return db.execute(query, {"email": email}).first()
    """

    id = "SQL001"
    name = "sql-string-building"
    tier = "critical"
    severity = "high"
    confidence = "high"
    sources = ("DEV Constraints", "AGT Security Checklist", "EXE Database", "EXE Security", "SPC Security Measures")
    peers = ("bandit:B608", "ruff:S608", "bandit:B610", "ruff:S610", "bandit:B611", "ruff:S611", "semgrep:formatted-sql-query", "semgrep:sqlalchemy-execute-raw-query")
    cwe = ("CWE-89",)
    owasp = ("A03:2021",)
    message = "SQL text built from run-time values reaches an execution sink"
    fix = (
        "Pass values as bound parameters instead of building the SQL text: "
        '`cursor.execute("SELECT ... WHERE id = %s", (user_id,))`, or '
        '`session.execute(text("SELECT ... WHERE id = :id"), {"id": user_id})`, or a SQLAlchemy `select()`.'
    )
    IDENT_FIX = (
        "Table and column names cannot be bound parameters: map the input onto a fixed whitelist "
        '(`SORT_COLUMNS = {"name": "name", "created": "created_at"}`, then `SORT_COLUMNS[sort]`, '
        "rejecting anything else) or use SQLAlchemy `select()`/`order_by()` with model columns; "
        "bind every value as a parameter."
    )

    VALID = (
        Valid(
            "def get_user(cursor, user_id):\n"
            '    cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,))\n'
            "    return cursor.fetchone()\n"
        ),
        Valid(
            "from sqlalchemy import text\n"
            'USERS = "users"\n'
            "def count(session, status):\n"
            '    query = f"SELECT count(*) FROM {USERS}"\n'
            '    query += " WHERE status = :status"\n'
            '    return session.execute(text(query), {"status": status}).scalar()\n'
        ),
        Valid(
            "def by_ids(cursor, ids):\n"
            '    placeholders = ", ".join(["%s"] * len(ids))\n'
            '    cursor.execute(f"SELECT * FROM items WHERE id IN ({placeholders})", tuple(ids))\n'
        ),
        Valid(
            "def search(cursor, name, status):\n"
            '    clauses, params = ["1 = 1"], []\n'
            "    if name:\n"
            '        clauses.append("name = %s")\n'
            "        params.append(name)\n"
            '    sql = "SELECT * FROM items WHERE " + " AND ".join(clauses)\n'
            "    cursor.execute(sql, params)\n"
        ),
        Valid(
            'SORTABLE = {"name": "name", "created": "created_at"}\n'
            "def listing(cursor, sort):\n"
            '    column = SORTABLE.get(sort, "id")\n'
            '    cursor.execute(f"SELECT * FROM items ORDER BY {column} LIMIT {int(50)}")\n'
        ),
        Valid(
            "def greet(name):\n"
            '    message = "Hello " + name\n'
            '    return f"{message}!"\n'
        ),
    )
    INVALID = (
        Invalid(
            "def get_user(cursor, user_id):\n"
            '    cursor.execute(f"SELECT * FROM users WHERE id = {user_id}")\n',
            line=2,
        ),
        Invalid(
            "def get_user(cursor, name):\n"
            '    cursor.execute("SELECT * FROM users WHERE name = \'%s\'" % name)\n',
            line=2,
        ),
        Invalid(
            "from sqlalchemy import text\n"
            "def find(db, email):\n"
            "    query = \"SELECT * FROM users WHERE email = '\" + email + \"'\"\n"
            "    sql = query\n"
            '    sql += " LIMIT 1"\n'
            "    return db.execute(\n"
            "        text(sql)\n"
            "    ).first()\n",
            line=7,
        ),
        Invalid(
            "def listing(cursor, sort):\n"
            '    sql = "SELECT * FROM items ORDER BY {}".format(sort)\n'
            "    cursor.execute(sql)\n",
            line=3,
        ),
        Invalid(
            "import pandas as pd\n"
            "def report(conn, table):\n"
            '    return pd.read_sql("SELECT * FROM " + table, conn)\n',
            line=3,
        ),
        Invalid(
            "def search(cursor, filters):\n"
            "    clauses = []\n"
            "    for key, value in filters.items():\n"
            "        clauses.append(f\"{key} = '{value}'\")\n"
            '    cursor.execute("SELECT * FROM items WHERE " + " AND ".join(clauses))\n',
            line=5,
        ),
        Invalid(
            "from django.db.models.expressions import RawSQL\n"
            "def annotate(qs, column):\n"
            '    return qs.annotate(val=RawSQL("SELECT %s FROM t" % column, ()))\n',
            line=3,
        ),
    )

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.aliases: dict[str, str] = {}
        # one dict per scope (module, class, function, comprehension overlay): name -> Taint | CONST
        self.scopes: list[dict[str, object]] = [{}]
        self.kinds: list[str] = ["module"]
        self.blocks: list[int] = []
        #: a file that names no sink cannot have a finding: skip the data-flow work
        self.off = not _SINK_HINT.search(file.text)

    # ----------------------------------------------------------------- scopes
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        scope: dict[str, object] = {}
        params = node.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                every.append(star)
        for param in every:
            literal = param.annotation is not None and _is_literal_annotation(param.annotation.annotation)
            # a parameter shadows any outer binding; Literal["a", "b"] is one of the listed constants
            scope[param.name.value] = CONST if literal else None
        self.scopes.append(scope)
        self.kinds.append("function")

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()
        self.kinds.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append({})
        self.kinds.append("class")

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.pop()
        self.kinds.pop()

    def _lookup(self, name: str) -> object:
        last = len(self.scopes) - 1
        for index in range(last, -1, -1):
            if self.kinds[index] == "class" and index != last:
                continue
            scope = self.scopes[index]
            if name in scope:
                return scope[name]
        return None

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.blocks.append(id(node))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self.blocks.pop()

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self.blocks.append(id(node))

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self.blocks.pop()

    def _rebind(self, name: str, state: object) -> None:
        """An assignment: a clean value only clears a taint on every path that reaches here,
        that is when it is assigned in the taint's own block or one enclosing it (not in an
        ``if`` branch, a sibling ``else`` or a loop body that may not run)."""
        before = self.scopes[-1].get(name)
        here = tuple(self.blocks)
        if isinstance(state, Taint):
            self._bind(name, replace(state, block=here))
        elif isinstance(before, Taint) and before.block[: len(here)] != here:
            return
        else:
            self._bind(name, state)

    def _bind(self, name: str, state: object) -> None:
        scope = self.scopes[-1]
        if state is None:
            scope.pop(name, None)
            if any(name in s for s in self.scopes[:-1]):
                scope[name] = None  # shadows an outer binding: unknown here
        else:
            scope[name] = state

    # ----------------------------------------------------------------- assignments
    @_guarded
    def leave_Assign(self, original_node: cst.Assign) -> None:
        for target in original_node.targets:
            self._assign(target.target, original_node.value)

    @_guarded
    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        if original_node.value is not None:
            self._assign(original_node.target, original_node.value)

    @_guarded
    def leave_NamedExpr(self, original_node: cst.NamedExpr) -> None:
        self._assign(original_node.target, original_node.value)

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._rebind(target.value, self._state_of(value, target.value))
        elif isinstance(target, (cst.Tuple, cst.List)):
            values = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
            for index, element in enumerate(target.elements):
                if values is not None and len(values) == len(target.elements) and not isinstance(element, cst.StarredElement):
                    self._assign(element.value, values[index].value)
                else:
                    self._unbind_target(element.value)

    def _unbind_target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._bind(target.value, None)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._unbind_target(element.value)
        elif isinstance(target, cst.StarredElement):
            self._unbind_target(target.value)

    def _state_of(self, value: cst.BaseExpression, name: str) -> object:
        taint = self._built(value)
        if taint is not None:
            return taint.through(name)
        if self._const(value):
            return CONST
        return None

    @_guarded
    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        target = original_node.target
        if not isinstance(target, cst.Name):
            return
        name = target.value
        before = self._lookup(name)
        value = original_node.value
        operator = original_node.operator
        if isinstance(operator, cst.AddAssign):
            if isinstance(before, Taint):
                extra = self._built(value)
                if extra is not None and extra.ident and not before.ident:
                    before = Taint(before.how, before.via, True, before.text)
                self._rebind(name, before.through(name))
                return
            rhs_taint = self._built(value)
            if rhs_taint is not None:
                self._rebind(name, Taint(rhs_taint.how, (name,), rhs_taint.ident, rhs_taint.text))
            elif self._const(value):
                self._rebind(name, CONST if before == CONST else before)
            else:
                self._rebind(name, Taint("`+` concatenation", (name,)))
        elif isinstance(operator, cst.ModuloAssign):
            if self._const(value) and before == CONST:
                return
            self._rebind(name, Taint("`%` formatting", (name,)))
        else:
            self._rebind(name, None)

    @_guarded
    def visit_For(self, node: cst.For) -> None:
        if self._const(node.iter):
            self._bind_const_target(node.target)
        else:
            self._unbind_target(node.target)

    def _bind_const_target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._bind(target.value, CONST)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_const_target(element.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._unbind_target(node.asname.name)

    @_guarded
    def visit_If(self, node: cst.If) -> None:
        # `if sort not in ALLOWED: raise ...` (or `sort = "id"`) whitelists `sort` from here on
        name = _whitelist_guard(self, node.test, negated=True)
        if name is not None and (_ends_in_exit(node.body) or self._ends_in_const_assignment(node.body, name)):
            self._bind(name, CONST)

    def _ends_in_const_assignment(self, body: cst.BaseSuite, name: str) -> bool:
        last = body.body[-1] if body.body else None
        if isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 and isinstance(last.body[0], cst.Assign):
            assign = last.body[0]
            return (
                len(assign.targets) == 1
                and isinstance(assign.targets[0].target, cst.Name)
                and assign.targets[0].target.value == name
                and self._const(assign.value)
            )
        return False

    @_guarded
    def visit_Assert(self, node: cst.Assert) -> None:
        name = _whitelist_guard(self, node.test, negated=False)
        if name is not None:
            self._bind(name, CONST)

    # ----------------------------------------------------------------- sinks
    @_guarded
    def leave_Call(self, original_node: cst.Call) -> None:
        node = original_node
        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        if method in _LIST_MUTATORS and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            self._mutate(func.value.value, node)

    @_guarded
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        name = last_name(func)
        qualified = self.qualify(func)
        if method in _EXECUTE:
            self._check_sink(node, self._sql_arg(node), generic=False)
        elif qualified in _TEXT:
            self._check_sink(node, self._sql_arg(node), generic=False)
        elif name in _READ_SQL:
            self._check_sink(node, self._sql_arg(node), generic=False)
        elif name == "RawSQL":
            self._check_sink(node, self._sql_arg(node), generic=False)
        elif method == "raw" and isinstance(func, cst.Attribute):
            receiver = dotted(func.value) or ""
            self._check_sink(node, self._sql_arg(node), generic=not receiver.endswith("objects"))
        elif method in _FETCH:
            self._check_sink(node, self._sql_arg(node), generic=True)
        elif method == "extra":
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value in _EXTRA_KEYWORDS:
                    for part in _fragments(arg.value):
                        if self._check_sink(node, part, generic=False):
                            return

    def _sql_arg(self, node: cst.Call) -> cst.BaseExpression | None:
        for arg in node.args:
            if arg.keyword is None and not arg.star:
                return arg.value
            if arg.keyword is not None and arg.keyword.value in _SQL_KEYWORDS:
                return arg.value
        return None

    def _check_sink(self, node: cst.Call, arg: cst.BaseExpression | None, *, generic: bool) -> bool:
        if arg is None:
            return False
        taint = self._built(arg)
        if taint is None:
            return False
        if generic and not _SQLISH.search(taint.text):
            return False
        sink = dotted(node.func) or (node.func.attr.value if isinstance(node.func, cst.Attribute) else "the call")
        message = f"SQL text built with {taint.how} reaches `{sink}()`"
        if taint.via:
            message += f" through variable `{taint.via[-1]}`"
            if len(taint.via) > 1:
                message += f" (built as `{taint.via[0]}`)"
        if taint.ident:
            message += "; an identifier (table or column name) is interpolated"
        self.report(node, message, self.IDENT_FIX if taint.ident else self.fix)
        return True

    def _mutate(self, name: str, call: cst.Call) -> None:
        state = self._lookup(name)
        if state is None or isinstance(state, Taint):
            return
        for arg in call.args:
            taint = self._built(arg.value)
            if taint is not None:
                self._bind(name, Taint(taint.how, (name,), taint.ident, taint.text))
                return
            if not self._const(arg.value):
                self._bind(name, Taint("non-constant parts", (name,)))
                return

    # ----------------------------------------------------------------- evaluation
    def _const(self, node: cst.BaseExpression) -> bool:
        """True when ``node`` is provably built from constants only."""
        if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis)):
            return True
        if isinstance(node, cst.ConcatenatedString):
            return self._const(node.left) and self._const(node.right)
        if isinstance(node, cst.FormattedString):
            return all(
                self._const(part.expression)
                for part in node.parts
                if isinstance(part, cst.FormattedStringExpression)
            )
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return True
            state = self._lookup(node.value)
            if state is None:
                return bool(_UPPER.match(node.value)) and not _is_bound_unknown(self, node.value)
            return state == CONST
        if isinstance(node, cst.Attribute):
            attr = node.attr.value
            if _UPPER.match(attr) or attr in ("__tablename__", "__name__"):
                return True
            if attr in ("value", "name") and self._const(node.value):
                return True  # Enum.MEMBER.value
            return False
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Multiply) and isinstance(node.left, (cst.SimpleString, cst.List, cst.Tuple, cst.ConcatenatedString)):
                return self._const(node.left)  # "?" * n, ["%s"] * len(ids)
            return self._const(node.left) and self._const(node.right)
        if isinstance(node, cst.UnaryOperation):
            return self._const(node.expression)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return all(self._const(element.value) for element in node.elements)
        if isinstance(node, cst.Dict):
            return all(self._const(element.value) for element in node.elements)
        if isinstance(node, cst.Subscript):
            return self._const(node.value)
        if isinstance(node, cst.IfExp):
            if self._const(node.body) and self._const(node.orelse):
                return True
            guarded = _whitelist_guard(self, node.test, negated=False)
            return guarded is not None and isinstance(node.body, cst.Name) and node.body.value == guarded and self._const(node.orelse)
        if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            return self._const_comprehension(node.elt, node.for_in)
        if isinstance(node, cst.Call):
            return self._const_call(node)
        return False

    def _const_call(self, node: cst.Call) -> bool:
        func = node.func
        name = dotted(func)
        if name in _SAFE_CALLS:
            return True
        args = [arg.value for arg in node.args]
        if name in _CONTAINER_CALLS:
            return all(self._const(arg) for arg in args)
        if isinstance(func, cst.Attribute) and func.attr.value in _CONST_METHODS:
            if not self._const(func.value):
                return False
            if func.attr.value == "get":
                return len(args) < 2 or self._const(args[1])
            return all(self._const(arg) for arg in args)
        return False

    def _const_comprehension(self, element: cst.BaseExpression, for_in: cst.CompFor) -> bool:
        overlay: dict[str, object] = {}
        self.scopes.append(overlay)
        self.kinds.append("comprehension")
        try:
            current: cst.CompFor | None = for_in
            while current is not None:
                const_iter = self._const(current.iter)
                for name in _target_names(current.target):
                    overlay[name] = CONST if const_iter else None
                current = current.inner_for_in
            return self._const(element)
        finally:
            self.scopes.pop()
            self.kinds.pop()

    def _built(self, node: cst.BaseExpression) -> Taint | None:
        """A Taint when ``node`` is (or holds) text composed from non-constant values."""
        if isinstance(node, cst.Name):
            state = self._lookup(node.value)
            return state if isinstance(state, Taint) else None
        if isinstance(node, cst.FormattedString):
            prefixes, text, dynamic, inner = [], "", False, None
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    text += part.value
                elif not self._const(part.expression):
                    dynamic = True
                    prefixes.append(text)
                    inner = inner or self._built(part.expression)
            if not dynamic:
                return None
            ident = _holes_are_identifiers(prefixes) or bool(inner and inner.ident)
            return Taint("an f-string", inner.via if inner else (), ident, text)
        if isinstance(node, cst.ConcatenatedString):
            return self._built(node.left) or self._built(node.right)
        if isinstance(node, cst.BinaryOperation):
            return self._built_binary(node)
        if isinstance(node, cst.Call):
            return self._built_call(node)
        if isinstance(node, cst.IfExp):
            return self._built(node.body) or self._built(node.orelse)
        return None

    def _built_binary(self, node: cst.BinaryOperation) -> Taint | None:
        operator = node.operator
        if isinstance(operator, cst.Modulo):
            if self._const(node):
                return None
            left = self._built(node.left)
            if left is not None:
                return left
            template = string_value(node.left) or ""
            prefixes = _split_before(template, _PERCENT_HOLE)
            return Taint("`%` formatting", (), _holes_are_identifiers(prefixes), template)
        if isinstance(operator, cst.Add):
            if self._const(node):
                return None
            operands = _flatten_add(node)
            if any(_is_composable(operand) for operand in operands):
                return None  # psycopg sql.SQL(...) + sql.Identifier(...): composed safely
            for operand in operands:
                taint = self._built(operand)
                if taint is not None:
                    return taint
            dynamic = [i for i, operand in enumerate(operands) if not self._const(operand)]
            if dynamic == [0] and isinstance(operands[0], (cst.Name, cst.Attribute)):
                return None  # existing text + constant SQL: nothing is spliced in here
            prefixes, text, literal = [], "", ""
            for index, operand in enumerate(operands):
                if index in dynamic:
                    prefixes.append(literal)
                    literal = ""
                else:
                    piece = string_value(operand) or ""
                    literal += piece
                    text += piece
            return Taint("`+` concatenation", (), _holes_are_identifiers(prefixes), text)
        if isinstance(operator, cst.Multiply):
            return self._built(node.left)
        return None

    def _built_call(self, node: cst.Call) -> Taint | None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            if dotted(func) == "str" and node.args:
                return self._built(node.args[0].value)
            return None
        method = func.attr.value
        if method in ("format", "format_map"):
            if self._const(node):
                return None
            receiver = self._built(func.value)
            if receiver is not None:
                return receiver
            if not self._is_text(func.value):
                return None  # psycopg's sql.SQL(...).format(sql.Identifier(...)) and unknown objects
            template = string_value(func.value) or ""
            prefixes = _split_before(template, _FORMAT_HOLE)
            return Taint("`.format()`", (), _holes_are_identifiers(prefixes), template)
        if method == "join" and node.args:
            if not self._const(func.value):
                return None
            iterable = node.args[0].value
            if self._const(iterable):
                return None
            inner = self._built(iterable) or self._built_elements(iterable)
            separator = string_value(func.value) or ""
            if inner is not None:
                return Taint(inner.how, inner.via, inner.ident, separator + inner.text)
            return Taint("`join()`", (), False, separator)
        if method in _TAINT_METHODS:
            return self._built(func.value)
        return None

    def _is_text(self, node: cst.BaseExpression) -> bool:
        """A string literal, or a name known to hold text (a constant or a built string)."""
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return True
        if isinstance(node, cst.Name):
            return self._lookup(node.value) is not None or bool(_UPPER.match(node.value))
        if isinstance(node, cst.Attribute):
            return bool(_UPPER.match(node.attr.value))
        return False

    def _built_elements(self, node: cst.BaseExpression) -> Taint | None:
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            for element in node.elements:
                taint = self._built(element.value)
                if taint is not None:
                    return taint
        if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
            return self._built(node.elt)
        return None


# --------------------------------------------------------------------------- helpers
def _flatten_add(node: cst.BinaryOperation) -> list[cst.BaseExpression]:
    """The operands of an `a + b + c` chain (parentheses do not change a concatenation)."""
    out: list[cst.BaseExpression] = []
    stack: list[cst.BaseExpression] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.BinaryOperation) and isinstance(current.operator, cst.Add):
            stack.append(current.right)
            stack.append(current.left)
        else:
            out.append(current)
    return out


_COMPOSABLE = frozenset({"SQL", "Identifier", "Literal", "Placeholder", "Composed"})


def _is_composable(node: cst.BaseExpression) -> bool:
    """psycopg's ``sql`` module objects: ``sql.SQL("...")``, ``sql.Identifier(name)``..."""
    while isinstance(node, cst.Call):
        if last_name(node.func) in _COMPOSABLE:
            return True
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("format", "join"):
            node = node.func.value
        else:
            return False
    return False


def _split_before(template: str, hole: re.Pattern[str]) -> list[str]:
    """The literal text before each hole of a ``%``/``format`` template."""
    out, last = [], 0
    for match in hole.finditer(template):
        out.append(template[last : match.start()])
        last = match.end()
    return out


def _fragments(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(node, (cst.List, cst.Tuple)):
        return [element.value for element in node.elements]
    if isinstance(node, cst.Dict):
        return [element.value for element in node.elements if isinstance(element, cst.DictElement)]
    return [node]


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _target_names(element.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def _is_literal_annotation(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Subscript):
        head = last_name(node.value)
        if head == "Literal":
            return True
        if head == "Annotated" and node.slice:
            first = node.slice[0].slice
            return isinstance(first, cst.Index) and _is_literal_annotation(first.value)
    return False


def _whitelist_guard(rule: SqlStringBuilding, test: cst.BaseExpression, *, negated: bool) -> str | None:
    """``name`` for ``name in CONST`` (or ``name not in CONST`` when ``negated``)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1 or not isinstance(test.left, cst.Name):
        return None
    target = test.comparisons[0]
    wanted = cst.NotIn if negated else cst.In
    if isinstance(target.operator, wanted) and rule._const(target.comparator):
        return test.left.value
    return None


def _ends_in_exit(body: cst.BaseSuite) -> bool:
    statements = body.body
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(small, (cst.Raise, cst.Return)) for small in last.body)
    return False


def _is_bound_unknown(rule: SqlStringBuilding, name: str) -> bool:
    """An UPPER_CASE name explicitly rebound to an unknown value in an open scope."""
    return any(name in scope and scope[name] is None for scope in rule.scopes)

