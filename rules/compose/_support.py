"""What the compose rules share: services, interpolation, images, volumes, ports, one-shot jobs.

Everything here reads the position-keeping ``Node`` tree of ``critic.parsers.yaml_doc``;
anchors, aliases and merge keys are already resolved by the loader, so a merged key is
looked up like a plain one. Nothing is ever interpolated from the environment: a value that
depends on ``${VAR}`` is judged only by what the file itself says.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from critic.model import Span
from critic.parsers.yaml_doc import Node

# --------------------------------------------------------------------------- scalars
#: YAML 1.2 core schema (what docker compose's go-yaml v3 uses for untyped values).
_NULL_12 = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE_12 = frozenset({"true", "True", "TRUE"})
_FALSE_12 = frozenset({"false", "False", "FALSE"})
_INT_12 = re.compile(r"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT_12 = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$")


def scalar12(node: Node) -> object:
    """A scalar's value as YAML 1.2 resolves it: `no`/`on`/`yes` stay strings, `22:22` is no
    sexagesimal number. PyYAML (YAML 1.1) would make `restart: no` the boolean False."""
    if node.quoted or node.tag is not None or node.raw is None:
        return node.value
    raw = node.raw
    if raw in _NULL_12:
        return None
    if raw in _TRUE_12:
        return True
    if raw in _FALSE_12:
        return False
    if _INT_12.match(raw):
        try:
            return int(raw, 0) if raw[:2] in ("0o", "0x") else int(raw)
        except ValueError:
            return raw
    if _FLOAT_12.match(raw):
        lowered = raw.lower()
        if lowered.endswith(".inf"):
            return float("-inf") if lowered.startswith("-") else float("inf")
        if lowered == ".nan":
            return float("nan")
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


def plain12(root: Node) -> object:
    """``Node.plain()`` with YAML 1.2 scalars (iterative, no recursion)."""
    if root.kind == "scalar":
        return scalar12(root)
    top: object = {} if root.kind == "map" else []
    stack = [(root, top)]
    while stack:
        node, out = stack.pop()
        items = node.value.items() if node.kind == "map" else enumerate(node.value)
        for key, child in items:
            if child.tag == "!reset":
                continue  # compose's `!reset` removes the value before validation
            if child.kind == "scalar":
                value = scalar12(child)
            else:
                value = {} if child.kind == "map" else []
                stack.append((child, value))
            if node.kind == "map":
                out[key] = value  # type: ignore[index]
            else:
                out.append(value)  # type: ignore[union-attr]
    return top


def text(node: Node | None) -> str | None:
    """A scalar as the text compose sees (numbers as written), else None."""
    if node is None or node.kind != "scalar" or node.value is None:
        return None
    if node.raw is not None:
        return node.raw
    return str(node.value)


def is_true(node: Node | None) -> bool:
    if node is None or node.kind != "scalar":
        return False
    value = node.value
    if isinstance(value, bool):
        return value and (node.raw or "").lower() in ("true", "yes", "on", "y")
    return isinstance(value, str) and value.strip().lower() == "true"


def is_no(node: Node | None) -> bool:
    """`restart: "no"` (and the unquoted `no`, a string for compose)."""
    if node is None or node.kind != "scalar":
        return False
    return (node.raw or "").strip().lower() == "no"


# --------------------------------------------------------------------------- interpolation
@dataclass(frozen=True, slots=True)
class Var:
    """One `${NAME...}` or `$NAME` of a value."""

    name: str
    op: str  # "", ":-", "-", ":?", "?", ":+", "+"
    word: str  # the default / error / alternative text, itself possibly interpolated


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?(.*)", re.DOTALL)


def tokens(value: str) -> list[str | Var]:
    """Split a compose value into literal text and interpolations (`$$` is a literal `$`)."""
    out: list[str | Var] = []
    buffer: list[str] = []
    index = 0
    length = len(value)
    while index < length:
        char = value[index]
        if char != "$" or index + 1 >= length:
            buffer.append(char)
            index += 1
            continue
        nxt = value[index + 1]
        if nxt == "$":
            buffer.append("$")
            index += 2
            continue
        if nxt == "{":
            depth = 0
            end = index + 1
            while end < length:
                if value[end] == "{":
                    depth += 1
                elif value[end] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                end += 1
            if end >= length:  # unterminated: keep as text
                buffer.append(value[index:])
                break
            inner = value[index + 2 : end]
            match = _BRACED.fullmatch(inner)
            if buffer:
                out.append("".join(buffer))
                buffer = []
            if match is None:
                out.append(Var(inner, "", ""))
            else:
                out.append(Var(match.group(1), match.group(2) or "", match.group(3) if match.group(2) else ""))
            index = end + 1
            continue
        match = _NAME.match(value, index + 1)
        if match is None:
            buffer.append(char)
            index += 1
            continue
        if buffer:
            out.append("".join(buffer))
            buffer = []
        out.append(Var(match.group(0), "", ""))
        index = match.end()
    if buffer:
        out.append("".join(buffer))
    return out


def has_interpolation(value: str) -> bool:
    return any(isinstance(t, Var) for t in tokens(value))


def literal_default(var: Var) -> bool:
    """`${X:-postgres}` falls back to a literal when X is unset (`${X:-${Y}}` does not)."""
    if var.op not in (":-", "-") or not var.word:
        return False
    return any(isinstance(t, str) and t.strip() for t in tokens(var.word))


# --------------------------------------------------------------------------- services
def services(root: Node) -> Iterator[tuple[str, Node]]:
    """(name, service mapping) for every service that is a mapping."""
    node = root.get("services")
    if node is None or node.kind != "map":
        return
    for name, service in node.value.items():
        if service.kind == "map":
            yield name, service


def service_names(root: Node) -> set[str]:
    node = root.get("services")
    return set(node.value) if node is not None and node.kind == "map" else set()


def top_level_names(root: Node, section: str) -> set[str]:
    node = root.get(section)
    return set(node.value) if node is not None and node.kind == "map" else set()


def words_of(value: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", value.lower()) if w}


def command_text(service: Node) -> str:
    """`command` and `entrypoint` as one lower-case string (list forms joined by spaces)."""
    parts: list[str] = []
    for key in ("entrypoint", "command"):
        node = service.get(key)
        if node is None:
            continue
        if node.kind == "scalar" and node.value is not None:
            parts.append(str(node.value))
        elif node.kind == "seq":
            parts.extend(str(item.value) for item in node.value if item.kind == "scalar" and item.value is not None)
    return " ".join(parts).lower()


_JOB_NAME_WORDS = frozenset(
    {"migrate", "migrations", "migration", "migrator", "init", "seed", "seeder", "seeds", "setup", "bootstrap", "createdb", "provision", "oneshot"}
)
_JOB_COMMAND = re.compile(
    r"\b(?:migrate|migrations?|alembic|upgrade|init|initdb|seed|seeds|createdb|loaddata|collectstatic|"
    r"create_all|bootstrap|setup|fixtures?|flask\s+db)\b"
)
#: A command that (also) starts a server is not a one-shot job, whatever else it runs first.
_SERVER_COMMAND = re.compile(
    r"\b(?:uvicorn|gunicorn|hypercorn|daphne|granian|runserver|waitress-serve|celery\s+(?:-a\s+\S+\s+)?(?:worker|beat)|"
    r"flask\s+run|fastapi\s+(?:run|dev)|npm\s+start|node\s+\S+|nginx|redis-server|postgres|mysqld)\b"
)
_JOB_PROFILES = frozenset({"tools", "tool", "tooling", "cli", "job", "jobs", "oneshot", "one-shot", "migrate", "migration", "migrations", "seed", "setup", "init"})


def completed_dependencies(root: Node) -> set[str]:
    """Services some other service awaits with `condition: service_completed_successfully`."""
    out: set[str] = set()
    for _, service in services(root):
        deps = service.get("depends_on")
        if deps is None or deps.kind != "map":
            continue
        for dep, spec in deps.value.items():
            condition = text(spec.get("condition")) if spec.kind == "map" else None
            if condition == "service_completed_successfully":
                out.add(dep)
    return out


def is_one_shot(name: str, service: Node, completed: set[str]) -> bool:
    """A job that runs to completion: a migration, a seed, an init container, a CLI tool."""
    if name in completed:
        return True
    if words_of(name) & _JOB_NAME_WORDS:
        return True
    profiles = service.get("profiles")
    if profiles is not None and profiles.kind == "seq":
        if any((text(p) or "").lower() in _JOB_PROFILES for p in profiles.value):
            return True
    restart_no = is_no(service.get("restart"))
    deploy = service.get("deploy")
    policy = deploy.get("restart_policy") if deploy is not None else None
    if policy is not None and text(policy.get("condition")) in ("none", "on-failure"):
        restart_no = True
    if not restart_no:
        return False
    command = command_text(service)
    return bool(_JOB_COMMAND.search(command)) and not _SERVER_COMMAND.search(command)


def healthcheck_of(service: Node, by_name: dict[str, Node] | None = None, depth: int = 0) -> Node | None:
    """The service's effective, enabled healthcheck (following a same-file `extends`)."""
    check = service.get("healthcheck")
    if check is not None:
        if check.kind != "map":
            return None
        if is_true(check.get("disable")):
            return None
        test = check.get("test")
        if test is not None:
            first = test.value[0] if test.kind == "seq" and test.value else test
            if (text(first) or "").upper() == "NONE":
                return None
        return check
    base = extended_service(service, by_name)
    if base is not None and depth < 8:
        return healthcheck_of(base, by_name, depth + 1)
    return None


