"""SEC003: passwords are hashed with bcrypt at 12+ rounds (or argon2/scrypt), never compared in plain."""
from __future__ import annotations

import libcst as cst

from critic.rule import Invalid, Valid
from critic.rules.python._secret_names import (
    TestAwareRule,
    SecretFinder,
    argument,
    int_value,
    is_constant,
    keyword,
    last_name,
    positional,
    secret_kind,
    string_value,
    target_name,
    words,
)

MIN_ROUNDS = 12
_FAST_HASHES = frozenset(
    {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s", "shake_128", "shake_256"}
)
#: passlib schemes that are broken or store the password as it is
_WEAK_SCHEMES = frozenset(
    {
        "md5_crypt", "apr_md5_crypt", "des_crypt", "bsdi_crypt", "bigcrypt", "crypt16", "sun_md5_crypt",
        "plaintext", "ldap_plaintext", "roundup_plaintext", "ldap_md5", "ldap_sha1", "ldap_salted_md5",
        "ldap_salted_sha1", "ldap_des_crypt", "ldap_bsdi_crypt", "ldap_md5_crypt", "hex_md4", "hex_md5",
        "hex_sha1", "hex_sha256", "hex_sha512", "mysql323", "mysql41", "postgres_md5", "oracle10",
        "oracle11", "lmhash", "nthash", "msdcc", "msdcc2", "django_salted_md5", "django_salted_sha1",
        "django_des_crypt", "htdigest", "cisco_pix", "cisco_asa", "cisco_type7",
    }
)
_WEAK_DJANGO_HASHERS = ("MD5PasswordHasher", "SHA1PasswordHasher", "UnsaltedMD5PasswordHasher", "UnsaltedSHA1PasswordHasher", "CryptPasswordHasher")
#: a function that makes or checks a password hash: `hash_password`, `get_password_hash`, `verify_password`
_HASHING_VERBS = frozenset({"hash", "hashed", "hashing", "encrypt", "encode", "digest", "make", "set", "store", "verify", "check", "generate", "create", "compute"})
#: words of a name that concern something other than the password itself
_NOT_THE_PASSWORD = frozenset({"token", "tokens", "reset", "link", "url", "otp", "code", "email", "key", "api", "nonce", "session", "csrf", "etag", "cache", "checksum", "file"})
#: one side of a comparison that is a second copy typed by the user: `password == confirm_password`
_CONFIRMATION = frozenset({"confirm", "confirmation", "confirmed", "repeat", "repeated", "again", "retype", "retyped", "verify", "verification", "2", "two", "second"})


def _password_context(name: str | None) -> bool:
    """A name that denotes a password (not its reset token, policy, context or length)."""
    return bool(name) and secret_kind(name) == "a password" and not set(words(name)) & _NOT_THE_PASSWORD


def _rounds_name(name: str) -> bool:
    ws = set(words(name))
    return "rounds" in ws and bool(ws & {"bcrypt", "log", "hash", "hashing", "password"})


class _PasswordFinder(SecretFinder):
    def _name(self, name: str) -> str | None:
        return "a password" if _password_context(name) else None


_DIGEST = frozenset({"hash", "hashed", "hashes", "digest", "encrypted", "crypted", "hmac"})


class _PlainPasswordFinder(_PasswordFinder):
    """A password as typed or stored in clear: `form.password`, `stored_password` (not `hashed_password`)."""

    def _name(self, name: str) -> str | None:
        return None if set(words(name)) & _DIGEST else super()._name(name)

    def find(self, node, depth=0):
        if isinstance(node, cst.Attribute) and node.attr.value.isupper():
            return None  # an enum member or constant (`AuthMethod.USERNAME_PASSWORD`)
        return super().find(node, depth)


class WeakPasswordHashing(TestAwareRule):
    """
    ## What it does
    Checks how passwords are hashed and checked:
    - `bcrypt.gensalt(rounds=N)` (or positional N), passlib `CryptContext(bcrypt__rounds=N)`,
      `passlib.hash.bcrypt.using(rounds=N)` and `BCRYPT_LOG_ROUNDS`/`BCRYPT_ROUNDS` settings
      with N below 12;
    - `hashlib.md5/sha1/sha256/sha512(...)` or `hashlib.new("md5", ...)` applied to a password
      (the argument names a password, or the result is stored in a password field, or the
      enclosing function is a password hasher such as `hash_password`);
    - passlib schemes that are broken or plaintext (`md5_crypt`, `des_crypt`, `plaintext`,
      `ldap_*` digests) as the default or a non-deprecated scheme of a `CryptContext`, or
      used directly, and Django `PASSWORD_HASHERS` that start with an MD5/SHA1 hasher;
    - a clear-text password compared with `==`/`!=` (`user.password == form.password`,
      `hashed == password`) instead of a constant-time hash check.

    bcrypt with its default cost (12), argon2, scrypt, pbkdf2, `pwdlib`, `pwd_context.verify`
    and `secrets.compare_digest` are fine; so are SHA-256 digests of tokens or API keys, a
    comparison of a password with its confirmation field, and a comparison of two digests
    (`legacy_hash(plain) == user.hashed_password`; the weak digest is reported where it is
    computed). Test code (which lowers the cost
    on purpose) is not checked: test files, test settings modules (`config/settings/test.py`)
    and test configuration classes (Flask's `class TestingConfig(Config)`).

    ## Why is this bad?
    A leaked table of MD5/SHA hashes or low-cost bcrypt hashes is cracked at billions of
    guesses per second on a GPU; a password stored or compared as plain text is simply read
    (CWE-916, CWE-327, CWE-328). AGT's security checklist requires bcrypt with 12+ rounds.

    ## Example
        salt = bcrypt.gensalt(rounds=10)
        hashed = hashlib.sha256(password.encode()).hexdigest()
        if user.password == form.password:
            ...

    ## Use instead
        pwd_context = CryptContext(schemes=["bcrypt"], bcrypt__rounds=12, deprecated="auto")
        hashed = pwd_context.hash(password)
        if pwd_context.verify(form.password, user.hashed_password):
            ...
    """

    id = "SEC003"
    name = "weak-password-hashing"
    tier = "critical"
    severity = "high"
    confidence = "medium"
    sources = ("AGT Security Checklist", "AGT examples (bcrypt 12 rounds)")
    peers = ("bandit:B303", "bandit:B324")
    cwe = ("CWE-916", "CWE-327", "CWE-328")
    owasp = ("A02:2021",)
    message = "Passwords are hashed or checked weakly"
    fix = "Hash passwords with bcrypt at 12+ rounds (passlib CryptContext(schemes=['bcrypt'], bcrypt__rounds=12)) or argon2, and check them with pwd_context.verify()."
    VALID = (
        # test configuration: a fast hash keeps the test run quick, and never serves traffic
        Valid('class Config:\n    BCRYPT_LOG_ROUNDS = 12\n\n\nclass TestingConfig(Config):\n    BCRYPT_LOG_ROUNDS = 4\n'),
        Valid('PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]\n', path="config/settings/test.py"),
        Valid(
            "import bcrypt\n\n"
            "def hash_password(password: str) -> str:\n"
            "    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()\n\n"
            "def verify_password(plain: str, hashed: str) -> bool:\n"
            "    return bcrypt.checkpw(plain.encode(), hashed.encode())\n"
        ),
        Valid(
            "from passlib.context import CryptContext\n"
            'pwd_context = CryptContext(schemes=["argon2", "md5_crypt"], deprecated="auto", bcrypt__rounds=12)\n'
            "salt = bcrypt.gensalt(rounds=14)\n"
        ),
        Valid(
            "import hashlib\n\n"
            "def create_reset_token(user):\n"
            "    token = secrets.token_urlsafe(32)\n"
            "    user.reset_token_hash = hashlib.sha256(token.encode()).hexdigest()\n"
            "    etag = hashlib.md5(body).hexdigest()\n"
        ),
        Valid(
            "def register(data: UserCreate):\n"
            "    if data.password != data.confirm_password:\n"
            "        raise ValueError('passwords differ')\n"
            "    if len(data.password) == 0 or data.password == '':\n"
            "        raise ValueError('empty')\n"
            "    if not secrets.compare_digest(a, b) or not pwd_context.verify(data.password, user.hashed_password):\n"
            "        raise ValueError('bad')\n"
        ),
        Valid('pwd_context = CryptContext(schemes=["bcrypt"], bcrypt__rounds=4)\n', path="tests/conftest.py"),
    )
    INVALID = (
        Invalid("import bcrypt\nsalt = bcrypt.gensalt(rounds=10)\n", line=2),
        Invalid("from bcrypt import gensalt\n\nhashed = hashpw(pw, gensalt(8))\n", line=3),
        Invalid('from passlib.context import CryptContext\npwd_context = CryptContext(schemes=["bcrypt"], bcrypt__rounds=10)\n', line=2),
        Invalid("import hashlib\n\ndef hash_password(password: str) -> str:\n    return hashlib.sha256(password.encode()).hexdigest()\n", line=4),
        Invalid("import hashlib as h\nuser.password_hash = h.md5(raw.encode()).hexdigest()\n", line=2),
        Invalid("def login(form, user):\n    if user.password == form.password:\n        return user\n", line=2),
        Invalid('pwd_context = CryptContext(schemes=["md5_crypt"])\n', line=1),
        Invalid("BCRYPT_ROUNDS = 10\n", line=1),
        Invalid('import hashlib\nhashed = hashlib.new("sha1", password.encode()).hexdigest()\n', line=2),
    )

    def __init__(self, file) -> None:
        super().__init__(file)
        self.functions: list[str] = []
        self.names: list[str | None] = []  # innermost assignment targets / keyword names
        self.constants: dict[str, int] = {}
        self.finder = _PasswordFinder(kinds=("a password",), logging=False)
        self.plain = _PlainPasswordFinder(kinds=("a password",), logging=False)

    # ------------------------------------------------------------------ context
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        names = [target_name(t.target) for t in node.targets]
        self.names.append(next((n for n in names if n), None))
        if self.off:
            return
        value = int_value(node.value)
        for name in names:
            if not name:
                continue
            if isinstance(value, int) and not self.functions and len(node.targets) == 1:
                self.constants[name] = value
            self._rounds_setting(name, node.value)
            if name == "PASSWORD_HASHERS":
                self._django_hashers(node.value)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self.names.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        name = target_name(node.target)
        self.names.append(name)
        if not self.off and name and node.value is not None:
            self._rounds_setting(name, node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self.names.pop()

    def visit_Arg(self, node: cst.Arg) -> None:
        self.names.append(node.keyword.value if node.keyword is not None else None)

    def leave_Arg(self, original_node: cst.Arg) -> None:
        self.names.pop()

    # ------------------------------------------------------------------ settings
    def _rounds_setting(self, name: str, value: cst.BaseExpression) -> None:
        if not _rounds_name(name):
            return
        if isinstance(value, cst.Call) and last_name(value.func) == "Field":
            value = argument(value, 0, "default")
        rounds = int_value(value)
        if isinstance(rounds, int) and rounds < MIN_ROUNDS:
            self.report(value, f"bcrypt cost `{name}` is {rounds}, below {MIN_ROUNDS} rounds", self.fix)

    def _django_hashers(self, value: cst.BaseExpression) -> None:
        if isinstance(value, (cst.List, cst.Tuple)) and value.elements:
            first = value.elements[0].value
            text = string_value(first) or ""
            if text.rsplit(".", 1)[-1] in _WEAK_DJANGO_HASHERS:
                self.report(first, f"Django hashes new passwords with {text.rsplit('.', 1)[-1]}", "Put argon2 or bcrypt (Argon2PasswordHasher, BCryptSHA256PasswordHasher) first in PASSWORD_HASHERS.")

    # ------------------------------------------------------------------ calls
    def visit_Call(self, node: cst.Call) -> None:
        if self.off:
            return
        qualified = self.imports.qualify(node.func) or ""
        last = qualified.rsplit(".", 1)[-1]
        if qualified in ("bcrypt.gensalt", "gensalt"):
            self._gensalt(node)
        elif last == "CryptContext":
            self._crypt_context(node)
        elif qualified.startswith("passlib.hash."):
            self._passlib_hash(node, qualified)
        elif qualified.startswith("hashlib.") and (last in _FAST_HASHES or last == "new"):
            self._hashlib(node, last)

    def _rounds(self, node: cst.BaseExpression | None) -> int | None:
        value = int_value(node, self.constants)
        return value if isinstance(value, int) else None

    def _gensalt(self, node: cst.Call) -> None:
        arg = argument(node, 0, "rounds")
        if isinstance(arg, cst.Name) and _rounds_name(arg.value):
            return  # reported where the setting is assigned
        rounds = self._rounds(arg)
        if rounds is not None and rounds < MIN_ROUNDS:
            self.report(node, f"bcrypt.gensalt() uses {rounds} rounds, below {MIN_ROUNDS}", "Call bcrypt.gensalt() with its default cost or rounds=12 or more.")

    def _crypt_context(self, node: cst.Call) -> None:
        for arg in node.args:
            key = arg.keyword.value if arg.keyword is not None else ""
            if key in ("bcrypt__rounds", "bcrypt__default_rounds", "bcrypt_sha256__rounds", "bcrypt_sha256__default_rounds"):
                if isinstance(arg.value, cst.Name) and _rounds_name(arg.value.value):
                    continue  # reported where the setting is assigned
                rounds = self._rounds(arg.value)
                if rounds is not None and rounds < MIN_ROUNDS:
                    self.report(node, f"CryptContext sets {key}={rounds}, below {MIN_ROUNDS}", "Set bcrypt__rounds=12 or more (or leave passlib's default).")
                    return
        schemes = _strings(argument(node, 0, "schemes"))
        if not schemes:
            return
        default = string_value(keyword(node, "default")) or schemes[0]
        deprecated_arg = keyword(node, "deprecated")
        auto = string_value(deprecated_arg) == "auto"
        deprecated = set(_strings(deprecated_arg) or ())
        for scheme in schemes:
            if scheme not in _WEAK_SCHEMES:
                continue
            if scheme == default or not (auto or scheme in deprecated):
                self.report(node, f"CryptContext hashes passwords with `{scheme}`", "Use schemes=['bcrypt'] or ['argon2'] (keep legacy schemes only as deprecated, for verifying old hashes).")
                return

    def _passlib_hash(self, node: cst.Call, qualified: str) -> None:
        parts = qualified.split(".")
        if len(parts) < 4:
            return
        scheme, method = parts[2], parts[3]
        if scheme in _WEAK_SCHEMES and method in ("hash", "encrypt", "using"):
            self.report(node, f"Passwords are hashed with passlib `{scheme}`", self.fix)
        elif scheme in ("bcrypt", "bcrypt_sha256") and method == "using":
            rounds = self._rounds(keyword(node, "rounds"))
            if rounds is not None and rounds < MIN_ROUNDS:
                self.report(node, f"passlib bcrypt uses {rounds} rounds, below {MIN_ROUNDS}", "Use bcrypt.using(rounds=12) or more.")

    def _hashlib(self, node: cst.Call, algorithm: str) -> None:
        args = positional(node)
        if algorithm == "new":
            algorithm = (string_value(args[0]) if args else None) or string_value(keyword(node, "name")) or ""
            if algorithm.lower().replace("-", "") not in _FAST_HASHES:
                return
            args = args[1:]
        data = list(args) + [a.value for a in node.args if a.keyword is not None and a.keyword.value in ("data", "string")]
        password = any(self.finder.find(arg) for arg in data)
        if not password:
            name = next((n for n in reversed(self.names) if n), None)
            password = _password_context(name)
        if not password and self.functions:
            function = self.functions[-1]
            ws = set(words(function))
            password = bool(ws & {"password", "passwd", "pwd", "passphrase"} and ws & _HASHING_VERBS and not ws & _NOT_THE_PASSWORD)
        if password:
            self.report(node, f"Password hashed with a fast digest (`{algorithm.lower()}`)", self.fix)

    # ------------------------------------------------------------------ comparisons
    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self.off or len(node.comparisons) != 1:
            return
        if self.functions and self.functions[-1] in ("__eq__", "__ne__", "__hash__"):
            return  # an object comparing its fields, not a login check
        target = node.comparisons[0]
        if not isinstance(target.operator, (cst.Equal, cst.NotEqual)):
            return
        left, right = node.left, target.comparator
        if is_constant(left) or is_constant(right):
            return
        found_left, found_right = self.plain.find(left), self.plain.find(right)
        if not (found_left or found_right):
            return
        if _is_confirmation(left) or _is_confirmation(right):
            return
        if _new_vs_old(left, right):
            return
        self.report(node, "Passwords compared with `==` instead of a hash check", "Store only a bcrypt/argon2 hash and check it with pwd_context.verify(plain, hashed) (constant time).")


def _strings(node: cst.BaseExpression | None) -> list[str] | None:
    if node is None:
        return None
    text = string_value(node)
    if text is not None:
        return [s.strip() for s in text.split(",") if s.strip()]
    if isinstance(node, (cst.List, cst.Tuple)):
        out = []
        for element in node.elements:
            value = string_value(element.value)
            if value is None:
                return None
            out.append(value)
        return out
    return None


def _names_in(node: cst.BaseExpression) -> set[str]:
    """The words of the identifiers and string keys of a small expression."""
    out: set[str] = set()
    stack: list[cst.CSTNode] = [node]
    budget = 64
    while stack and budget:
        budget -= 1
        item = stack.pop()
        if isinstance(item, cst.Name):
            out.update(words(item.value))
        elif isinstance(item, cst.Attribute):
            out.update(words(item.attr.value))
            stack.append(item.value)
        elif isinstance(item, cst.Subscript):
            stack.append(item.value)
            for element in item.slice:
                if isinstance(element.slice, cst.Index):
                    text = string_value(element.slice.value)
                    if text:
                        out.update(words(text))
        elif isinstance(item, cst.Call):
            stack.append(item.func)
        elif isinstance(item, cst.Await):
            stack.append(item.expression)
    return out


def _is_confirmation(node: cst.BaseExpression) -> bool:
    return bool(_names_in(node) & _CONFIRMATION)


def _new_vs_old(left: cst.BaseExpression, right: cst.BaseExpression) -> bool:
    a, b = _names_in(left), _names_in(right)
    return ("new" in a and b & {"old", "current", "previous"}) or ("new" in b and a & {"old", "current", "previous"})
