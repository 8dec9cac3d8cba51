"""Position-preserving, bounded YAML loader for compose files and OpenAPI specs.

``load_yaml(text)`` returns a :class:`YamlDoc` whose tree of :class:`Node`
objects keeps the 1-based line/column of every node and of the key each
mapping value belongs to, plus every comment in the file.  It never raises.

How it works
------------
* Parsing uses PyYAML's safe machinery only: the libyaml event parser of
  ``yaml.CSafeLoader`` when PyYAML was built with libyaml, else the pure
  Python ``yaml.SafeLoader`` parser.  Nothing is ever constructed through a
  YAML constructor, so no tag can instantiate a Python object.
* The event stream is composed into ``Node`` objects by our own *iterative*
  composer instead of PyYAML's ``compose()``: the libyaml composer recurses
  in C and crashes the interpreter (segfault, not RecursionError) on deeply
  nested input, and the Python one raises RecursionError.  Composing from
  events also lets us keep lines for keys, report duplicate keys, resolve
  merge keys and bound alias expansion while building.
* Aliases share the target's ``Node`` objects (a shallow copy only when the
  key position differs), but every expansion is counted against
  ``max_alias_expansion`` and the expanded size against ``max_nodes``, so an
  alias bomb stops after a few hundred events.  Nesting depth (including
  depth reached through aliases) is bounded by ``max_depth``; parsing stops
  as soon as the limit is passed, which also keeps libyaml's quadratic cost
  on deep flow nesting small.
* Comments are not reported by PyYAML; they are found from the scanner's
  token stream: everything between tokens is whitespace or comments, and the
  only comment inside a token is the one on a block scalar's header line.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass
from typing import NamedTuple

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.tokens import (
    FlowMappingEndToken,
    FlowMappingStartToken,
    FlowSequenceEndToken,
    FlowSequenceStartToken,
    ScalarToken,
    StreamEndToken,
)

__all__ = ["Node", "YamlError", "YamlDoc", "load_yaml"]

# libyaml-backed safe loader when available, pure-Python SafeLoader otherwise.
# Only its parser/scanner (events, tokens) and resolver are used.
_LOADER = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

_TAG_PREFIX = "tag:yaml.org,2002:"
_NULL_TAG = _TAG_PREFIX + "null"
_BOOL_TAG = _TAG_PREFIX + "bool"
_INT_TAG = _TAG_PREFIX + "int"
_FLOAT_TAG = _TAG_PREFIX + "float"
_MERGE_TAG = _TAG_PREFIX + "merge"

_CONSTRUCTOR = SafeConstructor()  # only its int/float scalar helpers are used
_BOOL_VALUES = SafeConstructor.bool_values

# YAML 1.1 line breaks, as both libyaml and PyYAML count them.
_BREAK_RE = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_WHITESPACE = " \t\r\n\x85\u2028\u2029\ufeff"
_BLOCK_HEADER_COMMENT_RE = re.compile(r"[|>][-+0-9]*[ \t]+#(.*)")


# --------------------------------------------------------------------------
# public data model
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """One YAML node with its source position.

    ``value`` is ``dict[str, Node]`` for a mapping, ``tuple[Node, ...]`` for a
    sequence and the resolved Python scalar (str, int, float, bool or None,
    resolved like YAML 1.1 / PyYAML SafeLoader; timestamps and ``!!binary``
    stay ``str``) for a scalar.  ``raw`` is the scalar's text before type
    resolution (quotes removed, escapes and block folding applied), so
    ``"8080"`` and ``8080`` differ in ``quoted``/``value`` but share ``raw``.
    ``quoted`` is True for any non-plain scalar (single/double quoted, ``|``,
    ``>``), i.e. whenever YAML did not type-resolve the text.

    Nodes reached through an alias or a merge key keep the line/column of
    their definition; ``key_line``/``key_column`` always give the position of
    the key under which the node sits at its point of use (None for sequence
    items and the root).  ``tag`` is the explicit tag if one was written
    (``!reset``, ``tag:yaml.org,2002:str`` for ``!!str``), else None.
    """

    value: object
    line: int
    column: int
    end_line: int
    kind: str  # "map" | "seq" | "scalar"
    raw: str | None
    quoted: bool = False
    key_line: int | None = None
    key_column: int | None = None
    tag: str | None = None

    def get(self, key, default=None) -> "Node | None":
        """Look up ``key`` in a mapping node; ``default`` for non-mappings."""
        if self.kind != "map":
            return default
        return self.value.get(key, default)

    def plain(self) -> object:
        """Convert to plain dicts/lists/scalars (iteratively, no recursion)."""
        if self.kind == "scalar":
            return self.value
        top: object = {} if self.kind == "map" else []
        stack = [(self, top)]
        while stack:
            node, out = stack.pop()
            if node.kind == "map":
                for key, child in node.value.items():
                    if child.kind == "scalar":
                        out[key] = child.value
                    else:
                        sub = {} if child.kind == "map" else []
                        out[key] = sub
                        stack.append((child, sub))
            else:
                for child in node.value:
                    if child.kind == "scalar":
                        out.append(child.value)
                    else:
                        sub = {} if child.kind == "map" else []
                        out.append(sub)
                        stack.append((child, sub))
        return top

    def __repr__(self) -> str:  # shallow: trees can be deep or alias-shared
        if self.kind == "scalar":
            shown = repr(self.value)
            if len(shown) > 60:
                shown = shown[:57] + "..."
        elif self.kind == "map":
            keys = list(self.value)
            shown = "{" + ", ".join(repr(k) for k in keys[:6])
            shown += ", ...}" if len(keys) > 6 else "}"
        else:
            shown = f"[{len(self.value)} items]"
        return f"Node({self.kind} {shown} @{self.line}:{self.column})"


@dataclass(frozen=True, slots=True)
class YamlError:
    message: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class YamlDoc:
    root: Node | None
    errors: tuple[YamlError, ...]
    comments: tuple[tuple[int, str], ...]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


class _Abort(Exception):
    """Stop composing; the document is reported with root=None."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.error = YamlError(message, line, column)


