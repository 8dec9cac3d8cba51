"""DKR004: every base image is pinned to a tag other than latest, or to a digest."""
from __future__ import annotations

from critic.parsers.dockerfile import Instruction
from critic.rule import DockerfileRule, Invalid, Valid
from critic.rules.dockerfile._support import global_args, parse_image, substitute


class UnpinnedBaseImage(DockerfileRule):
    """
    ## What it does
    Checks every `FROM` for an image with no tag or the `latest` tag. A digest
    (`@sha256:...`) pins an image whatever its tag; `scratch` and earlier stage names are not
    images; `${VAR}` parts are resolved from the file's ARG defaults, and an image or tag that
    cannot be resolved is not reported.

    ## Why is this bad?
    `latest` (or no tag, which means `latest`) moves: the same Dockerfile builds a different
    image tomorrow, a new major version can break the service, and a build cannot be
    reproduced. DEV's templates pin every base image (`python:3.11-slim`, `golang:1.21-alpine`).

    ## Example
        FROM python
        FROM node:latest AS assets

    ## Use instead
        FROM python:3.12-slim
        FROM node:20.11-alpine AS assets
    """

    id = "DKR004"
    name = "unpinned-base-image"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("DEV Docker Containerization templates (pinned base images)",)
    peers = ("hadolint:DL3006", "hadolint:DL3007")
    cwe = ("CWE-1357",)
    owasp = ("A06:2021",)
    message = "Base image is not pinned: no tag, or the latest tag"
    fix = "Pin the image to a specific version tag (`python:3.12-slim`), or to a digest (`python:3.12-slim@sha256:...`)."
    VALID = (
        Valid("FROM python:3.12-slim\n"),
        Valid("FROM python@sha256:" + "a" * 64 + "\n"),
        Valid("FROM golang:1.22 AS builder\nRUN go build -o /app\nFROM builder AS test\nFROM scratch\nCOPY --from=builder /app /app\n"),
        Valid("ARG PY=3.12\nFROM python:${PY}-slim\n"),
        # a registry with a port is not a tag
        Valid("FROM localhost:5000/team/api-base:1.4.2\n"),
        # the tag comes from the build: nothing to judge
        Valid("ARG TAG\nFROM python:${TAG}\n"),
    )
    INVALID = (
        Invalid("FROM python\n", line=1),
        Invalid("FROM python:3.12-slim AS build\nFROM alpine:latest\nCOPY --from=build /a /a\n", line=2),
        Invalid("FROM localhost:5000/team/api-base\n", line=1),
        Invalid("ARG BASE=python:latest\nFROM $BASE\n", line=2),
        # a FROM naming a stage that only comes later is an image
        Invalid("FROM builder\nFROM python:3.12-slim AS builder\n", line=1),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stage_names: set[str] = set()
        self.args: dict[str, str | None] | None = None

    def step(self, instruction: Instruction) -> None:
        if instruction.keyword != "FROM":
            return
        if self.args is None:
            self.args = global_args(self.dockerfile)
        stage = self.dockerfile.stages[instruction.stage]
        image = substitute(stage.image, self.args)
        # a stage may only build on the stages before it, never on itself: look before adding
        from_earlier_stage = image is not None and image.lower() in self.stage_names
        if stage.name:
            self.stage_names.add(stage.name.lower())
        if image is None or not image.strip():
            return
        if from_earlier_stage or image.lower() == "scratch":
            return
        ref = parse_image(image)
        if ref.digest:
            return
        if ref.tag is None:
            self.report_instruction(instruction, f"Base image {image!r} has no tag, so it means whatever latest is at build time")
        elif ref.tag.lower() == "latest":
            self.report_instruction(instruction, f"Base image {image!r} uses the moving latest tag")
