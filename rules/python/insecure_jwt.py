"""SEC004: JWTs expire and are verified."""
from __future__ import annotations

import libcst as cst

from critic.rule import Invalid, Valid
from critic.rules.python._secret_names import (
    ImportAwareRule,
    argument,
    dotted,
    int_value,
    is_string,
    keyword,
    last_name,
    positional,
    string_value,
    target_name,
    words,
)

MAX_ACCESS_MINUTES = 60
_ENCODE = frozenset({"jwt.encode", "jose.jwt.encode", "jwt.api_jwt.encode"})
_DECODE = frozenset({"jwt.decode", "jose.jwt.decode", "jwt.api_jwt.decode"})
#: python-jose's reader of the claims with no signature check
_UNVERIFIED = frozenset({"jose.jwt.get_unverified_claims"})
#: lifetimes of other things than an access token: refresh tokens, reset links, sessions, API keys
_OTHER_LIFETIME = frozenset(
    {
        "refresh", "reset", "verification", "verify", "email", "invite", "invitation", "confirm",
        "confirmation", "activation", "activate", "magic", "remember", "otp", "session", "cookie",
        "cache", "api", "csrf", "nonce", "state", "download", "upload", "presigned", "signed", "link",
        "url", "lockout", "lock", "ban", "retention", "cleanup",
    }
)
_ACCESS = frozenset({"access", "token", "tokens", "jwt", "exp", "bearer"})
_EXPIRY = frozenset({"expire", "expires", "expiry", "expiration", "exp", "lifetime", "ttl", "duration", "validity", "age", "life"})
_UNITS = {
    "minutes": 1, "minute": 1, "min": 1, "mins": 1,
    "hours": 60, "hour": 60, "hrs": 60, "hr": 60, "h": 60,
    "days": 1440, "day": 1440, "d": 1440,
    "weeks": 10080, "week": 10080,
    "seconds": 1 / 60, "second": 1 / 60, "secs": 1 / 60, "sec": 1 / 60, "s": 1 / 60,
}
_TIMEDELTA_ORDER = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
_TIMEDELTA_MINUTES = {"days": 1440, "seconds": 1 / 60, "microseconds": 1 / 60e6, "milliseconds": 1 / 60e3, "minutes": 1, "hours": 60, "weeks": 10080}


def _has_exp(node: cst.BaseExpression | None) -> bool | None:
    """Whether a dict literal / `dict(...)` call has an "exp" key: True, False, or None (cannot tell)."""
    if isinstance(node, cst.Dict):
        unknown = False
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = string_value(element.key)
                if key == "exp":
                    return True
                if key is None:
                    unknown = True
            else:
                unknown = True
        return None if unknown else False
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        unknown = False
        for arg in node.args:
            if arg.keyword is not None:
                if arg.keyword.value == "exp":
                    return True
            elif isinstance(arg.value, cst.Dict) and not arg.star:
                inner = _has_exp(arg.value)
                if inner:
                    return True
                unknown = unknown or inner is None
            else:
                unknown = True
        return None if unknown else False
    return None


