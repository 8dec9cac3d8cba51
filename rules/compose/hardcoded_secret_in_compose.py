"""CMP001: no hard-coded secrets in a service's `environment` or `build.args`."""
from __future__ import annotations

import re

from critic.parsers.yaml_doc import Node
from critic.rule import ComposeRule, Invalid, Valid
from critic.rules.compose._support import EnvEntry, Var, env_entries, literal_default, services, tokens, value_spans
from critic.rules.dockerfile.secret_baked_into_image import is_secret_name

#: Values that are flags, not secrets (MYSQL_ALLOW_EMPTY_PASSWORD: "yes").
_FLAG_VALUES = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1", "none", "null", "nil", "~"})
#: scheme://[user]:password@host: the password part, in a value whose ${...} were replaced by
#: placeholders (\x00<index>\x00) first, so `${USER:-app}` does not look like `user:password`.
_URL_CREDENTIALS = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://(?P<user>[^/?#@\s:]*):(?P<password>[^/?#@\s]*)@")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")


def _flatten(value: str) -> tuple[str, list[Var]]:
    """The value with every interpolation replaced by a placeholder, and the interpolations."""
    out: list[str] = []
    found: list[Var] = []
    for token in tokens(value):
        if isinstance(token, Var):
            out.append(f"\x00{len(found)}\x00")
            found.append(token)
        else:
            out.append(token)
    return "".join(out), found


def _url_problem(value: str) -> str | None:
    """What is hard-coded in a URL's credentials, or None."""
    if "://" not in value or "@" not in value:
        return None
    flat, found = _flatten(value)
    for match in _URL_CREDENTIALS.finditer(flat):
        password = match.group("password")
        if not password:
            continue
        used = [found[int(i)] for i in _PLACEHOLDER.findall(password)]
        literal = _PLACEHOLDER.sub("", password)
        if literal:
            return "a connection URL with an inline password"
        if any(literal_default(var) for var in used):
            return "a connection URL whose password falls back to a literal default"
    return None


def _secret_problem(entry: EnvEntry) -> str | None:
    value = entry.value
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if str(value) in _FLAG_VALUES else "a literal value"
    text = str(value)
    stripped = text.strip()
    if not stripped or stripped.lower() in _FLAG_VALUES:
        return None
    if stripped.startswith("/") and " " not in stripped:
        return None  # a path to a mounted secret file, not the secret
    parts = tokens(stripped)
    variables = [t for t in parts if isinstance(t, Var)]
    if not variables:
        if "$$" in stripped:
            return None  # an escaped `$`: a shell expression evaluated in the container
        return "a literal value"
    if any(literal_default(var) for var in variables):
        return "a literal fallback default"
    return None


