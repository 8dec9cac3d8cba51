"""DKR006: no secrets baked into the image (ENV/ARG literals, copied secret files)."""
from __future__ import annotations

import fnmatch
import re

from critic.parsers.dockerfile import Instruction, key_values
from critic.rule import DockerfileRule, Invalid, Valid
from critic.rules.dockerfile._support import copy_sources, secret_value_spans, strip_flags

#: Words that make a variable name secret-like on their own.
_SECRET_WORDS = frozenset(
    {
        "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "CREDENTIAL", "CREDENTIALS",
        "APIKEY", "SECRETKEY", "PRIVATEKEY", "ACCESSKEY", "AUTHTOKEN", "ACCESSTOKEN",
    }
)
#: Words that make a secret-like name when followed by KEY (API_KEY, PRIVATE_KEY, ...).
_KEY_QUALIFIERS = frozenset({"API", "PRIVATE", "ACCESS", "SIGNING", "ENCRYPTION", "MASTER", "AUTH", "HMAC", "JWT", "FERNET"})
#: Weak words that are secret-like only as the last word after a qualifier (DB_PASS, SMTP_PWD).
_WEAK_LAST = frozenset({"PASS", "PWD", "PW"})
#: Words that may follow the secret word and still name the secret itself (SECRET_KEY, TOKEN_VALUE).
_STILL_SECRET = frozenset({"KEY", "BASE", "VALUE", "STRING", "B64", "BASE64", "HEX", "RAW", "PLAIN", "PLAINTEXT", "DATA"})
#: Values that are flags, not secrets (MYSQL_ALLOW_EMPTY_PASSWORD=yes).
_NOT_SECRET_VALUES = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1", "none", "null", "nil", "~"})
_URL_WITH_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#@\s:]*:(?P<password>[^/?#@\s]+)@")

#: Basenames (lower-cased) of files that hold credentials.
_SECRET_FILES = (
    ".env", "*.env", ".envrc", "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.ppk",
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "*_rsa", "*_dsa", "*_ecdsa", "*_ed25519", "*_key", "*-key",
    "credentials", "credentials*", "*-credentials.json",
    "*_credentials.json", "service-account*.json", "serviceaccount*.json", ".npmrc", ".pypirc", ".netrc",
    ".git-credentials", ".htpasswd", ".aws", ".ssh", "secrets",
)
_ENV_TEMPLATES = frozenset({"example", "sample", "template", "tpl", "tmpl", "dist", "default", "defaults", "schema"})
_PUBLIC_MATERIAL = re.compile(r"cert|(?:^|[^a-z])ca(?:$|[^a-z])|chain|bundle|pub")
_SECRET_DIRS = frozenset({".aws", ".ssh", "secrets", ".secrets"})


def _words(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.upper()) if w]


def is_secret_name(name: str) -> bool:
    words = _words(name)
    last_marker = -1
    for index, word in enumerate(words):
        if word in _SECRET_WORDS:
            last_marker = index
        elif word == "KEY" and index > 0 and words[index - 1] in _KEY_QUALIFIERS:
            last_marker = index
        elif word in _WEAK_LAST and index == len(words) - 1 and index > 0:
            last_marker = index
    if last_marker < 0:
        return False
    return all(word in _STILL_SECRET for word in words[last_marker + 1 :])


def is_literal_secret(value: str | None) -> bool:
    if value is None:
        return False
    text = value.strip()
    if not text or "$" in text:
        return False
    return text.lower() not in _NOT_SECRET_VALUES


def url_password(value: str | None) -> str | None:
    if not value:
        return None
    match = _URL_WITH_PASSWORD.match(value.strip())
    if match is None or "$" in match.group("password"):
        return None
    return match.group("password")


def secret_file(source: str) -> str | None:
    """The part of a COPY/ADD source that names a credential file, or None."""
    if "://" in source:
        return None  # ADD <url>: a download, judged by what it fetches, not here
    parts = [p for p in source.replace("\\", "/").split("/") if p and p != "."]
    if not parts:
        return None
    base = parts[-1].lower()
    for directory in parts[:-1]:
        if directory.lower() in _SECRET_DIRS:
            return directory
    if base.startswith(".env."):
        return None if base.split(".", 2)[2] in _ENV_TEMPLATES else parts[-1]
    if base.endswith(".py"):
        return None
    if base.endswith(".pem") and _PUBLIC_MATERIAL.search(base[:-4]):
        return None  # a certificate, a CA bundle or a public key: public material
    if base.endswith((".key", "_key", "-key")) and "pub" in base[:-4]:
        return None  # a public key
    for pattern in _SECRET_FILES:
        if fnmatch.fnmatchcase(base, pattern):
            if pattern == "*.env" and base[:-4] in _ENV_TEMPLATES:
                return None
            return parts[-1]
    return None


