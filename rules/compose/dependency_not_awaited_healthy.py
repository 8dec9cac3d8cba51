"""CMP003: `depends_on` waits for a dependency's healthcheck (`condition: service_healthy`)."""
from __future__ import annotations

from critic.parsers.yaml_doc import Node
from critic.rule import ComposeRule, Invalid, Valid
from critic.rules.compose._support import completed_dependencies, healthcheck_of, is_one_shot, services, text


class DependencyNotAwaitedHealthy(ComposeRule):
    """
    ## What it does
    Reports a `depends_on` entry that names a service with a healthcheck but does not wait for
    it: the list form (`depends_on: [db]`, which only waits for the container to start), or the
    mapping form with `condition: service_started` or no condition. Reported at the list item,
    or at the dependency's key in the mapping form. Dependencies without a healthcheck, and
    one-shot jobs awaited with `service_completed_successfully`, are not reported.

    ## Why is this bad?
    A started container is not a ready one: the backend boots, connects before PostgreSQL
    accepts connections, and crashes or serves errors until a restart. The dependency already
    says when it is ready; `service_healthy` makes compose wait for it, which is what DEV's
    "all services healthy" self-validation expects.

    ## Example
        services:
          api:
            build: .
            depends_on:
              - db
          db:
            image: postgres:16.4-alpine
            healthcheck:
              test: ["CMD-SHELL", "pg_isready -U postgres"]

    ## Use instead
        services:
          api:
            build: .
            depends_on:
              db:
                condition: service_healthy
          db:
            image: postgres:16.4-alpine
            healthcheck:
              test: ["CMD-SHELL", "pg_isready -U postgres"]
    """

    id = "CMP003"
    name = "dependency-not-awaited-healthy"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ('DEV Self-Validation ("all services healthy")',)
    peers = ()
    message = "depends_on does not wait for the dependency's healthcheck"
    fix = "Use the mapping form of depends_on with `condition: service_healthy` for this dependency."
    VALID = (
        Valid(
            "services:\n  api:\n    build: .\n    depends_on:\n      db:\n        condition: service_healthy\n"
            "      migrate:\n        condition: service_completed_successfully\n      mailer:\n        condition: service_started\n"
            "  db:\n    image: postgres:16.4\n    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready\"]\n"
            "  migrate:\n    build: .\n    command: alembic upgrade head\n    restart: \"no\"\n"
            "  mailer:\n    image: axllent/mailpit:v1.20\n"
        ),
        # the dependency's healthcheck is disabled: nothing to wait for
        Valid(
            "services:\n  api:\n    build: .\n    depends_on: [cache]\n"
            "  cache:\n    image: redis:7.4\n    healthcheck:\n      disable: true\n"
        ),
    )
    INVALID = (
        Invalid(
            "services:\n  api:\n    build: .\n    depends_on:\n      - db\n"
            "  db:\n    image: postgres:16.4\n    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready\"]\n",
            line=5,
        ),
        Invalid(
            "services:\n  api:\n    build: .\n    depends_on:\n      db:\n        condition: service_started\n"
            "  db:\n    image: postgres:16.4\n    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready\"]\n",
            line=5,
        ),
        Invalid(
            "x-hc: &hc\n  healthcheck:\n    test: [\"CMD\", \"redis-cli\", \"ping\"]\n"
            "services:\n  api:\n    build: .\n    depends_on:\n      cache:\n        restart: true\n"
            "  cache:\n    <<: *hc\n    image: redis:7.4\n",
            line=8,
        ),
    )

    def check(self, root: Node) -> None:
        by_name = dict(services(root))
        completed = completed_dependencies(root)
        healthy = {
            name
            for name, service in by_name.items()
            if healthcheck_of(service, by_name) is not None and not is_one_shot(name, service, completed)
        }
        for owner, service in by_name.items():
            deps = service.get("depends_on")
            if deps is None:
                continue
            if deps.kind == "seq":
                for item in deps.value:
                    name = text(item)
                    if name in healthy and name != owner:
                        self.report(item, f"depends_on: {name} only waits for the container to start, not for its healthcheck")
            elif deps.kind == "map":
                for name, spec in deps.value.items():
                    if name not in healthy or name == owner:
                        continue
                    condition = text(spec.get("condition")) if spec.kind == "map" else None
                    if condition in ("service_healthy", "service_completed_successfully"):
                        continue
                    shown = condition or "no condition (service_started)"
                    self.report(spec, f"depends_on: {name} waits with {shown}, not for its healthcheck")