class HardcodedSecretInCompose(ComposeRule):
    """
    ## What it does
    Reports secrets written into a compose file: an `environment` or `build.args` entry (list
    form `- KEY=value` or map form `KEY: value`) whose name is secret-like (`*PASSWORD*`,
    `*_PASS`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`, `*PRIVATE_KEY*`, `*ACCESS_KEY*`,
    `*CREDENTIALS*`) with a literal value, an interpolation with a literal fallback
    (`${POSTGRES_PASSWORD:-postgres}`), and a connection URL with an inline password
    (`postgresql://user:pass@db/app`, `redis://:pass@redis:6379/0`, `amqp://user:pass@mq/`).
    Not reported: `${VAR}`, `${VAR:?error}`, `$VAR`, empty values, pass-through names
    (`- SECRET_KEY`), flags (`MYSQL_ALLOW_EMPTY_PASSWORD: "yes"`), secret-file paths
    (`*_FILE: /run/secrets/db_password`) and names for a secret's metadata
    (`ACCESS_TOKEN_EXPIRE_MINUTES`, `TOKEN_URL`). The value is masked in snippets and never
    appears in the message.

    ## Why is this bad?
    A compose file is committed and shared: a password in it is readable by everyone with the
    repository, ends up in `docker inspect`, and cannot be rotated without a code change. A
    literal fallback is the same secret, used whenever the variable is forgotten. DEV:
    use environment variables and never hardcode secrets.

    ## Example
        services:
          api:
            environment:
              - DATABASE_URL=postgresql://app:app-password@db:5432/app
          db:
            environment:
              POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}

    ## Use instead
        services:
          api:
            environment:
              - DATABASE_URL=postgresql://app:${POSTGRES_PASSWORD:?set it in .env}@db:5432/app
          db:
            environment:
              POSTGRES_PASSWORD_FILE: /run/secrets/postgres_password
            secrets: [postgres_password]
        secrets:
          postgres_password:
            environment: POSTGRES_PASSWORD
    """

    id = "CMP001"
    name = "hardcoded-secret-in-compose"
    tier = "critical"
    severity = "high"
    confidence = "high"
    sources = ("DEV docker-compose template (environment from ${VAR})", "DEV Best Practices (never hardcode secrets)")
    peers = ()
    cwe = ("CWE-798",)
    owasp = ("A07:2021", "A05:2021")
    message = "Hard-coded secret in the compose file"
    fix = (
        "Replace the literal with `${VAR}` interpolation (or `${VAR:?VAR is required}`) fed from an "
        "untracked `.env`/`env_file`, or mount it with compose `secrets:` and a `*_FILE` variable."
    )
    VALID = (
        Valid(
            "services:\n  api:\n    image: ghcr.io/acme/api:1.0.0\n    environment:\n"
            "      DATABASE_URL: postgresql+asyncpg://${POSTGRES_USER:-app}:${POSTGRES_PASSWORD:?required}@db:5432/${POSTGRES_DB:-app}\n"
            "      SECRET_KEY: ${SECRET_KEY:?SECRET_KEY must be set}\n"
            "      ACCESS_TOKEN_EXPIRE_MINUTES: \"15\"\n"
            "      REDIS_URL: redis://redis:6379/0\n"
            "      POSTGRES_PASSWORD_FILE: /run/secrets/postgres_password\n"
            "      MYSQL_ALLOW_EMPTY_PASSWORD: \"yes\"\n"
            "      API_TOKEN:\n"
            "      JWT_SECRET: $JWT_SECRET\n"
            "      SMTP_PASSWORD: \"\"\n"
        ),
        Valid(
            "services:\n  api:\n    build:\n      context: .\n      args:\n        - PIP_INDEX_TOKEN\n        - PYTHON_VERSION=3.12\n"
            "    environment:\n      - SECRET_KEY\n      - DB_PASSWORD=${DB_PASSWORD}\n      - FALLBACK_TOKEN=${PRIMARY_TOKEN:-${SECONDARY_TOKEN}}\n"
        ),
    )
    INVALID = (
        Invalid("services:\n  db:\n    image: postgres:16.4\n    environment:\n      POSTGRES_PASSWORD: hunter2\n", line=5),
        Invalid("services:\n  api:\n    build: .\n    environment:\n      - DATABASE_URL=postgresql://app:app-pass@db:5432/app\n", line=5),
        Invalid("services:\n  db:\n    image: postgres:16.4\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}\n", line=5),
        Invalid("services:\n  worker:\n    build: .\n    environment:\n      CELERY_BROKER_URL: \"redis://:s3cret@redis:6379/0\"\n", line=5),
        Invalid("services:\n  api:\n    build:\n      context: .\n      args:\n        GITHUB_TOKEN: ghp_example0000000000\n", line=6),
        Invalid("services:\n  mq:\n    image: rabbitmq:3.13\n    environment:\n      RABBITMQ_DEFAULT_PASS: guest\n", line=5),
    )

    def check(self, root: Node) -> None:
        seen: set[tuple[int, int]] = set()
        for _, service in services(root):
            build = service.get("build")
            sections = [("environment", service.get("environment"))]
            if build is not None and build.kind == "map":
                sections.append(("build argument", build.get("args")))
            for label, section in sections:
                for entry in env_entries(section):
                    problem = self._problem(entry)
                    if problem is None:
                        continue
                    where = (entry.line, entry.node.column)
                    if where in seen:
                        continue  # one anchor merged into several services
                    seen.add(where)
                    self.report(
                        entry.node,
                        f"Hard-coded secret in {label} {entry.key}: {problem}",
                        at_key=not entry.list_form,
                        secret_spans=value_spans(entry),
                    )

    @staticmethod
    def _problem(entry: EnvEntry) -> str | None:
        if not entry.key or entry.value is None:
            return None
        if isinstance(entry.value, str):
            url = _url_problem(entry.value)
            if url:
                return url
        if is_secret_name(entry.key):
            return _secret_problem(entry)
        return None
