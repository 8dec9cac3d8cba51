"""Parsing Python with libcst, with syntax errors returned as data."""
from __future__ import annotations

import ast
import warnings
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
        located = _locate(text)
        if located is not None:
            return located
        return PythonParse(None, f"syntax error: {exc.message}", max(1, exc.editor_line), max(1, exc.editor_column))
    except RecursionError:
        return PythonParse(None, "nesting too deep for the parser")
    except Exception as exc:  # libcst's native parser can raise other errors on hostile input
        return PythonParse(None, f"cannot parse: {type(exc).__name__}: {exc}")


def _locate(text: str) -> PythonParse | None:
    """CPython's parser places syntax errors better than libcst's: ask it (parse only, never run)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as exc:
        return PythonParse(None, f"syntax error: {exc.msg}", max(1, exc.lineno or 1), max(1, exc.offset or 1))
    except (RecursionError, MemoryError, ValueError):
        return None
    return None
