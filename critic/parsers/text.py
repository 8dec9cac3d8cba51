"""Turning a file's bytes into text, or saying clearly why that cannot be done."""
from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass

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
        return Decoded(None, "file contains NUL bytes: binary, not source text")
    encoding = "utf-8"
    if python:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            return Decoded(None, f"bad encoding declaration: {exc}")
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
