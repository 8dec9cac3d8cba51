"""DKR009: package installs leave no caches in the image."""
from __future__ import annotations

import re
from dataclasses import dataclass

from critic.parsers.dockerfile import Instruction, key_values
from critic.rule import DockerfileRule, Invalid, Valid
from critic.rules.dockerfile._support import Command, lineage, mounts, pip_args, run_commands, run_scripts, stage_bases, subcommand

_FALSY = frozenset({"", "0", "false", "off", "no"})
_APT_VALUED = frozenset({"-o", "-c", "-t", "--option", "--config-file", "--target-release"})
_NO_RECOMMENDS = re.compile(r"APT::Install-Recommends\s*[= ]\s*\"?(?:0|false|no)\b", re.IGNORECASE)

PIP = "pip install without --no-cache-dir"
APT_RECOMMENDS = "apt-get install without --no-install-recommends"
APT_LISTS = "apt-get install without `rm -rf /var/lib/apt/lists/*` in the same RUN"
APK = "apk add without --no-cache"
_FIXES = {
    PIP: "add `--no-cache-dir` to `pip install` (or set `ENV PIP_NO_CACHE_DIR=1`, or use `RUN --mount=type=cache,target=/root/.cache/pip`)",
    APT_RECOMMENDS: "add `--no-install-recommends` to `apt-get install`",
    APT_LISTS: "end the same RUN with `&& rm -rf /var/lib/apt/lists/*`",
    APK: "use `apk add --no-cache`",
}


@dataclass(frozen=True, slots=True)
class _Run:
    instruction: Instruction
    problems: tuple[str, ...]
    pip_env_before: bool  # PIP_NO_CACHE_DIR was set in the stage before this RUN


def _removes(commands: list[Command], prefix: str) -> bool:
    return any(c.program == "rm" and any(w.startswith(prefix) for w in c.words[1:]) for c in commands)


def _pip_env(assigns: tuple[str, ...] | list[str]) -> bool:
    for word in assigns:
        name, _, value = word.partition("=")
        if name == "PIP_NO_CACHE_DIR" and value.strip().lower() not in _FALSY:
            return True
    return False


def run_problems(instruction: Instruction, pip_env: bool, apt_configured: bool) -> tuple[str, ...]:
    """What a RUN leaves behind, given whether PIP_NO_CACHE_DIR / no-recommends are configured."""
    commands = run_commands(instruction)
    if not commands:
        return ()
    cache_mounts = [m.get("target", "") for m in mounts(instruction) if m.get("type") == "cache"]
    problems: list[str] = []
    # pip
    exported = pip_env or any(c.program == "export" and _pip_env(c.words[1:]) for c in commands)
    pip_cleaned = bool(cache_mounts) or _removes(commands, "/root/.cache") or any(
        c.program == "rm" and any(".cache/pip" in w for w in c.words[1:]) for c in commands
    ) or any((pip_args(c) or ("",))[0] == "cache" for c in commands)
    for command in commands:
        args = pip_args(command)
        if args is None or args[0] != "install":
            continue
        if exported or pip_cleaned or _pip_env(command.assigns):
            continue
        if any(w == "--no-cache-dir" or w.startswith("--no-cache-dir=") for w in args):
            continue
        problems.append(PIP)
        break
    # apt-get / apt
    apt_installs = [
        c for c in commands if c.program in ("apt-get", "apt") and subcommand(c, _APT_VALUED)[0] == "install"
    ]
    if apt_installs:
        if not apt_configured and any(
            "--no-install-recommends" not in c.words and not any(_NO_RECOMMENDS.search(w) for w in c.words)
            for c in apt_installs
        ):
            problems.append(APT_RECOMMENDS)
        lists_cached = any(t.startswith("/var/lib/apt") for t in cache_mounts)
        if not lists_cached and not _removes(commands, "/var/lib/apt/lists"):
            problems.append(APT_LISTS)
    # apk
    apk_adds = [c for c in commands if c.program == "apk" and subcommand(c, ("-X", "--repository", "-p", "--root"))[0] == "add"]
    if apk_adds:
        cleaned = _removes(commands, "/var/cache/apk") or any(t.startswith(("/var/cache/apk", "/etc/apk/cache")) for t in cache_mounts)
        if not cleaned and any("--no-cache" not in c.words for c in apk_adds):
            problems.append(APK)
    return tuple(problems)


