"""A content-hash cache of per-file results, kept outside the scanned tree.

A file's ``FileResult`` depends only on its bytes, its path and kind, the rules that ran on it
(their code and options) and the parsers; so a second run over an unchanged tree reads every
result from here and only re-runs the project-level rules, which work from the cached facts.

- Where: ``--cache-dir`` / ``CRITIC_CACHE_DIR``, else ``$XDG_CACHE_HOME/critic``, else
  ``~/.cache/critic``; never inside the scanned tree unless asked to.
- Key: sha256 of the file's bytes, path and kind, under a *salt* that covers critic's version,
  the rule pack's VERSION, a fingerprint of critic's and the rules' source files (so editing a
  rule invalidates, VERSION bump or not), which rules are enabled, their options, the
  file-size limit, and the Python, libcst and PyYAML installs.
- Entries: one file each, ``MAGIC + blake2b(payload) + payload``, the payload a ``marshal``
  of plain tuples (never pickle: loading a cache entry can never run code). Written to a
  temporary file in the same folder and ``os.replace``d into place, so concurrent runs never
  see a torn entry; an entry that is missing, truncated, corrupted or of another shape is a
  miss, never an error. The cache is best effort: a read-only or full disk only costs speed.
- Housekeeping: entries live under a folder per salt; a salt folder unused for 30 days is
  removed by a later run.
"""
from __future__ import annotations

import hashlib
import json
import marshal
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from critic.model import Evidence, Fact, FileResult, FileSummary, Finding, ScanError, Span, Suppression

if TYPE_CHECKING:  # pragma: no cover
    from critic.config import Config
    from critic.registry import RulePack

#: Bumped when the entry layout changes.
FORMAT = 1
_MAGIC = b"CRTC%d" % FORMAT
_DIGEST = 16
_STALE_SECONDS = 30 * 24 * 3600
_USED_STAMP = ".last-used"
_CRITIC_DIR = Path(__file__).resolve().parent


