"""SEC001: no secrets, tokens or PII in logs."""
from __future__ import annotations

import re

import libcst as cst

from critic.rule import Invalid, Valid
from critic.rules.python._secret_names import (
    ImportAwareRule,
    SecretFinder,
    annotation_name,
    code_of,
    dotted,
    is_constant,
    last_name,
    function_params,
    secret_kind,
)

_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg", "trace", "success"}
)
#: structlog / loguru: context bound here is written with every later event.
_BIND_METHODS = frozenset({"bind", "new", "try_bind", "contextualize"})
_LOGGER = re.compile(r"(?:^|_)(?:log|logger|logging|structlog)$", re.IGNORECASE)
_LOGGER_FACTORIES = frozenset({"getLogger", "get_logger", "getChild", "wrap_logger"})
_STDLIB_KWARGS = frozenset({"exc_info", "stack_info", "stacklevel", "extra"})
_PRINT_KWARGS = frozenset({"sep", "end", "file", "flush"})
_JWT_ENCODE = frozenset({"jwt.encode", "jose.jwt.encode"})
#: What a local variable may carry into a log call later in the same function.
_TAINTS = frozenset({"the request body", "the request headers", "a credentials model", "an authorization header", "a password", "a token", "a secret", "an API key"})


class SecretsInLogs(ImportAwareRule):
    """
    ## What it does
    Checks calls to `logging`, a logger (`logger.info`, `self.logger`, `app.logger`,
    `current_app.logger`, structlog and loguru loggers, their `bind()`) and `print` for a
    message or argument that carries a password, token, secret, API key, authorization
    header, card number or SSN: f-string fields, `%` and `.format()` arguments, extra
    positional arguments, structlog keyword arguments and `extra={...}` values. A whole
    request body or header set (`await request.json()`, `request.get_json()`,
    `request.headers`), the dump of a credentials model (`payload.model_dump()` of a
    `UserCreate`) and of the settings or the environment (`settings.model_dump()`,
    `dict(os.environ)`) count too, also through a local variable they were assigned to.

    A constant message that merely mentions a word (`logger.warning("Invalid token")`) is
    not a finding, nor are identifiers such as `user.id` or `user.email`, nor token metadata
    (`token_type`, `ACCESS_TOKEN_EXPIRE_MINUTES`), nor masked values (`mask(token)`, the last
    four digits `card_number[-4:]`).
    Test code is not checked.

    ## Why is this bad?
    Logs are copied to aggregators, shared in tickets and kept for months, usually with far
    weaker access control than the database. A password or bearer token written there is a
    credential anyone with log access can replay (CWE-532). AGT's security checklist and
    anti-pattern 6 and EXE's security section forbid logging secrets, tokens and PII.

    ## Example
        logger.info(f"Login attempt for {form.username} with password {form.password}")
        logger.debug("Issued token %s", access_token)
        body = await request.json()
        logger.info(f"Payload: {body}")

    ## Use instead
        logger.info("Login attempt for %s", form.username)
        logger.debug("Issued token for user %s", user.id)
        logger.info("Payload received with keys %s", sorted(body))
    """

    id = "SEC001"
    name = "secret-in-log"
    tier = "critical"
    severity = "high"
    confidence = "medium"
    sources = ("AGT Security Checklist", "AGT anti-pattern 6", "EXE Security")
    peers = ("semgrep:logger-credential-disclosure",)
    cwe = ("CWE-532",)
    owasp = ("A09:2021",)
    message = "Log call writes a secret or PII to the logs"
    fix = "Log an identifier (user.id) or a masked form instead of the secret, token, headers or body."
    VALID = (
        Valid('import logging\nlogger = logging.getLogger(__name__)\nlogger.info("Password reset email sent to %s", user.email)\n'),
        Valid('logger.warning("Invalid token")\nlogger.info(f"User {user.id} logged in, token_type={token.token_type}")\n'),
        Valid('logger.info("Token lifetime %s minutes", settings.ACCESS_TOKEN_EXPIRE_MINUTES)\nprint(f"{len(password)} characters")\n'),
        Valid('log.info("auth", user_agent=request.headers.get("user-agent"), token=mask(token))\n'),
        Valid(
            "async def create(payload: UserOut, request: Request):\n"
            "    logger.info('created %s', payload.model_dump())\n"
            "    logger.info('path %s', request.url.path)\n"
        ),
        Valid('def f(password):\n    logger.info("checking password for %s", user.email, extra={"event": "password_check"})\n'),
        Valid('logger.info(f"claims: {jwt.decode(token, key, algorithms=[ALG])[\'sub\']}")\n'),
        Valid('print(f"secret {password}")\n', path="tests/test_auth.py"),
        Valid('logger.info("Charged card ending %s", payment.card_number[-4:])\n'),
    )
    INVALID = (
        Invalid('logger.info(f"Login for {form.username} with {form.password}")\n', line=1),
        Invalid('import logging\n\nlogging.debug("Issued token %s", access_token)\n', line=3),
        Invalid('logger.info("Headers: {}".format(dict(request.headers)))\n', line=1),
        Invalid(
            "async def hook(request: Request):\n"
            "    body = await request.json()\n"
            "    logger.info(f'received {body}')\n",
            line=3,
        ),
        Invalid("def register(payload: UserCreate):\n    logger.info('register %s', payload.model_dump())\n", line=2),
        Invalid('current_app.logger.info("auth", extra={"authorization": request.headers["Authorization"]})\n', line=1),
        Invalid('log = structlog.get_logger()\nlog.bind(api_key=key).info("call")\n', line=2),
        Invalid('print("Generated password:", new_password)\n', line=1),
        Invalid('logger.info("key %s" % settings.SECRET_KEY)\n', line=1),
    )

    def __init__(self, file) -> None:
        super().__init__(file)
        self.off = file.is_test
        self.loggers: set[str] = set()
        #: per function: parameter annotations and tainted locals
        self.scopes: list[tuple[dict[str, str], dict[str, str]]] = [({}, {})]

    # ------------------------------------------------------------------ scopes
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        annotations: dict[str, str] = {}
        for param in function_params(node):
            name = annotation_name(param.annotation)
            if name:
                annotations[param.name.value] = name
        self.scopes.append((annotations, {}))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def _finder(self) -> SecretFinder:
        annotations, tainted = self.scopes[-1]
        module_taint = self.scopes[0][1]
        return SecretFinder(annotations, tainted={**module_taint, **tainted})

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.off:
            return
        value = node.value
        if self._is_logger_factory(value):
            for target in node.targets:
                name = dotted(target.target)
                if name:
                    self.loggers.add(name)
            return
        if len(self.scopes) == 1 or not isinstance(value, (cst.Await, cst.Call, cst.Attribute, cst.Subscript, cst.Name)):
            return  # taint is tracked for locals assigned from a request, a model or a getter
        tainted = self.scopes[-1][1]
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                name = target.target.value
                if secret_kind(name, logging=True):
                    continue
                found = self._finder().find(value)
                if found is None and isinstance(value, cst.Call) and (self.imports.qualify(value.func) or "") in _JWT_ENCODE:
                    found = ("a token", value)
                if found and found[0] in _TAINTS:
                    tainted[name] = found[0]
                else:
                    tainted.pop(name, None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if not self.off and node.value is not None and self._is_logger_factory(node.value):
            name = dotted(node.target)
            if name:
                self.loggers.add(name)

    # ------------------------------------------------------------------ loggers
    def _is_logger_factory(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Call):
            func = node.func
            name = last_name(func)
            if name in _LOGGER_FACTORIES:
                return True
            if name in _BIND_METHODS and isinstance(func, cst.Attribute) and self._is_logger(func.value):
                return True
        return False

    def _is_logger(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Call):
            return self._is_logger_factory(node)
        name = dotted(node)
        if name is None:
            return False
        if name in self.loggers:
            return True
        qualified = self.imports.qualify(node) or name
        if qualified in ("logging", "structlog", "loguru.logger"):
            return True
        return bool(_LOGGER.search(name.rsplit(".", 1)[-1]))

    # ------------------------------------------------------------------ calls
    def visit_Call(self, node: cst.Call) -> None:
        if self.off:
            return
        func = node.func
        what = None  # "log" | "bind" | "print"
        method = None
        if isinstance(func, cst.Name):
            if func.value == "print":
                what = "print"
            else:
                qualified = self.imports.qualify(func) or ""
                head, _, tail = qualified.rpartition(".")
                if head == "logging" and tail in _LOG_METHODS:
                    what, method = "log", tail
        elif isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in _LOG_METHODS and self._is_logger(func.value):
                what = "log"
            elif method in _BIND_METHODS and self._is_logger(func.value):
                what = "bind"
        if what is None:
            return
        found = self._inspect(node, what, method)
        if found is None:
            return
        kind, carrier = found
        if isinstance(carrier, cst.Arg) and carrier.keyword is not None:
            shown = carrier.keyword.value
        elif isinstance(carrier, cst.DictElement):
            shown = code_of(carrier.key)
        else:
            shown = code_of(carrier)
        where = "print() writes {} (`{}`) to the output the logs collect" if what == "print" else "Log call writes {} (`{}`) to the logs"
        self.report(node, where.format(kind, shown), self.fix)

    def _inspect(self, node: cst.Call, what: str, method: str | None):
        finder = self._finder()
        positional = [a for a in node.args if a.keyword is None]
        if what == "log" and method == "log" and positional:
            positional = positional[1:]  # the level
        if what != "bind":
            for arg in positional:
                found = finder.find(arg.value)
                if found:
                    return found
        for arg in node.args:
            if arg.keyword is None:
                continue
            key = arg.keyword.value
            if what == "print" and key in _PRINT_KWARGS:
                continue
            if key == "extra":
                if isinstance(arg.value, cst.Dict):
                    found = finder.find_dict(arg.value)
                else:
                    found = finder.find(arg.value)
                if found:
                    return found
                continue
            if key in _STDLIB_KWARGS:
                continue
            found = finder.find(arg.value)
            if found:
                return found
            kind = secret_kind(key, logging=True)
            if kind and not _harmless(arg.value):
                return kind, arg
        return None


def _harmless(value: cst.BaseExpression) -> bool:
    """A keyword value that cannot carry the secret its name suggests: a constant, a mask, a length."""
    if is_constant(value):
        return True
    if isinstance(value, (cst.Comparison, cst.UnaryOperation)):
        return True
    if isinstance(value, cst.Call):
        name = (last_name(value.func) or "").lower()
        return name.startswith(("mask", "redact", "len", "bool", "sanitize", "obfuscate", "hash", "is_", "has_", "count"))
    return False