class _Mark(NamedTuple):
    line: int  # 0-based, like PyYAML marks
    column: int


class _Lines:
    """Map parser marks (line, column) to offsets in ``text`` and back."""

    __slots__ = ("text", "starts", "bom")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        starts.extend(m.end() for m in _BREAK_RE.finditer(text))
        self.starts = starts
        # Both parsers skip a leading BOM without counting a column for it.
        self.bom = 1 if text.startswith("\ufeff") else 0

    def offset(self, mark) -> int:
        line = mark.line
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        off = self.starts[line] + max(mark.column, 0) + (self.bom if line == 0 else 0)
        return min(off, len(self.text))

    def line_of(self, offset: int) -> int:
        """1-based line containing ``offset``."""
        return bisect.bisect_right(self.starts, offset)

    def mark(self, offset: int) -> "_Mark":
        """0-based parser-style mark for ``offset``."""
        offset = max(0, min(offset, len(self.text)))
        line = self.line_of(offset) - 1
        column = offset - self.starts[line] - (self.bom if line == 0 else 0)
        return _Mark(line, max(column, 0))

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) for ``offset``."""
        mark = self.mark(offset)
        return mark.line + 1, mark.column + 1


class _Entry:
    """A composed node plus what its parent needs to know about it."""

    __slots__ = ("node", "size", "aliases", "height", "line", "column", "end_line", "is_merge")

    def __init__(self, node, size, aliases, height, line, column, end_line, is_merge=False):
        self.node = node
        self.size = size  # nodes after alias expansion (this node included)
        self.aliases = aliases  # alias expansions inside, after expansion
        self.height = height  # collection levels (scalar: 0)
        self.line = line  # position at the point of use (alias: the alias)
        self.column = column
        self.end_line = end_line
        self.is_merge = is_merge  # a plain `<<` scalar (meaningful as a key)


class _Frame:
    __slots__ = ("kind", "line", "column", "anchor", "tag", "flow", "items", "key_line", "key_column")

    def __init__(self, kind, line, column, anchor, tag, flow, key_line, key_column):
        self.kind = kind
        self.line = line
        self.column = column
        self.anchor = anchor
        self.tag = tag
        self.flow = flow
        self.items: list[_Entry] = []
        self.key_line = key_line
        self.key_column = key_column


def _is_empty_document(event) -> bool:
    return (
        isinstance(event, ScalarEvent)
        and event.value == ""
        and event.tag is None
        and event.anchor is None
        and event.style in (None, "")
    )


def _convert_scalar(tag: str, text: str):
    """Resolved tag + text -> (python value, error message or None)."""
    if tag == _NULL_TAG:
        return None, None
    if tag == _BOOL_TAG:
        value = _BOOL_VALUES.get(text.lower())
        if value is None:
            return text, f"invalid boolean value {text!r}"
        return value, None
    if tag in (_INT_TAG, _FLOAT_TAG):
        try:
            if tag == _INT_TAG:
                return _CONSTRUCTOR.construct_yaml_int(ScalarNode(tag, text)), None
            return _CONSTRUCTOR.construct_yaml_float(ScalarNode(tag, text)), None
        except Exception:  # ValueError, int digit limit, ...
            kind = "integer" if tag == _INT_TAG else "float"
            return text, f"cannot convert {text[:40]!r} to {kind}; kept as a string"
    # str, timestamp, binary, merge/value used as values, and custom tags
    return text, None


# --------------------------------------------------------------------------
# composer
# --------------------------------------------------------------------------


class _Composer:
    def __init__(self, loader, lines: _Lines, max_nodes: int, max_alias: int, max_depth: int):
        self.loader = loader
        self.lines = lines
        self.max_nodes = max_nodes
        self.max_alias = max_alias
        self.max_depth = max_depth
        self.errors: list[YamlError] = []
        self.anchors: dict[str, _Entry] = {}
        self.open_anchors: dict[str, int] = {}
        self.nodes = 0
        self.expansions = 0

    # -- stream / documents ------------------------------------------------

    def run(self) -> Node | None:
        get = self.loader.get_event
        peek = self.loader.peek_event
        get()  # StreamStartEvent
        root: Node | None = None
        have_root = False
        reported_multi = False
        while True:
            event = get()
            if isinstance(event, StreamEndEvent):
                return root
            if not isinstance(event, DocumentStartEvent):  # pragma: no cover
                continue
            first = peek()
            if _is_empty_document(first):
                self._skip_document()
            elif not have_root:
                self.anchors.clear()
                self.open_anchors.clear()
                root = self._compose_document().node
                have_root = True
                get()  # DocumentEndEvent
            else:
                if not reported_multi:
                    reported_multi = True
                    self.errors.append(
                        YamlError(
                            "multiple documents in one file; only the first is used",
                            first.start_mark.line + 1,
                            first.start_mark.column + 1,
                        )
                    )
                self._skip_document()

    def _skip_document(self) -> None:
        get = self.loader.get_event
        depth = 0
        while True:
            event = get()
            if isinstance(event, DocumentEndEvent):
                return
            if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
                depth += 1
                if depth > self.max_depth:
                    self._depth_abort(event.start_mark)
            elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                depth -= 1

    # -- limits --------------------------------------------------------------

    def _depth_abort(self, mark):
        raise _Abort(
            f"maximum nesting depth exceeded (max_depth={self.max_depth})",
            mark.line + 1,
            mark.column + 1,
        )

    def _count_node(self, mark) -> None:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            self._node_abort(mark)

    def _node_abort(self, mark):
        if self.expansions:
            message = f"alias expansion limit exceeded (more than {self.max_nodes} nodes after expanding aliases)"
        else:
            message = f"document too large (more than {self.max_nodes} nodes)"
        raise _Abort(message, mark.line + 1, mark.column + 1)

    # -- building ----------------------------------------------------------------

    def _compose_document(self) -> _Entry:
        get = self.loader.get_event
        stack: list[_Frame] = []
        while True:
            event = get()
            # position of the key this node is the value of, if any
            key_line = key_column = None
            if stack:
                top = stack[-1]
                if top.kind == "map" and len(top.items) % 2 == 1:
                    key_entry = top.items[-1]
                    key_line, key_column = key_entry.line, key_entry.column

            if isinstance(event, ScalarEvent):
                entry = self._scalar(event, key_line, key_column)
            elif isinstance(event, AliasEvent):
                entry = self._alias(event, key_line, key_column, len(stack))
            elif isinstance(event, (MappingStartEvent, SequenceStartEvent)):
                mark = self._collection_start(event)
                if len(stack) + 1 > self.max_depth:
                    self._depth_abort(mark)
                self._count_node(mark)
                kind = "map" if isinstance(event, MappingStartEvent) else "seq"
                frame = _Frame(
                    kind,
                    mark.line + 1,
                    mark.column + 1,
                    event.anchor,
                    event.tag,
                    bool(event.flow_style),
                    key_line,
                    key_column,
                )
                if event.anchor is not None:
                    self.open_anchors[event.anchor] = self.open_anchors.get(event.anchor, 0) + 1
                stack.append(frame)
                continue
            elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                frame = stack.pop()
                entry = self._finish(frame, event)
            else:  # pragma: no cover - parser guarantees node events here
                raise _Abort(f"unexpected YAML event {type(event).__name__}", 1, 1)

            if not stack:
                return entry
            stack[-1].items.append(entry)

    def _collection_start(self, event):
        """Mark of the collection's content, after any ``&anchor``/``!tag``.

        A start event's own start mark is that of its properties, which may
        sit on the key's line; its end mark is where the content begins (for
        flow collections: just after the opening bracket).
        """
        if event.anchor is None and event.tag is None:
            return event.start_mark
        end = event.end_mark
        if event.flow_style:
            return _Mark(end.line, max(end.column - 1, 0))
        return end

    def _scalar_start(self, event):
        """Mark of a scalar's text, skipping ``&anchor``/``!tag`` properties."""
        start_mark = event.start_mark
        if event.anchor is None and event.tag is None:
            return start_mark
        lines = self.lines
        text = lines.text
        pos = lines.offset(start_mark)
        end = lines.offset(event.end_mark)
        while pos < end:
            char = text[pos]
            if char in _WHITESPACE:
                pos += 1
            elif char == "#" and pos > 0 and text[pos - 1] in _WHITESPACE:
                brk = _BREAK_RE.search(text, pos, end)
                pos = brk.start() if brk else end
            elif char in "&!":
                while pos < end and text[pos] not in _WHITESPACE:
                    pos += 1
            else:
                break
        if pos >= end:
            return start_mark  # empty scalar with properties only
        return lines.mark(pos)

    def _end_line(self, start_mark, end_mark) -> int:
        start_line = start_mark.line + 1
        if end_mark.line == start_mark.line:
            return start_line
        # Multi-line scalar: the line of its last non-blank character (block
        # scalars end at the start of a following line).
        lines = self.lines
        start = lines.offset(start_mark)
        end = lines.offset(end_mark)
        text = lines.text
        while end > start and text[end - 1] in _WHITESPACE:
            end -= 1
        if end <= start:
            return start_line
        return max(start_line, lines.line_of(end - 1))

    def _scalar(self, event, key_line, key_column) -> _Entry:
        mark = self._scalar_start(event)
        self._count_node(mark)
        text = event.value
        tag = event.tag
        if tag is None or tag == "!":
            resolved = self.loader.resolve(ScalarNode, text, event.implicit)
        else:
            resolved = tag
        value, problem = _convert_scalar(resolved, text)
        line, column = mark.line + 1, mark.column + 1
        if problem is not None:
            self.errors.append(YamlError(problem, line, column))
        end_line = max(line, self._end_line(event.start_mark, event.end_mark))
        node = Node(
            value,
            line,
            column,
            end_line,
            "scalar",
            text,
            event.style not in (None, ""),
            key_line,
            key_column,
            tag,
        )
        entry = _Entry(node, 1, 0, 0, line, column, end_line, resolved == _MERGE_TAG)
        if event.anchor is not None:
            self.anchors[event.anchor] = entry
        return entry

    def _alias(self, event, key_line, key_column, depth) -> _Entry:
        name = event.anchor
        mark = event.start_mark
        line, column = mark.line + 1, mark.column + 1
        if self.open_anchors.get(name):
            raise _Abort(f"recursive alias *{name} (refers to a node that contains it)", line, column)
        target = self.anchors.get(name)
        if target is None:
            raise _Abort(f"found undefined alias *{name}", line, column)
        self.expansions += 1 + target.aliases
        if self.expansions > self.max_alias:
            raise _Abort(
                f"alias expansion limit exceeded (more than {self.max_alias} alias expansions)",
                line,
                column,
            )
        self.nodes += target.size
        if self.nodes > self.max_nodes:
            self._node_abort(mark)
        if depth + target.height > self.max_depth:
            self._depth_abort(mark)
        node = target.node
        if node.key_line != key_line or node.key_column != key_column:
            node = dataclasses.replace(node, key_line=key_line, key_column=key_column)
        return _Entry(
            node,
            target.size,
            target.aliases + 1,
            target.height,
            line,
            column,
            event.end_mark.line + 1,
        )

    def _finish(self, frame: _Frame, end_event) -> _Entry:
        items = frame.items
        if frame.kind == "seq":
            value = tuple(entry.node for entry in items)
        else:
            value = self._build_mapping(items)
        if frame.flow or not items:
            end_line = max(frame.line, end_event.end_mark.line + 1)
        else:
            end_line = max(frame.line, items[-1].end_line)
        node = Node(
            value,
            frame.line,
            frame.column,
            end_line,
            frame.kind,
            None,
            False,
            frame.key_line,
            frame.key_column,
            frame.tag,
        )
        size = 1
        aliases = 0
        height = 0
        for entry in items:
            size += entry.size
            aliases += entry.aliases
            if entry.height > height:
                height = entry.height
        result = _Entry(node, size, aliases, height + 1, frame.line, frame.column, end_line)
        if frame.anchor is not None:
            count = self.open_anchors.get(frame.anchor, 0) - 1
            if count > 0:
                self.open_anchors[frame.anchor] = count
            else:
                self.open_anchors.pop(frame.anchor, None)
            self.anchors[frame.anchor] = result
        return result

    def _build_mapping(self, items: list[_Entry]) -> dict:
        local: dict[str, Node] = {}
        key_lines: dict[str, int] = {}
        merge_sources: list[Node] = []  # later sources win, like PyYAML
        for index in range(0, len(items) - 1, 2):
            key_entry = items[index]
            value_entry = items[index + 1]
            if key_entry.is_merge:
                self._add_merge_sources(key_entry, value_entry, merge_sources)
                continue
            key_node = key_entry.node
            if key_node.kind != "scalar":
                self.errors.append(
                    YamlError(
                        f"unsupported mapping key: a {key_node.kind} cannot be used as a key",
                        key_entry.line,
                        key_entry.column,
                    )
                )
                continue
            key = key_node.raw if key_node.raw is not None else str(key_node.value)
            if key in local:
                self.errors.append(
                    YamlError(
                        f"duplicate key {key!r} (first defined at line {key_lines[key]})",
                        key_entry.line,
                        key_entry.column,
                    )
                )
            else:
                key_lines[key] = key_entry.line
            local[key] = value_entry.node
        if not merge_sources:
            return local
        merged: dict[str, Node] = {}
        for source in merge_sources:
            merged.update(source.value)
        merged.update(local)  # local keys win
        return merged

    def _add_merge_sources(self, key_entry: _Entry, value_entry: _Entry, out: list[Node]) -> None:
        node = value_entry.node
        if node.kind == "map":
            out.append(node)
            return
        if node.kind == "seq" and all(item.kind == "map" for item in node.value):
            # In `<<: [*a, *b]` earlier mappings win: apply them last.
            out.extend(reversed(node.value))
            return
        self.errors.append(
            YamlError(
                "merge key '<<' needs a mapping or a sequence of mappings; ignored",
                key_entry.line,
                key_entry.column,
            )
        )


