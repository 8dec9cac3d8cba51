"""SEC002: no hard-coded secrets in code."""
from __future__ import annotations

import re

import libcst as cst

from critic.rule import Invalid, Valid
from critic.rules.python._secret_names import (
    TestAwareRule,
    argument,
    dotted,
    is_string,
    last_name,
    positional,
    secret_kind,
    string_value,
    target_name,
    words,
)

#: What SEC002 treats as a secret (card numbers and SSNs are PII, SEC001's business).
_KINDS = frozenset({"a password", "a secret", "a token", "an API key", "a private key", "a secret key"})
_FIELD_FACTORIES = frozenset({"Field", "SecretStr", "SecretBytes", "str", "bytes"})
_EXAMPLE_KEYS = frozenset({"example", "examples", "json_schema_extra", "schema_extra", "openapi_examples", "openapi_extra"})
#: keyword arguments whose strings are documentation, not values
_DOC_KEYWORDS = _EXAMPLE_KEYS | {"help", "description", "summary", "doc", "title", "metavar", "prompt"}
_JWT_CALLS = frozenset({"jwt.encode", "jwt.decode", "jose.jwt.encode", "jose.jwt.decode"})
_NOT_A_SETTER = frozenset(
    {"verify", "check", "validate", "is", "has", "compare", "match", "matches", "strength", "policy", "len", "length", "ask", "prompt", "input", "read", "getpass", "request", "reset", "forgot", "send"}
)
#: scheme://user:password@host, the password not a ${VAR} / {field} / %s placeholder
_URL_CREDENTIALS = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://(?P<user>[A-Za-z0-9._~%!$&'()+,;={}\x00\-]*):(?P<password>[^@/\s\"'\[\]<>]+)@[^/\s\"'\[\]]")
_TEMPLATE = re.compile(r"^(\$\{[^}:]*\}|\{\{[^}]*\}\}|%\([^)]*\)s|\$[A-Za-z_][A-Za-z0-9_]*|<[^>]*>)$")
_PLACEHOLDER_PART = re.compile(r"\$\{|\{|%\(|%s|\x00")
_REGEX = re.compile(r"^\^|\(\?|\\[sdwSDWbB]|\[\^|\[[a-zA-Z0-9]-[a-zA-Z0-9]|[^\\]\]\+")
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_MASK_CHARS = frozenset("*xX•:#.-_ ")
_PATH = re.compile(r"^(/|\./|\.\./|~/)|\.(pem|key|json|txt|crt|cer|p12|pfx|der|jks)$", re.IGNORECASE)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def secret_value(name: str, value: str) -> bool:
    """Whether ``value`` assigned to the secret-like ``name`` is a real (or placeholder) secret."""
    text = value.strip()
    if len(text) < 3 or set(text) <= _MASK_CHARS:  # empty, a symbol, or already masked ("********")
        return False
    if _norm(text) == _norm(name):  # SECRET_KEY = "SECRET_KEY": the name, not a value
        return False
    value_words = words(text) if _IDENTIFIER.match(text) else ()
    if len(value_words) >= 2 and set(value_words) <= set(words(name)):  # ACCESS_TOKEN_COOKIE = "access_token"
        return False
    if text.lower() in ("bearer", "basic", "digest"):
        return False
    if _TEMPLATE.match(text):  # "${SECRET_KEY}": a reference resolved elsewhere
        return False
    if " " not in text and "BEGIN" not in text and _PATH.search(text):  # "/run/secrets/db_password"
        return False
    if _REGEX.search(text):  # a pattern (`TOKEN_RE = r"[A-Za-z0-9]+"`), not a value
        return False
    return True


def url_with_password(text: str) -> bool:
    for match in _URL_CREDENTIALS.finditer(text):
        password = match.group("password")
        if _PLACEHOLDER_PART.search(password):
            continue
        if set(password) <= {"*", "x", "X"}:  # already masked
            continue
        user = match.group("user")
        if re.fullmatch(r"[A-Z_]+", password) and re.fullmatch(r"[A-Z_]*", user):  # USER:PASSWORD template
            continue
        return True
    return False


