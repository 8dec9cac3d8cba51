"""CMP002: every long-running compose service declares a healthcheck."""
from __future__ import annotations

from critic.parsers.yaml_doc import Node
from critic.rule import ComposeRule, Invalid, Valid
from critic.rules.compose._support import completed_dependencies, extends_elsewhere, healthcheck_of, is_one_shot, services, text


class ServiceWithoutHealthcheck(ComposeRule):
    """
    ## What it does
    Reports every long-running service (the backend, workers, databases, caches, brokers)
    without a `healthcheck`, or whose healthcheck is switched off (`disable: true`,
    `test: ["NONE"]`). A healthcheck inherited through a same-file `extends` or a merge key
    counts. One-shot jobs need none: a service awaited with
    `condition: service_completed_successfully`, a service named for a job (`migrate`, `init`,
    `seed`, `setup`), a service in a `tools`/`cli`/`jobs` profile, and a `restart: "no"` service
    whose command migrates, seeds or initialises. A `HEALTHCHECK` in the image is not assumed:
    compose cannot be checked against an image it does not see.

    ## Why is this bad?
    Without a healthcheck, compose only knows that the process started: `depends_on` cannot wait
    for readiness, `docker compose ps` shows no health, and DEV's self-validation ("all services
    healthy") cannot be verified. DEV's compose template gives every service a healthcheck.

    ## Example
        services:
          db:
            image: postgres:16.4-alpine

    ## Use instead
        services:
          db:
            image: postgres:16.4-alpine
            healthcheck:
              test: ["CMD-SHELL", "pg_isready -U postgres"]
              interval: 10s
              timeout: 5s
              retries: 5
    """

    id = "CMP002"
    name = "service-without-healthcheck"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("DEV docker-compose template", "DEV Best Practices (health checks)", "DEV expected validation criteria")
    peers = ()
    message = "Long-running service has no healthcheck"
    fix = "Add a `healthcheck:` with a `test` that proves the service answers (pg_isready, redis-cli ping, an HTTP GET of /health), plus interval, timeout and retries."
    VALID = (
        Valid(
            "services:\n  api:\n    build: .\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://127.0.0.1:8000/health\"]\n"
            "    depends_on:\n      migrate:\n        condition: service_completed_successfully\n"
            "  migrate:\n    build: .\n    command: [\"alembic\", \"upgrade\", \"head\"]\n    restart: \"no\"\n"
        ),
        Valid(
            "x-health: &health\n  interval: 10s\n  retries: 5\n"
            "services:\n  db:\n    image: postgres:16.4\n    healthcheck:\n      <<: *health\n      test: [\"CMD-SHELL\", \"pg_isready\"]\n"
            "  replica:\n    extends: db\n"
            "  loader:\n    build: .\n    restart: no\n    command: python -m app.seed_data --init\n"
            "  shell:\n    build: .\n    profiles: [tools]\n"
        ),
    )
    INVALID = (
        Invalid("services:\n  api:\n    build: .\n    ports:\n      - \"8000:8000\"\n", line=2),
        Invalid("services:\n  cache:\n    image: redis:7.4\n    healthcheck:\n      disable: true\n", line=2),
        Invalid("services:\n  worker:\n    build: .\n    restart: \"no\"\n    command: celery -A app worker\n", line=2),
        Invalid("services:\n  db:\n    image: postgres:16.4\n    healthcheck:\n      test: [\"NONE\"]\n", line=2),
    )

    def check(self, root: Node) -> None:
        by_name = dict(services(root))
        completed = completed_dependencies(root)
        for name, service in by_name.items():
            if is_one_shot(name, service, completed) or _not_started(service):
                continue
            if healthcheck_of(service, by_name) is not None:
                continue
            declared = service.get("healthcheck")
            if declared is None and extends_elsewhere(service):
                continue  # the healthcheck may come from the other file
            if declared is not None:
                self.report(service, f"Service {name} has its healthcheck disabled", "Remove `disable: true` / `test: [\"NONE\"]` and give the service a real `healthcheck.test`.")
            else:
                self.report(service, f"Long-running service {name} has no healthcheck")


def _not_started(service: Node) -> bool:
    """`scale: 0` or `deploy.replicas: 0`: nothing runs."""
    if text(service.get("scale")) == "0":
        return True
    deploy = service.get("deploy")
    return deploy is not None and text(deploy.get("replicas")) == "0"
