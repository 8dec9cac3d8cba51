"""What the Dockerfile rules share: image references, ARG substitution, the stage graph, and a
small shell lexer for RUN commands (shell form, exec form and heredoc bodies).

Everything here is syntactic and linear in the size of the text; nothing is ever executed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from critic.model import Span
from critic.parsers.dockerfile import Dockerfile, Instruction, key_values

# --------------------------------------------------------------------------- variables
_VAR = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?(?P<odd>[^}]*)\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


def substitute(text: str, variables: Mapping[str, str | None]) -> str | None:
    """``text`` with ``$VAR``/``${VAR}``/``${VAR:-word}``/``${VAR:+word}`` replaced from
    ``variables`` (a value of None means "declared, no default"), or None when any
    variable cannot be resolved from what the file itself says."""
    if "$" not in text:
        return text
    unresolved = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unresolved
        name = match.group("braced") or match.group("plain")
        if match.group("odd"):
            unresolved = True  # ${VAR%%x}, ${VAR/a/b}...: not worth emulating
            return ""
        value = variables.get(name)
        op = match.group("op")
        word = match.group("word") or ""
        if op in (":-", "-"):
            if value is None or (op == ":-" and value == ""):
                inner = substitute(word, variables)
                if inner is None:
                    unresolved = True
                    return ""
                return inner
            return value
        if op in (":+", "+"):
            if value is None:
                if name in variables:  # declared without default: passed at build time or not
                    unresolved = True
                return ""
            if op == ":+" and value == "":
                return ""
            inner = substitute(word, variables)
            if inner is None:
                unresolved = True
                return ""
            return inner
        if value is None:
            unresolved = True
            return ""
        return value

    out = _VAR.sub(replace, text)
    return None if unresolved else out


def has_variable(text: str) -> bool:
    return _VAR.search(text) is not None


def global_args(dockerfile: Dockerfile) -> dict[str, str | None]:
    """The ARGs declared before the first FROM (the only ones FROM lines may use)."""
    found: dict[str, str | None] = {}
    for ins in dockerfile.instructions:
        if ins.stage >= 0:
            break
        if ins.keyword == "ARG":
            for name, value in key_values(ins, dockerfile.escape):
                if value is not None:
                    value = substitute(value, found)
                found[name] = value
    return found


# --------------------------------------------------------------------------- images
@dataclass(frozen=True, slots=True)
class ImageRef:
    text: str
    repository: str  # everything before the tag/digest, lower-cased ("docker.io/library/python")
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """The last path component of the repository ("python" for "docker.io/library/python")."""
        return self.repository.rsplit("/", 1)[-1]

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.repository.split("/"))


def parse_image(text: str) -> ImageRef:
    ref = text.strip()
    digest: str | None = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    last = ref.rsplit("/", 1)[-1]
    tag: str | None = None
    repository = ref
    if ":" in last:
        base, tag = last.split(":", 1)
        repository = ref[: len(ref) - len(last)] + base
    return ImageRef(text.strip(), repository.lower(), tag, digest)


# --------------------------------------------------------------------------- stages
@dataclass(frozen=True, slots=True)
class StageBase:
    index: int
    line: int  # the FROM line
    image: str | None  # the FROM image after ARG substitution; None when it cannot be resolved
    parent: int | None  # the earlier stage this one builds on (FROM <stage name>)


def stage_bases(dockerfile: Dockerfile) -> list[StageBase]:
    args = global_args(dockerfile)
    names: dict[str, int] = {}
    out: list[StageBase] = []
    for stage in dockerfile.stages:
        image = substitute(stage.image, args)
        parent = names.get(image.lower()) if image is not None else None
        out.append(StageBase(stage.index, stage.line, image, parent))
        if stage.name:
            names.setdefault(stage.name.lower(), stage.index)
    return out


def lineage(bases: Sequence[StageBase], index: int) -> list[int]:
    """``index`` and the stages it builds on, nearest first (cycle-safe)."""
    chain: list[int] = []
    current: int | None = index
    while current is not None and 0 <= current < len(bases) and current not in chain:
        chain.append(current)
        current = bases[current].parent
    return chain


def root_image(bases: Sequence[StageBase], index: int) -> StageBase | None:
    """The stage of ``index``'s lineage that names an external image."""
    chain = lineage(bases, index)
    return bases[chain[-1]] if chain else None