class SecretBakedIntoImage(DockerfileRule):
    """
    ## What it does
    Reports secrets that a Dockerfile bakes into the image: an `ENV` or `ARG` whose name is
    secret-like (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`, `*PRIVATE_KEY*`,
    `*ACCESS_KEY*`, `*CREDENTIALS*`) given a literal value, a connection URL with an inline
    password, and a `COPY`/`ADD` of a credential file (`.env`, `*.pem`, `*.key`, `id_rsa`,
    `credentials*`, `.aws/`, `.npmrc`, `secrets/`). Not reported: an `ARG` with no default,
    values that reference another variable (`${DB_PASSWORD}`), empty values, names for a secret's
    location or metadata (`*_FILE=/run/secrets/...`, `TOKEN_URL`, `TOKEN_TYPE`,
    `ACCESS_TOKEN_EXPIRE_MINUTES`), and template files (`.env.example`). The value never appears
    in the message and is masked in snippets.

    ## Why is this bad?
    Every `ENV`, `ARG` default and copied file is stored in the image layers and its history:
    anyone who can pull the image can read the secret (`docker history`, `docker inspect`),
    and it cannot be rotated without rebuilding. DEV: use environment variables, never hardcode
    secrets.

    ## Example
        FROM python:3.12-slim
        ENV SECRET_KEY=s3cr3t-signing-key
        COPY .env /app/.env

    ## Use instead
        FROM python:3.12-slim
        # provided at run time (compose `environment: SECRET_KEY: ${SECRET_KEY}` or `secrets:`)
        ENV SECRET_KEY_FILE=/run/secrets/secret_key
        # needed while building? mount it, it never lands in a layer
        RUN --mount=type=secret,id=pip_token PIP_INDEX_URL="https://$(cat /run/secrets/pip_token)@pypi.example.com/simple" pip install --no-cache-dir -r requirements.txt
    """

    id = "DKR006"
    name = "secret-baked-into-image"
    tier = "critical"
    severity = "high"
    confidence = "high"
    sources = ("DEV Docker Best Practices (environment variables, never hardcode secrets)",)
    peers = ("hadolint:DL3064",)
    cwe = ("CWE-798", "CWE-538")
    owasp = ("A02:2021", "A05:2021")
    message = "A secret is baked into the image"
    fix = (
        "Remove the literal: read the secret at run time from the environment or a mounted secret "
        "(compose `secrets:`, `*_FILE=/run/secrets/<name>`); for build-time secrets use "
        "`RUN --mount=type=secret,id=<name>` so nothing is stored in a layer."
    )
    VALID = (
        Valid("FROM python:3.12-slim\nARG GITHUB_TOKEN\nENV ACCESS_TOKEN_EXPIRE_MINUTES=30 TOKEN_TYPE=bearer\n"),
        Valid("FROM python:3.12-slim\nENV DB_PASSWORD_FILE=/run/secrets/db_password\nENV SECRET_KEY=${SECRET_KEY}\nENV API_KEY=\n"),
        Valid("FROM python:3.12-slim\nENV OAUTH_TOKEN_URL=https://auth.example.com/token\nENV MYSQL_ALLOW_EMPTY_PASSWORD=yes\n"),
        Valid("FROM python:3.12-slim\nCOPY .env.example /app/.env.example\nCOPY app/secrets.py /app/\nCOPY . .\n"),
        Valid("FROM python:3.12-slim\nENV DATABASE_URL=postgresql://app:${DB_PASSWORD}@db:5432/app\n"),
        Valid("FROM python:3.12-slim\nRUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci\n"),
    )
    INVALID = (
        Invalid("FROM python:3.12-slim\nENV SECRET_KEY=super-secret-value\n", line=2),
        Invalid("FROM python:3.12-slim\nARG DB_PASSWORD=postgres\n", line=2),
        Invalid("FROM python:3.12-slim\nENV APP_ENV=prod \\\n    STRIPE_API_KEY=sk_live_abcdef0123456789\n", line=2),
        Invalid("FROM python:3.12-slim\nENV POSTGRES_PASSWORD changeme\n", line=2),
        Invalid("FROM python:3.12-slim\nENV DATABASE_URL=postgresql://app:hunter22@db:5432/app\n", line=2),
        Invalid("FROM python:3.12-slim\nWORKDIR /app\nCOPY .env .\n", line=3),
        Invalid("FROM python:3.12-slim\nCOPY --chown=app certs/server.key /etc/ssl/private/\n", line=2),
        Invalid('FROM python:3.12-slim\nCOPY ["secrets/", "/app/secrets/"]\n', line=2),
        Invalid("FROM python:3.12-slim\nADD id_rsa /root/.ssh/id_rsa\n", line=2),
    )

    def step(self, instruction: Instruction) -> None:
        keyword = instruction.keyword
        if keyword in ("ENV", "ARG"):
            self._variables(instruction)
        elif keyword in ("COPY", "ADD"):
            self._files(instruction)

    def _variables(self, instruction: Instruction) -> None:
        named: list[str] = []
        urls: list[str] = []
        for name, value in key_values(instruction, self.dockerfile.escape):
            if is_secret_name(name) and is_literal_secret(value):
                named.append(name)
            elif url_password(value) is not None:
                urls.append(name)
        if not named and not urls:
            return
        rest = strip_flags(instruction.arguments).split(None, 1)
        legacy = instruction.keyword == "ENV" and bool(rest) and "=" not in rest[0]
        spans = secret_value_spans(self.lines, instruction, named + urls, legacy=legacy)
        parts = []
        if named:
            parts.append(f"{instruction.keyword} {', '.join(named)} {'holds a literal secret value' if len(named) == 1 else 'hold literal secret values'}")
        if urls:
            parts.append(f"{instruction.keyword} {', '.join(urls)} {'holds a connection URL' if len(urls) == 1 else 'hold connection URLs'} with an inline password")
        self.report_instruction(instruction, "; ".join(parts) + ", stored in the image layers", secret_spans=spans)

    def _files(self, instruction: Instruction) -> None:
        found = [name for name in (secret_file(s) for s in copy_sources(instruction)) if name]
        if not found:
            return
        listed = ", ".join(repr(f) for f in dict.fromkeys(found))
        self.report_instruction(
            instruction,
            f"{instruction.keyword} bakes the credential file{'s' if len(found) > 1 else ''} {listed} into the image",
            "Do not copy credential files into the image: provide them at run time (compose `secrets:` or "
            "a volume), use `RUN --mount=type=secret,id=<name>` during the build, and list them in .dockerignore.",
        )
