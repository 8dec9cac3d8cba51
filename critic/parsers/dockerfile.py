"""critic's own Dockerfile parser: text in, a frozen tree of instructions, stages and comments out.

It follows BuildKit's Dockerfile frontend (the reference at docs.docker.com/reference/dockerfile):
parser directives only at the very top, the escape character (backslash or backtick) continuing a
line, comment and empty lines inside a continued instruction skipped, heredocs on RUN/COPY/ADD
(and ONBUILD of those), exec (JSON) form, leading ``--flag=value`` options, ``FROM ... AS name``.

It never raises on any text: problems come back as ``ParseError`` values in ``Dockerfile.errors``
and the instructions are still returned. Every pass is linear in the size of the text.

Deliberate differences from BuildKit, for critique rather than building:

* Continued lines are joined with exactly one space where the continuation was (BuildKit glues
  them with no separator, keeping the indentation); each joined piece is stripped.
* ``\\r\\n`` and a lone ``\\r`` both end a line (as critic's text decoder does).
* A ``<<-`` heredoc body has its leading tabs already stripped (what the shell or the copied file
  sees); ``Heredoc.body`` keeps every line's ``\\n``, like BuildKit's content.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

KNOWN_KEYWORDS: frozenset[str] = frozenset(
    {
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY",
        "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL",
        "HEALTHCHECK", "SHELL",
    }
)
#: Instructions whose arguments may be a JSON list of strings.
JSON_KEYWORDS: frozenset[str] = frozenset(
    {"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"}
)
#: Instructions that may carry heredocs (BuildKit's heredocDirectives).
HEREDOC_KEYWORDS: frozenset[str] = frozenset({"RUN", "COPY", "ADD"})
#: The parser directives BuildKit knows; any other ``# key=value`` ends the directive block.
KNOWN_DIRECTIVES: frozenset[str] = frozenset({"syntax", "escape", "check"})

# BuildKit: ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ with Go's ASCII \s. The value is
# trimmed in code rather than by a lazy group, which backtracks quadratically on long blank runs.
_DIRECTIVE_RE = re.compile(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=(.+)\Z")
_GO_SPACE = "\t\n\f\r "
# BuildKit splits the keyword from its arguments on [\t\v\f\r ]+.
_SPLIT_WS_RE = re.compile(r"[\t\v\f\r ]+")
# BuildKit: ^(\d*)<<(-?)([^<]*)$ applied to each raw shell word.
_HEREDOC_RE = re.compile(r"([0-9]*)<<(-?)([^<]*)\Z")
_FLAG_SPACE = " \t\n\v\f\r"


@dataclass(frozen=True, slots=True)
class Heredoc:
    delimiter: str  # the word that ends the body, quotes removed ("EOF" for <<"EOF")
    body: str  # the body lines, each with its "\n"; leading tabs stripped for <<-
    line: int  # first body line
    end_line: int  # line of the closing delimiter (last line of the file if unterminated)


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str  # upper-cased
    arguments: str  # raw text after the keyword, continuations joined by one space
    line: int  # 1-based first physical line
    end_line: int  # last physical line, heredoc bodies included
    column: int  # 1-based column of the keyword
    json_form: tuple[str, ...] | None  # exec form, else None
    flags: tuple[tuple[str, str], ...]  # leading --name=value options, name without "--"
    heredocs: tuple[Heredoc, ...]
    stage: int  # 0-based stage index, -1 before the first FROM


@dataclass(frozen=True, slots=True)
class Stage:
    index: int
    image: str  # as written, after the flags
    name: str | None  # lower-cased AS name
    line: int  # line of the FROM
    platform: str | None  # value of --platform


@dataclass(frozen=True, slots=True)
class Comment:
    text: str  # without the leading '#', stripped
    line: int


@dataclass(frozen=True, slots=True)
class ParseError:
    message: str
    line: int


@dataclass(frozen=True, slots=True)
class Dockerfile:
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    comments: tuple[Comment, ...]  # every comment line, not the parser directives
    directives: tuple[tuple[str, str], ...]  # lower-cased keys, in file order
    escape: str  # "\\" or "`"
    errors: tuple[ParseError, ...]

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_instructions(self, index: int) -> tuple[Instruction, ...]:
        return tuple(ins for ins in self.instructions if ins.stage == index)


# ---------------------------------------------------------------------------------------------
# small lexers


def _extract_flags(text: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """Leading ``--name[=value]`` words, and the text after them (BuildKit's extractBuilderFlags).

    Quotes inside a flag word are removed and ``\\`` escapes the next character. A bare ``--``
    ends the flags and is dropped.
    """
    flags: list[tuple[str, str]] = []
    n = len(text)
    pos = 0
    while True:
        while pos < n and text[pos] in _FLAG_SPACE:
            pos += 1
        if pos + 1 >= n or text[pos] != "-" or text[pos + 1] != "-":
            return tuple(flags), text[pos:]
        chars: list[str] = []
        quote = ""
        while pos < n:
            ch = text[pos]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\" and pos + 1 < n:
                    pos += 1
                    chars.append(text[pos])
                elif ch != "\\":
                    chars.append(ch)
            elif ch in _FLAG_SPACE:
                break
            elif ch in "'\"":
                quote = ch
            elif ch == "\\":
                if pos + 1 < n:
                    pos += 1
                    chars.append(text[pos])
            else:
                chars.append(ch)
            pos += 1
        word = "".join(chars)
        if word == "--":
            while pos < n and text[pos] in _FLAG_SPACE:
                pos += 1
            return tuple(flags), text[pos:]
        body = word.removeprefix("--")
        name, sep, value = body.partition("=")
        flags.append((name, value if sep else ""))


def _raw_words(text: str, escape: str = "\\") -> list[str]:
    """Split on unquoted whitespace, keeping quotes and escapes in the words (a shell's raw words)."""
    words: list[str] = []
    chars: list[str] = []
    in_word = False
    quote = ""
    n = len(text)
    pos = 0
    while pos < n:
        ch = text[pos]
        if quote:
            chars.append(ch)
            if ch == quote:
                quote = ""
            elif ch == escape and quote == '"' and pos + 1 < n:
                pos += 1
                chars.append(text[pos])
        elif ch in _FLAG_SPACE:
            if in_word:
                words.append("".join(chars))
                chars = []
                in_word = False
        else:
            in_word = True
            chars.append(ch)
            if ch in "'\"":
                quote = ch
            elif ch == escape and pos + 1 < n:
                pos += 1
                chars.append(text[pos])
        pos += 1
    if in_word:
        words.append("".join(chars))
    return words


def _unquote(word: str, escape: str = "\\") -> str:
    """Remove shell quoting from one raw word: quotes go, escapes are resolved."""
    out: list[str] = []
    quote = ""
    n = len(word)
    pos = 0
    while pos < n:
        ch = word[pos]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                out.append(ch)
        elif quote == '"':
            if ch == '"':
                quote = ""
            elif ch == escape and pos + 1 < n and word[pos + 1] in ('"', "$", escape):
                pos += 1
                out.append(word[pos])
            else:
                out.append(ch)
        elif ch in "'\"":
            quote = ch
        elif ch == escape:
            if pos + 1 < n:
                pos += 1
                out.append(word[pos])
        else:
            out.append(ch)
        pos += 1
    return "".join(out)


def _json_list(text: str) -> tuple[str, ...] | None:
    """The strings of a JSON list, or None when ``text`` is not a JSON list of strings."""
    text = text.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurd nesting; not exec form
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    return tuple(value)


def _split_keyword(text: str) -> tuple[str, str]:
    parts = _SPLIT_WS_RE.split(text, maxsplit=1)
    return parts[0], (parts[1].strip() if len(parts) > 1 else "")


def _json_form(keyword: str, rest: str) -> tuple[str, ...] | None:
    if keyword in JSON_KEYWORDS:
        return _json_list(rest)
    if keyword == "HEALTHCHECK":
        kind, command = _split_keyword(rest.strip())
        if kind.upper() == "CMD":
            return _json_list(command)
    return None


def _heredoc_words(arguments: str) -> list[tuple[str, bool]]:
    """(delimiter, chomp) for each heredoc word in the arguments (BuildKit's heredocsFromLine)."""
    found: list[tuple[str, bool]] = []
    if "<<" not in arguments:
        return found
    for word in _raw_words(arguments):
        match = _HEREDOC_RE.match(word)
        if match is None or not match.group(3):
            continue
        name = _unquote(match.group(3))
        if name:
            found.append((name, match.group(2) == "-"))
    return found


def _may_have_heredocs(keyword: str, rest: str, json_form: tuple[str, ...] | None) -> bool:
    if keyword in HEREDOC_KEYWORDS:
        return json_form is None
    if keyword == "ONBUILD":
        sub_keyword, sub_arguments = _split_keyword(rest.strip())
        sub_keyword = sub_keyword.upper()
        if sub_keyword not in HEREDOC_KEYWORDS:
            return False
        _, sub_rest = _extract_flags(sub_arguments)
        return _json_form(sub_keyword, sub_rest) is None
    return False


def _continues(line: str, escape: str) -> tuple[str, bool]:
    """The line without a trailing escape character, and whether it had one (spaces/tabs after it ok)."""
    trimmed = line.rstrip(" \t")
    if trimmed.endswith(escape):
        return trimmed[:-1], True
    return line, False


# ---------------------------------------------------------------------------------------------
# the parser


def parse_dockerfile(text: str) -> Dockerfile:
    """Parse Dockerfile text. Never raises; problems are in the result's ``errors``."""
    try:
        return _parse(text)
    except Exception as exc:  # noqa: BLE001  # pragma: no cover - bug guard: must never raise
        return Dockerfile((), (), (), (), "\\", (ParseError(f"internal parser error: {exc!r}", 1),))


def _parse(text: str) -> Dockerfile:
    if not isinstance(text, str):
        text = str(text)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the text's final newline does not start another line
    total = len(lines)

    errors: list[ParseError] = []
    comments: list[Comment] = []
    directives: list[tuple[str, str]] = []
    escape = "\\"

    # Parser directives: only at the very top; any other line ends them.
    i = 0
    seen: set[str] = set()
    while i < total:
        match = _DIRECTIVE_RE.match(lines[i].lstrip())
        if match is None:
            break
        key = match.group(1).lower()
        if key not in KNOWN_DIRECTIVES:
            break  # an unknown directive is a comment, and ends the directive block
        raw_value = match.group(2)
        value = raw_value.strip(_GO_SPACE) or raw_value[-1:]  # "= " alone: Go's (.+?) takes one blank
        if key in seen:
            errors.append(ParseError(f"only one {key} parser directive can be used", i + 1))
        else:
            seen.add(key)
            directives.append((key, value))
            if key == "escape":
                if value in ("\\", "`"):
                    escape = value
                else:
                    errors.append(ParseError(f"invalid escape token {value!r} does not match ` or \\", i + 1))
        i += 1

    instructions: list[Instruction] = []
    stages: list[Stage] = []
    stage = -1

    while i < total:
        raw = lines[i]
        content = raw.lstrip()
        if not content:
            i += 1
            continue
        if content.startswith("#"):
            comments.append(Comment(content[1:].strip(), i + 1))
            i += 1
            continue

        # One instruction: its first physical line, then any continued lines.
        start = i
        column = len(raw) - len(content) + 1
        piece, more = _continues(content, escape)
        pieces = [piece.strip()]
        last = i
        i += 1
        while more:
            if i >= total:
                errors.append(ParseError("line continuation at end of file", last + 1))
                break
            raw = lines[i]
            content = raw.lstrip()
            if content.startswith("#"):
                comments.append(Comment(content[1:].strip(), i + 1))
                i += 1
                continue
            if not content:  # empty continuation line: skipped, as BuildKit does
                i += 1
                continue
            piece, more = _continues(content, escape)
            pieces.append(piece.strip())
            last = i
            i += 1
        joined = " ".join(p for p in pieces if p)
        if not joined:
            continue  # only escape characters: nothing to report beyond a possible EOF error

        word, arguments = _split_keyword(joined)
        keyword = word.upper()
        line_no = start + 1
        if keyword not in KNOWN_KEYWORDS:
            errors.append(ParseError(f"unknown instruction: {keyword}", line_no))
        flags, rest = _extract_flags(arguments)
        json_form = _json_form(keyword, rest)

        heredocs: list[Heredoc] = []
        end = last + 1
        if _may_have_heredocs(keyword, rest, json_form):
            for delimiter, chomp in _heredoc_words(arguments):
                body_start = i
                body: list[str] = []
                terminated = False
                while i < total:
                    candidate = lines[i]
                    if chomp:
                        candidate = candidate.lstrip("\t")
                    i += 1
                    if candidate == delimiter:
                        terminated = True
                        break
                    body.append(candidate + "\n")
                if terminated:
                    end = i
                else:
                    end = max(total, end)
                    errors.append(ParseError(f"unterminated heredoc {delimiter!r}", line_no))
                heredocs.append(Heredoc(delimiter, "".join(body), min(body_start + 1, max(end, 1)), end))

        if keyword == "FROM":
            stage += 1
            stages.append(_stage(stage, flags, rest, line_no, errors))
        instructions.append(
            Instruction(keyword, arguments, line_no, end, column, json_form, flags, tuple(heredocs), stage)
        )

    if instructions and not stages:
        errors.append(ParseError("no FROM instruction", instructions[0].line))

    return Dockerfile(
        tuple(instructions), tuple(stages), tuple(comments), tuple(directives), escape, tuple(errors)
    )


def _stage(index: int, flags: tuple[tuple[str, str], ...], rest: str, line: int, errors: list[ParseError]) -> Stage:
    words = rest.split()
    image = words[0] if words else ""
    name: str | None = None
    if len(words) == 3 and words[1].lower() == "as":
        name = words[2].lower()
    elif len(words) != 1:
        errors.append(ParseError("FROM requires either one or three arguments (image [AS name])", line))
    platform: str | None = None
    for flag, value in flags:
        if flag == "platform":
            platform = value
    return Stage(index, image, name, line, platform)


# ---------------------------------------------------------------------------------------------
# helpers for the rule layer


def key_values(instruction: Instruction, escape: str = "\\") -> tuple[tuple[str, str | None], ...]:
    """The name/value pairs of an ENV, LABEL or ARG instruction, quotes removed.

    ``ENV A=1 B="two words"`` -> (("A", "1"), ("B", "two words")); the legacy ``ENV A 1 2``
    -> (("A", "1 2")); ``ARG NAME`` -> (("NAME", None)); ``ARG NAME=x`` -> (("NAME", "x")).
    An ENV/LABEL name with no value gives "". Any other instruction gives ().
    Pass the file's ``Dockerfile.escape`` when it uses the backtick.
    """
    keyword = instruction.keyword
    if keyword not in ("ENV", "LABEL", "ARG"):
        return ()
    try:
        _, rest = _extract_flags(instruction.arguments)
        words = _raw_words(rest, escape)
        if not words:
            return ()
        pairs: list[tuple[str, str | None]] = []
        if keyword != "ARG" and "=" not in words[0]:
            # legacy form: the first word is the name, everything after it is the value
            name, value = _split_keyword(rest.strip())
            return ((_unquote(name, escape), _unquote(value, escape)),)
        for word in words:
            name, sep, value = word.partition("=")
            if sep:
                pairs.append((_unquote(name, escape), _unquote(value, escape)))
            else:
                pairs.append((_unquote(name, escape), None if keyword == "ARG" else ""))
        return tuple(pairs)
    except Exception:  # noqa: BLE001  # pragma: no cover - helpers must not raise either
        return ()
