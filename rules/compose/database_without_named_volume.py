"""CMP004: a database keeps its data in a named volume mounted at the engine's data directory."""
from __future__ import annotations

from critic.parsers.yaml_doc import Node
from critic.rule import ComposeRule, Invalid, Valid
from critic.rules.compose._support import completed_dependencies, covers, datastore_of, env_value, is_one_shot, mounts, services


class DatabaseWithoutNamedVolume(ComposeRule):
    """
    ## What it does
    Checks every database service (image `postgres`, `postgis/postgis`, `timescale/timescaledb`,
    `pgvector/pgvector`, `mysql`, `mariadb`, `percona`, `mongo`, `cockroachdb/cockroach` and
    their bitnami variants, from any registry) for a named volume mounted at the engine's data
    directory (`/var/lib/postgresql/data` or the `PGDATA` the service sets, `/var/lib/mysql`,
    `/data/db`, `/cockroach/cockroach-data`, ...) or at a parent of it. Reported at the service's
    name when no such volume exists: no volume, a named volume at another path, a bind mount
    (`./data:/var/lib/postgresql/data`), an anonymous volume or a tmpfs at the data directory.
    Caches and brokers (redis, memcached, rabbitmq) are not databases here; a service built
    from a Dockerfile or with an interpolated image, and a one-shot job that only runs a client
    from a database image (`db-init`, `migrate`), are not judged.

    ## Why is this bad?
    Without a volume the data lives in the container's writable layer and is gone with the
    container (`docker compose down`, an image upgrade). A bind mount ties the data to a host
    path, with host-side ownership and permission problems; an anonymous volume is orphaned on
    the next `down`. DEV: use named volumes for persistent data.

    ## Example
        services:
          db:
            image: postgres:16.4-alpine
            volumes:
              - ./pgdata:/var/lib/postgresql/data

    ## Use instead
        services:
          db:
            image: postgres:16.4-alpine
            volumes:
              - pgdata:/var/lib/postgresql/data
        volumes:
          pgdata:
    """

    id = "CMP004"
    name = "database-without-named-volume"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("DEV Best Practices (Volumes: named volumes for persistent data)",)
    peers = ()
    message = "Database data is not in a named volume at the data directory"
    fix = "Mount a named volume at the engine's data directory (`pgdata:/var/lib/postgresql/data`) and declare it under the top-level `volumes:`."
    VALID = (
        Valid(
            "services:\n  db:\n    image: postgres:16.4-alpine\n    volumes:\n      - type: volume\n        source: pgdata\n        target: /var/lib/postgresql/data\n"
            "  mongo:\n    image: mongo:7.0.14\n    volumes:\n      - mongodata:/data/db\n"
            "  cache:\n    image: redis:7.4-alpine\n"
            "volumes:\n  pgdata:\n  mongodata:\n"
        ),
        Valid(
            "services:\n  db:\n    image: registry.example.com:5000/mirror/mysql:8.4\n    volumes:\n      - mysql-data:/var/lib/mysql/\n"
            "  pg:\n    image: postgres:16\n    environment:\n      PGDATA: /var/lib/postgresql/data/pgdata\n    volumes:\n      - pgdata:/var/lib/postgresql/data\n"
            "  custom:\n    build: ./db\n"
            "volumes:\n  mysql-data:\n  pgdata:\n"
        ),
    )
    INVALID = (
        Invalid("services:\n  db:\n    image: postgres:16.4-alpine\n    volumes:\n      - ./pgdata:/var/lib/postgresql/data\n", line=2),
        Invalid("services:\n  db:\n    image: mysql:8.4\n", line=2),
        Invalid("services:\n  mongo:\n    image: mongo:7.0\n    volumes:\n      - mongodata:/data/configdb\nvolumes:\n  mongodata:\n", line=2),
        Invalid("services:\n  db:\n    image: postgres:16\n    volumes:\n      - /var/lib/postgresql/data\n", line=2),
    )

    def check(self, root: Node) -> None:
        completed = completed_dependencies(root)
        for name, service in services(root):
            store = datastore_of(service)
            if store is None or not store.database or is_one_shot(name, service, completed):
                continue  # a job that runs psql/mysql against the database is not the database
            volumes = service.get("volumes")
            if volumes is not None and volumes.kind != "seq":
                continue  # not a list: CMP000 reports it
            dirs = list(store.data_dirs)
            if store.kind == "PostgreSQL":
                pgdata = env_value(service, "PGDATA")
                if pgdata and "$" not in pgdata:
                    dirs = [pgdata]  # the data directory the server actually uses
            found = [m for m in mounts(service) if any(covers(m.target, d) for d in dirs)]
            if any(m.kind in ("volume", "other") for m in found):
                continue
            if service.get("volumes_from") is not None or service.get("extends") is not None:
                continue  # the data directory may come from another service
            if found:
                what = {"bind": "a bind mount", "anonymous": "an anonymous volume", "tmpfs": "a tmpfs"}.get(found[0].kind, "a non-named mount")
                message = f"{store.kind} service {name} keeps its data in {what}, not a named volume"
            elif any(m.kind == "volume" for m in mounts(service)):
                message = f"{store.kind} service {name} mounts no named volume at its data directory {dirs[-1]}"
            else:
                message = f"{store.kind} service {name} has no volume: its data is lost with the container"
            self.report(service, message)
