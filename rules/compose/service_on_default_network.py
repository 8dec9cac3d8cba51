"""CMP005: services share a custom network rather than compose's default one."""
from __future__ import annotations

from critic.parsers.yaml_doc import Node
from critic.rule import ComposeRule, Invalid, Valid
from critic.rules.compose._support import extended_service, extends_elsewhere, services, text, top_level_names


def _networks(service: Node, by_name: dict[str, Node], depth: int = 0) -> set[str] | None:
    """The networks a service joins (following a same-file `extends`), None when unknown."""
    node = service.get("networks")
    if node is None:
        base = extended_service(service, by_name)
        if base is not None and depth < 8:
            return _networks(base, by_name, depth + 1)
        return None if extends_elsewhere(service) else set()
    if node.kind == "seq":
        return {text(item) or "" for item in node.value}
    if node.kind == "map":
        return set(node.value)
    return set()


class ServiceOnDefaultNetwork(ComposeRule):
    """
    ## What it does
    Reports each service (at its name) that joins no custom network: no `networks:` key (or only
    `default`) and no `network_mode`, in a file with at least two such services. A file whose
    top-level `networks:` configures `default` itself has a custom default network and is not
    reported; services with `network_mode` (host networking is CMP007's concern) are left out.

    ## Why is this bad?
    The implicit default network is an unnamed bridge shared by everything in the project:
    no isolation between tiers (the database is reachable from every container), no
    `internal: true` for the data tier, and names that change with the project directory. DEV:
    define custom networks for service communication.

    ## Example
        services:
          api:
            build: .
          db:
            image: postgres:16.4-alpine

    ## Use instead
        services:
          api:
            build: .
            networks: [backend]
          db:
            image: postgres:16.4-alpine
            networks: [backend]
        networks:
          backend:
    """

    id = "CMP005"
    name = "service-on-default-network"
    tier = "nice_to_have"
    severity = "low"
    confidence = "high"
    sources = ("DEV Best Practices (Networks: custom networks for service communication)",)
    peers = ()
    message = "Service uses compose's default network"
    fix = "Declare a network under the top-level `networks:` and attach the service to it (`networks: [backend]`)."
    VALID = (
        Valid(
            "services:\n  api:\n    build: .\n    networks: [backend]\n  db:\n    image: postgres:16.4\n    networks:\n      backend:\n        aliases: [database]\n"
            "  exporter:\n    image: prom/node-exporter:v1.8.2\n    network_mode: host\n"
            "networks:\n  backend:\n"
        ),
        # one service has nothing to share a network with
        Valid("services:\n  api:\n    build: .\n"),
        # the default network itself is configured
        Valid("services:\n  api:\n    build: .\n  db:\n    image: postgres:16.4\nnetworks:\n  default:\n    name: shop-net\n"),
    )
    INVALID = (
        Invalid("services:\n  api:\n    build: .\n  db:\n    image: postgres:16.4\n", line=2),
        Invalid("services:\n  api:\n    build: .\n    networks: [backend]\n  db:\n    image: postgres:16.4\nnetworks:\n  backend:\n", line=5),
    )

    def check(self, root: Node) -> None:
        if "default" in top_level_names(root, "networks"):
            return
        by_name = dict(services(root))
        candidates = {name: service for name, service in by_name.items() if service.get("network_mode") is None}
        if len(candidates) < 2:
            return
        for name, service in candidates.items():
            joined = _networks(service, by_name)
            if joined is None or joined - {"default"}:
                continue
            self.report(service, f"Service {name} joins no custom network: it is on compose's default network")