def from_instruction(dockerfile: Dockerfile, index: int) -> Instruction:
    """The FROM instruction that opens stage ``index``."""
    for ins in dockerfile.instructions:
        if ins.keyword == "FROM" and ins.stage == index:
            return ins
    raise LookupError(index)  # every stage comes from a FROM


def stage_index_of(reference: str, dockerfile: Dockerfile, before: int) -> int | None:
    """The stage a ``--from=`` value names (a stage name or index) among stages before ``before``."""
    ref = reference.strip().lower()
    if ref.isdigit():
        number = int(ref)
        return number if number < before else None
    for stage in dockerfile.stages[:before]:
        if stage.name == ref:
            return stage.index
    return None


def flag_values(instruction: Instruction, name: str) -> list[str]:
    return [value for flag, value in instruction.flags if flag == name]


def mounts(instruction: Instruction) -> list[dict[str, str]]:
    """The ``--mount=`` options of a RUN, each as a dict (``type`` defaults to bind)."""
    out = []
    for value in flag_values(instruction, "mount"):
        options: dict[str, str] = {}
        for part in value.split(","):
            key, sep, val = part.partition("=")
            options[key.strip().lower()] = val.strip() if sep else "true"
        if "dst" in options and "target" not in options:
            options["target"] = options["dst"]
        if "destination" in options and "target" not in options:
            options["target"] = options["destination"]
        options.setdefault("type", "bind")
        out.append(options)
    return out


def strip_flags(text: str) -> str:
    """The arguments of an instruction without its leading ``--flag`` words."""
    rest = text.lstrip()
    while rest.startswith("--"):
        match = re.match(r"(?:[^\s\"']|\"[^\"]*\"|'[^']*')*", rest)
        end = match.end() if match else len(rest)
        if rest[:end] == "--":
            return rest[end:].lstrip()
        rest = rest[max(end, 2) :].lstrip()
    return rest


def copy_sources(instruction: Instruction) -> list[str]:
    """The sources of a COPY/ADD (every argument but the destination); heredoc sources omitted."""
    if instruction.json_form is not None:
        words = list(instruction.json_form)
    else:
        words = strip_flags(instruction.arguments).split()
    if len(words) < 2:
        return []
    heredocs = {h.delimiter for h in instruction.heredocs}
    return [w for w in words[:-1] if not (w.startswith("<<") and w.lstrip("<-").strip("'\"") in heredocs)]


# --------------------------------------------------------------------------- shell
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PREFIX_WORDS = frozenset({"then", "do", "else", "if", "elif", "while", "until", "!", "{", "}", "time", "exec", "command", "nohup", "nice"})
_HEREDOC_WORD = re.compile(r"^[0-9]*<<-?")


@dataclass(frozen=True, slots=True)
class Command:
    words: tuple[str, ...]  # the program first; env assignments and sudo/env prefixes removed
    assigns: tuple[str, ...] = ()  # NAME=value words that prefixed it

    @property
    def program(self) -> str:
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""


