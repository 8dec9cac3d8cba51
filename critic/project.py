"""The whole scanned tree as project-level rules see it: its files and the facts they stated."""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Mapping

from critic.model import Fact, FileSummary

_READ_LIMIT = 2 * 1024 * 1024


@dataclass(frozen=True)
class Project:
    root: Path
    files: tuple[FileSummary, ...]
    facts: tuple[Fact, ...] = ()
    #: What the caller knows beyond the tree: a critique task's inputs, a hand-off, a spec path.
    context: Mapping[str, object] = field(default_factory=dict)

    @cached_property
    def _facts_by_kind(self) -> dict[str, tuple[Fact, ...]]:
        out: dict[str, list[Fact]] = {}
        for fact in self.facts:
            out.setdefault(fact.kind, []).append(fact)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _paths(self) -> frozenset[str]:
        return frozenset(f.path for f in self.files)

    def facts_of(self, kind: str) -> tuple[Fact, ...]:
        return self._facts_by_kind.get(kind, ())

    def paths(self, kind: str | None = None) -> list[str]:
        return [f.path for f in self.files if kind is None or f.kind == kind]

    def exists(self, path: str) -> bool:
        return path in self._paths

    def glob(self, pattern: str) -> list[str]:
        """Relative paths matching a glob (``*`` crosses folders, as in fnmatch)."""
        return [p for p in self.paths() if fnmatch.fnmatchcase(p, pattern)]

    def read_text(self, path: str) -> str | None:
        """A file's text, for rules that read data files (.dockerignore, an OpenAPI spec)."""
        full = self.root / path
        try:
            if full.stat().st_size > _READ_LIMIT:
                return None
            return full.read_text(encoding="utf-8-sig", errors="replace").replace("\r\n", "\n")
        except OSError:
            return None
