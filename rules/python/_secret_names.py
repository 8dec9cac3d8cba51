"""Helpers shared by the SEC rules on Python code: names that denote secrets, imports, literals.

Everything here is syntactic: identifiers are split into words (snake_case, camelCase,
kebab-case) and classified; expressions are inspected without importing or evaluating the
scanned code. Walks over an *argument expression* are bounded in depth and never leave that
expression, so the rules stay inside the one batched traversal of a file.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

import libcst as cst

from critic.rule import PythonRule
from critic.rules.python._names import dotted, function_params, last_name  # noqa: F401  (re-exported to the rules)

# --------------------------------------------------------------------------- words
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


@lru_cache(maxsize=4096)
def words(name: str) -> tuple[str, ...]:
    """`ACCESS_TOKEN_EXPIRE_MINUTES` -> (access, token, expire, minutes); `tokenUrl` -> (token, url)."""
    return tuple(w.lower() for w in _WORD.findall(name))


PASSWORD_WORDS = frozenset({"password", "passwords", "passwd", "pwd", "passphrase", "passcode"})

#: Words that make a secret-sounding name denote something that is not the secret itself:
#: `token_type`, `TOKEN_URL`, `ACCESS_TOKEN_EXPIRE_MINUTES`, `PASSWORD_MIN_LENGTH`, `pwd_context`.
NON_SECRET_WORDS = frozenset(
    {
        "type", "types", "url", "urls", "uri", "endpoint", "path", "paths", "file", "filename",
        "dir", "env", "var", "vars", "name", "names", "field", "fields", "column", "col", "param",
        "parameter", "attr", "attribute", "prefix", "scheme", "schemes", "algorithm", "algorithms",
        "alg", "expire", "expires", "expiry", "expiration", "exp", "expired", "minutes", "minute",
        "seconds", "second", "hours", "hour", "days", "day", "ttl", "lifetime", "length", "len",
        "min", "max", "pattern", "regex", "policy", "hint", "label", "id", "ids", "rounds",
        "context", "ctx", "message", "msg", "error", "errors", "help", "description", "text",
        "prompt", "detail", "required", "valid", "validator", "validation", "is", "has",
        "changed", "updated", "created", "at", "count", "limit", "strength", "location", "header",
        "headers", "format", "mode", "enabled", "complexity", "verified", "verify", "check",
        "validate", "matches", "match", "schema", "hasher", "hashers", "backend", "provider",
        "manager", "service", "class", "flow", "flows", "form", "serializer", "model", "request",
        "response", "router", "route", "view", "template", "page", "sent", "link", "version",
        "size", "bits", "bytes", "encoding", "kind", "generator", "generate", "start", "end",
        "chars", "char", "charset", "ref", "delimiter", "separator", "sep", "suffix", "re", "rx",
        "lexer", "parser", "parse", "tokenizer", "position", "pos", "index", "offset",
        "invalid", "incorrect", "wrong", "missing", "bad", "weak", "mismatch", "unauthorized",
        "forbidden", "denied", "failed", "failure", "fail", "subject", "title", "placeholder",
    }
)

#: `max_tokens`, `prompt_tokens`, `tokens_used`: LLM token counts, not credentials.
_TOKEN_COUNTS = frozenset({"input", "output", "prompt", "completion", "total", "num", "n", "used", "usage", "count", "limit", "budget", "remaining", "per"})

_KEY_QUALIFIERS = frozenset({"private", "signing", "sign", "encryption", "encrypt", "fernet", "master", "hmac", "jwt", "api", "auth"})


def _norm_tokens(ws: tuple[str, ...]) -> tuple[str, ...]:
    return tuple("token" if w in ("token", "tokens") else w for w in ws)


@lru_cache(maxsize=4096)
def secret_kind(name: str, *, logging: bool = False) -> str | None:
    """What secret a name denotes (``"a password"``, ``"a token"``...), or None.

    ``logging`` widens the net for values written to logs: credentials objects, an
    authorization header, database URLs (they carry the database password).
    """
    ws = words(name)
    if not ws:
        return None
    joined = "".join(ws)
    wset = set(ws)
    if logging:
        if "authorization" in wset or ("auth" in wset and ("header" in wset or "headers" in wset)):
            return "an authorization header"
        if joined in ("databaseurl", "dburl", "databaseuri", "dburi", "sqlalchemydatabaseurl", "sqlalchemydatabaseuri", "dsn", "databasedsn", "dbdsn", "connectionstring"):
            return "a database URL with its password"
    if wset & NON_SECRET_WORDS:
        return None
    if wset & PASSWORD_WORDS:
        return "a password"
    if "ssn" in wset or ("social" in wset and "security" in wset):
        return "a social security number"
    if "cvv" in wset or "cvc" in wset or "cvv2" in wset or "cardnumber" in wset or "ccnumber" in wset or (
        "card" in wset and ("number" in wset or "num" in wset or "no" in wset or "credit" in wset)
    ) or ("credit" in wset and "card" in wset) or ("cc" in wset and "number" in wset):
        return "a card number"
    if "apikey" in wset or _adjacent(ws, "api", "key"):
        return "an API key"
    if "secret" in wset or "secretkey" in wset:
        return "a secret"
    if ("token" in wset or "tokens" in wset or "accesstoken" in wset or "refreshtoken" in wset) and not wset & _TOKEN_COUNTS:
        return "a token"
    if "key" in wset and wset & _KEY_QUALIFIERS:
        return "a private key" if "private" in wset else "a secret key"
    if "privatekey" in wset or "secretkey" in wset:
        return "a private key"
    if logging and wset & {"credentials", "credential", "creds"}:
        return "credentials"
    return None


def is_password_name(name: str) -> bool:
    return secret_kind(name) == "a password"


def _adjacent(ws: tuple[str, ...], first: str, second: str) -> bool:
    return any(a == first and b == second for a, b in zip(ws, ws[1:]))


# --------------------------------------------------------------------------- expressions
def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain string literal (also implicit concatenation, f-string without fields)."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return None
        return value
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, cst.FormattedString) and all(isinstance(p, cst.FormattedStringText) for p in node.parts):
        return "".join(p.value for p in node.parts)  # type: ignore[union-attr]
    return None


def is_string(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))


def is_constant(node: cst.BaseExpression | None) -> bool:
    """A literal that carries no runtime value: strings, numbers, True/False/None."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.Imaginary)):
        return True
    if isinstance(node, cst.FormattedString):
        return all(isinstance(p, cst.FormattedStringText) for p in node.parts)
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return True
    if isinstance(node, cst.UnaryOperation):
        return is_constant(node.expression)
    return False


