"""Parsing Python with libcst, with syntax errors returned as data.

libcst's native parser recurses without a limit: a few thousand levels of nesting (a chain
``a and a and ...``, ``x[0][0]...``, ``((((...))))``, a long ``elif`` ladder) overflow the C
stack and kill the process with SIGSEGV, and a few hundred levels of some chains take minutes
(its PEG parser is superlinear in the depth). Neither can be caught or interrupted, so a
cheap lexical bound on the nesting (``nesting``) is checked first, and text beyond
``MAX_NESTING`` is reported as unparsable instead of handed to libcst. Real code stays far
below the limit (the deepest file of a large site-packages estimates at about 220).
"""
from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

import libcst as cst

#: The largest nesting estimate handed to libcst (see ``nesting``).
MAX_NESTING = 500


@dataclass(frozen=True, slots=True)
class PythonParse:
    module: cst.Module | None
    error: str = ""
    line: int = 1
    column: int = 1


def parse_python(text: str) -> PythonParse:
    depth, line = nesting(text, MAX_NESTING)
    if depth > MAX_NESTING:
        return PythonParse(
            None,
            f"nesting deeper than critic's parser limit of {MAX_NESTING} levels at line {line}; "
            "not parsed, not checked (split the expression or the elif ladder)",
            line,
        )
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


#: A string that never closes runs to the end of its line (or of the file, for a triple-quoted
#: one) as one token, as CPython's tokenizer reads it: retrying it at every later quote would
#: make the scan quadratic on a line of stray quotes.
_LEX = re.compile(
    r"""
     (?P<s>(?P<prefix>[rRbBuUfF]{1,2})?(?:'''(?:[^\\]|\\.)*?(?:'''|\Z)|\"\"\"(?:[^\\]|\\.)*?(?:\"\"\"|\Z)|'(?:[^\\'\n]|\\.)*(?:'|(?=\n)|\Z)|"(?:[^\\"\n]|\\.)*(?:"|(?=\n)|\Z)))
    |(?P<c>\#[^\n]*)
    |(?P<o>[(\[{])
    |(?P<x>[)\]}])
    |(?P<p>[,;])
    |(?P<b>\\\n)
    |(?P<n>\n[ \t\f]*)
    |(?P<t>\w+|[^\s\w])
    """,
    re.X | re.S,
)
_FSTRING_PART = re.compile(r"\{\{|\}\}|[{}]|\w+|[^\s\w{}]")


def nesting(text: str, limit: int = MAX_NESTING) -> tuple[int, int]:
    """An upper estimate of how deep a parser must recurse into ``text``, and the line where it
    first passes ``limit`` (0 when it never does); stops counting there.

    Every level of syntax nesting costs at least one token of the same comma-separated item,
    so the estimate is, along the open brackets, the sum of the tokens of each enclosing item
    (a comma or a new logical line starts a new one), plus the ``elif`` ladders around (libcst
    nests each ``elif`` inside the one before), plus the indentation levels, plus the tokens
    inside f-string replacement fields. Flat data (a list of ten thousand items) stays low.
    """
    stack: list[int] = []  # the token count of each enclosing item, outermost first
    enclosing = 0  # sum(stack)
    count = 0  # tokens of the current item
    ladders: dict[int, int] = {}  # indentation -> elif count of the ladder at that indentation
    indents: list[int] = [0]
    around = 0  # elif ladders and indentation levels around the current statement
    start = True
    indent = 0
    best = 0
    for match in _LEX.finditer(text):
        kind = match.lastgroup
        if kind == "n":
            if not stack:
                count, start, indent = 0, True, match.end() - match.start() - 1
            continue
        if kind == "c" or kind == "b":
            continue
        if start:
            start = False
            while indent < indents[-1]:
                indents.pop()
            if indent > indents[-1]:
                indents.append(indent)
            word = match.group() if kind == "t" else ""
            if word == "elif":
                ladders[indent] = ladders.get(indent, 0) + 1
            elif word != "else":  # an else body sits inside the ladder too
                ladders[indent] = 0
            around = len(indents) + sum(v for k, v in ladders.items() if k <= indent)
        if kind == "o":
            count += 1
            stack.append(count)
            enclosing += count
            count = 0
        elif kind == "x":
            if stack:
                count = stack.pop()
                enclosing -= count
            count += 1
        elif kind == "p":
            count = 0
        elif kind == "s" and match.group("prefix") and "f" in match.group("prefix").lower():
            count += _fstring_weight(match.group())
        else:
            count += 1
        depth = enclosing + count + around
        if depth > best:
            best = depth
            if best > limit:
                return best, text.count("\n", 0, match.start()) + 1
    return best, 0


def _fstring_weight(literal: str) -> int:
    """1 + the tokens inside an f-string's replacement fields + how deep its braces go."""
    depth = deepest = inside = 0
    for part in _FSTRING_PART.finditer(literal):
        token = part.group()
        if token == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif token == "}":
            depth = max(0, depth - 1)
        elif depth and token not in ("{{", "}}"):
            inside += 1
    return 1 + inside + deepest
