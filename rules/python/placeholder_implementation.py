"""QLT002: placeholder implementations: stub bodies, placeholder returns, elided-code comments."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from critic.rule import Invalid, PythonFile, PythonRule, Valid
from critic.rules.python._names import last_name, string_value
from critic.rules.python.orm_syntax import is_migration_path

_EXEMPT_DECORATORS = frozenset(
    {"abstractmethod", "abstractproperty", "abstractclassmethod", "abstractstaticmethod", "overload"}
)
_ABSTRACT_BASES = frozenset({"Protocol", "ABC"})
_ABSTRACT_METACLASSES = frozenset({"ABCMeta"})
_EXCEPTION_BASES = frozenset({"Exception", "BaseException"})
#: Conventional abstract bases without ABC: `raise NotImplementedError` there is the contract.
_ABSTRACT_NAME = re.compile(r"(?:^|(?<=[a-z0-9]))(?:Abstract|Base)(?=[A-Z_]|$)|(?:Interface|ABC)$")
#: Methods for which an empty body is the correct implementation.
_NOOP_METHODS = frozenset({"__exit__", "__aexit__"})
_NOOP_NAME = re.compile(r"(?:^|_)no_?op(?:$|_)", re.IGNORECASE)

# A returned string that says the work is not done.
_PLACEHOLDER_TEXT = re.compile(
    r"^\W*(?:"
    r"(?:this is an? |a )?placeholder(?: (?:response|value|data|result|implementation|text|content|token))?"
    r"|(?:not (?:yet )?implemented|to be implemented|unimplemented)(?: yet)?"
    r"|(?:implement (?:me|this|later)|coming soon|tbd|stub|dummy (?:response|data|value)|fake (?:response|data))"
    r"|(?-i:TODO|FIXME)|(?:todo|fixme)\s*[:(\-].*"
    r")\W*$",
    re.IGNORECASE,
)
_NOT_IMPLEMENTED_ANYWHERE = re.compile(r"\bnot (?:yet )?implemented\b", re.IGNORECASE)
# A comment on a return line that says the value is a stand-in.
_PLACEHOLDER_COMMENT = re.compile(
    r"\b(?:placeholder|stub(?:bed)?|not (?:yet )?implemented|to be implemented|implement (?:me|this|later)|dummy value|fake value)\b",
    re.IGNORECASE,
)
# Comments standing in for code that was left out.
_ELIDED = re.compile(
    r"^\s*(?:"
    r"(?:\.\.\.|…)\s*(?:the\s+)?(?:rest|existing|remaining|other|more|previous|unchanged|same|similar|etc|code|omitted|snip)\b"
    r"|(?:the\s+)?(?:rest|remainder) of (?:the |your )?(?:code|implementation|logic|function|method|file|class|module|routes?|endpoints?|handlers?)\b"
    r"|existing (?:code|implementation|logic)\b"
    r"|(?:todo:?\s*)?implement (?:this|me|here|later)\b"
    r"|(?:todo:?\s*)?add (?:your |the |actual |real |more |business )?(?:\w+ )?(?:logic|code|implementation) here\b"
    r"|(?:(?:put|insert|write) )?(?:your|the) (?:\w+ )?(?:code|logic|implementation) (?:goes )?here\b"
    r"|(?:\w+ )?(?:code|logic|implementation) goes here\b"
    r"|(?:code|implementation|logic|details?) (?:omitted|elided|snipped)\b"
    r"|.*\b(?:omitted|snipped|elided) for brevity\b"
    r")",
    re.IGNORECASE,
)


@dataclass
class _Class:
    name: str
    bases: tuple[str, ...]
    abstract: bool  # Protocol / ABC / ABCMeta: empty methods are the interface
    exception: bool
    conventional_abstract: bool  # BaseX / AbstractX / XInterface
    methods: set[str] = field(default_factory=set)


@dataclass
class _Function:
    node: cst.FunctionDef
    owner: _Class | None  # the class it is a method of, if any
    reported: bool = False


class PlaceholderImplementation(PythonRule):
    """
    ## What it does
    Finds code that only pretends to be implemented:
    - functions whose body (after an optional docstring) is only `pass`, `...` or
      `raise NotImplementedError(...)`;
    - functions that return a placeholder (`return "placeholder"`, `return "not implemented"`,
      `return {"message": "TODO"}`, `return None  # placeholder`);
    - comments that stand in for elided code (`# ... rest of code here`,
      `# ... existing code ...`, `# implement this`, `# your code here`, `# add logic here`).

    Not reported: methods decorated `@abstractmethod` or `@overload`, methods of a class that
    derives `Protocol` or `ABC` (or has `metaclass=ABCMeta`), `raise NotImplementedError` in a
    conventional abstract base (`BaseRepository`, `AbstractStorage`, `StorageInterface`) or in a
    method a subclass in the same file overrides, an empty `__init__` of an exception class,
    empty `__exit__`/`__aexit__`, functions named `noop`, `.pyi` stubs, classes whose body is
    `pass` (`class NotFound(Exception): pass`), an empty `downgrade()` in a migration (an
    irreversible revision), and an empty `upgrade()` of an Alembic merge revision
    (`down_revision = ("a1b2", "c3d4")`). An empty `upgrade()` of an ordinary revision is
    reported: the schema change it stands for was never written.

    ## Why is this bad?
    A stub is a hand-off that claims work it did not do: AGT's first anti-pattern and EXE's
    code-quality rules forbid placeholders and elided code. The endpoint answers, the tests may
    even pass, and the missing behaviour (saving the order, checking the password) is found in
    production.

    ## Example
        def reset_password(token: str, new_password: str) -> None:
            pass

        def get_stats():
            return {"message": "TODO"}

    ## Use instead
        def reset_password(token: str, new_password: str) -> None:
            user = tokens.consume(token)
            user.password_hash = hash_password(new_password)

        def get_stats():
            return stats.summary()
    """

    id = "QLT002"
    name = "placeholder-implementation"
    tier = "critical"
    severity = "high"
    confidence = "high"
    sources = ("AGT anti-pattern 1", "EXE Code Quality", "EXE Output Style")
    peers = ()
    message = "Placeholder implementation"
    fix = "Implement the function (or delete it and its callers); an interface method belongs in an ABC with @abstractmethod or a Protocol."

    VALID = (
        Valid(
            "from abc import ABC, abstractmethod\n"
            "from typing import Protocol, overload\n"
            "class Repo(ABC):\n"
            "    @abstractmethod\n"
            "    def get(self, id): ...\n"
            "    def helper(self):\n"
            "        pass\n"
            "class Notifier(Protocol):\n"
            "    def send(self, text: str) -> None:\n"
            '        """Send one message."""\n'
            "class NotFound(Exception):\n"
            "    pass\n"
            "class Conflict(Exception):\n"
            "    def __init__(self):\n"
            "        pass\n"
            "@overload\n"
            "def parse(x: int) -> int: ...\n"
        ),
        Valid(
            "class BaseStorage:\n"
            "    def save(self, data):\n"
            "        raise NotImplementedError\n"
            "class Storage:\n"
            "    def load(self):\n"
            "        raise NotImplementedError\n"
            "class DiskStorage(Storage):\n"
            "    def load(self):\n"
            "        return open('x').read()\n"
            "def placeholder_image():\n"
            '    return "placeholder.png"\n'
            "def search(q):\n"
            '    return {"message": "Todo created"}\n'
            "# ... and the same rules apply to admins\n"
        ),
        Valid("def stub(x):\n    pass\n", path="app/types.pyi"),
        # an Alembic merge revision: nothing to do on either side
        Valid(
            'revision = "c3d4"\ndown_revision = ("a1b2", "e5f6")\n\n\ndef upgrade() -> None:\n    pass\n\n\n'
            "def downgrade() -> None:\n    pass\n",
            path="alembic/versions/c3d4_merge_heads.py",
        ),
    )
    INVALID = (
        Invalid("def create_user(payload):\n    pass\n", line=1),
        Invalid(
            "class UserService:\n"
            "    @staticmethod\n"
            "    async def delete(user_id: int) -> None:\n"
            '        """Delete a user."""\n'
            '        raise NotImplementedError("later")\n',
            line=3,
        ),
        Invalid("def stats():\n    return {\"message\": \"TODO\"}\n", line=1),
        Invalid("def token():\n    return None  # placeholder\n", line=1),
        Invalid("def charge(order):\n    validate(order)\n    # ... rest of code here\n    return order\n", line=3),
        Invalid("class Thing:\n    def __init__(self):\n        pass\n", line=2),
        # an ordinary revision whose upgrade was never written
        Invalid(
            'revision = "a1b2"\ndown_revision = None\n\n\ndef upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n',
            path="alembic/versions/a1b2_create_users.py",
            line=5,
        ),
    )

    def __init__(self, file: PythonFile) -> None:
        super().__init__(file)
        self.skip = file.path.endswith(".pyi")
        self.migration = is_migration_path(file.parts)
        self.merge_revision = False  # an Alembic merge revision: `down_revision = ("a1", "b2")`
        self.scopes: list[_Class | _Function] = []
        self.classes: list[_Class] = []
        # candidates that a subclass in the same file may still excuse: (class, method, node, message)
        self.deferred: list[tuple[_Class, str, cst.CSTNode, str]] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.migration and not self.scopes and isinstance(node.value, (cst.Tuple, cst.List)):
            if any(isinstance(t.target, cst.Name) and t.target.value == "down_revision" for t in node.targets):
                self.merge_revision = True

    # ----------------------------------------------------------------- classes
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = tuple(name for name in (_base_name(arg.value) for arg in node.bases) if name)
        metaclass = next((last_name(arg.value) for arg in node.keywords if arg.keyword and arg.keyword.value == "metaclass"), None)
        name = node.name.value
        info = _Class(
            name=name,
            bases=bases,
            abstract=bool(set(bases) & _ABSTRACT_BASES) or metaclass in _ABSTRACT_METACLASSES,
            exception=any(b in _EXCEPTION_BASES or b.endswith(("Error", "Exception")) for b in bases),
            conventional_abstract=bool(_ABSTRACT_NAME.search(name)),
        )
        self.classes.append(info)
        self.scopes.append(info)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.pop()

    # ----------------------------------------------------------------- functions
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        owner = self.scopes[-1] if self.scopes and isinstance(self.scopes[-1], _Class) else None
        if owner is not None:
            owner.methods.add(node.name.value)
        self.scopes.append(_Function(node, owner))
        if self.skip:
            return
        kind = _stub_kind(node)
        if kind is None or self._exempt(node, owner, kind):
            return
        self.scopes[-1].reported = True
        what = {"pass": "`pass`", "ellipsis": "`...`", "raise": "`raise NotImplementedError`"}[kind]
        message = f"Function `{node.name.value}` is a placeholder: its body is only {what}"
        if owner is not None:
            self.deferred.append((owner, node.name.value, node.name, message))
        else:
            self.report(node.name, message)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def _exempt(self, node: cst.FunctionDef, owner: _Class | None, kind: str) -> bool:
        for decorator in node.decorators:
            target = decorator.decorator
            if isinstance(target, cst.Call):
                target = target.func
            if last_name(target) in _EXEMPT_DECORATORS:
                return True
        name = node.name.value
        if _NOOP_NAME.search(name):
            return True
        if owner is None:
            # an irreversible migration's downgrade, and both sides of a merge revision, are empty by design
            return self.migration and (name == "downgrade" or (name == "upgrade" and self.merge_revision))
        if owner.abstract:
            return True
        if owner.exception and name == "__init__":
            return True
        if name in _NOOP_METHODS and kind == "pass":
            return True
        if owner.conventional_abstract and kind == "raise":
            return True
        return False

    # ----------------------------------------------------------------- returns
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if self.skip:
            return
        function = self._function()
        if function is None or function.reported:
            return
        for small in node.body:
            if not isinstance(small, cst.Return):
                continue
            why = None
            if small.value is not None and _placeholder_value(small.value):
                why = "returns a placeholder value"
            elif node.trailing_whitespace.comment is not None and _PLACEHOLDER_COMMENT.search(node.trailing_whitespace.comment.value):
                why = "returns a value its comment calls a placeholder"
            if why:
                function.reported = True
                self.report(function.node.name, f"Function `{function.node.name.value}` {why}")
                return

    def _function(self) -> _Function | None:
        for scope in reversed(self.scopes):
            if isinstance(scope, _Function):
                return scope
            return None
        return None

    # ----------------------------------------------------------------- comments
    def visit_Comment(self, node: cst.Comment) -> None:
        if self.skip:
            return
        text = node.value.lstrip("#")
        if _ELIDED.match(text):
            self.report(node, "Comment stands in for elided code", "Write the code the comment stands for; delivered code is complete, with nothing elided.")

    def leave_Module(self, original_node: cst.Module) -> None:
        for owner, method, node, message in self.deferred:
            if any(owner.name in other.bases and method in other.methods for other in self.classes if other is not owner):
                continue  # a subclass in this file implements it: the base method is the contract
            self.report(node, message)


# --------------------------------------------------------------------------- helpers
def _base_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Subscript):  # Protocol[T], Generic[T]
        node = node.value
    return last_name(node)


def _stub_kind(node: cst.FunctionDef) -> str | None:
    """'pass' | 'ellipsis' | 'raise' when the body (after a docstring) is only that, else None."""
    body = node.body
    if isinstance(body, cst.SimpleStatementSuite):
        smalls = list(body.body)
    else:
        smalls = []
        for statement in body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                return None
            smalls.extend(statement.body)
    if smalls and isinstance(smalls[0], cst.Expr) and isinstance(smalls[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        smalls = smalls[1:]
    if not smalls:
        return None  # a docstring alone documents an interface; not reported
    kinds = set()
    for small in smalls:
        if isinstance(small, cst.Pass):
            kinds.add("pass")
        elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis):
            kinds.add("ellipsis")
        elif isinstance(small, cst.Raise) and _is_not_implemented(small.exc):
            kinds.add("raise")
        else:
            return None
    for kind in ("raise", "pass", "ellipsis"):
        if kind in kinds:
            return kind
    return None


def _is_not_implemented(exc: cst.BaseExpression | None) -> bool:
    if isinstance(exc, cst.Call):
        exc = exc.func
    return last_name(exc) in ("NotImplementedError", "NotImplemented")


def _placeholder_value(node: cst.BaseExpression, depth: int = 0) -> bool:
    """A returned literal (or a dict/list/call argument of one) that says "placeholder"/"TODO"."""
    if depth > 3:
        return False
    text = string_value(node)
    if text is not None:
        return bool(_PLACEHOLDER_TEXT.match(text) or _NOT_IMPLEMENTED_ANYWHERE.search(text))
    if isinstance(node, cst.Dict):
        return any(isinstance(e, cst.DictElement) and _placeholder_value(e.value, depth + 1) for e in node.elements)
    if isinstance(node, (cst.List, cst.Tuple)):
        return any(_placeholder_value(e.value, depth + 1) for e in node.elements)
    if isinstance(node, cst.Call):
        return any(_placeholder_value(arg.value, depth + 1) for arg in node.args)
    return False