def int_value(node: cst.BaseExpression | None, constants: dict[str, int] | None = None) -> int | float | None:
    """A constant integer expression (`60 * 24`, `1440`, a module constant), else None."""
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if isinstance(node, cst.Float):
        return node.evaluated_value
    if isinstance(node, cst.Name) and constants is not None and node.value in constants:
        return constants[node.value]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = int_value(node.expression, constants)
        return None if inner is None else -inner
    if isinstance(node, cst.BinaryOperation):
        left, right = int_value(node.left, constants), int_value(node.right, constants)
        if left is None or right is None:
            return None
        op = node.operator
        if isinstance(op, cst.Multiply):
            return left * right
        if isinstance(op, cst.Add):
            return left + right
        if isinstance(op, cst.Subtract):
            return left - right
        if isinstance(op, (cst.FloorDivide, cst.Divide)) and right:
            return left // right if isinstance(op, cst.FloorDivide) else left / right
        if isinstance(op, cst.Power) and 0 <= right <= 8:
            return left**right
    return None


def positional(call: cst.Call) -> list[cst.BaseExpression]:
    return [a.value for a in call.args if a.keyword is None and not a.star]


def keyword(call: cst.Call, name: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def argument(call: cst.Call, index: int, name: str | None = None) -> cst.BaseExpression | None:
    """The argument at ``index`` (positional) or passed as ``name``."""
    if name is not None:
        found = keyword(call, name)
        if found is not None:
            return found
    args = positional(call)
    return args[index] if 0 <= index < len(args) else None


def code_of(node: cst.CSTNode, limit: int = 60) -> str:
    text = " ".join(cst.Module(body=[]).code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- imports
class ImportAliases:
    """Local names bound by imports: `from jose import jwt` -> {"jwt": "jose.jwt"}."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted(alias.name)
            if not full:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.names[alias.asname.name.value] = full
            else:
                head = full.split(".")[0]
                self.names[head] = head

    def add_import_from(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = dotted(node.module)
        if not module:
            return
        for alias in node.names:
            if not isinstance(alias.name, cst.Name):
                continue
            local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else alias.name.value
            self.names[local] = f"{module}.{alias.name.value}"

    def qualify(self, node: cst.BaseExpression | None) -> str | None:
        """The dotted name of ``node`` with its first part resolved through the imports."""
        name = dotted(node)
        if name is None:
            return None
        head, dot, rest = name.partition(".")
        if head in self.names:
            return self.names[head] + (dot + rest if rest else "")
        return name


# --------------------------------------------------------------------------- secrets in expressions
_REQUEST_NAMES = frozenset({"request", "req", "flask.request"})
_HEADER_ATTRS = frozenset({"headers", "cookies", "META"})
_BODY_ATTRS = frozenset({"json", "form", "data", "values", "body", "POST", "files"})
_BODY_METHODS = frozenset({"json", "body", "form", "get_json", "get_data", "stream"})
_DUMP_METHODS = frozenset({"dict", "model_dump", "model_dump_json", "json", "to_dict", "to_json", "as_dict"})
_TRANSPARENT_METHODS = frozenset(
    {
        "strip", "lstrip", "rstrip", "lower", "upper", "casefold", "title", "encode", "decode",
        "items", "values", "copy", "get_secret_value", "hex", "split", "rsplit", "replace",
        "format", "join", "zfill", "ljust", "rjust", "center", "expandtabs", "partition",
        "format_map", "removeprefix", "removesuffix", "splitlines",
    }
)
_GETTER_METHODS = frozenset({"get", "pop", "getlist", "getenv", "setdefault", "getone", "get_all"})
_TRANSPARENT_FUNCS = frozenset({"str", "repr", "dict", "list", "tuple", "set", "sorted", "format", "bytes", "ascii"})
_DUMP_FUNCS = frozenset({"vars", "jsonable_encoder", "asdict", "model_to_dict"})
_SAFE_FUNC_PREFIXES = ("len", "mask", "redact", "sanitize", "sanitise", "obfuscate", "scrub", "censor", "count", "truncate_secret")
_SETTINGS_OBJECTS = frozenset({"settings", "config", "configuration", "environ", "secrets"})
_CREDENTIAL_MODEL = frozenset({"credentials", "credential", "creds", "login", "signin", "signup", "register", "registration", "password", "passwd", "auth", "oauth"})
_USER_INPUT_MODEL = frozenset({"create", "in", "register", "signup", "new", "update", "input"})
_PUBLIC_MODEL = frozenset({"out", "response", "read", "public", "resp", "view", "info", "me", "summary", "detail", "list"})


def credential_model(name: str) -> bool:
    """A model/type/variable that holds a user's credentials: `UserCreate`, `LoginRequest`, `user_in`."""
    ws = set(words(name))
    if ws & _PUBLIC_MODEL:
        return False
    return bool(ws & _CREDENTIAL_MODEL) or ("user" in ws and bool(ws & _USER_INPUT_MODEL))


def _request_like(node: cst.BaseExpression) -> bool:
    name = dotted(node)
    if name is None:
        return False
    return name in _REQUEST_NAMES or name.endswith(".request")


class SecretFinder:
    """Finds a secret carried by an expression, e.g. an argument of a log call.

    ``annotations`` maps a parameter name of the enclosing function to its annotation (so a
    `payload: UserCreate` can be recognised as a credentials model); ``tainted`` maps local
    names to what they were assigned (`body = await request.json()`); ``kinds`` restricts
    what counts (SEC003 asks only for passwords).
    """

    def __init__(
        self,
        annotations: dict[str, str] | None = None,
        kinds: Iterable[str] | None = None,
        logging: bool = True,
        tainted: dict[str, str] | None = None,
    ) -> None:
        self.annotations = annotations or {}
        self.tainted = tainted or {}
        self.kinds = frozenset(kinds) if kinds is not None else None
        self.logging = logging

    def _name(self, name: str) -> str | None:
        kind = secret_kind(name, logging=self.logging)
        if kind is not None and self.kinds is not None and kind not in self.kinds:
            return None
        return kind

    def _special(self, kind: str) -> str | None:
        return kind if self.kinds is None or kind in self.kinds else None

    def find(self, node: cst.BaseExpression | None, depth: int = 0) -> tuple[str, cst.CSTNode] | None:
        """(what, the sub-expression that carries it), or None."""
        if node is None or depth > 24:
            return None
        d = depth + 1
        if isinstance(node, cst.Name):
            if node.value in ("self", "cls", "True", "False", "None"):
                return None
            kind = self._name(node.value) or self.tainted.get(node.value)
            if kind and (self.kinds is None or kind in self.kinds):
                return kind, node
            annotation = self.annotations.get(node.value)
            if annotation and credential_model(annotation) and "form" not in words(annotation):
                found = self._special("a credentials model")
                return (found, node) if found else None
            return None
        if isinstance(node, cst.Attribute):
            attr = node.attr.value
            if _request_like(node.value):
                if attr in _HEADER_ATTRS:
                    found = self._special("the request headers")
                    return (found, node) if found else None
                if attr in _BODY_ATTRS:
                    found = self._special("the request body")
                    return (found, node) if found else None
            if attr == "__dict__":
                return self._dump(node.value, node)
            if attr == "environ" and dotted(node.value) == "os":
                found = self._special("the whole environment, secrets included")
                return (found, node) if found else None
            kind = self._name(attr)
            return (kind, node) if kind else None
        if isinstance(node, cst.Subscript):
            if _short_slice(node):
                return None  # `card_number[-4:]`: the masked form logs and receipts show
            key = _subscript_key(node)
            if key is not None:
                kind = self._name(key)
                return (kind, node) if kind else None
            return self.find(node.value, d)
        if isinstance(node, cst.Await):
            return self.find(node.expression, d)
        if isinstance(node, cst.Call):
            return self._call(node, d)
        if isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    found = self.find(part.expression, d)
                    if found:
                        return found
            return None
        if isinstance(node, cst.ConcatenatedString):
            return self.find(node.left, d) or self.find(node.right, d)  # type: ignore[arg-type]
        if isinstance(node, cst.BinaryOperation):
            return self.find(node.left, d) or self.find(node.right, d)
        if isinstance(node, cst.BooleanOperation):
            return self.find(node.left, d) or self.find(node.right, d)
        if isinstance(node, cst.IfExp):
            return self.find(node.body, d) or self.find(node.orelse, d)
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            for element in node.elements:
                found = self.find(element.value, d)
                if found:
                    return found
            return None
        if isinstance(node, cst.Dict):
            return self.find_dict(node, d)
        if isinstance(node, cst.NamedExpr):
            return self.find(node.value, d)
        return None

    def find_dict(self, node: cst.Dict, depth: int = 0) -> tuple[str, cst.CSTNode] | None:
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = string_value(element.key)
                if key is not None and not is_constant(element.value):
                    kind = self._name(key)
                    if kind:
                        return kind, element
                found = self.find(element.value, depth + 1)
            else:
                found = self.find(element.value, depth + 1)
            if found:
                return found
        return None

    def _dump(self, model: cst.BaseExpression, node: cst.CSTNode) -> tuple[str, cst.CSTNode] | None:
        if _request_like(model):
            return None
        if dotted(model) == "os.environ":
            found = self._special("the whole environment, secrets included")
            return (found, node) if found else None
        if isinstance(model, cst.Name):
            name = self.annotations.get(model.value) or model.value
        else:
            name = last_name(model)
        if name and credential_model(name):
            found = self._special("a credentials model")
            return (found, node) if found else None
        if name and set(words(name)) & _SETTINGS_OBJECTS:
            found = self._special("the settings, secrets included")
            return (found, node) if found else None
        # the dump of an object named for a secret is that secret: `credentials.dict()`
        return self.find(model, 1)

    def _call(self, node: cst.Call, depth: int) -> tuple[str, cst.CSTNode] | None:
        func = node.func
        if isinstance(func, cst.Name):
            name = func.value
            if name in _TRANSPARENT_FUNCS:
                if name == "dict" and len(node.args) == 1 and node.args[0].keyword is None:
                    dumped = self._dump(node.args[0].value, node) if not _request_like(node.args[0].value) else None
                    if dumped:
                        return dumped
                return self._args(node, depth)
            if name in _DUMP_FUNCS and node.args:
                return self._dump(node.args[0].value, node)
            if name.lower().startswith(_SAFE_FUNC_PREFIXES):
                return None
            kind = self._name(name)
            return (kind, node) if kind and _returns_secret(name) else None
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = func.value
            if _request_like(receiver) and method in _BODY_METHODS:
                found = self._special("the request body")
                return (found, node) if found else None
            if method in _GETTER_METHODS:
                key = string_value(node.args[0].value) if node.args else None
                if key is not None:
                    kind = self._name(key)
                    return (kind, node) if kind else None
                return None
            if method in _DUMP_METHODS and not (_request_like(receiver)):
                if keyword(node, "exclude") is not None or keyword(node, "include") is not None:
                    return None  # the caller chose the fields
                return self._dump(receiver, node)
            if method in _TRANSPARENT_METHODS:
                found = self.find(receiver, depth)
                if found is None and method in ("format", "join", "format_map"):
                    found = self._args(node, depth)
                return found
            if method.lower().startswith(_SAFE_FUNC_PREFIXES) or method in ("dumps",):
                if method == "dumps":
                    return self._args(node, depth)
                return None
            kind = self._name(method)
            return (kind, node) if kind and _returns_secret(method) else None
        return None

    def _args(self, node: cst.Call, depth: int) -> tuple[str, cst.CSTNode] | None:
        for arg in node.args:
            found = self.find(arg.value, depth)
            if found:
                return found
        return None


_NOT_A_VALUE = frozenset({"verify", "check", "validate", "is", "has", "send", "require", "requires", "revoke", "invalidate", "store", "save", "set", "update", "delete", "log", "hash", "hashed"})


def _returns_secret(function: str) -> bool:
    """`create_access_token()` returns a token; `verify_password()` / `send_reset_token()` do not."""
    return not (set(words(function)) & _NOT_A_VALUE)


def _subscript_key(node: cst.Subscript) -> str | None:
    if len(node.slice) != 1:
        return None
    element = node.slice[0].slice
    if isinstance(element, cst.Index):
        return string_value(element.value)
    return None


def subscript_key(node: cst.Subscript) -> str | None:
    return _subscript_key(node)


def target_name(node: cst.BaseExpression) -> str | None:
    """The name an assignment target stands for: `X`, `app.secret_key`, `cfg["SECRET_KEY"]`."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Subscript):
        return _subscript_key(node)
    return None


def annotation_name(annotation: cst.Annotation | None) -> str | None:
    """The class an annotation names: `UserCreate`, `Optional[UserCreate]`, `Annotated[X, ...]`."""
    if annotation is None:
        return None
    node: cst.BaseExpression = annotation.annotation
    for _ in range(4):
        if isinstance(node, cst.Subscript) and node.slice and isinstance(node.slice[0].slice, cst.Index):
            node = node.slice[0].slice.value
        elif isinstance(node, cst.BinaryOperation):
            node = node.left
        else:
            break
    text = string_value(node)
    if text is not None:
        return text.strip().split("[")[0].split(".")[-1] or None
    return last_name(node)


# --------------------------------------------------------------------------- base
_TEST_WORDS = frozenset({"test", "tests", "testing"})
_TEST_SETTINGS_STEMS = frozenset({"test", "tests", "testing", "settings_test", "test_settings", "settings_testing", "testing_settings"})


def test_settings_path(path: str) -> bool:
    """A settings module for the test run: `config/settings/test.py`, `settings_test.py`.

    Django's docs recommend a fast hasher and throwaway keys there; it never serves traffic.
    """
    parts = path.split("/")
    stem = parts[-1][:-3] if parts[-1].endswith(".py") else parts[-1]
    if stem in ("settings_test", "settings_testing", "testing_settings", "test_settings"):
        return True
    return len(parts) > 1 and parts[-2] in ("settings", "config", "configs") and stem in _TEST_SETTINGS_STEMS


def test_class(name: str) -> bool:
    """A configuration class for the test run: `TestingConfig`, `TestSettings`, `ConfigTest`."""
    return bool(set(words(name)) & _TEST_WORDS)


def _short_slice(node: cst.Subscript) -> bool:
    """``x[-4:]`` or ``x[:4]``: at most four characters of a value, its conventional masked form."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Slice):
        return False
    part = node.slice[0].slice
    if part.step is not None:
        return False

    def number(expr: cst.BaseExpression | None) -> int | None:
        if isinstance(expr, cst.Integer):
            return int(expr.value)
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus) and isinstance(expr.expression, cst.Integer):
            return -int(expr.expression.value)
        return None

    lower, upper = number(part.lower), number(part.upper)
    if part.upper is None and lower is not None and -4 <= lower < 0:
        return True
    return (part.lower is None or lower == 0) and upper is not None and 0 < upper <= 4


class ImportAwareRule(PythonRule):
    """A Python rule that knows what the file's imports bind (not itself a rule: no id)."""

    def __init__(self, file) -> None:
        super().__init__(file)
        self.imports = ImportAliases()

    def visit_Import(self, node: cst.Import) -> None:
        self.imports.add_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.imports.add_import_from(node)


class TestAwareRule(ImportAwareRule):
    """An import-aware rule that stays silent in test code: test files, test settings modules
    and test configuration classes (``class TestingConfig(Config):``). Not itself a rule."""

    def __init__(self, file) -> None:
        super().__init__(file)
        self.file_off = file.is_test or test_settings_path(file.path)
        self.test_classes = 0  # how deep inside test configuration classes

    @property
    def off(self) -> bool:
        return self.file_off or self.test_classes > 0

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if test_class(node.name.value):
            self.test_classes += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        if test_class(original_node.name.value):
            self.test_classes -= 1
