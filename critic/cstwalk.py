"""A read-only batched traversal of a libcst tree, and positions for just the nodes reported.

libcst's own ``visit_batched`` rebuilds every node of the tree while it walks it (its
``_visit_and_replace_children`` constructs a new node per node, for transformers' sake), and
``PositionProvider`` generates the whole module's code with a position record per node, after
an extra empty traversal. For a linter that only reads the tree and needs the lines of a
handful of nodes, both cost several times the parse itself. This module does the same work
read-only:

- ``walk_batched(module, visitors)`` calls exactly the callbacks libcst's ``visit_batched``
  would call, in the same order (``visit_<Node>``, ``visit_<Node>_<field>``,
  ``leave_<Node>_<field>``, ``leave_<Node>``), by following, for each node class, the fields
  its ``_visit_and_replace_children`` visits, in that order; nothing is rebuilt. The table of
  fields is derived from libcst's own source (``extract_plans``); the copy below is for the
  libcst release critic is tested with, and any other release gets its table derived at run
  time (or, if that fails, libcst's own traversal). tests/test_cstwalk.py proves the callback
  sequence identical to libcst's on real files.
- ``node_positions(module, nodes)`` returns, for the given nodes only, the ``CodeRange`` that
  libcst's ``PositionProvider`` would give them: it generates code as PositionProvider does
  (same hoisting of syntactic positions), but records only those nodes (and the children
  their ranges are hoisted from), keeps no token text, and stops as soon as the last of them
  is generated.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import libcst as cst
from libcst import CSTNode, MaybeSentinel
from libcst._nodes.base import BaseLeaf
from libcst._position import CodePosition, CodeRange

#: The libcst release the table below was derived from (``extract_plans`` on its source).
PLANS_LIBCST_VERSION = "1.9.0"

#: Per node class that defines ``_visit_and_replace_children``: the fields it visits, in order,
#: each with how: r = a node, o = a node, None or MaybeSentinel (callbacks, no descent when
#: absent), s = a sequence of nodes, x = a node or a sequence, n = a sequence or None (no
#: callbacks at all when None).
_PLANS_TEXT = """
    LeftSquareBracket whitespace_after:r
    RightSquareBracket whitespace_before:r
    LeftCurlyBrace whitespace_after:r
    RightCurlyBrace whitespace_before:r
    LeftParen whitespace_after:r
    RightParen whitespace_before:r
    Asynchronous whitespace_after:r
    Name lpar:s rpar:s
    Ellipsis lpar:s rpar:s
    Integer lpar:s rpar:s
    Float lpar:s rpar:s
    Imaginary lpar:s rpar:s
    SimpleString lpar:s rpar:s
    FormattedStringText
    FormattedStringExpression whitespace_before_expression:r expression:r equal:o whitespace_after_expression:r format_spec:n
    FormattedString lpar:s parts:s rpar:s
    TemplatedStringText
    TemplatedStringExpression whitespace_before_expression:r expression:r equal:o whitespace_after_expression:r format_spec:n
    TemplatedString lpar:s parts:s rpar:s
    ConcatenatedString lpar:s left:r whitespace_between:r right:r rpar:s
    ComparisonTarget operator:r comparator:r
    Comparison lpar:s left:r comparisons:s rpar:s
    UnaryOperation lpar:s operator:r expression:r rpar:s
    BinaryOperation lpar:s left:r operator:r right:r rpar:s
    BooleanOperation lpar:s left:r operator:r right:r rpar:s
    Attribute lpar:s value:r dot:r attr:r rpar:s
    Index whitespace_after_star:o value:r
    Slice lower:o first_colon:r upper:o second_colon:o step:o
    SubscriptElement slice:r comma:o
    Subscript lpar:s value:r whitespace_after_value:r lbracket:r slice:s rbracket:r rpar:s
    Annotation whitespace_before_indicator:o whitespace_after_indicator:r annotation:r
    ParamStar comma:r
    ParamSlash comma:o whitespace_after:r
    Param whitespace_after_star:r name:r annotation:o equal:o default:o comma:o whitespace_after_param:r
    Parameters posonly_params:s posonly_ind:o params:s star_arg:o kwonly_params:s star_kwarg:o
    Lambda lpar:s whitespace_after_lambda:o params:r colon:r body:r rpar:s
    Arg whitespace_after_star:r keyword:o equal:o value:r comma:o whitespace_after_arg:r
    Call lpar:s func:r whitespace_after_func:r whitespace_before_args:r args:s rpar:s
    Await lpar:s whitespace_after_await:r expression:r rpar:s
    IfExp lpar:s body:r whitespace_before_if:r whitespace_after_if:r test:r whitespace_before_else:r whitespace_after_else:r orelse:r rpar:s
    From whitespace_before_from:o whitespace_after_from:r item:r
    Yield lpar:s whitespace_after_yield:o value:o rpar:s
    Element value:r comma:o
    DictElement key:r whitespace_before_colon:r whitespace_after_colon:r value:r comma:o
    StarredElement lpar:s whitespace_before_value:r value:r rpar:s comma:o
    StarredDictElement whitespace_before_value:r value:r comma:o
    Tuple lpar:s elements:s rpar:s
    List lpar:s lbracket:r elements:s rbracket:r rpar:s
    Set lpar:s lbrace:r elements:s rbrace:r rpar:s
    Dict lpar:s lbrace:r elements:s rbrace:r rpar:s
    CompFor whitespace_before:r asynchronous:o whitespace_after_for:r target:r whitespace_before_in:r whitespace_after_in:r iter:r ifs:s inner_for_in:o
    CompIf whitespace_before:r whitespace_before_test:r test:r
    GeneratorExp lpar:s elt:r for_in:r rpar:s
    ListComp lpar:s lbracket:r elt:r for_in:r rbracket:r rpar:s
    SetComp lpar:s lbrace:r elt:r for_in:r rbrace:r rpar:s
    DictComp lpar:s lbrace:r key:r whitespace_before_colon:r whitespace_after_colon:r value:r for_in:r rbrace:r rpar:s
    StarredDictComp lpar:s lbrace:r whitespace_before_value:r value:r for_in:r rbrace:r rpar:s
    NamedExpr lpar:s target:r whitespace_before_walrus:r whitespace_after_walrus:r value:r rpar:s
    Del target:r whitespace_after_del:r semicolon:o
    Pass semicolon:o
    Break semicolon:o
    Continue semicolon:o
    Return whitespace_after_return:o value:o semicolon:o
    Expr value:r semicolon:o
    SimpleStatementLine leading_lines:s body:s trailing_whitespace:r
    SimpleStatementSuite leading_whitespace:r body:s trailing_whitespace:r
    Else leading_lines:s whitespace_before_colon:r body:r
    If leading_lines:s whitespace_before_test:r test:r whitespace_after_test:r body:r orelse:o
    IndentedBlock header:r body:s footer:s
    AsName whitespace_before_as:r name:r whitespace_after_as:r
    ExceptHandler leading_lines:s whitespace_after_except:r type:o name:o whitespace_before_colon:r body:r
    ExceptStarHandler leading_lines:s whitespace_after_except:r whitespace_after_star:r type:r name:o whitespace_before_colon:r body:r
    Finally leading_lines:s whitespace_before_colon:r body:r
    Try leading_lines:s whitespace_before_colon:r body:r handlers:s orelse:o finalbody:o
    TryStar leading_lines:s whitespace_before_colon:r body:r handlers:s orelse:o finalbody:o
    ImportAlias name:r asname:o comma:o
    Import whitespace_after_import:r names:s semicolon:o
    ImportFrom whitespace_after_from:r relative:s module:o whitespace_before_import:r whitespace_after_import:r lpar:o names:x rpar:o semicolon:o
    LazyImport whitespace_after_lazy:r whitespace_after_import:r names:s semicolon:o
    LazyImportFrom whitespace_after_lazy:r whitespace_after_from:r relative:s module:o whitespace_before_import:r whitespace_after_import:r lpar:o names:x rpar:o semicolon:o
    AssignTarget target:r whitespace_before_equal:r whitespace_after_equal:r
    Assign targets:s value:r semicolon:o
    AnnAssign target:r annotation:r equal:o value:o semicolon:o
    AugAssign target:r operator:r value:r semicolon:o
    Decorator leading_lines:s whitespace_after_at:r decorator:r trailing_whitespace:r
    FunctionDef leading_lines:s decorators:s lines_after_decorators:s asynchronous:o whitespace_after_def:r name:r whitespace_after_name:r type_parameters:o whitespace_after_type_parameters:r whitespace_before_params:r params:r returns:o whitespace_before_colon:r body:r
    ClassDef leading_lines:s decorators:s lines_after_decorators:s whitespace_after_class:r name:r whitespace_after_name:r type_parameters:o whitespace_after_type_parameters:r lpar:o bases:s keywords:s rpar:o whitespace_before_colon:r body:r
    WithItem item:r asname:o comma:o
    With leading_lines:s asynchronous:o whitespace_after_with:r lpar:o items:s rpar:o whitespace_before_colon:r body:r
    For leading_lines:s asynchronous:o whitespace_after_for:r target:r whitespace_before_in:r whitespace_after_in:r iter:r whitespace_before_colon:r body:r orelse:o
    While leading_lines:s whitespace_after_while:r test:r whitespace_before_colon:r body:r orelse:o
    Raise whitespace_after_raise:o exc:o cause:o semicolon:o
    Assert whitespace_after_assert:r test:r comma:o msg:o semicolon:o
    NameItem name:r comma:o
    Global whitespace_after_global:r names:s semicolon:o
    Nonlocal whitespace_after_nonlocal:r names:s semicolon:o
    Match leading_lines:s whitespace_after_match:r subject:r whitespace_before_colon:r whitespace_after_colon:r cases:s footer:s
    MatchCase leading_lines:s whitespace_after_case:r pattern:r whitespace_before_if:r whitespace_after_if:r guard:o whitespace_before_colon:r body:r
    MatchValue value:r
    MatchSingleton value:r
    MatchSequenceElement value:r comma:o
    MatchStar whitespace_before_name:r name:o comma:o
    MatchList lpar:s lbracket:o patterns:s rbracket:o rpar:s
    MatchTuple lpar:s patterns:s rpar:s
    MatchMappingElement key:r whitespace_before_colon:r whitespace_after_colon:r pattern:r comma:o
    MatchMapping lpar:s lbrace:r elements:s whitespace_before_rest:r rest:o trailing_comma:o rbrace:r rpar:s
    MatchKeywordElement key:r whitespace_before_equal:r whitespace_after_equal:r pattern:r comma:o
    MatchClass lpar:s cls:r whitespace_after_cls:r whitespace_before_patterns:r patterns:s kwds:s whitespace_after_kwds:r rpar:s
    MatchAs lpar:s pattern:o whitespace_before_as:o whitespace_after_as:o name:o rpar:s
    MatchOrElement pattern:r separator:o
    MatchOr lpar:s patterns:s rpar:s
    TypeVar name:r colon:o bound:o
    TypeVarTuple name:r whitespace_after_star:r
    ParamSpec name:r whitespace_after_star:r
    TypeParam param:r equal:o whitespace_after_star:r default:o comma:o
    TypeParameters lbracket:r params:s rbracket:r
    TypeAlias whitespace_after_type:r name:r whitespace_after_name:o type_parameters:o whitespace_after_type_parameters:o whitespace_after_equals:r value:r semicolon:o
    Module header:s body:s footer:s
    _BaseOneTokenOp whitespace_before:r whitespace_after:r
    _BaseTwoTokenOp whitespace_before:r whitespace_between:r whitespace_after:r
    BaseUnaryOp whitespace_after:r
    NotEqual whitespace_before:r whitespace_after:r
    TrailingWhitespace whitespace:r comment:o newline:r
    EmptyLine whitespace:r comment:o newline:r
    ParenthesizedWhitespace first_line:r empty_lines:s last_line:r