def extends_elsewhere(service: Node) -> bool:
    """`extends` from another file: what the service inherits cannot be known here."""
    ext = service.get("extends")
    return ext is not None and ext.kind == "map" and ext.get("file") is not None


def extended_service(service: Node, by_name: dict[str, Node] | None) -> Node | None:
    ext = service.get("extends")
    if ext is None or by_name is None:
        return None
    if ext.kind == "scalar":
        return by_name.get(text(ext) or "")
    if ext.kind == "map" and ext.get("file") is None:
        return by_name.get(text(ext.get("service")) or "")
    return None


# --------------------------------------------------------------------------- images
@dataclass(frozen=True, slots=True)
class Image:
    repository: str  # lower-cased, registry included ("registry.example.com:5000/mirror/postgres")
    tag: str | None
    digest: str | None

    @property
    def path(self) -> tuple[str, ...]:
        """The repository path without the registry host: ("mirror", "postgres")."""
        parts = self.repository.split("/")
        if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
            parts = parts[1:]
        if parts and parts[0] == "library":
            parts = parts[1:]
        return tuple(parts)

    @property
    def name(self) -> str:
        return self.repository.rsplit("/", 1)[-1]


def parse_image(value: str) -> Image:
    ref = value.strip()
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    last = ref.rsplit("/", 1)[-1]
    tag = None
    repository = ref
    if ":" in last:
        base, tag = last.split(":", 1)
        repository = ref[: len(ref) - len(last)] + base
    return Image(repository.lower(), tag, digest)