# --------------------------------------------------------------------------
# comments
# --------------------------------------------------------------------------


def _collect_comments(loader_cls, lines: _Lines, max_depth: int) -> list[tuple[int, str]]:
    text = lines.text
    comments: list[tuple[int, str]] = []

    def scan_gap(start: int, end: int) -> None:
        hash_at = text.find("#", start, end)
        while hash_at != -1:
            brk = _BREAK_RE.search(text, hash_at, end)
            stop = brk.start() if brk else end
            comments.append((lines.line_of(hash_at), text[hash_at + 1 : stop].strip()))
            hash_at = text.find("#", stop, end)

    covered = 0
    flow_depth = 0
    try:
        loader = loader_cls(text)
        while True:
            token = loader.get_token()
            start = lines.offset(token.start_mark)
            end = lines.offset(token.end_mark)
            if start > covered:
                scan_gap(covered, start)
            if isinstance(token, ScalarToken) and token.style in ("|", ">"):
                brk = _BREAK_RE.search(text, start, max(end, start))
                header = text[start : brk.start() if brk else end]
                match = _BLOCK_HEADER_COMMENT_RE.match(header)
                if match:
                    comments.append((lines.line_of(start), match.group(1).strip()))
            if end > covered:
                covered = end
            if isinstance(token, (FlowSequenceStartToken, FlowMappingStartToken)):
                flow_depth += 1
                if flow_depth > max_depth:
                    break  # scanning deeper gets quadratic; the load reports the depth
            elif isinstance(token, (FlowSequenceEndToken, FlowMappingEndToken)):
                flow_depth -= 1
            elif isinstance(token, StreamEndToken):
                scan_gap(covered, len(text))
                break
    except yaml.YAMLError:
        pass  # comments after a syntax error are not reported
    return comments


