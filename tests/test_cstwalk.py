"""critic.cstwalk does exactly what libcst would, faster: same callbacks in the same order, same
positions. Proven here against libcst itself on the fixtures and on code written to hit every
corner of the grammar the walk and the position pass treat specially."""
from __future__ import annotations

import random
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from critic import analyze, cstwalk
from critic.rule import PythonFile, PythonVisitor

REPO = Path(__file__).resolve().parent.parent

TRICKY = [
    "",
    "\n",
    "# only a comment",
    "x = 1",  # no trailing newline
    "x = 1; y = 2;  # semicolons\n",
    "if True: pass\nelse: x = (1,\n  2)\n",
    "import a.b as c, d\nfrom . import (e, f,)\nfrom ..g import *\nfrom h import i as j\n",
    '@dec(1)  # c\n# between\n@other\nasync def f[T](a, /, b: int = 2, *c, d, e=3, **g) -> "T":\n    """doc"""\n    return await h(*c, **g)\n',
    "class K(Base, metaclass=M):\n    x: int = 1\n    def m(self): ...\n",
    "match cmd:\n    case [1, *rest] if rest:\n        pass\n    case {'k': v, **kw}:\n        pass\n    case Point(x=0) | None as p:\n        pass\n    case _:\n        pass\n",
    "try:\n    pass\nexcept* (A, B) as e:\n    raise\nelse:\n    pass\nfinally:\n    del x\n",
    "try:\n    1 / 0\nexcept ZeroDivisionError:\n    pass\nexcept:\n    raise X from None\n",
    'f"{a!r:>{width}} {b=} {c:{d}.{e}}" "implicit" \'concat\'\nrb"\\x00" b"more"\n',
    "lambda x, *a, y=1, **k: (yield from z)\n",
    "x = [i async for i in g() if i if not i] ; y = {k: v for k, v in d.items()}; s = {*a, *b}\n",
    "a[1:2, ::3, ...] = b[c] = -d ** ~e @ f // g\n",
    "x = 1 if (y := f()) else 2 < 3 <= 4 != 5 is not None\n",
    "global g\nnonlocal n\nassert x, 'msg'\nwhile x: break\nfor i in r: continue\n",
    "with a as (b, c), d:\n    pass\nasync def f():\n    async with x as y:\n        async for z in y:\n            await z\n",
    "type Alias[T] = list[T]\n",
    "x = (  # open\n    1 +  # one\n    2\n)  # close\n\\\n\ny = 3\n",
    "def f(\n    a,\n    b,\n):\n    return (\n        a\n        +\n        b\n    )\n",
    "if a:\n    pass\nelif b:\n    pass\nelif c:\n    x = 1\nelse:\n    pass\n",
    "if x:\n\ty = 1\n\tif z:\n\t\tw = 2\n",
    "x = 1\r\ny = '''a\r\nb'''\r\n",
    "print(*args, sep='', **{'end': ''})\n1j + 1.5e3 + 0x1F\n...\n",
]


def _corpus() -> list[tuple[str, str]]:
    files = sorted((REPO / "fixtures").rglob("*.py")) + sorted((REPO / "critic").glob("*.py"))
    out = [(f"tricky[{i}]", code) for i, code in enumerate(TRICKY)]
    for path in files:
        try:
            out.append((path.relative_to(REPO).as_posix(), path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, OSError):
            continue
    return out


def _modules() -> list[tuple[str, cst.Module]]:
    out = []
    for name, code in _corpus():
        try:
            out.append((name, cst.parse_module(code)))
        except cst.ParserSyntaxError:
            continue
    return out


MODULES = _modules()


def _node_classes() -> list[type]:
    import importlib

    classes = []
    for name in ("expression", "statement", "module", "op", "whitespace"):
        module = importlib.import_module(f"libcst._nodes.{name}")
        classes += [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, cst.CSTNode) and v.__module__ == module.__name__]
    return classes


def _recording_methods(events: list, tag: str = "") -> dict[str, object]:
    """visit_/leave_ for every node class and every visited field, appending to ``events``."""
    methods = {}
    for cls in _node_classes():
        name = cls.__name__
        methods[f"visit_{name}"] = lambda node, n=name: events.append((tag, "visit", n, id(node)))
        methods[f"leave_{name}"] = lambda node, n=name: events.append((tag, "leave", n, id(node)))
        if getattr(cls, "__abstractmethods__", None):
            continue
        for field, _ in cstwalk.plan_of(cls):
            methods[f"visit_{name}_{field}"] = lambda node, n=name, f=field: events.append((tag, "visit_attr", n, f, id(node)))
            methods[f"leave_{name}_{field}"] = lambda node, n=name, f=field: events.append((tag, "leave_attr", n, f, id(node)))
    return methods


