"""CMP000: the compose file is what `docker compose config` accepts.

Three checks: the Compose Specification JSON schema (the copy that ships in the
check-jsonschema package, never vendored here), the loader's duplicate keys, and references to
services, volumes, networks, secrets and configs that the file does not define.
"""
from __future__ import annotations

import json
import posixpath
import re
from typing import Any, Callable, Iterator

from critic.parsers.yaml_doc import Node
from critic.rule import ComposeRule, Invalid, Valid
from critic.rules.compose._support import mounts, plain12, service_names, services, text, top_level_names

# --------------------------------------------------------------------------- the schema
_SCHEMA_PATH = "check_jsonschema/builtin_schemas/vendor/compose-spec.json"
_VALIDATOR: Any = None


def _load_schema() -> dict:
    """The compose-spec schema of the installed check-jsonschema, read without importing it
    (importing check_jsonschema loads its whole CLI)."""
    from importlib import metadata, resources

    try:
        located = metadata.distribution("check-jsonschema").locate_file(_SCHEMA_PATH)
        return json.loads(located.read_text(encoding="utf-8"))  # type: ignore[union-attr]
    except (metadata.PackageNotFoundError, OSError, ValueError):
        package, _, name = _SCHEMA_PATH.rpartition("/")
        resource = resources.files(package.replace("/", ".")) / name
        return json.loads(resource.read_text(encoding="utf-8"))


def validator() -> Any:
    """The compiled validator, built once per process (the schema's own draft: 2020-12)."""
    global _VALIDATOR
    if _VALIDATOR is None:
        from jsonschema import Draft7Validator, validators

        schema = _load_schema()
        cls = validators.validator_for(schema, default=Draft7Validator)
        _VALIDATOR = cls(schema)
    return _VALIDATOR


_CANONICAL = frozenset({"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"})


def _path_text(path: list) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = str(part)
            shown = part if re.fullmatch(r"[A-Za-z0-9_.\-]+", part) else json.dumps(part)
            out += ("." if out else "") + shown
    return out or "(top level)"


def _describe(instance: object) -> str:
    """What a value is, without repeating a string (it may be a secret)."""
    if isinstance(instance, bool):
        return "true" if instance else "false"
    if isinstance(instance, (int, float)):
        return repr(instance)
    if instance is None:
        return "null"
    if isinstance(instance, str):
        return "a string"
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    return type(instance).__name__


def _types(expected: object) -> str:
    names = {"object": "a mapping", "array": "a list", "string": "a string", "number": "a number", "integer": "an integer", "boolean": "a boolean", "null": "null"}
    items = expected if isinstance(expected, list) else [expected]
    shown = [names.get(str(t), str(t)) for t in items]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _message(error: Any) -> str:
    kind = error.validator
    instance = error.instance
    if kind == "type":
        return f"must be {_types(error.validator_value)}, not {_describe(instance)}"
    if kind == "required":
        return error.message
    if kind == "enum":
        allowed = ", ".join(json.dumps(v) for v in error.validator_value[:8])
        shown = json.dumps(instance) if isinstance(instance, str) and len(instance) <= 40 else _describe(instance)
        return f"{shown} is not one of {allowed}"
    if kind in ("oneOf", "anyOf"):
        return f"{_describe(instance)} matches none of the allowed forms"
    if kind == "pattern":
        return f"does not match the pattern {error.validator_value}"
    if kind == "uniqueItems":
        return "has duplicate items"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "minLength", "minProperties"):
        return f"{_describe(instance)} violates {kind} {error.validator_value}"
    if kind == "not":
        return "is not allowed here"
    return f"is invalid ({kind})"


class _Declared:
    """Which keys a schema object declares (its properties and pattern properties, through
    `allOf`/`$ref`): a key it declares but "did not evaluate" failed elsewhere."""

    def __init__(self, defs: dict) -> None:
        self.defs = defs

    def of(self, schema: dict, own_only: bool) -> Callable[[str], bool]:
        names: set[str] = set()
        patterns: list[re.Pattern[str]] = []
        stack = [schema]
        seen: set[int] = set()
        while stack:
            current = stack.pop()
            if not isinstance(current, dict) or id(current) in seen:
                continue
            seen.add(id(current))
            names.update(current.get("properties", {}) or {})
            patterns.extend(re.compile(p) for p in (current.get("patternProperties", {}) or {}))
            if own_only:
                continue
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                stack.append(self.defs.get(ref[len("#/$defs/") :], {}))
            for key in ("allOf", "anyOf", "oneOf"):
                stack.extend(current.get(key, []) or [])
            own_only = False

        def declared(key: str) -> bool:
            return key in names or any(p.search(key) for p in patterns)

        return declared


def _specific(error: Any, depth: int = 0) -> Any:
    """For a `oneOf`/`anyOf` failure, the error inside the one alternative whose type fits the
    value (`environment` given as a mapping: the bad entry, not "none of the forms")."""
    if error.validator not in ("oneOf", "anyOf") or not error.context or depth > 8:
        return error
    branches: dict[object, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else None, []).append(sub)
    fitting = [
        subs
        for subs in branches.values()
        if not any(sub.validator == "type" and not sub.relative_path for sub in subs)
    ]
    if len(fitting) != 1:
        return error
    subs = sorted(fitting[0], key=lambda sub: -len(sub.relative_path))
    return _specific(subs[0], depth + 1)