def image_of(service: Node) -> Image | None:
    """The service's image, unless it is interpolated (`${IMAGE}`)."""
    value = text(service.get("image"))
    if not value or "$" in value:
        return None
    return parse_image(value)


@dataclass(frozen=True, slots=True)
class Datastore:
    kind: str  # "postgres", "mysql", ...
    data_dirs: tuple[str, ...]
    database: bool  # True: must persist (CMP004); False: a cache or broker


def _store(kind: str, dirs: tuple[str, ...], database: bool = True) -> Datastore:
    return Datastore(kind, dirs, database)


_PG = ("/var/lib/postgresql/data",)
#: Image repository (path without registry, last one or two components) -> what it is.
_DATASTORES: dict[str, Datastore] = {
    "postgres": _store("PostgreSQL", _PG),
    "postgresql": _store("PostgreSQL", _PG),
    "postgis/postgis": _store("PostgreSQL", _PG),
    "timescale/timescaledb": _store("PostgreSQL", _PG),
    "timescale/timescaledb-postgis": _store("PostgreSQL", _PG),
    "timescale/timescaledb-ha": _store("PostgreSQL", ("/home/postgres/pgdata",)),
    "pgvector/pgvector": _store("PostgreSQL", _PG),
    "bitnami/postgresql": _store("PostgreSQL", ("/bitnami/postgresql",)),
    "mysql": _store("MySQL", ("/var/lib/mysql",)),
    "mysql/mysql-server": _store("MySQL", ("/var/lib/mysql",)),
    "percona": _store("MySQL", ("/var/lib/mysql",)),
    "percona/percona-server": _store("MySQL", ("/var/lib/mysql",)),
    "bitnami/mysql": _store("MySQL", ("/bitnami/mysql",)),
    "mariadb": _store("MariaDB", ("/var/lib/mysql",)),
    "bitnami/mariadb": _store("MariaDB", ("/bitnami/mariadb",)),
    "mongo": _store("MongoDB", ("/data/db",)),
    "mongodb/mongodb-community-server": _store("MongoDB", ("/data/db",)),
    "bitnami/mongodb": _store("MongoDB", ("/bitnami/mongodb",)),
    "cockroachdb/cockroach": _store("CockroachDB", ("/cockroach/cockroach-data",)),
    "redis": _store("Redis", ("/data",), database=False),
    "bitnami/redis": _store("Redis", ("/bitnami/redis/data",), database=False),
    "valkey/valkey": _store("Valkey", ("/data",), database=False),
    "redis/redis-stack-server": _store("Redis", ("/data",), database=False),
    "eqalpha/keydb": _store("KeyDB", ("/data",), database=False),
    "memcached": _store("Memcached", (), database=False),
    "bitnami/memcached": _store("Memcached", (), database=False),
    "rabbitmq": _store("RabbitMQ", ("/var/lib/rabbitmq",), database=False),
    "bitnami/rabbitmq": _store("RabbitMQ", ("/bitnami/rabbitmq",), database=False),
    "elasticsearch": _store("Elasticsearch", ("/usr/share/elasticsearch/data",), database=False),
    "elasticsearch/elasticsearch": _store("Elasticsearch", ("/usr/share/elasticsearch/data",), database=False),
    "opensearchproject/opensearch": _store("OpenSearch", ("/usr/share/opensearch/data",), database=False),
}
#: Container ports of databases, caches and brokers: a service publishing one is a datastore.
DATASTORE_PORTS: dict[int, str] = {
    5432: "PostgreSQL",
    3306: "MySQL",
    27017: "MongoDB",
    6379: "Redis",
    11211: "Memcached",
    9200: "Elasticsearch",
    5672: "AMQP",
    26257: "CockroachDB",
}


