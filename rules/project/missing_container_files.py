"""PRJ001: the delivered tree has a Dockerfile, a compose file and a .dockerignore."""
from __future__ import annotations

from critic.rule import Invalid, ProjectRule, Valid
from critic.rules.project.entry_point import entry_point

_MAIN = "from fastapi import FastAPI\n\napp = FastAPI()\n"
_DOCKERFILE = "FROM python:3.12-slim\nCOPY . /app\nCMD [\"uvicorn\", \"app.main:app\"]\n"
_COMPOSE = "services:\n  api:\n    build: .\n"


class MissingContainerFiles(ProjectRule):
    """
    ## What it does
    Reports a delivered backend without a `Dockerfile` (or `Containerfile`, `*.dockerfile`),
    without a compose file (`docker-compose.yml`, `compose.yaml`...), or without a
    `.dockerignore`, anywhere in the scanned tree. Reported once, at line 1 of the
    application's entry point (the module that builds the `FastAPI`/`Flask` app, Django's
    `manage.py`, else the first Python file).

    Nothing is required when the critique task says `include_docker: false`. This rule asks
    whether the deliverable is complete; DKR008 separately checks that the `.dockerignore`
    beside each Dockerfile excludes what it must.

    ## Why is this bad?
    DEV asks for a Dockerfile and a docker-compose.yml with every backend unless the task
    turns them off, and validates the hand-off by building the image and starting the stack.
    Without them the service cannot be built, started or checked the way it will be deployed.

    ## Example
        app/main.py
        requirements.txt

    ## Use instead
        app/main.py
        requirements.txt
        Dockerfile
        docker-compose.yml
        .dockerignore
    """

    id = "PRJ001"
    name = "missing-container-files"
    tier = "critical"
    severity = "high"
    confidence = "high"
    sources = ("DEV Constraints (include_docker)", "DEV Output Requirements")
    message = "The project has no Dockerfile, compose file or .dockerignore"
    fix = (
        "Add a multi-stage `Dockerfile` for the service and a `docker-compose.yml` that builds it and "
        "runs its dependencies (database, cache) with healthchecks, and a `.dockerignore` beside the Dockerfile "
        "excluding .git, .env and caches."
    )
    VALID = (
        Valid(files={"app/main.py": _MAIN, "Dockerfile": _DOCKERFILE, "docker-compose.yml": _COMPOSE, ".dockerignore": ".git\n"}),
        # the container files may live below the scanned root
        Valid(files={"backend/app/main.py": _MAIN, "backend/docker/api.Dockerfile": _DOCKERFILE, "backend/docker/.dockerignore": ".git\n", "deploy/compose.yaml": _COMPOSE}),
    )
    INVALID = (
        Invalid(files={"app/main.py": _MAIN, "app/models.py": "x = 1\n", "requirements.txt": "fastapi\n"}, line=1, path="app/main.py"),
        Invalid(files={"app/main.py": _MAIN, "Dockerfile": _DOCKERFILE, ".dockerignore": ".git\n"}, line=1, path="app/main.py"),
        Invalid(files={"app/main.py": _MAIN, "Dockerfile": _DOCKERFILE, "compose.yaml": _COMPOSE}, line=1, path="app/main.py"),
        Invalid(files={"manage.py": "import django\n", "shop/views.py": "x = 1\n", "compose.yaml": _COMPOSE}, line=1, path="manage.py"),
    )

    def check(self) -> None:
        if _false(self.project.context.get("include_docker", True)):
            return
        missing = []
        if not self.project.paths("dockerfile"):
            missing.append("Dockerfile")
        if not self.project.paths("compose"):
            missing.append("compose file")
        if not any(path.rsplit("/", 1)[-1] == ".dockerignore" for path in self.project.paths()):
            missing.append(".dockerignore")
        if not missing:
            return
        where = entry_point(self.project)
        if where is None:
            return
        message = "The project has no " + (" and no ".join(missing) if len(missing) < 3 else f"{missing[0]}, no {missing[1]} and no {missing[2]}")
        fixes = [_FIXES[m] for m in missing]
        fix = "Add " + ("; add ".join(fixes)) + "."
        self.report(where, 1, message, fix)


_FIXES = {
    "Dockerfile": "a multi-stage `Dockerfile` for the service (slim base, dependencies installed before `COPY . .`, a non-root `USER`, a `HEALTHCHECK`)",
    "compose file": "a `docker-compose.yml` that builds the service and runs its dependencies (database, cache) with healthchecks, named volumes and a custom network",
    ".dockerignore": "a `.dockerignore` beside the Dockerfile excluding `.git`, `.env` and caches (`__pycache__`, `node_modules`)",
}


def _false(value: object) -> bool:
    """``include_docker`` as a task may give it: False, "false", "no", 0."""
    if isinstance(value, str):
        return value.strip().lower() in ("false", "no", "0", "off")
    return value is False or value == 0
