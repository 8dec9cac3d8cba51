"""What every engine adapter shares: the result it parses, the failure it raises, the helpers
that make a result safe to show (paths relative to the root, secret values scrubbed)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from critic.findings import mask_value

#: An engine's severity -> critic's default tier for a result that evidences no standard.
TIER_OF_SEVERITY = {"high": "critical", "medium": "expected", "low": "nice_to_have"}


class EngineFailure(Exception):
    """The engine could not give a verdict: ``status`` is "failed" or "timeout"."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class EngineResult:
    """One problem an engine reported, parsed and located, before it becomes a Finding."""

    engine: str  # "ruff" | "bandit" | "semgrep" | "hadolint"
    code: str  # the engine's own id: "S608", "B608", "critic-sql-taint", "DL3002"
    name: str  # kebab-case name of the pattern
    path: str  # relative to the root, POSIX
    line: int
    column: int
    end_line: int
    end_column: int
    message: str  # scrubbed of literal values
    fix: str
    severity: str  # high | medium | low
    tier: str
    confidence: str = "medium"
    cwe: tuple[str, ...] = ()
    owasp: tuple[str, ...] = ()
    secret: bool = False  # the flagged code holds a secret literal: mask it in the snippet
    #: another engine's id for the very same check ("bandit:B608" for ruff's S608)
    same_as: str = ""

    @property
    def id(self) -> str:
        return f"{self.engine}:{self.code}"


_QUOTED = re.compile(r"""(?P<q>['"])(?P<body>(?:\\.|(?!(?P=q)).)*)(?P=q)""")


_TOKEN_LIKE = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)\S{8,}$")


def scrub(message: str, secret: bool = False) -> str:
    """An engine message with literal values masked: every quoted literal of a secret check
    (bandit prints the password it found), and token-like quoted values of any other check."""

    def mask(match: re.Match[str]) -> str:
        body = match.group("body")
        if secret or _TOKEN_LIKE.match(body):
            return match.group("q") + mask_value(body) + match.group("q")
        return match.group(0)

    return _QUOTED.sub(mask, message.strip())


def quoted_literals(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) offsets of the quoted string literals on one line of code."""
    for match in _QUOTED.finditer(text):
        yield match.start(), match.end()


def relative(path: str, root: Path) -> str:
    """An engine's path (absolute, or relative to the root it ran in, maybe './x') as critic's."""
    full = path if os.path.isabs(path) else os.path.join(root, path)
    return Path(os.path.relpath(os.path.normpath(full), root)).as_posix()


def kebab(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def cwe_ids(values: Iterable[object]) -> tuple[str, ...]:
    """"CWE-89: Improper ..." or 89 -> "CWE-89"."""
    out = []
    for value in values:
        match = re.search(r"(\d+)", str(value))
        if match:
            out.append(f"CWE-{match.group(1)}")
    return tuple(dict.fromkeys(out))


def owasp_ids(values: Iterable[object]) -> tuple[str, ...]:
    """"A03:2021 - Injection" -> "A03:2021"."""
    out = []
    for value in values:
        match = re.match(r"\s*(A\d\d:\d{4})", str(value))
        if match:
            out.append(match.group(1))
    return tuple(dict.fromkeys(out))


def level(value: object, default: str = "medium") -> str:
    text = str(value or "").lower()
    return {"high": "high", "error": "high", "medium": "medium", "warning": "medium", "low": "low", "info": "low"}.get(text, default)


#: Values a password/token check flags that are not secrets: the kind of a token, an algorithm.
NON_SECRET_VALUES = frozenset(
    {"", "bearer", "basic", "digest", "token", "jwt", "access", "refresh", "access_token", "refresh_token",
     "hs256", "hs384", "hs512", "rs256", "rs384", "rs512", "es256", "none", "null", "utf-8", "utf8"}
)


def is_test_path(path: str) -> bool:
    """Test code, where fixtures legitimately hold credentials (mirrors PythonFile.is_test)."""
    from critic.rule import PythonFile

    return PythonFile(path, "").is_test