# --------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------


def _error_from_exception(exc: yaml.YAMLError, lines: _Lines, byte_positions: bool) -> YamlError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
        context = getattr(exc, "context", None)
        message = problem or context or str(exc)
        if context and problem:
            message = f"{problem} ({context})"
        offset = lines.offset(mark)
        if (offset < len(lines.text) and lines.text[offset] == "\t") or "tab character" in message:
            message = f"tab character where YAML does not allow one (tabs cannot be used for indentation): {message}"
        return YamlError(message, line, column)
    position = getattr(exc, "position", None)  # ReaderError
    if isinstance(position, int):
        if byte_positions:  # libyaml reports reader errors at UTF-8 byte offsets
            position = len(lines.text.encode("utf-8")[:position].decode("utf-8", errors="ignore"))
        line, column = lines.position(position)
        reason = getattr(exc, "reason", None) or "invalid character"
        return YamlError(f"{reason}", line, column)
    return YamlError(str(exc) or type(exc).__name__, 1, 1)


def _uses_libyaml(loader_cls) -> bool:
    cparser = getattr(getattr(yaml, "_yaml", None), "CParser", None)
    return cparser is not None and issubclass(loader_cls, cparser)


def _load(text, loader_cls, max_nodes: int, max_alias_expansion: int, max_depth: int) -> YamlDoc:
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        text = str(text)
    lines = _Lines(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line, column = lines.position(exc.start)
        return YamlDoc(None, (YamlError("invalid character (unpaired surrogate)", line, column),), ())

    errors: list[YamlError] = []
    root: Node | None = None
    composer = None
    try:
        # The pure-Python reader validates characters in its constructor.
        composer = _Composer(loader_cls(text), lines, max_nodes, max_alias_expansion, max_depth)
        root = composer.run()
        errors.extend(composer.errors)
    except _Abort as abort:
        errors.extend(composer.errors if composer else ())
        errors.append(abort.error)
        root = None
    except yaml.YAMLError as exc:
        errors.extend(composer.errors if composer else ())
        errors.append(_error_from_exception(exc, lines, _uses_libyaml(loader_cls)))
        root = None
    except RecursionError:  # pragma: no cover - the composer is iterative
        errors.append(YamlError("YAML nesting too deep", 1, 1))
        root = None

    comments = _collect_comments(loader_cls, lines, max_depth)
    errors.sort(key=lambda e: (e.line, e.column))
    return YamlDoc(root, tuple(errors), tuple(comments))


def load_yaml(
    text: str,
    *,
    max_nodes: int = 100_000,
    max_alias_expansion: int = 10_000,
    max_depth: int = 500,
) -> YamlDoc:
    """Load the first non-empty YAML document of ``text``; never raises."""
    try:
        return _load(text, _LOADER, max_nodes, max_alias_expansion, max_depth)
    except Exception as exc:  # last-resort guard: a loader must not crash critic
        return YamlDoc(None, (YamlError(f"internal error while loading YAML: {exc!r}", 1, 1),), ())