def _human(minutes: float) -> str:
    if minutes >= 1440 and minutes % 1440 == 0:
        n = int(minutes // 1440)
        return f"{n} day{'s' if n != 1 else ''}"
    if minutes >= 60 and minutes % 60 == 0:
        n = int(minutes // 60)
        return f"{n} hour{'s' if n != 1 else ''}"
    return f"{minutes:g} minutes"


def _lifetime_name(name: str) -> tuple[bool, float | None]:
    """(names an access-token lifetime, its unit in minutes when the name says)."""
    ws = words(name)
    wset = set(ws)
    if not (wset & _EXPIRY and wset & _ACCESS) or wset & _OTHER_LIFETIME:
        return False, None
    unit = next((_UNITS[w] for w in reversed(ws) if w in _UNITS), None)
    return True, unit


class InsecureJwt(ImportAwareRule):
    """
    ## What it does
    Checks PyJWT and python-jose usage:
    - `jwt.encode(payload, ...)` whose payload is a dict literal (or a local variable
      assigned one, following `payload["exp"] = ...`, `payload.update(...)`) without an
      `exp` claim;
    - `jwt.decode(...)` with `options={"verify_signature": False}` or `{"verify_exp": False}`,
      `verify=False`, or `algorithms=["none"]`, and `jwt.encode(..., algorithm="none")`;
    - python-jose `jwt.get_unverified_claims(token)` in a function that never verifies the
      token with `jwt.decode(...)` (reading `iss`/`kid` to pick the key before decoding is
      fine);
    - access-token lifetimes over 60 minutes: `timedelta(hours=24)` in an access-token
      context (`create_access_token`, `ACCESS_TOKEN_EXPIRE`, `"exp"` of a payload),
      `ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24`, `access_token_expire_minutes: int = 10080`,
      `JWT_ACCESS_TOKEN_EXPIRES = False`. The lifetime check is an expected-tier concern
      and says so in its message.

    Refresh tokens, password-reset and verification tokens, sessions and API keys are exempt
    from the lifetime check; payloads built elsewhere (`data.copy()`, a parameter) are not
    guessed at. Test code is not checked.

    ## Why is this bad?
    A JWT without `exp` is valid forever: a leaked token cannot be revoked short of rotating
    the signing key. A decoder that skips signature verification or accepts `none` lets
    anyone mint tokens for any user (CWE-347). Long-lived access tokens widen the window for
    replay (CWE-613); AGT asks for appropriate expiry and EXE for short-lived JWTs with
    refresh rotation.

    ## Example
        ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24 * 7

        def create_access_token(user_id: str) -> str:
            return jwt.encode({"sub": user_id}, SECRET_KEY, algorithm="HS256")

        claims = jwt.decode(token, options={"verify_signature": False})

    ## Use instead
        ACCESS_TOKEN_EXPIRE_MINUTES = 15

        def create_access_token(user_id: str) -> str:
            expire = datetime.now(timezone.utc) + timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)
            return jwt.encode({"sub": user_id, "exp": expire}, SECRET_KEY, algorithm="HS256")

        claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    """

    id = "SEC004"
    name = "insecure-jwt"
    tier = "critical"
    severity = "high"
    confidence = "high"
    sources = ("AGT Security Checklist", "EXE Security (short-lived JWT, refresh rotation)")
    peers = ("semgrep:jwt-python-none-alg", "semgrep:unverified-jwt-decode", "bandit:B105")
    cwe = ("CWE-347", "CWE-613")
    owasp = ("A02:2021", "A07:2021")
    message = "JWT is not expiring or not verified"
    fix = "Put an exp claim in every token, verify the signature with an explicit algorithms=[...] list, and keep access tokens to 60 minutes or less."
    VALID = (
        Valid(
            "from datetime import datetime, timedelta, timezone\n"
            "import jwt\n\n"
            "ACCESS_TOKEN_EXPIRE_MINUTES = 30\n"
            "REFRESH_TOKEN_EXPIRE_DAYS = 7\n\n"
            "def create_access_token(data: dict, expires_delta: timedelta | None = None) -> str:\n"
            "    to_encode = data.copy()\n"
            "    expire = datetime.now(timezone.utc) + (expires_delta or timedelta(minutes=15))\n"
            '    to_encode.update({"exp": expire})\n'
            '    return jwt.encode(to_encode, SECRET_KEY, algorithm="HS256")\n\n'
            "def create_refresh_token(user_id: str) -> str:\n"
            '    payload = {"sub": user_id, "type": "refresh"}\n'
            '    payload["exp"] = datetime.now(timezone.utc) + timedelta(days=REFRESH_TOKEN_EXPIRE_DAYS)\n'
            '    return jwt.encode(payload, SECRET_KEY, algorithm="HS256")\n'
        ),
        Valid(
            "from jose import jwt\n\n"
            "def decode_token(token: str) -> dict:\n"
            '    return jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"], options={"verify_aud": False})\n'
            "PASSWORD_RESET_TOKEN_EXPIRE_HOURS = 24\n"
            "session_lifetime = timedelta(days=14)\n"
            "CACHE_TTL = timedelta(hours=6)\n"
        ),
        Valid('import jwt\nbad = jwt.encode({"sub": "x"}, "k", algorithm="none")\n', path="tests/test_jwt.py"),
        # the unverified claims only pick the issuer's key; the token is then verified
        Valid(
            "from jose import jwt\n\n\ndef verify(token: str) -> dict:\n"
            '    issuer = jwt.get_unverified_claims(token)["iss"]\n'
            '    return jwt.decode(token, KEYS[issuer], algorithms=["RS256"], audience="api")\n'
        ),
        Valid(
            "class Settings(BaseSettings):\n"
            "    access_token_expire_minutes: int = 60\n"
            "    refresh_token_expire_minutes: int = 60 * 24 * 7\n"
            '    token_type: str = "bearer"\n'
        ),
    )
    INVALID = (
        Invalid('import jwt\n\ndef make(user):\n    return jwt.encode({"sub": str(user.id)}, KEY, algorithm="HS256")\n', line=4),
        Invalid(
            "from jose import jwt\n\n"
            "def make(user):\n"
            '    payload = {"sub": user.email, "role": user.role}\n'
            '    payload.update({"iat": now()})\n'
            "    return jwt.encode(payload, KEY)\n",
            line=6,
        ),
        Invalid('import jwt\nclaims = jwt.decode(token, options={"verify_signature": False})\n', line=2),
        Invalid('import jwt\nclaims = jwt.decode(token, KEY, algorithms=["HS256", "none"])\n', line=2),
        Invalid("ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24\n", line=1),
        Invalid("class Settings(BaseSettings):\n    access_token_expire_minutes: int = 10080\n", line=2),
        Invalid(
            "from datetime import timedelta\n\n"
            "def create_access_token(data):\n"
            '    expire = datetime.utcnow() + timedelta(hours=24)\n'
            '    return jwt.encode({**data, "exp": expire}, KEY)\n',
            line=4,
        ),
        Invalid('app.config["JWT_ACCESS_TOKEN_EXPIRES"] = False\n', line=1),
        Invalid("import jwt\nclaims = jwt.decode(token, KEY, verify=False)\n", line=2),
        Invalid(
            "from jose import jwt\n\n\ndef user_id_from_token(token: str) -> int:\n"
            '    claims = jwt.get_unverified_claims(token)\n    return int(claims["sub"])\n',
            line=5,
        ),
    )

    def __init__(self, file) -> None:
        super().__init__(file)
        self.off = file.is_test
        self.scopes: list[dict[str, bool | None]] = [{}]  # per function: dict variables -> has "exp"
        self.context: list[tuple[str, ...]] = []  # words of the enclosing names, innermost last
        self.constants: dict[str, int | float] = {}
        self.unverified: list[tuple[list[cst.Call], list[bool]]] = [([], [False])]  # per function: reads, verified?

    # ------------------------------------------------------------------ context
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append({})
        self.context.append(words(node.name.value))
        self.unverified.append(([], [False]))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()
        self.context.pop()
        self._unverified_reads()

    def leave_Module(self, original_node: cst.Module) -> None:
        self._unverified_reads()

    def _unverified_reads(self) -> None:
        reads, verified = self.unverified.pop() if self.unverified else ([], [False])
        if verified[0]:
            return
        for call in reads:
            self.report(
                call,
                "JWT claims are read without verifying the token's signature",
                'Decode with `jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"])` and read the claims it returns.',
            )

    def visit_Arg(self, node: cst.Arg) -> None:
        self.context.append(words(node.keyword.value) if node.keyword is not None else ())

    def leave_Arg(self, original_node: cst.Arg) -> None:
        self.context.pop()

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = string_value(node.key)
        self.context.append(words(key) if key else ())
        if key == "exp" and not self.off and isinstance(node.value, cst.BinaryOperation) and isinstance(node.value.operator, cst.Add):
            # "exp": int(time.time()) + 86400: seconds added to a timestamp
            for side in (node.value.left, node.value.right):
                seconds = int_value(side, self.constants)
                if seconds is not None and not isinstance(side, cst.Name) and seconds / 60 > MAX_ACCESS_MINUTES and self._lifetime_context():
                    self._long(side, seconds / 60, "")
                    break

    def leave_DictElement(self, original_node: cst.DictElement) -> None:
        self.context.pop()

    def visit_Dict(self, node: cst.Dict) -> None:
        values: list[str] = []
        for element in node.elements:
            text = string_value(element.value) if isinstance(element, cst.DictElement) else None
            if text and len(text) <= 40:
                values.extend(words(text))
        self.context.append(tuple(values))

    def leave_Dict(self, original_node: cst.Dict) -> None:
        self.context.pop()

    # ------------------------------------------------------------------ assignments
    def visit_Assign(self, node: cst.Assign) -> None:
        names = [target_name(t.target) for t in node.targets]
        self.context.append(tuple(w for n in names if n for w in words(n)))
        if self.off:
            return
        scope = self.scopes[-1]
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Name):
                has = _has_exp(node.value)
                if isinstance(node.value, (cst.Dict, cst.Call)) and (isinstance(node.value, cst.Dict) or has is not None):
                    scope[t.value] = has
                else:
                    scope.pop(t.value, None)
                constant = int_value(node.value, self.constants)
                if constant is not None and len(self.scopes) == 1:
                    self.constants[t.value] = constant
            elif isinstance(t, cst.Subscript) and isinstance(t.value, cst.Name) and t.value.value in scope:
                key = string_value(t.slice[0].slice.value) if isinstance(t.slice[0].slice, cst.Index) else None
                if key == "exp":
                    scope[t.value.value] = True
                elif key is None and scope[t.value.value] is not True:
                    scope[t.value.value] = None
        for name in names:
            if name:
                self._setting(name, node.value)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self.context.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        name = target_name(node.target)
        self.context.append(words(name) if name else ())
        if self.off or node.value is None:
            return
        if isinstance(node.target, cst.Name) and isinstance(node.value, cst.Dict):
            self.scopes[-1][node.target.value] = _has_exp(node.value)
        if name:
            self._setting(name, node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self.context.pop()

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self.off or not isinstance(node.target, cst.Name) or not isinstance(node.operator, cst.BitOrAssign):
            return
        self._merge(node.target.value, _has_exp(node.value))

    def _merge(self, name: str, has: bool | None) -> None:
        scope = self.scopes[-1]
        if name not in scope or scope[name] is True:
            return
        scope[name] = True if has else (None if has is None else scope[name])

    def _setting(self, name: str, value: cst.BaseExpression) -> None:
        """`ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24`, `JWT_ACCESS_TOKEN_EXPIRES = False`."""
        is_lifetime, unit = _lifetime_name(name)
        if not is_lifetime:
            return
        if isinstance(value, cst.Name) and value.value == "False":
            self.report(value, f"Access tokens never expire (`{name}` is False)", "Give access tokens a lifetime of 60 minutes or less (e.g. timedelta(minutes=15)).")
            return
        if unit is None:
            return
        amount = self._setting_value(value)
        if amount is not None and amount * unit > MAX_ACCESS_MINUTES:
            self._long(value, amount * unit, f"`{name}`")

    def _setting_value(self, value: cst.BaseExpression | None, depth: int = 0) -> float | None:
        if value is None or depth > 4:
            return None
        amount = int_value(value)
        if amount is not None:
            return amount
        text = string_value(value)
        if text is not None and depth:
            try:
                return float(text.strip())
            except ValueError:
                return None
        if isinstance(value, cst.Call):
            last = last_name(value.func) or ""
            if last in ("Field", "int", "float"):
                return self._setting_value(argument(value, 0, "default"), depth + 1)
            receiver = (dotted(value.func.value) or "") if isinstance(value.func, cst.Attribute) else ""
            if last == "getenv" or (last in ("get", "setdefault") and receiver.endswith("environ")) or (
                isinstance(value.func, cst.Name) and last in ("config", "env")
            ):
                return self._setting_value(argument(value, 1, "default"), depth + 1)
        return None

    def _long(self, node: cst.CSTNode, minutes: float, what: str) -> None:
        self.report(
            node,
            f"Access-token lifetime{' ' + what if what else ''} is {_human(minutes)}, over {MAX_ACCESS_MINUTES} minutes "
            "(an expected-tier concern within SEC004)",
            "Issue access tokens for 15-60 minutes and keep sessions alive with a rotated refresh token.",
        )

    # ------------------------------------------------------------------ calls
    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.imports.qualify(node.func) or ""
        if not self.off:
            if qualified.endswith("timedelta"):
                self._timedelta(node)
            elif qualified in _ENCODE:
                self._encode(node)
            elif qualified in _DECODE:
                self.unverified[-1][1][0] = True
                self._decode(node)
            elif qualified in _UNVERIFIED:
                self.unverified[-1][0].append(node)
            elif isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name):
                self._mutation(node, node.func.value.value, node.func.attr.value)
            self._escapes(node, qualified)
        self.context.append(("jwt",) if qualified in _ENCODE else words(last_name(node.func) or ""))

    def leave_Call(self, original_node: cst.Call) -> None:
        self.context.pop()

    def _mutation(self, node: cst.Call, name: str, method: str) -> None:
        if name not in self.scopes[-1]:
            return
        if method == "update":
            has: bool | None = False
            for arg in node.args:
                if arg.keyword is not None:
                    has = True if arg.keyword.value == "exp" else has
                elif isinstance(arg.value, cst.Dict) and not arg.star:
                    inner = _has_exp(arg.value)
                    has = True if inner else (None if inner is None and has is not True else has)
                else:
                    has = None if has is not True else has
            self._merge(name, has)
        elif method == "setdefault":
            key = string_value(argument(node, 0))
            self._merge(name, True if key == "exp" else (False if key is not None else None))

    def _escapes(self, node: cst.Call, qualified: str) -> None:
        """A tracked dict handed to another function may gain "exp" there: stop guessing."""
        if qualified in _ENCODE:
            return
        scope = self.scopes[-1]
        for value in positional(node):
            if isinstance(value, cst.Name) and value.value in scope and scope[value.value] is False:
                scope[value.value] = None

    def _lifetime_context(self) -> bool:
        seen = {w for ws in self.context for w in ws}
        return bool(seen & _ACCESS) and not seen & _OTHER_LIFETIME

    def _timedelta(self, node: cst.Call) -> None:
        total = 0.0
        args = [a for a in node.args]
        if not args:
            return
        index = 0
        for arg in args:
            if arg.star:
                return
            if arg.keyword is not None:
                unit = arg.keyword.value
            elif index < len(_TIMEDELTA_ORDER):
                unit = _TIMEDELTA_ORDER[index]
                index += 1
            else:
                return
            if unit not in _TIMEDELTA_MINUTES:
                return
            if isinstance(arg.value, cst.Name) and _lifetime_name(arg.value.value)[0]:
                return  # reported where the setting is assigned
            amount = int_value(arg.value, self.constants)
            if amount is None:
                return
            total += amount * _TIMEDELTA_MINUTES[unit]
        if total > MAX_ACCESS_MINUTES and self._lifetime_context():
            self._long(node, total, "")

    def _report_call(self, node: cst.Call, message: str, fix: str) -> None:
        key = argument(node, 1, "key")
        self.report(node, message, fix, secrets=(key,) if is_string(key) else ())

    def _encode(self, node: cst.Call) -> None:
        payload = argument(node, 0, "payload") or keyword(node, "claims")
        if isinstance(payload, cst.Name):
            has = self.scopes[-1].get(payload.value, self.scopes[0].get(payload.value) if payload.value in self.scopes[0] else None)
        else:
            has = _has_exp(payload)
        if has is False:
            self._report_call(node, "JWT is issued without an `exp` claim", 'Add an "exp" claim (datetime.now(timezone.utc) + timedelta(minutes=15)) to the payload before jwt.encode().')
        algorithm = argument(node, 2, "algorithm")
        if (string_value(algorithm) or "").strip().lower() == "none" or (isinstance(algorithm, cst.Name) and algorithm.value == "None"):
            self._report_call(node, "JWT is signed with the `none` algorithm", 'Sign with algorithm="HS256" (or RS256/ES256) and a secret key from the environment.')

    def _decode(self, node: cst.Call) -> None:
        options = keyword(node, "options")
        if isinstance(options, cst.Dict):
            for element in options.elements:
                if not isinstance(element, cst.DictElement):
                    continue
                key = string_value(element.key)
                if isinstance(element.value, cst.Name) and element.value.value == "False":
                    if key == "verify_signature":
                        self._report_call(node, "JWT is decoded without verifying its signature", "Remove verify_signature=False; pass the key and algorithms=[...] so the signature is checked.")
                        return
                    if key == "verify_exp":
                        self._report_call(node, "JWT is decoded without checking its expiry", 'Remove verify_exp=False so expired tokens are rejected.')
                        return
        verify = keyword(node, "verify")
        if isinstance(verify, cst.Name) and verify.value == "False":
            self._report_call(node, "JWT is decoded without verifying its signature", "Remove verify=False; pass the key and algorithms=[...] so the signature is checked.")
            return
        algorithms = argument(node, 2, "algorithms")
        names: list[str] = []
        if isinstance(algorithms, (cst.List, cst.Tuple, cst.Set)):
            names = [string_value(e.value) or "" for e in algorithms.elements]
        elif algorithms is not None:
            names = [string_value(algorithms) or ""]
        if any(n.strip().lower() == "none" for n in names):
            self._report_call(node, 'JWT decoding accepts the `none` algorithm', 'Pass only the signing algorithm: algorithms=["HS256"].')