def _locate(root: Node, path: list) -> tuple[Node, int]:
    """The deepest node along ``path`` and how many path parts it consumed."""
    node = root
    used = 0
    for part in path:
        if node.kind == "map" and isinstance(part, str) and part in node.value:
            node = node.value[part]
        elif node.kind == "seq" and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            break
        used += 1
    return node, used


# --------------------------------------------------------------------------- the rule
class InvalidComposeFile(ComposeRule):
    """
    ## What it does
    Checks that the compose file is one `docker compose config` accepts: it matches the
    Compose Specification schema (types, known keys, `x-*` extensions allowed, the obsolete
    `version:` accepted), has no duplicate keys, and every service, named volume, network,
    secret and config it refers to (`depends_on`, `links`, `extends`, `volumes_from`,
    `network_mode: service:x`, service `volumes`/`networks`/`secrets`/`configs`, build
    secrets) is defined in the file. Values are read as compose reads YAML (YAML 1.2:
    `restart: no` is the string "no"). Reference checks are skipped in override/variant files
    (`docker-compose.override.yml`, `compose.prod.yaml`) and files with `include:`, where the
    definitions may live in another file. YAML syntax errors are PRJ003, not this rule.

    ## Why is this bad?
    DEV makes "docker-compose config validates" a critical self-validation step: a file that
    compose rejects starts nothing, so none of the service's other checks matter.

    ## Example
        services:
          api:
            image: ghcr.io/acme/api:1.0.0
            ports: 8080
            depends_on: [cache]
            volumes:
              - uploads:/app/uploads

    ## Use instead
        services:
          api:
            image: ghcr.io/acme/api:1.0.0
            ports:
              - "8080:8080"
            depends_on: [cache]
            volumes:
              - uploads:/app/uploads
          cache:
            image: redis:7.4-alpine
        volumes:
          uploads:
    """

    id = "CMP000"
    name = "invalid-compose-file"
    tier = "critical"
    severity = "high"
    confidence = "high"
    sources = ("DEV Self-Validation (docker-compose config validates)",)
    peers = ("check-jsonschema:vendor.compose-spec",)
    cwe = ()
    owasp = ()
    message = "The compose file is not valid Compose"
    fix = "Change the key or value to the form the Compose Specification allows, then run `docker compose config` to confirm."
    VALID = (
        Valid('version: "3.8"\nservices:\n  api:\n    image: ghcr.io/acme/api:1.0.0\n    restart: no\n    ports:\n      - 8080:80\n      - 22:22\n'),
        Valid(
            "x-defaults: &defaults\n  restart: unless-stopped\n  networks: [app]\n"
            "services:\n  api:\n    <<: *defaults\n    image: ghcr.io/acme/api:1.0.0\n    depends_on:\n      db:\n        condition: service_healthy\n"
            "    volumes:\n      - data:/srv/data\n      - ./config:/srv/config:ro\n      - /var/log/api\n"
            "    secrets:\n      - source: api_key\n        target: api_key\n"
            "  db:\n    <<: *defaults\n    image: postgres:16.4\n    network_mode: service:api\n"
            "volumes:\n  data:\nnetworks:\n  app:\nsecrets:\n  api_key:\n    file: ./api_key.txt\n"
        ),
        # an override file refers to what the base file defines
        Valid("services:\n  api:\n    volumes:\n      - data:/srv\n", path="docker-compose.override.yml"),
        Valid(
            "services:\n  api:\n    image: ghcr.io/acme/api:1.0.0\n    networks: [default]\n    links: ['db:database']\n    volumes_from: ['db:ro', 'container:legacy']\n  db:\n    image: postgres:16.4\n"
        ),
    )
    INVALID = (
        Invalid("services:\n  api:\n    image: ghcr.io/acme/api:1.0.0\n    ports: 8080\n", line=4),
        Invalid("services:\n  api:\n    image: ghcr.io/acme/api:1.0.0\n    depends_on:\n      - cache\n", line=5),
        Invalid("services:\n  api:\n    image: ghcr.io/acme/api:1.0.0\n    volumes:\n      - uploads:/app/uploads\n", line=5),
        Invalid("services:\n  api:\n    image: ghcr.io/acme/api:1.0.0\n    image: ghcr.io/acme/api:1.0.1\n", line=4),
        Invalid("services:\n  api:\n    image: ghcr.io/acme/api:1.0.0\n    restrat: always\n", line=4),
        Invalid("services:\n  api:\n    image: ghcr.io/acme/api:1.0.0\n    secrets:\n      - source: api_key\n", line=5),
        Invalid("services:\n  api:\n    image: ghcr.io/acme/api:1.0.0\n    networks:\n      backnet:\n        aliases: [api]\n", line=5),
    )

    def check(self, root: Node) -> None:
        self.seen: set[tuple[int, str]] = set()
        for error in self.doc.errors:
            if error.message.startswith(("duplicate key", "unsupported mapping key", "merge key")):
                self._emit(error.line, f"YAML {error.message}", "Remove or rename the repeated key: compose rejects a mapping with the same key twice.")
        self._schema(root)
        if posixpath.basename(self.path).lower() in _CANONICAL and root.get("include") is None:
            self._references(root)

    def _emit(self, where: Node | int, message: str, fix: str | None = None) -> None:
        line = where if isinstance(where, int) else (where.key_line or where.line)
        if (line, message) in self.seen:
            return
        self.seen.add((line, message))
        self.report(where, message, fix)

    # ----------------------------------------------------------------------- schema
    def _schema(self, root: Node) -> None:
        checker = validator()
        declared = _Declared(checker.schema.get("$defs", {}))
        errors = sorted(checker.iter_errors(plain12(root)), key=lambda e: [str(p) for p in e.absolute_path])
        for error in errors:
            path = list(error.absolute_path)
            if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
                known = declared.of(error.schema, own_only=error.validator == "additionalProperties")
                names_only = bool(error.schema.get("patternProperties")) and not error.schema.get("properties")
                for key in error.instance:
                    if known(str(key)):
                        continue
                    node, _ = _locate(root, path + [key])
                    if names_only:
                        self._emit(node, f"{_path_text(path)}: {json.dumps(str(key))} is not a valid name (letters, digits, '.', '_' and '-' only)", "Rename it with letters, digits, '.', '_' and '-' only.")
                    else:
                        self._emit(node, f"{_path_text(path + [key])}: unknown key {json.dumps(str(key))}", "Remove the key or fix its spelling; custom keys must start with `x-`.")
                continue
            error = _specific(error)
            path = list(error.absolute_path)
            node, used = _locate(root, path)
            self._emit(node, f"{_path_text(path[:used] if used < len(path) else path)}: {_message(error)}")

    # ----------------------------------------------------------------------- references
    def _references(self, root: Node) -> None:
        defined = {
            "service": service_names(root),
            "volume": top_level_names(root, "volumes"),
            "network": top_level_names(root, "networks") | {"default"},
            "secret": top_level_names(root, "secrets"),
            "config": top_level_names(root, "configs"),
        }
        section = {"service": "services", "volume": "volumes", "network": "networks", "secret": "secrets", "config": "configs"}
        for _, service in services(root):
            for kind, name, node in _references_of(service):
                if name not in defined[kind]:
                    self._emit(
                        node,
                        f"{kind.capitalize()} {json.dumps(name)} is not defined",
                        f"Define {json.dumps(name)} under the top-level `{section[kind]}:` key, or fix the name.",
                    )