def datastore_of(service: Node) -> Datastore | None:
    image = image_of(service)
    if image is None:
        return None
    path = image.path
    for key in ("/".join(path[-2:]), path[-1] if path else ""):
        if key in _DATASTORES:
            return _DATASTORES[key]
    return None


# --------------------------------------------------------------------------- environment
@dataclass(frozen=True, slots=True)
class EnvEntry:
    key: str
    value: object  # str, int, float, bool or None (None: no value / pass-through)
    node: Node  # the list item or the map value
    list_form: bool
    quoted: bool

    @property
    def line(self) -> int:
        return self.node.line if self.list_form else (self.node.key_line or self.node.line)


def env_entries(node: Node | None) -> Iterator[EnvEntry]:
    """`environment` / `build.args` in list form (`- KEY=value`) or map form (`KEY: value`)."""
    if node is None:
        return
    if node.kind == "map":
        for key, value in node.value.items():
            if value.kind != "scalar":
                continue
            yield EnvEntry(key, value.value, value, False, value.quoted)
    elif node.kind == "seq":
        for item in node.value:
            if item.kind != "scalar" or not isinstance(item.value, str):
                continue
            key, sep, value = item.value.partition("=")
            yield EnvEntry(key.strip(), value if sep else None, item, True, item.quoted)


def env_value(service: Node, name: str) -> str | None:
    for entry in env_entries(service.get("environment")):
        if entry.key == name and entry.value is not None:
            return str(entry.value)
    return None


def value_span(entry: EnvEntry) -> Span:
    """The part of the line that holds the entry's value (to mask it in snippets)."""
    node = entry.node
    column = node.column
    if entry.list_form:
        column += len(entry.key) + 1 + (1 if node.quoted else 0)
        if not node.quoted and node.end_line == node.line and node.raw is not None:
            return Span(node.line, column, node.column + len(node.raw))
        return Span(node.line, column, 10**6)
    if not node.quoted and node.end_line == node.line and node.raw is not None:
        return Span(node.line, column, column + len(node.raw))
    return Span(node.line, column, 10**6)


def value_spans(entry: EnvEntry) -> tuple[Span, ...]:
    first = value_span(entry)
    node = entry.node
    if node.end_line <= node.line:
        return (first,)
    return (first,) + tuple(Span(line, 1, 10**6) for line in range(node.line + 1, node.end_line + 1))


# --------------------------------------------------------------------------- volumes
@dataclass(frozen=True, slots=True)
class Mount:
    kind: str  # "volume" (named), "anonymous", "bind", "tmpfs", "other"
    source: str | None
    target: str | None
    node: Node  # the list item
    source_node: Node | None  # the node that names the source (long syntax `source:`)