def split_commands(script: str) -> list[list[str]]:
    """Simple commands of a shell script as lists of unquoted words.

    Splits on ``&&``, ``||``, ``;``, ``|``, ``&``, newlines and parentheses; removes quotes,
    joins backslash-newline continuations, drops comments. Not a full shell, but it never
    mistakes quoted text for a command separator.
    """
    commands: list[list[str]] = []
    current: list[str] = []
    word: list[str] = []
    in_word = False
    i = 0
    n = len(script)

    def end_word() -> None:
        nonlocal word, in_word
        if in_word:
            current.append("".join(word))
        word = []
        in_word = False

    def end_command() -> None:
        nonlocal current
        end_word()
        if current:
            commands.append(current)
        current = []

    while i < n:
        c = script[i]
        if c == "\\" and i + 1 < n:
            if script[i + 1] == "\n":
                i += 2
                continue
            word.append(script[i + 1])
            in_word = True
            i += 2
            continue
        if c == "'":
            j = script.find("'", i + 1)
            j = n if j < 0 else j
            word.append(script[i + 1 : j])
            in_word = True
            i = j + 1
            continue
        if c == '"':
            j = i + 1
            buf: list[str] = []
            while j < n and script[j] != '"':
                if script[j] == "\\" and j + 1 < n and script[j + 1] in '"\\$`\n':
                    if script[j + 1] != "\n":
                        buf.append(script[j + 1])
                    j += 2
                    continue
                buf.append(script[j])
                j += 1
            word.append("".join(buf))
            in_word = True
            i = j + 1
            continue
        if c == "#" and not in_word:
            j = script.find("\n", i)
            i = n if j < 0 else j
            continue
        if c in " \t\r\v\f":
            end_word()
            i += 1
            continue
        if c == "&" and ((i > 0 and script[i - 1] in "<>") or (i + 1 < n and script[i + 1] == ">")):
            word.append(c)  # 2>&1, &>file: a redirection, not a separator
            in_word = True
            i += 1
            continue
        if c == "(" and word and word[-1].endswith("$"):
            word.append(c)
            in_word = True
            i += 1
            continue
        if c in "\n;&|()":
            end_command()
            i += 1
            continue
        word.append(c)
        in_word = True
        i += 1
    end_command()
    return commands


def _command(words: list[str]) -> Command | None:
    assigns: list[str] = []
    rest = list(words)
    while rest:
        head = rest[0]
        if _ASSIGNMENT.match(head):
            assigns.append(rest.pop(0))
        elif head in _PREFIX_WORDS:
            rest.pop(0)
        elif head in ("sudo", "env"):
            rest.pop(0)
            while rest and rest[0].startswith("-"):
                option = rest.pop(0)
                if head == "sudo" and option in ("-u", "-g") and rest:
                    rest.pop(0)
        else:
            break
    if not rest:
        return None
    return Command(tuple(rest), tuple(assigns))


def _is_shell(words: Sequence[str]) -> bool:
    return bool(words) and words[0].rsplit("/", 1)[-1] in SHELLS


def run_scripts(instruction: Instruction) -> list[str]:
    """The shell texts a RUN executes: its command line and any heredoc run as a script."""
    if instruction.json_form is not None:
        words = list(instruction.json_form)
        if _is_shell(words) and "-c" in words[1:]:
            at = words.index("-c", 1)
            return [words[at + 1]] if at + 1 < len(words) else []
        return []
    line = strip_flags(instruction.arguments)
    scripts = [line]
    if instruction.heredocs:
        head = [w for w in line.split() if not _HEREDOC_WORD.match(w)]
        # RUN <<EOF (the default shell runs the body) or RUN bash -e <<EOF; not RUN cat <<EOF > f
        body_is_script = not head or _is_shell(head) or head[0].startswith((">", "<", "1>", "2>"))
        if body_is_script:
            for heredoc in instruction.heredocs:
                first = heredoc.body.split("\n", 1)[0]
                if first.startswith("#!") and not any(s in first for s in SHELLS):
                    continue  # a python (or other) script
                scripts.append(heredoc.body)
        scripts[0] = " ".join(w for w in line.split() if not _HEREDOC_WORD.match(w))
    return scripts


def run_commands(instruction: Instruction) -> list[Command]:
    """Every simple command a RUN executes, exec form included."""
    if instruction.json_form is not None:
        words = list(instruction.json_form)
        if not (_is_shell(words) and "-c" in words[1:]):
            command = _command(words)
            return [command] if command else []
    out: list[Command] = []
    for script in run_scripts(instruction):
        for words in split_commands(script):
            command = _command(words)
            if command is None:
                continue
            # sh -c "pip install x" inside a script: look one level in
            if _is_shell(command.words) and "-c" in command.words[1:]:
                at = command.words.index("-c", 1)
                if at + 1 < len(command.words):
                    for inner in split_commands(command.words[at + 1]):
                        sub = _command(inner)
                        if sub:
                            out.append(sub)
                    continue
            out.append(command)
    return out


