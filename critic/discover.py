"""Finding the files to check: walk the given paths, honour ignores, classify each file.

Symlinks are never followed out of the scanned root, and symlinked directories are never
descended (that also rules out loops). Nothing here reads a file's content beyond .gitignore.
"""
from __future__ import annotations

import fnmatch
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import pathspec

from critic.config import DEFAULT_EXCLUDES, Config
from critic.model import FileSummary

_DOCKERFILE = re.compile(r"^(Dockerfile|Containerfile)(\..+)?$|.+\.(dockerfile|Dockerfile|containerfile)$")
_COMPOSE = re.compile(r"^(docker-)?compose([.\-_][^/]*)?\.ya?ml$")


def classify(name: str) -> str:
    """The kind of a file, by its name alone."""
    if name.endswith(".py"):
        return "python"
    if _DOCKERFILE.match(name) and not name.endswith(".dockerignore"):  # Dockerfile.dockerignore is an ignore file
        return "dockerfile"
    if _COMPOSE.match(name):
        return "compose"
    if name.endswith((".yml", ".yaml")):
        return "yaml"
    return "other"


@dataclass(frozen=True, slots=True)
class Discovered:
    root: Path
    files: tuple[FileSummary, ...]
    problems: tuple[tuple[str, str], ...]  # (relative path, why it was not read)


def discover(root: Path, targets: list[Path] | None, config: Config) -> Discovered:
    """Every file under ``root`` (or under ``targets``, all inside root), sorted by path."""
    root = root.resolve()
    files: dict[str, FileSummary] = {}
    problems: list[tuple[str, str]] = []
    user_excludes = tuple(config.exclude)
    ignores = _GitIgnores(root) if config.respect_gitignore else None

    def excluded(rel: str, name: str, is_dir: bool) -> bool:
        if is_dir and any(fnmatch.fnmatchcase(name, pattern) for pattern in DEFAULT_EXCLUDES):
            return True
        for pattern in user_excludes:
            if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern.rstrip("/") + "/*"):
                return True
        return ignores is not None and ignores.ignored(rel, is_dir)

    def visit_file(path: Path, rel: str) -> None:
        if not _is_utf8(rel):
            problems.append((_shown(rel), "name is not valid UTF-8; not checked (rename it)"))
            return
        if path.is_symlink():
            try:
                real = path.resolve(strict=True)
            except (OSError, RuntimeError):
                problems.append((rel, "broken or looping symlink; not followed"))
                return
            if not real.is_relative_to(root):
                problems.append((rel, "symlink to a file outside the scanned root; not followed"))
                return
        try:
            regular = stat.S_ISREG(path.stat().st_mode)
        except OSError as exc:
            problems.append((rel, f"cannot stat: {exc.strerror or exc}"))
            return
        if not regular:  # reading a named pipe would block for ever, a device never end
            problems.append((rel, "not a regular file (a named pipe, socket or device); not read"))
            return
        files[rel] = FileSummary(rel, classify(path.name))

    def walk(top: Path, top_rel: str) -> None:
        # a stack, not recursion: a tree a thousand folders deep must not overflow Python's stack
        pending: list[tuple[str, str]] = [(os.fspath(top), top_rel)]
        while pending:
            directory, rel_dir = pending.pop()
            if ignores is not None:
                ignores.load(directory, rel_dir)
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as exc:
                problems.append((rel_dir or ".", f"cannot list directory: {exc.strerror}"))
                continue
            below: list[tuple[str, str]] = []
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_link = entry.is_symlink()
                except OSError:
                    continue
                if excluded(rel, entry.name, is_dir):
                    continue
                if is_dir and not _is_utf8(entry.name):  # its files could be named in no report
                    problems.append((_shown(rel), "name is not valid UTF-8; not checked (rename it)"))
                    continue
                if is_link and not is_dir:
                    if Path(entry.path).is_dir():
                        problems.append((rel, "symlinked directory; not followed"))
                        continue
                    visit_file(Path(entry.path), rel)
                elif is_dir:
                    below.append((entry.path, rel))
                elif entry.is_file(follow_symlinks=False):
                    # a regular file and no link, as the directory listing already says: no
                    # further system calls (a warm run of a large tree is mostly this loop)
                    if _is_utf8(rel):
                        files[rel] = FileSummary(rel, classify(entry.name))
                    else:
                        visit_file(Path(entry.path), rel)
                elif classify(entry.name) in ("python", "dockerfile", "compose"):  # a pipe named app.py
                    problems.append((rel, "not a regular file (a named pipe, socket or device); not read"))
            pending.extend(reversed(below))  # depth first, in name order

    for target in targets or [root]:
        target = Path(os.path.abspath(target))
        rel = _relative(target, root)
        if target.is_dir() and not target.is_symlink():
            if ignores is not None and rel:
                # load the .gitignore files of the folders above the target, within root
                parts = rel.split("/")
                for depth in range(len(parts)):
                    ignores.load(root.joinpath(*parts[:depth]), "/".join(parts[:depth]))
            walk(target, rel)
        elif target.exists() or target.is_symlink():
            visit_file(target, rel)
    return Discovered(root, tuple(files[k] for k in sorted(files)), tuple(sorted(problems)))


