"""DKR002: a multi-stage build whose final stage takes only artifacts from a builder."""
from __future__ import annotations

from critic.parsers.dockerfile import Instruction
from critic.rule import DockerfileRule, Invalid, Valid
from critic.rules.dockerfile._support import flag_values, from_instruction, mounts, stage_index_of


class SingleStageBuild(DockerfileRule):
    """
    ## What it does
    Checks that a Dockerfile is a multi-stage build whose final stage copies its artifacts
    from an earlier stage: a single `FROM` is reported, and so is a multi-stage file whose final
    stage takes nothing from an earlier stage (`COPY --from=<stage>`, `ADD --from=<stage>` or a
    `RUN --mount=from=<stage>`). `COPY --from=<external image>` does not count.

    ## Why is this bad?
    Compilers, headers, build caches and dev dependencies that the build needs end up in the
    shipped image: it is larger, slower to pull and carries more vulnerable packages. DEV asks
    for a multi-stage Dockerfile ("Multi-stage builds: Reduce final image size").

    ## Example
        FROM python:3.12-slim
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
        COPY . .

    ## Use instead
        FROM python:3.12-slim AS builder
        COPY requirements.txt .
        RUN pip wheel --no-cache-dir -r requirements.txt -w /wheels

        FROM python:3.12-slim
        COPY --from=builder /wheels /wheels
        RUN pip install --no-cache-dir /wheels/*
        COPY . .
    """

    id = "DKR002"
    name = "single-stage-build"
    tier = "nice_to_have"
    severity = "low"
    confidence = "high"
    sources = ("DEV Docker Containerization (multi-stage Dockerfile)", "DEV validation_criteria nice_to_have")
    peers = ()
    message = "Single-stage build: build tools and caches ship in the final image"
    fix = (
        "Split the Dockerfile into a builder stage (`FROM ... AS builder`) that installs and builds, "
        "and a final stage that copies only the artifacts with `COPY --from=builder`."
    )
    VALID = (
        Valid(
            "FROM python:3.12-slim AS builder\nRUN pip wheel -r requirements.txt -w /wheels\n"
            "FROM python:3.12-slim\nCOPY --from=builder /wheels /wheels\n"
        ),
        # stage referenced by index
        Valid("FROM golang:1.22-alpine\nRUN go build -o /main .\nFROM alpine:3.20\nCOPY --from=0 /main /main\n"),
        # a cache/bind mount from the builder is taking artifacts from it too
        Valid(
            "FROM python:3.12-slim AS build\nRUN pip wheel . -w /wheels\n"
            "FROM python:3.12-slim\nRUN --mount=type=bind,from=build,source=/wheels,target=/wheels pip install /wheels/*\n"
        ),
    )
    INVALID = (
        Invalid("FROM python:3.12-slim\nCOPY . .\nCMD [\"python\", \"main.py\"]\n", line=1),
        # two stages, but the final one rebuilds everything itself
        Invalid("FROM node:20-alpine AS assets\nRUN npm ci\nFROM python:3.12-slim\nCOPY . .\n", line=3),
        # copying from an external image is not a builder stage
        Invalid("FROM python:3.12-slim AS unused\nFROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.4 /uv /bin/uv\n", line=2),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.takes_from_builder = False

    def step(self, instruction: Instruction) -> None:
        final = self.dockerfile.final_stage
        if final is None or instruction.stage != final.index:
            return
        references: list[str] = []
        if instruction.keyword in ("COPY", "ADD"):
            references = flag_values(instruction, "from")
        elif instruction.keyword == "RUN":
            references = [m["from"] for m in mounts(instruction) if m.get("from")]
        if any(stage_index_of(ref, self.dockerfile, final.index) is not None for ref in references):
            self.takes_from_builder = True

    def finish(self) -> None:
        final = self.dockerfile.final_stage
        if final is None:
            return
        at = from_instruction(self.dockerfile, final.index)
        if len(self.dockerfile.stages) == 1:
            self.report_instruction(at)
        elif not self.takes_from_builder:
            self.report_instruction(
                at,
                "Multi-stage build whose final stage copies nothing from an earlier stage",
                "Build in an earlier stage and copy only its artifacts into the final stage with "
                "`COPY --from=<stage> ...`; leave compilers and dev dependencies behind.",
            )
