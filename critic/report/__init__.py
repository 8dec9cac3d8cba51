"""Renderers: one module per output format, each ``render(report, options) -> str``.

Every renderer has the same signature, so the CLI, the pre-commit hook, an agent and the MCP
server pick a format by name and pass the same ``RenderOptions``; a renderer reads only the
options it understands (``color`` means nothing to SARIF).
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # pragma: no cover
    from critic.model import Report
    from critic.registry import RulePack

#: Format name -> the module that renders it.
FORMATS: dict[str, str] = {
    "text": "critic.report.text",
    "json": "critic.report.json_report",
    "sarif": "critic.report.sarif",
    "github": "critic.report.github",
}


@dataclass(frozen=True)
class RenderOptions:
    """What a renderer may be told besides the report itself."""

    color: bool = False  # text: ANSI colours (decided by the caller: TTY, NO_COLOR, FORCE_COLOR)
    quiet: bool = False  # text: only the verdict line (and what could not be checked)
    statistics: bool = False  # text: counts per rule id instead of every finding
    pack: "RulePack | None" = None  # sarif: rule documentation (default: the installed pack)


def renderer(name: str) -> "Callable[[Report, RenderOptions | None], str]":
    """The ``render`` function of a format; ValueError for an unknown name."""
    try:
        module = FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; known: {', '.join(FORMATS)}") from None
    return import_module(module).render