"""

_KIND_OF_HELPER = {
    "visit_required": "r",
    "visit_optional": "o",
    "visit_sentinel": "o",
    "visit_sequence": "s",
    "visit_iterable": "s",
    "visit_body_sequence": "s",
    "visit_body_iterable": "s",
}
_NODE_MODULES = ("expression", "statement", "module", "op", "whitespace")
# field kinds as small ints for the hot loop
_REQUIRED, _SEQUENCE, _OPTIONAL, _EITHER, _SEQUENCE_OR_NONE = range(5)
_KIND_CODE = {"r": _REQUIRED, "s": _SEQUENCE, "o": _OPTIONAL, "x": _EITHER, "n": _SEQUENCE_OR_NONE}


class UnsupportedLibcst(RuntimeError):
    """The installed libcst has node classes this module cannot map; use libcst's traversal."""


def extract_plans(source_dir: Path | None = None) -> str:
    """The plans table, derived from the ``_visit_and_replace_children`` methods of libcst's source.

    Each is a single ``return Node(field=visit_helper(self, "field", ...), ...)`` whose keyword
    arguments are evaluated in source order, which is the order libcst visits the fields in.
    """
    base = source_dir or Path(cst.__file__).resolve().parent / "_nodes"
    lines: list[str] = []
    for name in _NODE_MODULES:
        tree = ast.parse((base / f"{name}.py").read_text(encoding="utf-8"))
        for cls in tree.body:
            if not isinstance(cls, ast.ClassDef):
                continue
            for fn in cls.body:
                if not (isinstance(fn, ast.FunctionDef) and fn.name == "_visit_and_replace_children"):
                    continue
                calls = [s.value for s in fn.body if isinstance(s, (ast.Return, ast.Assign)) and isinstance(s.value, ast.Call)]
                if len(calls) != 1:
                    raise UnsupportedLibcst(f"{cls.name}._visit_and_replace_children is not one constructor call")
                plan = []
                for kw in calls[0].keywords:
                    value = kw.value
                    if isinstance(value, ast.IfExp):
                        branches = (value.body, value.orelse)
                        if not any(_helper(b) for b in branches):
                            continue
                        if any(not _helper(b) and not (isinstance(b, ast.Constant) and b.value is None) for b in branches):
                            raise UnsupportedLibcst(f"{cls.name}.{kw.arg}: unexpected conditional visit")
                        none = any(isinstance(b, ast.Constant) and b.value is None for b in branches)
                        plan.append(f"{kw.arg}:{'n' if none else 'x'}")
                    elif _helper(value):
                        plan.append(f"{kw.arg}:{_KIND_OF_HELPER[value.func.id]}")
                    elif any(_helper(n) for n in ast.walk(value)):
                        raise UnsupportedLibcst(f"{cls.name}.{kw.arg}: a visit nested in an expression")
                lines.append(f"{cls.name} {' '.join(plan)}".rstrip())
    return "\n".join(lines)