def default_cache_dir() -> Path:
    """``CRITIC_CACHE_DIR``, else ``$XDG_CACHE_HOME/critic``, else ``~/.cache/critic``."""
    explicit = os.environ.get("CRITIC_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "critic"


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    writes: int = 0
    bad: int = 0  # entries that were there but unreadable (corrupted, truncated, foreign)


@dataclass
class FileCache:
    """The cache folder; ``bind(pack, config)`` gives the cache for one run's rules and config."""

    directory: Path
    stats: CacheStats = field(default_factory=CacheStats)

    def bind(self, pack: "RulePack", config: "Config") -> "BoundCache":
        return BoundCache(Path(self.directory), run_salt(pack, config), self.stats)


@dataclass
class BoundCache:
    """The entries of one salt: lookups and stores by file content. Picklable (worker processes)."""

    directory: Path
    salt: str
    stats: CacheStats = field(default_factory=CacheStats)

    @property
    def folder(self) -> Path:
        return self.directory / f"v{FORMAT}" / self.salt[:24]

    def key(self, summary: FileSummary, data: bytes) -> str:
        h = hashlib.sha256()
        h.update(self.salt.encode())
        h.update(b"\0%s\0%s\0" % (summary.kind.encode(), summary.path.encode("utf-8", "surrogateescape")))
        h.update(data)
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return Path(self._entry(key))

    def _entry(self, key: str) -> str:
        # a string join, not pathlib: a warm run looks up every file of the tree
        folder = self.__dict__.get("_folder")
        if folder is None:
            folder = self.__dict__["_folder"] = os.fspath(self.folder)
        return os.path.join(folder, key[:2], key[2:])

    def get(self, key: str, summary: FileSummary) -> FileResult | None:
        payload = self.get_payload(key)
        if payload is None:
            self.stats.misses += 1
            return None
        result = _decode(payload)
        if result is None or result.path != summary.path or result.kind != summary.kind:
            self.stats.bad += 1
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return result

    def put(self, key: str, result: FileResult) -> None:
        payload = _encode(result)
        if payload is not None:
            self.put_payload(key, payload)

    def get_payload(self, key: str) -> bytes | None:
        """An entry's payload; None when missing, truncated or corrupted."""
        try:
            with open(self._entry(key), "rb") as fh:
                blob = fh.read()
        except OSError:
            return None
        head = len(_MAGIC)
        if len(blob) < head + _DIGEST or not blob.startswith(_MAGIC):
            self.stats.bad += 1
            return None
        digest, payload = blob[head : head + _DIGEST], blob[head + _DIGEST :]
        if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != digest:
            self.stats.bad += 1
            return None
        return payload

    def put_payload(self, key: str, payload: bytes) -> None:
        """Store an entry atomically: a temporary file in the same folder, then os.replace."""
        blob = _MAGIC + hashlib.blake2b(payload, digest_size=_DIGEST).digest() + payload
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(blob)
                os.replace(tmp, target)
            except BaseException:
                _unlink(tmp)
                raise
        except OSError:
            return  # best effort: a read-only or full disk only costs speed
        self.stats.writes += 1

    def touch(self) -> None:
        """Mark this salt's folder used, and drop salt folders nobody used for a month."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            stamp = self.folder / _USED_STAMP
            stamp.touch()
        except OSError:
            return
        _prune(self.folder.parent, keep=self.folder.name)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _prune(root: Path, keep: str) -> None:
    now = time.time()
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        if entry.name == keep or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            used = os.stat(os.path.join(entry.path, _USED_STAMP)).st_mtime
        except OSError:
            used = entry.stat(follow_symlinks=False).st_mtime
        if now - used > _STALE_SECONDS:
            shutil.rmtree(entry.path, ignore_errors=True)


# --------------------------------------------------------------------------- the salt
def run_salt(pack: "RulePack", config: "Config") -> str:
    """Everything besides a file's own bytes, path and kind that its result depends on."""
    from critic import __version__

    h = hashlib.sha256()

    def feed(*parts: object) -> None:
        for part in parts:
            h.update(str(part).encode("utf-8", "surrogateescape"))
            h.update(b"\0")

    feed("critic", __version__, FORMAT, "pack", pack.version, sys.version_info[:3], sys.implementation.name)
    modules: set[str] = set()
    for cls in tuple(pack.collectors) + tuple(pack.rules):
        rule_id = getattr(cls, "id", "")
        feed(cls.__module__, cls.__qualname__, rule_id, not rule_id or config.rule_enabled(rule_id))
        modules.add(cls.__module__)
    feed("options", json.dumps(config.options, sort_keys=True, default=repr), "max", config.max_file_bytes)
    extra = []
    for name in modules:
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if path:
            extra.append(os.path.abspath(path))
    feed("sources", source_fingerprint(extra))
    return h.hexdigest()


def source_fingerprint(extra: "list[str] | tuple[str, ...]" = ()) -> str:
    """The code that produces results: critic's own source, the rules' (semgrep YAML included),
    ``extra`` files, and the libcst and PyYAML installs; by size and modification time."""
    h = hashlib.sha256()
    files: set[str] = set(extra)
    for root in (_CRITIC_DIR, _rules_dir()):
        if root is not None:
            files.update(_python_files(root))
    for name in ("libcst", "yaml"):
        try:
            spec = find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        if origin:
            files.add(os.path.abspath(origin))
            version = os.path.join(os.path.dirname(origin), "_version.py")
            if os.path.exists(version):
                files.add(version)
    for path in sorted(files):
        try:
            st = os.stat(path)
            h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0".encode("utf-8", "surrogateescape"))
        except OSError:
            h.update(f"{path}\0missing\0".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _rules_dir() -> Path | None:
    try:
        spec = find_spec("critic.rules")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _python_files(root: Path) -> list[str]:
    out = []
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    stack.append(entry.path)
            elif entry.name.endswith((".py", ".yaml", ".yml", ".toml", ".json")):
                out.append(entry.path)
    return out


# --------------------------------------------------------------------------- entries
def _encode(result: FileResult) -> bytes | None:
    try:
        return marshal.dumps(
            (
                result.path,
                result.kind,
                tuple(_finding_tuple(f) for f in result.findings),
                tuple((f.kind, f.path, f.line, f.data) for f in result.facts),
                tuple((s.path, s.line, s.comment_line, s.rule_ids, s.reason) for s in result.suppressions),
                tuple((e.path, e.message, e.kind) for e in result.errors),
            )
        )
    except (ValueError, TypeError):  # a fact holding something marshal cannot store: do not cache
        return None


def _finding_tuple(f: Finding) -> tuple:
    return (
        f.rule_id, f.name, f.tier, f.severity, f.confidence, f.path, f.line, f.column, f.end_line,
        f.end_column, f.message, f.fix, f.sources, tuple((e.engine, e.rule) for e in f.evidence),
        f.cwe, f.owasp, f.snippet, tuple((s.line, s.column, s.end_column) for s in f.secret_spans),
        f.fingerprint,
    )


def _decode(payload: bytes) -> FileResult | None:
    try:
        path, kind, findings, facts, suppressions, errors = marshal.loads(payload)
        return FileResult(
            _text(path),
            _text(kind),
            tuple(_finding(t) for t in findings),
            tuple(Fact(_text(k), _text(p), _int(line), tuple((_text(n), v) for n, v in data)) for k, p, line, data in facts),
            tuple(Suppression(_text(p), _int(line), _int(cl), _texts(ids), _text(reason)) for p, line, cl, ids, reason in suppressions),
            tuple(ScanError(_text(p), _text(m), _text(k)) for p, m, k in errors),
        )
    except Exception:  # whatever shape it has, an entry that is not ours is a miss
        return None


def _finding(t: tuple) -> Finding:
    (rule_id, name, tier, severity, confidence, path, line, column, end_line, end_column, message, fix,
     sources, evidence, cwe, owasp, snippet, spans, fingerprint) = t
    return Finding(
        _text(rule_id), _text(name), _text(tier), _text(severity), _text(confidence), _text(path),
        _int(line), _int(column), _int(end_line), _int(end_column), _text(message), _text(fix),
        _texts(sources), tuple(Evidence(_text(e), _text(r)) for e, r in evidence), _texts(cwe),
        _texts(owasp), _text(snippet), tuple(Span(_int(a), _int(b), _int(c)) for a, b, c in spans),
        _text(fingerprint),
    )


def _text(value: object) -> str:
    if type(value) is not str:
        raise TypeError("not a string")
    return value


def _int(value: object) -> int:
    if type(value) is not int:
        raise TypeError("not an int")
    return value


def _texts(values: object) -> tuple[str, ...]:
    if type(values) is not tuple:
        raise TypeError("not a tuple")
    return tuple(_text(v) for v in values)
