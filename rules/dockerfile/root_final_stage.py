"""DKR001: the final stage runs as a non-root user."""
from __future__ import annotations

from critic.parsers.dockerfile import Instruction, key_values
from critic.rule import DockerfileRule, Invalid, Valid
from critic.rules.dockerfile._support import from_instruction, lineage, parse_image, stage_bases, substitute


def _is_root(user: str) -> bool:
    name = user.split(":", 1)[0].strip().lower()
    return name in ("root", "0")


def _nonroot_by_default(image: str | None) -> bool:
    """Base images documented to run as a non-root user when no USER is given."""
    if not image:
        return False
    ref = parse_image(image)
    if ref.tag and "nonroot" in ref.tag.lower():
        return True  # gcr.io/distroless/*:nonroot, *:debug-nonroot
    chainguard = ref.repository.startswith("cgr.dev/chainguard/") or ref.repository.startswith("chainguard/")
    return chainguard and not (ref.tag or "").endswith("-dev")


class RootFinalStage(DockerfileRule):
    """
    ## What it does
    Checks that the final stage of a Dockerfile switches to a non-root user: its last `USER`
    (or, for a final `FROM <stage>`, the last `USER` of the stage it builds on) must name a
    user other than `root`/`0`. A `USER root` followed later by `USER app` is fine; a `USER`
    in a build stage does not count for the final image. Images that run as non-root by
    default (distroless `:nonroot` tags, Chainguard images) need no `USER`. A `USER $VAR`
    whose value the file does not give is trusted.

    ## Why is this bad?
    A process that runs as root owns the container: a remote code execution bug in the
    backend becomes root in the container, one kernel or runtime escape away from the host.
    DEV's Docker best practices require running as a non-root user.

    ## Example
        FROM python:3.12-slim
        WORKDIR /app
        COPY . .
        CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]

    ## Use instead
        FROM python:3.12-slim
        RUN useradd --create-home --uid 10001 app
        WORKDIR /app
        COPY --chown=app:app . .
        USER app
        CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]
    """

    id = "DKR001"
    name = "root-final-stage"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("DEV Docker Best Practices (run as non-root user)",)
    peers = ("hadolint:DL3002", "checkov:CKV_DOCKER_3", "checkov:CKV_DOCKER_8")
    cwe = ("CWE-250",)
    owasp = ("A05:2021",)
    message = "The final stage runs as root: no USER switches to a non-root user"
    fix = (
        "Create an unprivileged user in the final stage (`RUN useradd --create-home --uid 10001 app`) "
        "and add `USER app` after the last step that needs root, before CMD/ENTRYPOINT."
    )
    VALID = (
        Valid("FROM python:3.12-slim\nRUN useradd -m app\nUSER app\nCMD [\"python\", \"main.py\"]\n"),
        # root for the install, then back to an unprivileged user
        Valid("FROM python:3.12-slim\nUSER root\nRUN apt-get update\nUSER 10001:10001\nCMD [\"app\"]\n"),
        # the builder runs as root, the final stage does not
        Valid(
            "FROM python:3.12-slim AS builder\nUSER root\nRUN pip wheel . -w /w\n"
            "FROM python:3.12-slim\nCOPY --from=builder /w /w\nUSER app\n"
        ),
        # a final FROM <stage> inherits that stage's USER
        Valid("FROM python:3.12-slim AS base\nUSER app\nFROM base AS final\nCMD [\"python\", \"main.py\"]\n"),
        Valid("FROM gcr.io/distroless/python3-debian12:nonroot\nCOPY app /app\nCMD [\"/app/main.py\"]\n"),
        Valid("ARG UID=10001\nFROM python:3.12-slim\nARG UID=10001\nUSER ${UID}\n"),
    )
    INVALID = (
        Invalid("FROM python:3.12-slim\nWORKDIR /app\nCMD [\"python\", \"main.py\"]\n", line=1),
        Invalid("FROM python:3.12-slim\nUSER app\nRUN id\nUSER root\nCMD [\"python\", \"main.py\"]\n", line=4),
        Invalid("FROM python:3.12-slim AS builder\nUSER app\nFROM python:3.12-slim\nCMD [\"python\"]\n", line=3),
        Invalid("FROM python:3.12-slim\nUSER 0:0\n", line=2),
        Invalid("FROM python:3.12-slim AS base\nUSER root\nFROM base\nCMD [\"python\"]\n", line=2),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.last_user: dict[int, Instruction] = {}
        self.variables: dict[int, dict[str, str | None]] = {}
        self.user_values: dict[int, str | None] = {}

    def step(self, instruction: Instruction) -> None:
        stage = instruction.stage
        variables = self.variables.setdefault(stage, {})
        if instruction.keyword in ("ARG", "ENV"):
            for name, value in key_values(instruction, self.dockerfile.escape):
                if value is not None:
                    variables[name] = substitute(value, variables)
                elif instruction.keyword == "ARG":  # a global ARG re-declared in the stage keeps its default
                    variables[name] = variables.get(name, self.variables.get(-1, {}).get(name))
        elif instruction.keyword == "USER":
            words = instruction.arguments.split()
            self.last_user[stage] = instruction
            self.user_values[stage] = substitute(words[0], variables) if words else ""

    def finish(self) -> None:
        final = self.dockerfile.final_stage
        if final is None:
            return
        bases = stage_bases(self.dockerfile)
        for index in lineage(bases, final.index):
            user = self.last_user.get(index)
            if user is None:
                continue
            value = self.user_values.get(index)
            if value is not None and _is_root(value):
                where = "" if index == final.index else " (inherited by the final stage)"
                self.report_instruction(user, f"The final image runs as root: the last USER is root{where}")
            return
        chain = lineage(bases, final.index)
        if _nonroot_by_default(bases[chain[-1]].image if chain else None):
            return
        self.report_instruction(from_instruction(self.dockerfile, final.index))
