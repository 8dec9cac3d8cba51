"""Parsing Python with libcst, with syntax errors returned as data."""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True, slots=True)
class PythonParse:
    module: cst.Module | None
    error: str = ""
    line: int = 1
    column: int = 1


def parse_python(text: str) -> PythonParse:
    try:
        return PythonParse(cst.parse_module(text))
    except cst.ParserSyntaxError as exc:
        return PythonParse(None, f"syntax error: {exc.message}", exc.raw_line, exc.raw_column + 1)
    except RecursionError:
        return PythonParse(None, "nesting too deep for the parser")
    except Exception as exc:  # libcst's native parser can raise other errors on hostile input
        return PythonParse(None, f"cannot parse: {type(exc).__name__}: {exc}")
