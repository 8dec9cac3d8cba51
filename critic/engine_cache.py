"""Engine results cached per file, so a re-run only sends the engines the files that changed.

ruff, bandit, hadolint and critic's semgrep rules all judge one file at a time (no rule critic
selects looks across files), so an engine's results for a file depend on that file's bytes and
path, the engine binary, and critic's own engine configuration (its adapter code, its semgrep
rules, its hadolint config: all in ``critic.cache.source_fingerprint``). Each engine runs, in its
own thread as ``critic.engines.run_engines`` does, on the files it has no cached results for,
and only when there are any; its results are then split per file and stored (a file with no
result stores an empty list). A run that does not finish "ok" stores nothing.

The binary is identified by its path, size and modification time: an upgraded engine is a miss.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from pathlib import Path
from types import ModuleType
from typing import Sequence

from critic.cache import FORMAT, BoundCache, FileCache, source_fingerprint
from critic.config import Config
from critic.model import EngineRun, FileSummary, Finding


def run_engines_cached(
    root: Path, files: Sequence[FileSummary], config: Config, names: Sequence[str], cache: FileCache
) -> tuple[list[Finding], list[EngineRun]]:
    """``run_engines`` with per-file results read from and stored in ``cache``."""
    from critic.engines import adapters, fold

    known = adapters()
    chosen = [known[n] for n in dict.fromkeys(names) if n in known]
    if not chosen:
        return [], []
    fingerprint = source_fingerprint()
    with ThreadPoolExecutor(max_workers=len(chosen), thread_name_prefix="critic-engine") as pool:
        outcomes = list(pool.map(lambda adapter: _run_one(adapter, root, files, config, cache, fingerprint), chosen))
    results = [r for found, _ in outcomes for r in found]
    runs = sorted((run for _, run in outcomes), key=lambda r: r.name)
    return fold(results, root), runs


def _run_one(adapter: ModuleType, root: Path, files: Sequence[FileSummary], config: Config, cache: FileCache, fingerprint: str):
    from critic.engines import run_engine
    from critic.engines.process import find_binary

    mine = [f for f in files if f.kind in adapter.KINDS]
    binary = find_binary(adapter.BINARY)
    if not mine or binary is None:  # nothing to check, or nothing to check with: say so as usual
        return run_engine(adapter, root, files, config)
    try:
        st = os.stat(binary)
    except OSError:
        return run_engine(adapter, root, files, config)
    salt = hashlib.sha256(
        "\0".join(
            ("engine", str(FORMAT), adapter.NAME, os.path.abspath(binary), str(st.st_size), str(st.st_mtime_ns),
             str(config.max_file_bytes), fingerprint)
        ).encode("utf-8", "surrogateescape")
    ).hexdigest()
    bound = BoundCache(Path(cache.directory), salt, cache.stats)
    bound.touch()  # in use: not pruned as stale
    started = time.monotonic()
    cached: list = []
    version: str | None = None
    keys: dict[str, str] = {}
    misses: list[FileSummary] = []
    for f in mine:
        try:
            data = (root / f.path).read_bytes()
        except OSError:
            misses.append(f)
            continue
        keys[f.path] = key = bound.key(f, data)
        entry = _load(bound.get_payload(key), f.path)
        if entry is None:
            misses.append(f)
        else:
            version = version or entry[0]
            cached.extend(entry[1])
    if not misses:
        seconds = round(time.monotonic() - started, 3)
        return cached, EngineRun(adapter.NAME, version, "ok", seconds, "", len(cached))
    # `ENGINE --version` costs a whole start-up of the engine (bandit: a third of a second):
    # the version this binary printed last time is remembered with the results
    version_key = "version-" + hashlib.sha256(f"{os.path.abspath(binary)}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()
    known_version = _load_version(bound.get_payload(version_key))
    if known_version is not None:
        _seed_version(binary, known_version)
    found, run = run_engine(adapter, root, misses, config)
    if run.status == "ok" and run.version and run.version != known_version:
        bound.put_payload(version_key, marshal.dumps(run.version))
    if run.status == "ok":
        by_path: dict[str, list] = {f.path: [] for f in misses}
        for result in found:
            by_path.setdefault(result.path, []).append(result)
        for f in misses:
            key = keys.get(f.path)
            if key is not None:
                payload = _dump(run.version, by_path.get(f.path, []))
                if payload is not None:
                    bound.put_payload(key, payload)
    results = cached + list(found)
    seconds = round(time.monotonic() - started, 3)
    return results, EngineRun(run.name, run.version or version, run.status, seconds, run.reason, len(results))


def _load_version(payload: bytes | None) -> str | None:
    try:
        value = marshal.loads(payload) if payload is not None else None
    except Exception:
        return None
    return value if type(value) is str else None


def _seed_version(binary: str, version: str) -> None:
    """Tell critic.engines.process the version, as if it had asked the binary in this process."""
    from critic.engines import process

    versions = getattr(process, "_versions", None)
    lock = getattr(process, "_versions_lock", None)
    if not isinstance(versions, dict) or lock is None:
        return
    try:
        key = (binary, os.stat(binary).st_mtime)
    except OSError:
        return
    with lock:
        versions.setdefault(key, version)


def _result_fields() -> tuple[str, ...]:
    from critic.engines.common import EngineResult

    return tuple(f.name for f in fields(EngineResult))


def _dump(version: str | None, results: list) -> bytes | None:
    names = _result_fields()
    try:
        return marshal.dumps((version, names, tuple(tuple(getattr(r, n) for n in names) for r in results)))
    except (ValueError, TypeError):
        return None


def _load(payload: bytes | None, path: str):
    """(version, results) from an entry, or None if it is not one (a miss, never an error)."""
    if payload is None:
        return None
    from critic.engines.common import EngineResult

    try:
        version, names, rows = marshal.loads(payload)
        if tuple(names) != _result_fields() or (version is not None and type(version) is not str):
            return None
        results = [EngineResult(**dict(zip(names, row, strict=True))) for row in rows]
        if any(r.path != path or type(r.line) is not int or type(r.message) is not str for r in results):
            return None
        return version, results
    except Exception:
        return None
