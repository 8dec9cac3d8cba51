"""CMP006: service images are pinned (a tag other than `latest`, or a digest)."""
from __future__ import annotations

from critic.parsers.yaml_doc import Node
from critic.rule import ComposeRule, Invalid, Valid
from critic.rules.compose._support import parse_image, services, text


class UnpinnedImage(ComposeRule):
    """
    ## What it does
    Reports a service `image:` with no tag or the `latest` tag. A digest (`@sha256:...`) pins
    the image whatever its tag; a registry port (`registry.example.com:5000/team/api`) is not a
    tag; an interpolated image (`${API_IMAGE}`, `postgres:${PG_VERSION:-16}`) is not judged; a
    service that has both `build:` and `image:` names its own build output and is skipped.

    ## Why is this bad?
    `latest` moves: the same compose file starts a different database tomorrow, a new major
    version can refuse yesterday's data directory, and a bug cannot be reproduced. DEV's compose
    template pins every image (`postgres:15-alpine`, `redis:7-alpine`).

    ## Example
        services:
          db:
            image: postgres
          cache:
            image: redis:latest

    ## Use instead
        services:
          db:
            image: postgres:16.4-alpine
          cache:
            image: redis:7.4.1-alpine@sha256:<digest>
    """

    id = "CMP006"
    name = "unpinned-image"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("DEV docker-compose template (pinned images)",)
    peers = ("dclint:service-image-require-explicit-tag",)
    cwe = ("CWE-1357",)
    owasp = ("A06:2021",)
    message = "Image is not pinned: no tag, or the latest tag"
    fix = "Pin the image to a specific version tag (`postgres:16.4-alpine`), or to a digest (`postgres@sha256:...`)."
    VALID = (
        Valid(
            "services:\n  db:\n    image: postgres:16.4-alpine\n"
            "  cache:\n    image: registry.example.com:5000/mirror/redis:7.4.1\n"
            "  worker:\n    image: ghcr.io/acme/worker@sha256:" + "a" * 64 + "\n"
            "  api:\n    build: .\n    image: acme/api\n"
            "  proxy:\n    image: ${PROXY_IMAGE:-nginx:1.27}\n"
        ),
        Valid("services:\n  db:\n    image: postgres:latest@sha256:" + "b" * 64 + "\n"),
    )
    INVALID = (
        Invalid("services:\n  db:\n    image: postgres\n", line=3),
        Invalid("services:\n  cache:\n    image: redis:latest\n", line=3),
        Invalid("services:\n  db:\n    image: registry.example.com:5000/mirror/postgres\n", line=3),
    )

    def check(self, root: Node) -> None:
        for name, service in services(root):
            node = service.get("image")
            value = text(node)
            if node is None or not value or "$" in value or service.get("build") is not None:
                continue
            image = parse_image(value)
            if image.digest:
                continue
            if image.tag is None:
                self.report(node, f"Image of service {name} has no tag (it means latest)")
            elif image.tag == "latest":
                self.report(node, f"Image of service {name} uses the latest tag")