_PIP = re.compile(r"^pip(?:[0-9]+(?:\.[0-9]+)?)?$")
_PYTHON = re.compile(r"^python(?:[0-9]+(?:\.[0-9]+)?)?$")


def pip_args(command: Command) -> tuple[str, ...] | None:
    """The words after ``pip ... <subcommand>`` when the command runs pip (not ``uv pip``),
    starting with the subcommand; None otherwise."""
    words = command.words
    program = command.program
    if _PIP.match(program):
        start = 1
    elif _PYTHON.match(program):
        try:
            at = words.index("-m", 1)
        except ValueError:
            return None
        if at + 1 >= len(words) or not _PIP.match(words[at + 1]):
            return None
        start = at + 2
    else:
        return None
    rest = words[start:]
    for index, word in enumerate(rest):
        if not word.startswith("-"):
            return tuple(rest[index:])
    return None


def subcommand(command: Command, valued: Iterable[str] = ()) -> tuple[str, tuple[str, ...]]:
    """The first non-option word after the program and the words after it.
    ``valued`` options take the next word as their value."""
    takes_value = set(valued)
    words = command.words[1:]
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("-"):
            index += 2 if word in takes_value else 1
            continue
        return word, tuple(words[index + 1 :])
    return "", ()


def secret_value_spans(
    lines: Sequence[str], instruction: Instruction, names: Iterable[str], legacy: bool = False
) -> tuple[Span, ...]:
    """Spans that cover the values of ``names`` in an ENV/ARG instruction's physical lines.

    When a value cannot be located, every line of the instruction is masked whole: a wider
    mask is always safe, a narrower one never is.
    """
    whole = tuple(Span(n, 1, 10**6) for n in range(instruction.line, instruction.end_line + 1))
    if not lines or instruction.end_line > len(lines):
        return whole
    spans: list[Span] = []
    for name in names:
        found = _value_span(lines, instruction, name, legacy)
        if found is None:
            return whole
        spans.extend(found)
    return tuple(spans)


def _value_span(lines: Sequence[str], instruction: Instruction, name: str, legacy: bool) -> list[Span] | None:
    pattern = re.compile(r"(?:^|(?<=[\s\"']))" + re.escape(name) + (r"[\"']?\s+" if legacy else r"[\"']?="))
    hits = []
    for number in range(instruction.line, instruction.end_line + 1):
        text = lines[number - 1]
        start = instruction.column - 1 + len(instruction.keyword) if number == instruction.line else 0
        hits.extend((number, text, match) for match in pattern.finditer(text, start))
    if len(hits) != 1:
        return None  # not found, or ambiguous (the name also appears inside another value)
    for number, text, match in hits:
        begin = match.end()
        if legacy:  # the value runs to the end of the instruction
            return [Span(number, begin + 1, 10**6)] + [Span(n, 1, 10**6) for n in range(number + 1, instruction.end_line + 1)]
        end = _token_end(text, begin)
        if end is None:  # a quoted value that continues on the next line
            return [Span(number, begin + 1, 10**6)] + [Span(n, 1, 10**6) for n in range(number + 1, instruction.end_line + 1)]
        return [Span(number, begin + 1, max(end, begin + 1) + 1)]
    return None


def _token_end(text: str, begin: int) -> int | None:
    """Index just past the raw shell word starting at ``begin`` (None if a quote is left open)."""
    quote = ""
    i = begin
    n = len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == quote:
                quote = ""
            elif c == "\\" and quote == '"':
                i += 1
        elif c in "'\"":
            quote = c
        elif c == "\\":
            i += 1
        elif c in " \t":
            break
        i += 1
    if quote:
        return None
    return min(i, n)
