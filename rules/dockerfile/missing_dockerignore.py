"""DKR008: a .dockerignore beside the Dockerfile excludes .git, .env and caches."""
from __future__ import annotations

import fnmatch
import posixpath

from critic.parsers.dockerfile import parse_dockerfile
from critic.rule import Invalid, ProjectRule, Valid

#: What must be excluded, and the names that stand for it.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (".git", (".git",)),
    (".env", (".env",)),
    ("caches (__pycache__, *.pyc, node_modules)", ("__pycache__", "module.pyc", "node_modules")),
)


def _normalize(pattern: str) -> str:
    pattern = pattern.strip()
    while pattern.startswith(("/", "./")):
        pattern = pattern[1:] if pattern.startswith("/") else pattern[2:]
    while pattern.startswith("**/"):
        pattern = pattern[3:]
    while pattern.endswith(("/**", "/*", "/")):
        pattern = pattern[:-3] if pattern.endswith("/**") else pattern[:-2] if pattern.endswith("/*") else pattern[:-1]
    return pattern


def missing_categories(text: str) -> list[str]:
    """The categories a .dockerignore text does not exclude (last matching pattern wins)."""
    excluded: dict[str, bool] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = _normalize(line[1:] if negated else line)
        if not pattern:
            continue
        for _, samples in CATEGORIES:
            for sample in samples:
                if fnmatch.fnmatchcase(sample, pattern) or fnmatch.fnmatchcase(sample, posixpath.basename(pattern)):
                    excluded[sample] = not negated
    return [label for label, samples in CATEGORIES if not any(excluded.get(s, False) for s in samples)]


class MissingDockerignore(ProjectRule):
    """
    ## What it does
    Checks that every Dockerfile has a `.dockerignore` beside it (or a `<Dockerfile>.dockerignore`,
    or one in a folder above it, which is where a build context that contains the Dockerfile
    would read it) and that the file excludes `.git`, `.env` and caches (`__pycache__`,
    `*.pyc` or `node_modules`). A missing file is reported at the Dockerfile's final `FROM`; an
    incomplete one at its first line, naming each category it misses. Patterns are matched by
    name, wherever they sit (`__pycache__`, `**/__pycache__/` and `*.py[cod]` all count); a
    catch-all `*` counts for everything it does not re-include with `!`. Where a compose
    `build.context` points elsewhere is not followed.

    ## Why is this bad?
    Without it, `COPY . .` sends everything to the daemon and into the image: the `.git`
    history, local `.env` files with real credentials, virtualenvs, `__pycache__` and
    `node_modules`. Builds get slower, the cache breaks on every change, and secrets ship.
    DEV lists a `.dockerignore` (excluding node_modules, .git) among its outputs.

    ## Example
        # .dockerignore
        *.log

    ## Use instead
        # .dockerignore
        .git
        .env
        .venv
        __pycache__/
        *.pyc
        node_modules
    """

    id = "DKR008"
    name = "missing-dockerignore"
    tier = "expected"
    severity = "medium"
    confidence = "high"
    sources = ("DEV Docker Best Practices (.dockerignore file)", "DEV Output Requirements (.dockerignore)")
    peers = ()
    cwe = ("CWE-538",)
    message = "No .dockerignore beside the Dockerfile: the whole folder, .git and .env included, goes into the build context"
    fix = "Add a .dockerignore next to the Dockerfile that excludes at least `.git`, `.env`, `.venv`, `__pycache__/`, `*.pyc` and `node_modules`."
    VALID = (
        Valid(files={"Dockerfile": "FROM python:3.12-slim\n", ".dockerignore": ".git\n.env\n__pycache__/\n*.pyc\n"}),
        Valid(files={"Dockerfile": "FROM python:3.12-slim\n", ".dockerignore": "# allow-list\n*\n!app/\n!requirements.txt\n"}),
        Valid(files={"docker/Dockerfile": "FROM python:3.12-slim\n", ".dockerignore": "**/.git\n**/.env*\n**/node_modules/\n"}),
        Valid(files={"api/Dockerfile.prod": "FROM python:3.12-slim\n", "api/Dockerfile.prod.dockerignore": ".git/\n/.env\n*.py[cod]\n"}),
    )
    INVALID = (
        Invalid(files={"Dockerfile": "# syntax=docker/dockerfile:1\nFROM python:3.12 AS build\nFROM python:3.12-slim\n"}, path="Dockerfile", line=3),
        Invalid(files={"Dockerfile": "FROM python:3.12-slim\n", ".dockerignore": "*.log\n.git\n"}, path=".dockerignore", line=1),
        # re-included by a negation
        Invalid(files={"Dockerfile": "FROM python:3.12-slim\n", ".dockerignore": ".git\n.env*\n!.env\n__pycache__\n"}, path=".dockerignore", line=1),
    )

    def check(self) -> None:
        reported: set[str] = set()
        for dockerfile in self.project.paths("dockerfile"):
            ignore = self._ignore_file(dockerfile)
            if ignore is None:
                self.report(dockerfile, self._final_from_line(dockerfile))
                continue
            if ignore in reported:
                continue
            reported.add(ignore)
            missing = missing_categories(self.project.read_text(ignore) or "")
            if missing:
                self.report(
                    ignore,
                    1,
                    f".dockerignore does not exclude {', '.join(missing)}",
                    "Add " + ", ".join(_ADD[m] for m in missing) + " to the .dockerignore.",
                )

    def _ignore_file(self, dockerfile: str) -> str | None:
        folder = posixpath.dirname(dockerfile)
        own = f"{dockerfile}.dockerignore"
        if self.project.exists(own):
            return own
        while True:
            candidate = posixpath.join(folder, ".dockerignore") if folder else ".dockerignore"
            if self.project.exists(candidate):
                return candidate
            if not folder:
                return None
            folder = posixpath.dirname(folder)

    def _final_from_line(self, dockerfile: str) -> int:
        text = self.project.read_text(dockerfile)
        if not text:
            return 1
        parsed = parse_dockerfile(text)
        final = parsed.final_stage
        return final.line if final is not None else 1


_ADD = {
    ".git": "`.git`",
    ".env": "`.env` (and `.env.*`)",
    "caches (__pycache__, *.pyc, node_modules)": "`__pycache__/`, `*.pyc` and `node_modules`",
}
