"""Turning a file's bytes into text, or saying clearly why that cannot be done."""
from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

#: Files larger than this are reported, not parsed (generated 20 MB modules exist).
DEFAULT_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str | None
    problem: str = ""  # why text is None


def decode(data: bytes, *, python: bool = False, max_bytes: int = DEFAULT_MAX_BYTES) -> Decoded:
    """Decode a source file: UTF-8 (with or without BOM), or a Python file's PEP 263 coding."""
    if len(data) > max_bytes:
        return Decoded(None, f"file is {len(data):,} bytes, over the {max_bytes:,}-byte limit; not checked")
    if b"\x00" in data:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # UTF-32 BOMs start alike
            return Decoded(None, "file is UTF-16/UTF-32 text (byte-order mark), not UTF-8; save it as UTF-8")
        return Decoded(None, "file contains NUL bytes: binary, not source text")
    encoding = "utf-8"
    if python:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            if "missing encoding declaration" not in str(exc):  # an unknown or contradictory coding
                return Decoded(None, f"bad encoding declaration: {exc}")
            # no declaration and a first line that is not UTF-8: say where, below
            encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        where = ""
        if isinstance(exc, UnicodeDecodeError):
            where = " at line %d" % (data[: exc.start].count(b"\n") + 1)
        return Decoded(None, f"not valid {encoding}{where} ({reason}); declare the encoding or save as UTF-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    return Decoded(text.replace("\r\n", "\n").replace("\r", "\n"))


#: The line breaks Python and Dockerfiles count ("\r\n", "\r", "\n"), and those YAML 1.1 counts
#: besides (libyaml and PyYAML alike). decode() already turned "\r\n" and "\r" into "\n"; text
#: handed to the passes some other way may still hold them.
_BREAKS = re.compile("\r\n|[\r\n]")
_YAML_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def split_lines(text: str, yaml: bool = False) -> list[str]:
    """The physical lines of decoded ``text``, numbered as its parser numbers them.

    Never ``str.splitlines()``: it also breaks at form feeds, vertical tabs, \\x1c-\\x1e,
    \\x85 and U+2028/U+2029, which Python, Dockerfiles and (except the last three) YAML do
    not. One such character would shift every later line against the findings' line numbers,
    so a snippet would show another line than the one reported, and a secret on that line
    would be printed unmasked (its mask is placed by line number).
    """
    lines = (_YAML_BREAKS if yaml else _BREAKS).split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def is_yaml_name(name: str) -> bool:
    return name.endswith((".yml", ".yaml"))


def read_lines(path: Path) -> list[str] | None:
    """A file's lines as the native pass numbered them: its encoding declaration, BOM and line
    ends honoured, bytes that do not decode replaced (a snippet, never a parse). None when it
    cannot be read."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    decoded = decode(data, python=path.name.endswith(".py"), max_bytes=len(data))
    text = decoded.text
    if text is None:
        text = data.decode("utf-8", errors="replace").removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return split_lines(text, yaml=is_yaml_name(path.name))
