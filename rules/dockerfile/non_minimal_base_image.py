"""DKR003: the final stage starts from a minimal base image."""
from __future__ import annotations

import re

from critic.rule import DockerfileRule, Invalid, Valid
from critic.rules.dockerfile._support import ImageRef, from_instruction, parse_image, root_image, stage_bases

#: Words in an image's repository or tag that mark a minimal variant.
_MINIMAL = re.compile(
    r"(?:^|[^a-z0-9])(?:slim|alpine|distroless|scratch|chiseled|minimal|micro|wolfi|busybox)(?:$|[^a-z])"
)
#: General-purpose images that are full distributions unless a minimal variant is chosen.
#: A private or unknown base image is not reported: its size cannot be told from its name.
_FULL_SIZE = frozenset(
    {
        "python", "pypy", "node", "golang", "rust", "ruby", "php", "perl", "openjdk", "eclipse-temurin",
        "amazoncorretto", "maven", "gradle", "elixir", "erlang", "haskell", "gcc", "swift", "dart",
        "debian", "ubuntu", "centos", "fedora", "rockylinux", "almalinux", "amazonlinux", "oraclelinux",
        "archlinux", "buildpack-deps", "ubi", "ubi8", "ubi9", "ubi10", "nginx", "httpd", "tomcat",
        "uvicorn-gunicorn-fastapi", "uvicorn-gunicorn", "uvicorn-gunicorn-starlette", "gunicorn-flask",
        "meinheld-gunicorn", "meinheld-gunicorn-flask", "uwsgi-nginx", "uwsgi-nginx-flask",
        "miniconda3", "anaconda3", "uv", "sdk", "aspnet", "runtime",
    }
)
_MICROSOFT_DOTNET = ("sdk", "aspnet", "runtime")


def is_minimal(ref: ImageRef) -> bool:
    if ref.repository == "scratch":
        return True
    if ref.repository.startswith(("cgr.dev/", "chainguard/")) or "/chainguard/" in ref.repository:
        return True
    text = f"{ref.repository}:{ref.tag or ''}"
    return _MINIMAL.search(text) is not None


def is_known_full_size(ref: ImageRef) -> bool:
    name = ref.name
    if name in _MICROSOFT_DOTNET:
        return ref.repository.startswith("mcr.microsoft.com/dotnet/")
    return name in _FULL_SIZE


class NonMinimalBaseImage(DockerfileRule):
    """
    ## What it does
    Checks that the final stage starts from a minimal base image: a `-slim` or `-alpine`
    variant, distroless, `scratch`, Chainguard/Wolfi, UBI minimal/micro, Ubuntu chiseled or
    another `*-minimal` image. A final `FROM <stage>` is followed to the image that stage
    starts from, and `FROM ${BASE_IMAGE}` is resolved from the file's ARG defaults (no finding
    when it cannot be resolved). Only well-known general-purpose images (python, node, debian,
    ubuntu, golang, ...) are reported: a private base image's size cannot be told by its name.

    ## Why is this bad?
    A full distribution image is several hundred megabytes of compilers, shells and libraries
    the service never uses: slower pulls and deploys, and a larger attack surface with more CVEs
    to patch. DEV asks for minimal base images (alpine, distroless).

    ## Example
        FROM python:3.12
        COPY . /app
        CMD ["python", "/app/main.py"]

    ## Use instead
        FROM python:3.12-slim
        COPY . /app
        CMD ["python", "/app/main.py"]
    """

    id = "DKR003"
    name = "non-minimal-base-image"
    tier = "expected"
    severity = "low"
    confidence = "high"
    sources = ("DEV Docker Best Practices (use minimal base images)",)
    peers = ()
    message = "The final stage starts from a full-size base image"
    fix = (
        "Base the final stage on a minimal variant (`python:3.12-slim`, `python:3.12-alpine`, "
        "`gcr.io/distroless/python3-debian12`); keep the full image only in a builder stage."
    )
    VALID = (
        Valid("FROM python:3.12-slim-bookworm\nCMD [\"python\"]\n"),
        # the full image is only the builder
        Valid("FROM python:3.12 AS builder\nRUN pip wheel . -w /w\nFROM gcr.io/distroless/python3-debian12\nCOPY --from=builder /w /w\n"),
        Valid("ARG BASE_IMAGE=python:3.12-alpine\nFROM ${BASE_IMAGE}\n"),
        # unresolvable: no default, passed at build time
        Valid("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"),
        Valid("FROM cgr.dev/chainguard/python:latest\n"),
        Valid("FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4\n"),
        Valid("FROM golang:1.22 AS build\nRUN go build -o /app\nFROM scratch\nCOPY --from=build /app /app\n"),
        # a private base image: unknown size, not reported
        Valid("FROM registry.example.com/platform/python-base:2.3\n"),
    )
    INVALID = (
        Invalid("FROM python:3.12\nCMD [\"python\"]\n", line=1),
        Invalid("FROM python:3.12-slim AS builder\nRUN pip wheel . -w /w\nFROM ubuntu:22.04\nCOPY --from=builder /w /w\n", line=3),
        # a final FROM <stage> is resolved to the stage's image
        Invalid("FROM node:20 AS base\nRUN npm ci\nFROM base AS final\nCMD [\"node\", \"server.js\"]\n", line=3),
        Invalid("ARG PYTHON_VERSION=3.12\nFROM python:${PYTHON_VERSION}-bookworm\n", line=2),
        Invalid("FROM tiangolo/uvicorn-gunicorn-fastapi:python3.11\n", line=1),
    )

    def finish(self) -> None:
        final = self.dockerfile.final_stage
        if final is None:
            return
        bases = stage_bases(self.dockerfile)
        root = root_image(bases, final.index)
        if root is None or root.image is None or not root.image.strip():
            return
        ref = parse_image(root.image)
        if is_minimal(ref) or not is_known_full_size(ref):
            return
        inherited = "" if root.index == final.index else f" (through stage {self.dockerfile.stages[final.index].image!r})"
        self.report_instruction(
            from_instruction(self.dockerfile, final.index),
            f"The final stage starts from the full-size image {root.image!r}{inherited}",
        )
