"""DKR007: dependency manifests are copied and installed before the rest of the source."""
from __future__ import annotations

from critic.parsers.dockerfile import Instruction
from critic.rule import DockerfileRule, Invalid, Valid
from critic.rules.dockerfile._support import (
    Command,
    copy_sources,
    flag_values,
    lineage,
    pip_args,
    run_commands,
    stage_bases,
    subcommand,
)

_WHOLE_CONTEXT = frozenset({".", "./", "./.", "*", "./*"})
_PIP_VALUED = frozenset({"-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root"})


def _is_local_project(word: str) -> bool:
    return word in (".", "./") or word.startswith((".[", "./[", "./.["))


def _pip_manifest_install(args: tuple[str, ...]) -> bool:
    """``pip install -r requirements.txt`` / ``pip install .`` / ``pip install -e .[dev]``."""
    if not args or args[0] != "install":
        return False
    rest = args[1:]
    index = 0
    while index < len(rest):
        word = rest[index]
        if word in ("-r", "--requirement") or (word.startswith("-r") and len(word) > 2) or word.startswith("--requirement="):
            return True
        if word in ("-e", "--editable"):
            if index + 1 < len(rest) and _is_local_project(rest[index + 1]):
                return True
            index += 2
            continue
        if word in _PIP_VALUED:
            index += 2
            continue
        if _is_local_project(word):
            return True
        index += 1
    return False


def is_dependency_install(command: Command) -> bool:
    """A command that installs a project's dependencies from its manifests."""
    args = pip_args(command)
    if args is not None:
        return _pip_manifest_install(args)
    program = command.program
    sub, rest = subcommand(command)
    if program == "uv":
        if sub == "sync":
            return True
        if sub == "pip" and rest:
            return rest[0] == "sync" or _pip_manifest_install(rest)
        return False
    if program in ("poetry", "pdm", "pipenv"):
        return sub in ("install", "sync")
    if program == "npm":
        if sub == "ci":
            return True
        return sub in ("install", "i") and all(w.startswith("-") for w in rest)
    if program in ("yarn", "pnpm", "bun"):
        return sub in ("", "install", "i") and all(w.startswith("-") for w in rest)
    if program == "go":
        return sub == "mod" and bool(rest) and rest[0] == "download"
    if program in ("bundle", "composer"):
        return sub == "install"
    return False


class SourceCopiedBeforeInstall(DockerfileRule):
    """
    ## What it does
    Reports a `COPY . .` (or `ADD .`, any copy of the whole build context) that comes before
    the dependency install of the same stage (`pip install -r requirements.txt`,
    `pip install .`, `poetry install`, `uv sync`, `pipenv install`, `npm ci`, `yarn install`,
    `go mod download`...). Copying the manifests first, installing, and then `COPY . .` is the
    pattern asked for; a later `pip install --no-deps .` after the dependencies are installed
    is fine, and so is installing named packages (`pip install gunicorn`).

    ## Why is this bad?
    Docker reuses a layer only while everything before it is unchanged. When the whole source
    is copied first, any edit to any file invalidates the install layer, and every build
    downloads and installs all dependencies again.

    ## Example
        FROM python:3.12-slim
        WORKDIR /app
        COPY . .
        RUN pip install --no-cache-dir -r requirements.txt

    ## Use instead
        FROM python:3.12-slim
        WORKDIR /app
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
        COPY . .
    """

    id = "DKR007"
    name = "source-copied-before-install"
    tier = "nice_to_have"
    severity = "low"
    confidence = "high"
    sources = ("DEV Docker Best Practices (layer caching, templates copy requirements first)",)
    peers = ()
    message = "The whole source is copied before the dependencies are installed, defeating the layer cache"
    fix = (
        "Copy only the dependency manifests first (`COPY requirements.txt .`, or `pyproject.toml`/`poetry.lock`, "
        "`package*.json`), run the install, and `COPY . .` after it."
    )
    VALID = (
        Valid("FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n"),
        # the package itself is installed after its dependencies
        Valid(
            "FROM python:3.12-slim\nCOPY pyproject.toml poetry.lock ./\nRUN poetry install --no-root\n"
            "COPY . .\nRUN poetry install --only-root\n"
        ),
        Valid("FROM python:3.12-slim\nCOPY . .\nRUN pip install --no-cache-dir gunicorn\n"),
        # the install happens in another stage
        Valid(
            "FROM python:3.12-slim AS deps\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
            "FROM python:3.12-slim\nCOPY . .\n"
        ),
    )
    INVALID = (
        Invalid("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n", line=3),
        Invalid("FROM node:20-alpine AS build\nCOPY . /app\nRUN cd /app && npm ci\nFROM node:20-alpine\nCOPY --from=build /app /app\n", line=2),
        Invalid("FROM python:3.12-slim\nADD . /src\nRUN <<EOF\nset -e\nuv sync --frozen\nEOF\n", line=2),
        Invalid('FROM python:3.12-slim\nCOPY [".", "/app"]\nRUN ["pip", "install", "-e", "/app", "-e", "."]\n', line=2),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.installed: set[int] = set()  # stages with a dependency install so far
        self.pending: dict[int, Instruction] = {}  # stage -> whole-context COPY before any install
        self._bases = None

    def step(self, instruction: Instruction) -> None:
        stage = instruction.stage
        if stage < 0:
            return
        keyword = instruction.keyword
        if keyword in ("COPY", "ADD"):
            if flag_values(instruction, "from") or stage in self.pending:
                return
            if any(source in _WHOLE_CONTEXT for source in copy_sources(instruction)) and not self._installed_before(stage):
                self.pending[stage] = instruction
        elif keyword == "RUN":
            if any(is_dependency_install(c) for c in run_commands(instruction)):
                copy = self.pending.pop(stage, None)
                if copy is not None and not self._installed_before(stage):
                    self.report_instruction(copy)
                self.installed.add(stage)

    def _installed_before(self, stage: int) -> bool:
        if self._bases is None:
            self._bases = stage_bases(self.dockerfile)
        return any(index in self.installed for index in lineage(self._bases, stage))