class InstanceRecorder(cst.BatchableCSTVisitor):
    """Methods given per instance, through get_visitors (the walk's generic path)."""

    def __init__(self, events: list, tag: str) -> None:
        super().__init__()
        self.methods = _recording_methods(events, tag)

    def get_visitors(self):
        return self.methods


def _class_recorder(events: list, tag: str) -> PythonVisitor:
    """A PythonVisitor subclass with class-level methods (the walk's planned, reused path)."""
    attrs = {}
    for name, fn in _recording_methods(events, tag).items():
        attrs[name] = (lambda f: (lambda self, node: f(node)))(fn)
    cls = type(f"ClassRecorder_{tag}", (PythonVisitor,), attrs)
    return cls(PythonFile("x.py", ""))


def test_every_tricky_snippet_parses():
    assert len([n for n, _ in MODULES if n.startswith("tricky[")]) == len(TRICKY)


def test_plans_table_matches_the_installed_libcst_source():
    from libcst._version import __version__

    if __version__ != cstwalk.PLANS_LIBCST_VERSION:
        pytest.skip(f"table is for libcst {cstwalk.PLANS_LIBCST_VERSION}; {__version__} derives its own at run time")
    assert cstwalk.extract_plans().split("\n") == [line.strip() for line in cstwalk._PLANS_TEXT.strip().split("\n")]
    assert cstwalk.plans() is not None, cstwalk._PLANS_ERROR


@pytest.mark.parametrize("name,module", MODULES, ids=[n for n, _ in MODULES])
def test_walk_calls_what_libcst_calls_in_the_same_order(name, module):
    expected: list = []
    cst.visit_batched(module, [InstanceRecorder(expected, "a"), InstanceRecorder(expected, "b")])
    got: list = []
    cstwalk.walk_batched(module, [InstanceRecorder(got, "a"), InstanceRecorder(got, "b")])
    assert got == expected
    planned: list = []
    cstwalk.walk_batched(module, [_class_recorder(planned, "a"), InstanceRecorder(planned, "b")])
    assert planned == expected


def test_planned_dispatch_is_reused_across_files_and_rebound_per_instance():
    events_one: list = []
    events_two: list = []
    first = _class_recorder(events_one, "x")
    second = type(first)(PythonFile("y.py", ""))  # same class, another instance: same plan
    module = cst.parse_module("x = f(1)\n")
    cstwalk.walk_batched(module, [first])
    count = len(events_one)
    cstwalk.walk_batched(module, [second])
    assert count > 0 and len(events_one) == 2 * count  # both instances share the recording list
    assert events_two == []


def _all_nodes(module: cst.Module) -> list[cst.CSTNode]:
    nodes: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node):
            nodes.append(node)
            return True

    module.visit(Collect())
    return nodes


@pytest.mark.parametrize("name,module", MODULES, ids=[n for n, _ in MODULES])
def test_positions_equal_position_provider(name, module):
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = _all_nodes(module)
    everything = cstwalk.node_positions(module, nodes)
    assert {id(n): everything[n] for n in nodes} == {id(n): expected[n] for n in nodes}
    rng = random.Random(name)
    for _ in range(5):  # a few nodes only: the pass stops early, ranges still hoisted right
        some = rng.sample(nodes, min(len(nodes), rng.randint(1, 4)))
        got = cstwalk.node_positions(module, some)
        assert {id(n): got[n] for n in some} == {id(n): expected[n] for n in some}


def test_positions_of_nothing_generate_nothing():
    assert cstwalk.node_positions(cst.parse_module("x = 1\n"), []) == {}


@pytest.mark.parametrize("root", ["fastapi_flawed", "flask_flawed", "django_flawed", "bad_input"])
def test_analysis_is_identical_with_libcst_traversal(root, monkeypatch):
    """Every finding and fact, located, exactly as libcst's visit_batched + PositionProvider give."""
    from critic.api import critique

    fast = critique([REPO / "fixtures" / root], engines=())
    monkeypatch.setattr(analyze, "_LIBCST_TRAVERSAL", True)
    slow = critique([REPO / "fixtures" / root], engines=())
    assert fast.findings == slow.findings
    assert fast.errors == slow.errors