class HardcodedSecret(TestAwareRule):
    """
    ## What it does
    Checks for string literals used as secrets: assigned to a secret-like name (`SECRET_KEY`,
    `JWT_SECRET`, `*_PASSWORD`, `*_TOKEN`, `API_KEY`, `PRIVATE_KEY`, at module, class or
    function level, annotated or not, also `app.config["SECRET_KEY"]` and settings dicts),
    passed as a secret-like keyword (`password=`, `api_key=`), compared with a secret-like
    name (`if password == "admin123"`), given as the default of a
    settings field or parameter (`SECRET_KEY: str = "changeme"`,
    `os.getenv("JWT_SECRET", "dev-secret")`, `os.environ.get(...) or "dev"`), used as a JWT
    signing key, and URLs with an inline password (`postgresql://app:s3cret@db/app`).
    Placeholder values (`"changeme"`, `"your-secret-key"`) count.

    Not findings: empty strings, names that hold metadata rather than the secret
    (`token_type = "bearer"`, `TOKEN_URL`, `ACCESS_TOKEN_EXPIRE_MINUTES`, `password_field`),
    a value that is just the name (`SECRET_KEY_ENV = "SECRET_KEY"`), `${VAR}` references,
    file paths to secret files, URLs whose password is a placeholder, OpenAPI examples, and
    test code (`tests/`, `test_*.py`, `conftest.py`, a test settings module such as
    `config/settings/test.py`, and a test configuration class such as Flask's
    `class TestingConfig(Config)`). Reports never show the value.

    ## Why is this bad?
    A secret in the source is in every clone, image layer, backup and CI log of the
    repository, and cannot be rotated without a release. A placeholder default is worse: the
    service silently runs with a well-known key when the environment variable is missing, so
    anyone can forge its session cookies or JWTs (CWE-798). DEV's best practices require
    secrets to come from environment variables, never hard-coded.

    ## Example
        SECRET_KEY = "super-secret-key-change-me"

        class Settings(BaseSettings):
            jwt_secret: str = "changeme"
            database_url: str = "postgresql://app:app123@db:5432/app"

    ## Use instead
        SECRET_KEY = os.environ["SECRET_KEY"]

        class Settings(BaseSettings):
            jwt_secret: SecretStr
            database_url: str  # from DATABASE_URL in the environment
    """

    id = "SEC002"
    name = "hardcoded-secret"
    tier = "critical"
    severity = "high"
    confidence = "medium"
    sources = ("DEV Best Practices (env vars, never hardcode)",)
    peers = ("bandit:B105", "bandit:B106", "bandit:B107", "ruff:S105", "ruff:S106", "ruff:S107")
    cwe = ("CWE-798",)
    owasp = ("A07:2021",)
    message = "Hard-coded secret in the source"
    fix = "Read the secret from the environment (os.environ[...] or a BaseSettings field without a default) and keep the value out of the code."
    VALID = (
        Valid(
            'import os\n\nSECRET_KEY = os.environ["SECRET_KEY"]\nDB_PASSWORD = os.getenv("DB_PASSWORD")\n'
            'token_type = "bearer"\nTOKEN_URL = "/auth/token"\nACCESS_TOKEN_EXPIRE_MINUTES = 30\nPASSWORD_MIN_LENGTH = 8\n'
        ),
        Valid(
            "class Settings(BaseSettings):\n"
            "    secret_key: str\n"
            '    jwt_algorithm: str = "HS256"\n'
            '    password_field: str = "password"\n'
            '    database_url: str = "postgresql://app:${POSTGRES_PASSWORD}@db:5432/app"\n'
            '    redis_url: str = "redis://redis:6379/0"\n'
            '    api_key: str = ""\n'
        ),
        Valid(
            "class UserCreate(BaseModel):\n"
            '    password: str = Field(..., min_length=8, examples=["s3cret-pass"])\n'
            '    model_config = {"json_schema_extra": {"example": {"email": "a@b.c", "password": "hunter22"}}}\n'
        ),
        Valid('SECRET_KEY = "hard-coded-in-a-test"\nclient.post("/login", data={"password": "pw123456"})\n', path="tests/test_auth.py"),
        Valid('oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")\nAPI_KEY_HEADER = "X-API-Key"\nSECRET_KEY_FILE = "/run/secrets/secret_key"\n'),
        # the Flask config-class pattern: the test configuration is test code
        Valid(
            'import os\n\n\nclass Config:\n    SECRET_KEY = os.environ.get("SECRET_KEY")\n\n\n'
            'class TestingConfig(Config):\n    TESTING = True\n    SECRET_KEY = "test-secret"\n    JWT_SECRET_KEY = "test-jwt-secret"\n'
        ),
        Valid('SECRET_KEY = "insecure-test-only"\n', path="config/settings/test.py"),
        Valid('engine = create_engine(f"postgresql://{user}:{password}@{host}/{db}")\nDEFAULT_URL = "sqlite:///./app.db"\n'),
    )
    INVALID = (
        Invalid('SECRET_KEY = "django-insecure-9x!k2"\n', line=1),
        # the development configuration ships and is one env var away from production
        Invalid('class DevelopmentConfig(Config):\n    DEBUG = True\n    SECRET_KEY = "dev"\n', line=3),
        Invalid('class Settings(BaseSettings):\n    JWT_SECRET: str = "changeme"\n', line=2),
        Invalid('import os\n\nSECRET_KEY = os.getenv("SECRET_KEY", "dev-secret")\n', line=3),
        Invalid('DATABASE_URL = "postgresql://app:app123@db:5432/app"\n', line=1),
        Invalid('conn = psycopg2.connect(host="db",\n    password="postgres")\n', line=2),
        Invalid('app.config["SECRET_KEY"] = "dev"\n', line=1),
        Invalid('DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "PASSWORD": "postgres"}}\n', line=1),
        Invalid('class Config:\n    SECRET_KEY = os.environ.get("SECRET_KEY") or "hard to guess string"\n', line=2),
        Invalid('token = jwt.encode(payload, "secret", algorithm="HS256")\n', line=1),
        Invalid('def connect(user, password="admin123"):\n    pass\n', line=1),
        Invalid('def login(username, password):\n    if username == "admin" and password == "admin123":\n        return True\n', line=2),
    )

    def __init__(self, file) -> None:
        super().__init__(file)
        self.reported: set[int] = set()
        self.docstrings: set[int] = set()
        self.examples = 0  # >0 inside an OpenAPI example

    # ------------------------------------------------------------------ helpers
    def _literal(self, value: cst.BaseExpression | None) -> list[cst.BaseExpression]:
        """The literal(s) an expression would use as the value: itself, an `or` fallback, a Field default."""
        if value is None:
            return []
        if is_string(value) and string_value(value) is not None:
            return [value]
        if isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
            return self._literal(value.right)
        if isinstance(value, cst.IfExp):
            return self._literal(value.body) + self._literal(value.orelse)
        if isinstance(value, cst.Call) and last_name(value.func) in _FIELD_FACTORIES:
            return self._literal(argument(value, 0, "default"))
        return []

    def _check(self, name: str | None, value: cst.BaseExpression | None, how: str = "in") -> None:
        if not name or value is None or self.examples:
            return
        kind = secret_kind(name)
        if kind not in _KINDS:
            return
        for literal in self._literal(value):
            text = string_value(literal)
            if text is None or not secret_value(name, text) or id(literal) in self.reported:
                continue
            self._report(literal, f"Hard-coded {kind[kind.index(' ') + 1:]} {how} `{_short(name)}`", _fix(name))

    def _report(self, literal: cst.CSTNode, message: str, fix: str) -> None:
        self.reported.add(id(literal))
        self.report(literal, message, fix, secrets=(literal,))

    # ------------------------------------------------------------------ examples
    def visit_DictElement(self, node: cst.DictElement) -> None:
        if string_value(node.key) in _EXAMPLE_KEYS:
            self.examples += 1

    def leave_DictElement(self, original_node: cst.DictElement) -> None:
        if string_value(original_node.key) in _EXAMPLE_KEYS:
            self.examples -= 1

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and node.keyword.value in _DOC_KEYWORDS:
            self.examples += 1

    def leave_Arg(self, original_node: cst.Arg) -> None:
        if original_node.keyword is not None and original_node.keyword.value in _DOC_KEYWORDS:
            self.examples -= 1

    # ------------------------------------------------------------------ assignments
    def visit_Assign(self, node: cst.Assign) -> None:
        if self.off:
            return
        for target in node.targets:
            self._check(target_name(target.target), node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if not self.off:
            self._check(target_name(node.target), node.value)

    def visit_Param(self, node: cst.Param) -> None:
        if not self.off and node.default is not None:
            self._check(node.name.value, node.default, "default for")

    def visit_Dict(self, node: cst.Dict) -> None:
        if self.off:
            return
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                self._check(string_value(element.key), element.value)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        """`if password == "admin123"`: a credential checked against a literal."""
        if self.off or len(node.comparisons) != 1:
            return
        if not isinstance(node.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
            return
        left, right = node.left, node.comparisons[0].comparator
        for name_side, value_side in ((left, right), (right, left)):
            if is_string(value_side) and not is_string(name_side):
                self._check(target_name(name_side), value_side, "compared with")

    # ------------------------------------------------------------------ calls
    def visit_Call(self, node: cst.Call) -> None:
        if self.off or self.examples:
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value not in _EXAMPLE_KEYS:
                self._check(arg.keyword.value, arg.value, "passed as")
        func = node.func
        last = last_name(func) or ""
        if self._env_getter(func, last):
            key = string_value(argument(node, 0, "key"))
            if key:
                self._check(key, argument(node, 1, "default"), "default for")
            return
        qualified = self.imports.qualify(func) or ""
        if qualified in _JWT_CALLS:
            key = argument(node, 1, "key")
            text = string_value(key)
            if key is not None and text and secret_value("key", text) and id(key) not in self.reported:
                self._report(key, "Hard-coded JWT signing key", "Read the signing key from the environment (settings.SECRET_KEY from os.environ) and keep it out of the code.")
            return
        setter = set(words(last))
        if setter & {"password", "passwd"} and not setter & _NOT_A_SETTER:
            args = positional(node)
            text = string_value(args[0]) if args else None
            if text and not text.rstrip().endswith((":", "?")) and secret_value(last, text) and id(args[0]) not in self.reported:
                self._report(args[0], f"Hard-coded password passed to `{_short(last)}()`", _fix("the password"))

    @staticmethod
    def _env_getter(func: cst.BaseExpression, last: str) -> bool:
        if last == "getenv":
            return True
        if isinstance(func, cst.Attribute) and last in ("get", "setdefault", "str", "get_value"):
            receiver = (dotted(func.value) or "").rsplit(".", 1)[-1]
            return receiver in ("environ", "env")
        return isinstance(func, cst.Name) and func.value in ("config", "env")

    # ------------------------------------------------------------------ URLs with credentials
    def visit_Expr(self, node: cst.Expr) -> None:
        stack = [node.value]
        while stack:
            value = stack.pop()
            if isinstance(value, cst.ConcatenatedString):
                stack.extend((value.left, value.right))
            elif isinstance(value, (cst.SimpleString, cst.FormattedString)):
                self.docstrings.add(id(value))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.off or self.examples or id(node) in self.docstrings or id(node) in self.reported:
            return
        if "://" not in node.value or "@" not in node.value:
            return
        text = string_value(node)
        if text and url_with_password(text):
            self._report(node, "URL with an inline password", _URL_FIX)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if self.off or self.examples or id(node) in self.docstrings or id(node) in self.reported:
            return
        text = "".join(p.value if isinstance(p, cst.FormattedStringText) else "\x00" for p in node.parts)
        if "://" in text and "@" in text and url_with_password(text):
            self._report(node, "URL with an inline password", _URL_FIX)


_URL_FIX = (
    "Read the whole URL from the environment (DATABASE_URL), or build it from a password read from the "
    "environment (postgresql://app:${POSTGRES_PASSWORD}@db/app in compose)."
)


def _short(name: str) -> str:
    return name if len(name) <= 60 else name[:57] + "..."


def _fix(name: str) -> str:
    return (
        f"Read {_short(name)} from the environment or a secret store with no literal fallback "
        "(os.environ[...] or a BaseSettings field without a default); keep the value out of the code."
    )