def _is_utf8(name: str) -> bool:
    """False for a name with bytes that are not UTF-8 (os gives them as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(rel: str) -> str:
    """A name with undecodable bytes as printable text (\\xff), for the report only."""
    return os.fsencode(rel).decode("utf-8", errors="backslashreplace")


def _relative(path: Path, root: Path) -> str:
    rel = os.path.relpath(path, root)
    return "" if rel == "." else Path(rel).as_posix()


# pathspec 1.x names git's own matching "gitignore"; older releases call it "gitwildmatch"
try:
    pathspec.PathSpec.from_lines("gitignore", ["x"])
    _PATTERN_STYLE = "gitignore"
except (KeyError, LookupError, ValueError):  # pragma: no cover - depends on the installed pathspec
    _PATTERN_STYLE = "gitwildmatch"


_GITIGNORE_LIMIT = 1024 * 1024


class _GitIgnores:
    """The .gitignore files met on the way down, each applying to its own folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.specs: list[tuple[str, pathspec.PathSpec]] = []
        #: folder -> its .gitignore: a path consults only its own folders' files (a monorepo
        #: with a .gitignore per service would otherwise cost files x services checks)
        self.by_base: dict[str, pathspec.PathSpec] = {}
        self.loaded: set[str] = set()

    def load(self, directory: "str | Path", rel_dir: str) -> None:
        if rel_dir in self.loaded:
            return
        self.loaded.add(rel_dir)
        gitignore = os.path.join(directory, ".gitignore")
        try:
            info = os.stat(gitignore)
            if not stat.S_ISREG(info.st_mode) or info.st_size > _GITIGNORE_LIMIT:  # a pipe would block for ever
                return
            with open(gitignore, encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError:
            return
        spec = pathspec.PathSpec.from_lines(_PATTERN_STYLE, lines)
        self.specs.append((rel_dir, spec))
        self.by_base[rel_dir] = spec

    def ignored(self, rel: str, is_dir: bool) -> bool:
        if not self.by_base:
            return False
        result = False
        # the .gitignore of each folder above ``rel``, from the root down (the order they were
        # loaded in, walking down): a deeper one overrides a shallower one
        parts = rel.split("/")
        bases = [""] + ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]
        for base in bases:
            spec = self.by_base.get(base)
            if spec is None:
                continue
            sub = rel[len(base) + 1 :] if base else rel
            if is_dir:
                sub += "/"
            # the last matching pattern wins, negations included
            check = spec.check_file(sub)
            if check.include is not None:
                result = check.include
        return result