def _helper(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _KIND_OF_HELPER


def _parse_plans(text: str) -> dict[type, tuple[tuple[str, int], ...]]:
    import importlib

    namespace: dict[str, object] = {}
    for name in _NODE_MODULES:
        module = importlib.import_module(f"libcst._nodes.{name}")
        # only the classes defined there (statement.py imports typing.Tuple, for one)
        namespace.update({k: v for k, v in vars(module).items() if isinstance(v, type) and v.__module__ == module.__name__})
    plans: dict[type, tuple[tuple[str, int], ...]] = {}
    for line in text.strip().splitlines():
        name, *fields = line.split()
        cls = namespace.get(name)
        if not (isinstance(cls, type) and issubclass(cls, CSTNode) and "_visit_and_replace_children" in cls.__dict__):
            raise UnsupportedLibcst(f"no node class {name}")
        plan = []
        for item in fields:
            field, kind = item.split(":")
            plan.append((field, _KIND_CODE[kind]))
        plans[cls] = tuple(plan)
    # every node class must resolve to a plan (or be a leaf), or the walk could miss children
    # (the classes by name: add_slots replaces each class, and the replaced one lingers
    # among CSTNode.__subclasses__())
    for cls in namespace.values():
        if not (isinstance(cls, type) and issubclass(cls, CSTNode)) or getattr(cls, "__abstractmethods__", None):
            continue
        owner = _owner(cls, plans)
        if owner is None:
            raise UnsupportedLibcst(f"no plan for {cls.__name__}")
        fields = getattr(cls, "__dataclass_fields__", {})
        for field, _ in plans.get(owner, ()):
            if field not in fields:
                raise UnsupportedLibcst(f"{cls.__name__} has no field {field}")
    return plans


def _owner(cls: type, plans: Mapping[type, object]) -> type | None:
    """The class whose ``_visit_and_replace_children`` ``cls`` uses, if this module knows it."""
    for klass in cls.__mro__:
        if "_visit_and_replace_children" in klass.__dict__:
            if klass in plans or klass is BaseLeaf:
                return klass
            return None
    return None


_PLANS: dict[type, tuple[tuple[str, int], ...]] | None = None
_PLANS_ERROR: str | None = None


def plans() -> dict[type, tuple[tuple[str, int], ...]] | None:
    """The plans for the installed libcst, or None when its traversal must be used instead."""
    global _PLANS, _PLANS_ERROR
    if _PLANS is None and _PLANS_ERROR is None:
        try:
            from libcst._version import __version__ as version
        except ImportError:  # pragma: no cover - every libcst release has it
            version = ""
        try:
            text = _PLANS_TEXT if version == PLANS_LIBCST_VERSION else extract_plans()
            _PLANS = _parse_plans(text)
        except (UnsupportedLibcst, OSError, SyntaxError, ValueError, StopIteration) as exc:
            _PLANS_ERROR = f"{type(exc).__name__}: {exc}"
    return _PLANS


def plan_of(cls: type) -> tuple[tuple[str, int], ...]:
    table = plans() or {}
    owner = _owner(cls, table)
    if owner is None:
        raise UnsupportedLibcst(f"no plan for {cls.__name__}")
    return table.get(owner, ())


# --------------------------------------------------------------------------- the walk
def walk_batched(module: cst.CSTNode, visitors: Sequence[cst.BatchableCSTVisitor]) -> None:
    """Call every visitor's callbacks over ``module`` exactly as ``libcst.visit_batched`` would.

    Metadata dependencies, if any visitor declares them, must be resolved by the caller
    (``analyze`` keeps a MetadataWrapper for that); the tree is never modified.
    """
    table = plans()
    if table is None:
        cst.visit_batched(module, visitors)
        return
    template, methods = _template(visitors, table)
    _Walker(template, visitors, methods).walk(module)


#: Dispatch plans by the methods each visitor offers (get_visitors' names, in order): the same
#: rules offer the same names file after file (or none, for a file a rule opts out of), so a
#: plan is made once per combination and reused; only the binding to instances is per file.
_TEMPLATES: dict[tuple, "_Template"] = {}
_MAX_TEMPLATES = 256


def _template(
    visitors: Sequence[cst.BatchableCSTVisitor], table: Mapping[type, tuple[tuple[str, int], ...]]
) -> "tuple[_Template, list[Mapping[str, object]]]":
    """The dispatch plan for these visitors, and each visitor's method mapping for this file."""
    methods = [v.get_visitors() for v in visitors]
    key = tuple(tuple(m) for m in methods)
    template = _TEMPLATES.get(key)
    if template is None:
        if len(_TEMPLATES) >= _MAX_TEMPLATES:
            _TEMPLATES.clear()
        template = _TEMPLATES[key] = _Template(key, table)
    return template, methods


class _Template:
    """Which visitor methods each node class calls (as visitor index + method name)."""

    def __init__(self, names: Sequence[Sequence[str]], table: Mapping[type, tuple[tuple[str, int], ...]]) -> None:
        self.table = table
        self.by_name: dict[str, tuple[int, ...]] = {}
        for index, visitor_names in enumerate(names):
            for name in visitor_names:
                self.by_name[name] = self.by_name.get(name, ()) + (index,)
        #: node class -> (visit, leave, fields) recipes; a recipe is ((index, name), ...) or None
        self.recipes: dict[type, tuple] = {}
        #: node class -> the entry to use as is (no callback at all: the same for every file)
        self.shared: dict[type, tuple] = {}
        self.inert: set[type] = set()

    def recipe(self, cls: type) -> tuple:
        owner = _owner(cls, self.table)
        if owner is None:
            raise UnsupportedLibcst(f"no plan for {cls.__name__}")
        name = cls.__name__
        by_name = self.by_name

        def calls(method: str) -> tuple[tuple[int, str], ...] | None:
            found = by_name.get(method)
            return tuple((index, method) for index in found) if found else None

        fields = tuple(
            (field, kind, calls(f"visit_{name}_{field}"), calls(f"leave_{name}_{field}")) for field, kind in self.table.get(owner, ())
        )
        recipe = (calls(f"visit_{name}"), calls(f"leave_{name}"), fields)
        self.recipes[cls] = recipe
        if recipe[0] is None and recipe[1] is None and all(f[2] is None and f[3] is None for f in fields):
            self.shared[cls] = recipe
            if not fields:
                self.inert.add(cls)
        return recipe

class _Walker:
    __slots__ = ("template", "visitors", "methods", "entries")

    def __init__(self, template: _Template, visitors: Sequence[cst.BatchableCSTVisitor], methods: "list[Mapping[str, object]]") -> None:
        self.template = template
        self.visitors = visitors
        self.methods = methods
        self.entries: dict[type, tuple] = dict(template.shared)

    def entry(self, cls: type) -> tuple:
        template = self.template
        recipe = template.recipes.get(cls) or template.recipe(cls)
        if cls in template.shared:
            entry = recipe
        else:
            methods = self.methods

            def bind(calls):
                return tuple(methods[index][method] for index, method in calls) if calls else None

            visit, leave, fields = recipe
            entry = (bind(visit), bind(leave), tuple((f, k, bind(va), bind(la)) for f, k, va, la in fields))
        self.entries[cls] = entry
        return entry

    def walk(self, node: CSTNode) -> None:
        entries = self.entries
        inert = self.template.inert
        entry_of = self.entry
        sentinel = MaybeSentinel.DEFAULT

        def walk(node: CSTNode) -> None:
            cls = node.__class__
            entry = entries.get(cls) or entry_of(cls)
            visit, leave, fields = entry
            if visit is not None:
                for fn in visit:
                    fn(node)
            for field, kind, visit_attr, leave_attr in fields:
                value = getattr(node, field)
                if kind == _REQUIRED:
                    if visit_attr is not None:
                        for fn in visit_attr:
                            fn(node)
                    if value.__class__ not in inert:
                        walk(value)
                elif kind == _SEQUENCE:
                    if visit_attr is not None:
                        for fn in visit_attr:
                            fn(node)
                    for child in value:
                        if child.__class__ not in inert:
                            walk(child)
                else:
                    if value is None or value is sentinel:
                        if kind == _SEQUENCE_OR_NONE:
                            continue  # libcst makes no attribute callbacks for it
                        if visit_attr is not None:
                            for fn in visit_attr:
                                fn(node)
                    else:
                        if visit_attr is not None:
                            for fn in visit_attr:
                                fn(node)
                        cls = value.__class__
                        if cls is tuple or cls is list:  # kind x: a sequence here
                            for child in value:
                                if child.__class__ not in inert:
                                    walk(child)
                        elif cls not in inert:
                            walk(value)
                if leave_attr is not None:
                    for fn in leave_attr:
                        fn(node)
            if leave is not None:
                for fn in leave:
                    fn(node)

        walk(node)


# --------------------------------------------------------------------------- positions
_NEWLINE = re.compile(r"\r\n?|\n")


class _Done(Exception):
    """Every wanted node has its position: stop generating code."""


class _NoRecord:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


_NO_RECORD = _NoRecord()


class _Record:
    """PositionProvider's ``record_syntactic_position`` for one tracked node."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: "_PositionState", node: CSTNode, start_node: CSTNode | None, end_node: CSTNode | None) -> None:
        self.state = state
        self.node = node
        self.start_node = start_node
        self.end_node = end_node

    def __enter__(self) -> None:
        state = self.state
        self.start = (state.line, state.column)
        # the range is hoisted from these children: track them too (they are generated inside)
        if self.start_node is not None:
            state.ids.add(id(self.start_node))
        if self.end_node is not None:
            state.ids.add(id(self.end_node))

    def __exit__(self, *exc: object) -> bool:
        state = self.state
        computed = state.computed
        start = computed[id(self.start_node)][0] if self.start_node is not None else self.start
        end = computed[id(self.end_node)][1] if self.end_node is not None else (state.line, state.column)
        computed[id(self.node)] = (start, end)
        return False


class _PositionState:
    """A codegen state that counts lines and columns, keeps no text, and records tracked nodes."""

    def __init__(self, module: cst.Module, ids: set[int], wanted: set[int]) -> None:
        self.default_indent = module.default_indent
        self.default_newline = module.default_newline
        # Module._codegen_impl asks whether anything was generated; nothing is kept here
        self.tokens: list[str] = [""] if (module.header or module.body or module.footer) else []
        self.indent_tokens: list[str] = []
        self.indent_width = 0
        self.line = 1
        self.column = 0
        self.ids = ids  # nodes whose range is recorded (wanted ones and hoisting sources)
        self.wanted = wanted  # the nodes asked for; code generation stops when all are done
        self.left = len(wanted)
        self.starts: dict[int, tuple[int, int]] = {}
        self.computed: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}

    def increase_indent(self, value: str) -> None:
        self.indent_tokens.append(value)
        self.indent_width += len(value)

    def decrease_indent(self) -> None:
        self.indent_width -= len(self.indent_tokens.pop())

    def add_indent_tokens(self) -> None:
        self.column += self.indent_width  # indentation never holds a newline

    def add_token(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            segments = _NEWLINE.split(value)
            if len(segments) > 1:
                self.line += len(segments) - 1
                self.column = len(segments[-1])
                return
        self.column += len(value)

    def pop_trailing_newline(self) -> None:
        pass  # PositionProvider does not move back either

    def before_codegen(self, node: CSTNode) -> None:
        if id(node) in self.ids:
            self.starts[id(node)] = (self.line, self.column)

    def after_codegen(self, node: CSTNode) -> None:
        key = id(node)
        if key in self.ids:
            if key not in self.computed:
                self.computed[key] = (self.starts[key], (self.line, self.column))
            if key in self.wanted:
                self.wanted.discard(key)
                self.left -= 1
                if not self.left:
                    raise _Done

    def record_syntactic_position(self, node: CSTNode, *, start_node: CSTNode | None = None, end_node: CSTNode | None = None):
        if id(node) in self.ids:
            return _Record(self, node, start_node, end_node)
        return _NO_RECORD


def node_positions(module: cst.Module, nodes: Iterable[CSTNode]) -> dict[CSTNode, CodeRange]:
    """The ``PositionProvider`` range of each of ``nodes`` (nodes of ``module``), and only theirs."""
    wanted = {id(n): n for n in nodes}
    if not wanted:
        return {}
    state = _PositionState(module, set(wanted), set(wanted))
    try:
        module._codegen(state)  # type: ignore[arg-type]  # duck-typed CodegenState
    except _Done:
        pass
    out: dict[CSTNode, CodeRange] = {}
    for key, node in wanted.items():
        where = state.computed.get(key)
        if where is not None:
            (line, column), (end_line, end_column) = where
            out[node] = CodeRange(CodePosition(line, column), CodePosition(end_line, end_column))
    return out
