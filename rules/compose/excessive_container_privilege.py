"""CMP007: least privilege in compose: no privileged mode, host namespaces, Docker socket,
dangerous capabilities, or datastore ports published on every interface."""
from __future__ import annotations

from critic.parsers.yaml_doc import Node
from critic.rule import ComposeRule, Invalid, Valid
from critic.rules.compose._support import DATASTORE_PORTS, datastore_of, is_true, mounts, ports, services, text

_SOCKETS = ("docker.sock", "podman.sock")
_CAPABILITIES = frozenset({"ALL", "SYS_ADMIN", "SYS_MODULE"})
_UNCONFINED = ("seccomp:unconfined", "seccomp=unconfined", "apparmor:unconfined", "apparmor=unconfined")


class ExcessiveContainerPrivilege(ComposeRule):
    """
    ## What it does
    Reports compose settings that hand a container the host: `privileged: true`; a mount of the
    Docker (or Podman) socket, short or long syntax; `network_mode: host`, `pid: host`,
    `ipc: host`; `cap_add` of `ALL`, `SYS_ADMIN` or `SYS_MODULE`; `security_opt` that turns
    seccomp or AppArmor off; and a database, cache or broker port published on every interface:
    the service's image is a datastore (postgres, mysql, mariadb, mongo, redis, memcached,
    rabbitmq, elasticsearch...) or its container port is one (5432, 3306, 27017, 6379, 11211,
    9200, 5672, 26257), and the mapping has no host IP (`"5432:5432"`, `"0.0.0.0:5432:5432"`,
    `"5432"`, long syntax without `host_ip`). A loopback host IP (`127.0.0.1:5432:5432`),
    `expose:`, and the backend's own published port are fine.

    ## Why is this bad?
    Each of these lets a compromised container, or anyone on the network, reach what the
    service never needed: the socket and privileged mode are root on the host, host namespaces
    remove isolation, and a published database port is an open door to the data (Docker's port
    publishing also bypasses host firewalls such as ufw). EXE: apply the principle of least
    privilege.

    ## Example
        services:
          api:
            build: .
            privileged: true
            volumes:
              - /var/run/docker.sock:/var/run/docker.sock
          db:
            image: postgres:16.4-alpine
            ports:
              - "5432:5432"

    ## Use instead
        services:
          api:
            build: .
          db:
            image: postgres:16.4-alpine
            expose:
              - "5432"
            # or, for local debugging only:
            # ports: ["127.0.0.1:5432:5432"]
    """

    id = "CMP007"
    name = "excessive-container-privilege"
    tier = "critical"
    severity = "high"
    confidence = "high"
    sources = ("EXE Security (principle of least privilege)",)
    peers = ("dclint:no-unbound-port-interfaces",)
    cwe = ("CWE-250",)
    owasp = ("A05:2021",)
    message = "Container is given more privilege than it needs"
    fix = "Remove the privilege; publish datastore ports on 127.0.0.1 only, or not at all (`expose:` for other containers)."
    VALID = (
        Valid(
            "services:\n  api:\n    build: .\n    ports:\n      - \"8000:8000\"\n    cap_add: [NET_BIND_SERVICE]\n    cap_drop: [ALL]\n"
            "  db:\n    image: postgres:16.4\n    ports:\n      - \"127.0.0.1:5432:5432\"\n"
            "  cache:\n    image: redis:7.4\n    expose:\n      - \"6379\"\n"
            "  mq:\n    image: rabbitmq:3.13-management\n    ports:\n      - target: 15672\n        published: 15672\n        host_ip: 127.0.0.1\n"
            "  sidecar:\n    image: ghcr.io/acme/sidecar:1.0\n    network_mode: service:api\n    privileged: false\n"
        ),
        Valid(
            "services:\n  api:\n    build: .\n    volumes:\n      - ./docker.sock.md:/docs/readme.md:ro\n      - data:/var/run\n"
            "  search:\n    image: ghcr.io/acme/search-api:2.0\n    ports:\n      - \"${BIND_IP:-127.0.0.1}:9200:9200\"\n"
            "volumes:\n  data:\n"
        ),
    )
    INVALID = (
        Invalid("services:\n  api:\n    build: .\n    privileged: true\n", line=4),
        Invalid("services:\n  api:\n    build: .\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n", line=5),
        Invalid("services:\n  api:\n    build: .\n    volumes:\n      - type: bind\n        source: /var/run/docker.sock\n        target: /var/run/docker.sock\n", line=5),
        Invalid("services:\n  exporter:\n    image: prom/node-exporter:v1.8.2\n    network_mode: host\n", line=4),
        Invalid("services:\n  db:\n    image: postgres:16.4\n    ports:\n      - \"5432:5432\"\n", line=5),
        Invalid("services:\n  cache:\n    image: redis:7.4\n    ports:\n      - target: 6379\n        published: 6379\n", line=5),
        Invalid("services:\n  db:\n    build: ./db\n    ports:\n      - \"0.0.0.0:3306:3306\"\n", line=5),
        Invalid("services:\n  api:\n    build: .\n    cap_add:\n      - SYS_ADMIN\n", line=5),
    )

    def check(self, root: Node) -> None:
        for name, service in services(root):
            privileged = service.get("privileged")
            if is_true(privileged):
                self.report(privileged, f"Service {name} runs privileged: root on the host", "Remove `privileged: true`; add only the capability the service needs with `cap_add`.")  # type: ignore[arg-type]
            for key in ("network_mode", "pid", "ipc"):
                node = service.get(key)
                if (text(node) or "").strip().lower() == "host":
                    self.report(node, f"Service {name} shares the host's {key.replace('_mode', '')} namespace ({key}: host)", f"Remove `{key}: host`; publish the ports the service needs instead." if key == "network_mode" else f"Remove `{key}: host`.")  # type: ignore[arg-type]
            for mount in mounts(service):
                source = (mount.source or "").rstrip("/")
                if mount.kind in ("bind", "other") and source.endswith(_SOCKETS):
                    self.report(mount.node, f"Service {name} mounts the container engine socket: control of the host's Docker daemon", "Remove the socket mount; if the service must talk to Docker, use a restricted socket proxy with read-only endpoints.", at_key=False)
            caps = service.get("cap_add")
            if caps is not None and caps.kind == "seq":
                for item in caps.value:
                    cap = (text(item) or "").upper().removeprefix("CAP_")
                    if cap in _CAPABILITIES:
                        self.report(item, f"Service {name} adds the {cap} capability", "Drop it; add only the narrow capability the service needs (or none).", at_key=False)
            options = service.get("security_opt")
            if options is not None and options.kind == "seq":
                for item in options.value:
                    if (text(item) or "").replace(" ", "").lower() in _UNCONFINED:
                        self.report(item, f"Service {name} turns off a kernel security profile ({text(item)})", "Remove the `unconfined` security option.", at_key=False)
            self._ports(name, service)

    def _ports(self, name: str, service: Node) -> None:
        store = datastore_of(service)
        for port in ports(service):
            if port.unknown_ip or port.host_ip is not None:
                continue  # a chosen interface (loopback, a private address) or an interpolated one
            what = store.kind if store is not None else DATASTORE_PORTS.get(port.target or -1)
            if what is None:
                continue
            shown = f" {port.target}" if port.target else ""
            self.report(
                port.node,
                f"{what} port{shown} of service {name} is published on all interfaces",
                "Bind it to loopback (`127.0.0.1:5432:5432`, long syntax `host_ip: 127.0.0.1`), or drop `ports:` and let the other services reach it over the compose network.",
                at_key=False,
            )