def _references_of(service: Node) -> Iterator[tuple[str, str, Node]]:
    """(kind, name, node to report) for every reference a service makes."""
    deps = service.get("depends_on")
    if deps is not None and deps.kind == "seq":
        for item in deps.value:
            if text(item):
                yield "service", text(item) or "", item
    elif deps is not None and deps.kind == "map":
        for name, spec in deps.value.items():
            yield "service", name, spec
    links = service.get("links")
    if links is not None and links.kind == "seq":
        for item in links.value:
            value = text(item)
            if value and "$" not in value:
                yield "service", value.split(":", 1)[0], item
    ext = service.get("extends")
    if ext is not None and ext.kind == "scalar" and text(ext):
        yield "service", text(ext) or "", ext
    elif ext is not None and ext.kind == "map" and ext.get("file") is None and text(ext.get("service")):
        node = ext.get("service")
        yield "service", text(node) or "", node  # type: ignore[misc]
    for key in ("network_mode", "ipc"):
        value = text(service.get(key))
        if value and value.startswith("service:") and "$" not in value:
            yield "service", value[len("service:") :], service.get(key)  # type: ignore[misc]
    from_list = service.get("volumes_from")
    if from_list is not None and from_list.kind == "seq":
        for item in from_list.value:
            value = text(item)
            if value and not value.startswith("container:") and "$" not in value:
                yield "service", value.split(":", 1)[0], item
    for mount in mounts(service):
        if mount.kind == "volume" and mount.source:
            yield "volume", mount.source, mount.source_node or mount.node
    networks = service.get("networks")
    if networks is not None and networks.kind == "seq":
        for item in networks.value:
            value = text(item)
            if value and "$" not in value:
                yield "network", value, item
    elif networks is not None and networks.kind == "map":
        for name, spec in networks.value.items():
            if "$" not in name:
                yield "network", name, spec
    build = service.get("build")
    for holder, key, kind in ((service, "secrets", "secret"), (service, "configs", "config"), (build, "secrets", "secret")):
        node = holder.get(key) if holder is not None and holder.kind == "map" else None
        if node is None or node.kind != "seq":
            continue
        for item in node.value:
            if item.kind == "scalar" and text(item):
                value = text(item) or ""
                if "$" not in value:
                    yield kind, value, item
            elif item.kind == "map" and text(item.get("source")):
                source = item.get("source")
                value = text(source) or ""
                if "$" not in value:
                    yield kind, value, source  # type: ignore[misc]