class InstallCacheLeft(DockerfileRule):
    """
    ## What it does
    Reports a RUN of the final image (the final stage and the stages it is built `FROM`) that
    leaves package-manager caches behind: `pip install` without `--no-cache-dir` (unless
    `PIP_NO_CACHE_DIR` is set by ENV/ARG or inline, or the RUN has a `--mount=type=cache`),
    `apt-get install` without `--no-install-recommends` or without
    `rm -rf /var/lib/apt/lists/*` in the same RUN (an apt cache mount counts), and `apk add`
    without `--no-cache`. One finding per RUN lists everything it misses. Shell form, exec form,
    `&&` chains and heredoc scripts are all read. Build stages whose filesystem is thrown away
    are not reported: their caches never reach the shipped image.

    ## Why is this bad?
    pip's wheel cache, recommended-but-unneeded apt packages and the apt package lists add tens
    to hundreds of megabytes to every image layer that installs something, and a cleanup in a
    later RUN cannot shrink an earlier layer. DEV's templates use `pip install --no-cache-dir`.

    ## Example
        FROM python:3.12-slim
        RUN apt-get update && apt-get install -y libpq5
        RUN pip install -r requirements.txt

    ## Use instead
        FROM python:3.12-slim
        RUN apt-get update \\
         && apt-get install -y --no-install-recommends libpq5 \\
         && rm -rf /var/lib/apt/lists/*
        RUN pip install --no-cache-dir -r requirements.txt
    """

    id = "DKR009"
    name = "install-cache-left"
    tier = "nice_to_have"
    severity = "low"
    confidence = "high"
    sources = ("DEV Docker Containerization templates (pip install --no-cache-dir, apk --no-cache)",)
    peers = ("hadolint:DL3042", "hadolint:DL3009", "hadolint:DL3015", "hadolint:DL3019")
    message = "The install leaves package caches in the image"
    fix = "Install without caches: `pip install --no-cache-dir`, `apt-get install --no-install-recommends ... && rm -rf /var/lib/apt/lists/*`, `apk add --no-cache`."
    VALID = (
        Valid(
            "FROM python:3.12-slim\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends libpq5 \\\n"
            " && rm -rf /var/lib/apt/lists/*\nRUN pip install --no-cache-dir -r requirements.txt\n"
        ),
        Valid("FROM python:3.12-slim\nENV PIP_NO_CACHE_DIR=1\nRUN pip install -r requirements.txt\n"),
        Valid("FROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n"),
        Valid("FROM python:3.12-alpine\nRUN apk add --no-cache libpq && PIP_NO_CACHE_DIR=1 python -m pip install -r req.txt\n"),
        # the builder's caches are thrown away with its filesystem
        Valid("FROM python:3.12 AS builder\nRUN pip wheel -r r.txt -w /w && pip install -r r.txt\nFROM python:3.12-slim\nCOPY --from=builder /w /w\n"),
        # uv is not pip; the text inside quotes is not a command
        Valid("FROM python:3.12-slim\nRUN uv pip install --system -r requirements.txt && echo 'pip install x'\n"),
    )
    INVALID = (
        Invalid("FROM python:3.12-slim\nRUN pip install -r requirements.txt\n", line=2),
        Invalid("FROM python:3.12-slim\nRUN apt-get update && \\\n    apt-get install -y curl\n", line=2),
        Invalid("FROM python:3.12-alpine\nRUN apk update && apk add libpq\n", line=2),
        Invalid("FROM python:3.12-slim\nRUN <<EOF\nset -eux\napt-get update\napt-get install -y --no-install-recommends gcc\nEOF\n", line=2),
        Invalid('FROM python:3.12-slim\nRUN ["pip3", "install", "gunicorn"]\n', line=2),
        Invalid('FROM python:3.12-slim\nRUN ["/bin/sh", "-c", "python3 -m pip install -U pip"]\n', line=2),
        # a stage the final stage is built on ships its caches
        Invalid("FROM python:3.12-slim AS base\nRUN pip install fastapi\nFROM base\nCMD [\"python\"]\n", line=2),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.runs: dict[int, list[_Run]] = {}
        self.pip_env: dict[int, bool] = {}
        self.apt_configured: dict[int, bool] = {}

    def step(self, instruction: Instruction) -> None:
        stage = instruction.stage
        if stage < 0:
            return
        keyword = instruction.keyword
        if keyword in ("ENV", "ARG"):
            for name, value in key_values(instruction, self.dockerfile.escape):
                if name == "PIP_NO_CACHE_DIR" and value is not None:
                    self.pip_env[stage] = value.strip().lower() not in _FALSY
        elif keyword == "RUN":
            pip_env = self.pip_env.get(stage, False)
            problems = run_problems(instruction, pip_env, self.apt_configured.get(stage, False))
            if any(_NO_RECOMMENDS.search(script) for script in run_scripts(instruction)):
                self.apt_configured[stage] = True
            if problems:
                self.runs.setdefault(stage, []).append(_Run(instruction, problems, pip_env))

    def finish(self) -> None:
        final = self.dockerfile.final_stage
        if final is None:
            return
        chain = lineage(stage_bases(self.dockerfile), final.index)
        for position, index in enumerate(chain):
            ancestors = chain[position + 1 :]
            inherited_pip = any(self.pip_env.get(a, False) for a in ancestors)
            inherited_apt = any(self.apt_configured.get(a, False) for a in ancestors)
            for run in self.runs.get(index, ()):
                problems = run.problems
                if inherited_pip or inherited_apt:
                    problems = run_problems(run.instruction, run.pip_env_before or inherited_pip, inherited_apt or APT_RECOMMENDS not in problems)
                if problems:
                    self.report_instruction(
                        run.instruction,
                        "The install leaves caches in the image: " + "; ".join(problems),
                        "In the same RUN, " + "; ".join(_FIXES[p] for p in problems) + ".",
                    )