_VOLUME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def split_short_volume(spec: str) -> tuple[str | None, str | None]:
    """`src:dst[:mode]` -> (src, dst); `dst` alone -> (None, dst). Windows drives stay whole."""
    parts = spec.split(":")
    if len(parts) >= 2 and len(parts[0]) == 1 and parts[0].isalpha() and parts[1][:1] in ("\\", "/"):
        parts = [parts[0] + ":" + parts[1]] + parts[2:]  # C:\data:/data
    if len(parts) == 1:
        return None, parts[0]
    return parts[0], parts[1]


def mounts(service: Node) -> Iterator[Mount]:
    node = service.get("volumes")
    if node is None or node.kind != "seq":
        return
    for item in node.value:
        if item.kind == "scalar" and isinstance(item.value, str):
            source, target = split_short_volume(item.value.strip())
            if source is None:
                yield Mount("anonymous", None, target, item, None)
            elif "$" in source:
                yield Mount("other", source, target, item, None)
            elif source.startswith(("/", ".", "~")) or "\\" in source or "/" in source:
                yield Mount("bind", source, target, item, None)
            elif _VOLUME_NAME.match(source):
                yield Mount("volume", source, target, item, None)
            else:
                yield Mount("other", source, target, item, None)
        elif item.kind == "map":
            kind = text(item.get("type")) or "volume"
            source_node = item.get("source")
            source = text(source_node)
            target = text(item.get("target"))
            if kind == "volume":
                if not source:
                    yield Mount("anonymous", None, target, item, None)
                elif "$" in source:
                    yield Mount("other", source, target, item, source_node)
                else:
                    yield Mount("volume", source, target, item, source_node)
            elif kind in ("bind", "tmpfs"):
                yield Mount(kind, source, target, item, source_node)
            else:
                yield Mount("other", source, target, item, source_node)


def normpath(path: str | None) -> str:
    if not path:
        return ""
    path = re.sub(r"/+", "/", path.strip())
    return path.rstrip("/") or "/"


def covers(target: str | None, directory: str) -> bool:
    """A mount at ``target`` holds ``directory`` (the same path or a parent other than `/`)."""
    mount = normpath(target)
    wanted = normpath(directory)
    if not mount or mount == "/" or not wanted:
        return False
    return wanted == mount or wanted.startswith(mount + "/")


# --------------------------------------------------------------------------- ports
@dataclass(frozen=True, slots=True)
class Port:
    host_ip: str | None  # None: every interface
    unknown_ip: bool  # the host IP is interpolated
    target: int | None  # the container port (first of a range)
    node: Node  # the list item


_ALL_INTERFACES = frozenset({"0.0.0.0", "::", "[::]", "*", ""})


def _port_number(value: str | None) -> int | None:
    if value is None:
        return None
    match = re.match(r"^\s*(\d+)", value)
    return int(match.group(1)) if match else None


def parse_short_port(spec: str) -> tuple[str | None, bool, int | None]:
    """`[ip:][host:]container[/proto]` -> (host ip or None, ip interpolated?, container port)."""
    parts: list[str] = []
    unknown = False
    # split on ':' outside ${...} and outside [ipv6]
    buffer = []
    depth = 0
    bracket = False
    for char in spec.strip():
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif char == "[":
            bracket = True
        elif char == "]":
            bracket = False
        if char == ":" and depth == 0 and not bracket:
            parts.append("".join(buffer))
            buffer = []
        else:
            buffer.append(char)
    parts.append("".join(buffer))
    container = parts[-1].split("/", 1)[0]
    host_ip: str | None = None
    if len(parts) >= 3:
        host_ip = ":".join(parts[:-2])
        if "$" in host_ip:
            unknown = True
        elif host_ip.strip() in _ALL_INTERFACES:
            host_ip = None
    target = None if "$" in container else _port_number(container.split("-", 1)[0])
    return host_ip, unknown, target


def ports(service: Node) -> Iterator[Port]:
    node = service.get("ports")
    if node is None or node.kind != "seq":
        return
    for item in node.value:
        if item.kind == "scalar" and item.value is not None:
            raw = item.raw if item.raw is not None else str(item.value)
            host_ip, unknown, target = parse_short_port(raw)
            yield Port(host_ip, unknown, target, item)
        elif item.kind == "map":
            ip = text(item.get("host_ip"))
            unknown = bool(ip and "$" in ip)
            host_ip = None if ip is None or ip.strip() in _ALL_INTERFACES else ip
            yield Port(host_ip, unknown, _port_number(text(item.get("target"))), item)

