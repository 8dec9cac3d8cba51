"""critic's configuration: `[tool.critic]` in pyproject.toml, or a critic.toml, plus CLI overrides."""
from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Mapping

from critic.model import TIERS

ENGINE_NAMES: tuple[str, ...] = ("ruff", "bandit", "semgrep", "hadolint")
#: The pre-commit profile: the engines that answer in well under a second.
FAST_ENGINES: tuple[str, ...] = ("ruff", "bandit", "hadolint")

#: Folders never descended into (tools' caches, virtualenvs, VCS data, build output).
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "env",
    ".env",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".tox",
    ".nox",
    "build",
    "dist",
    "site-packages",
    "*.egg-info",
)


class ConfigError(ValueError):
    """The configuration cannot be used (unknown key, rule or tier)."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()  # rule ids or prefixes ("SQL", "DKR00"); empty: all
    ignore: tuple[str, ...] = ()
    tiers: Mapping[str, str] = field(default_factory=dict)  # rule id -> tier
    exclude: tuple[str, ...] = ()  # extra glob patterns, matched against relative paths
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    engines: tuple[str, ...] | None = None  # None: the default set
    engine_timeout: float = 120.0
    max_file_bytes: int = 2 * 1024 * 1024
    options: Mapping[str, Mapping[str, object]] = field(default_factory=dict)  # rule id -> options
    respect_gitignore: bool = True
    jobs: int = 0  # worker processes for the native pass; 0: one per core
    source: str = ""  # where it was read from, relative to the root

    def rule_enabled(self, rule_id: str) -> bool:
        if self.select and not any(_matches(rule_id, sel) for sel in self.select):
            return False
        return not any(_matches(rule_id, ign) for ign in self.ignore)

    def ignored_in(self, rule_id: str, path: str) -> bool:
        """Per-file ignores: `{"tests/**" = ["SEC002"]}`."""
        for pattern, ids in self.per_file_ignores.items():
            if fnmatch.fnmatchcase(path, pattern) and any(_matches(rule_id, i) for i in ids):
                return True
        return False

    def tier_of(self, rule_id: str, default: str) -> str:
        return self.tiers.get(rule_id, default)

    def with_overrides(self, **changes: object) -> "Config":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _matches(rule_id: str, selector: str) -> bool:
    selector = selector.strip()
    return selector == "ALL" or rule_id == selector or (selector and rule_id.startswith(selector) and ":" not in selector)


_KEYS = {
    "select",
    "ignore",
    "tiers",
    "exclude",
    "per-file-ignores",
    "engines",
    "engine-timeout",
    "max-file-bytes",
    "options",
    "respect-gitignore",
    "jobs",
}


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """Read the configuration that governs ``root``: an explicit file, critic.toml, or pyproject.toml."""
    if explicit is not None:
        return _from_file(explicit, explicit.name)
    for name in ("critic.toml", "pyproject.toml"):
        candidate = root / name
        if candidate.is_file():
            config = _from_file(candidate, name)
            if config is not None:
                return config
    return Config()


def _from_file(path: Path, label: str) -> Config | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{label}: cannot read configuration: {exc}") from exc
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("critic")
        if table is None:
            return None
    else:
        table = data.get("tool", {}).get("critic", data)
    return config_from_mapping(table, label)


def config_from_mapping(table: Mapping[str, object], label: str = "<config>") -> Config:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(f"{label}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
    tiers = dict(_mapping(table.get("tiers", {}), label, "tiers"))
    for rule_id, tier in tiers.items():
        if tier not in TIERS:
            raise ConfigError(f"{label}: tiers.{rule_id} = {tier!r}: a tier is one of {', '.join(TIERS)}")
    engines = table.get("engines")
    if engines is not None:
        engines = tuple(_strings(engines, label, "engines"))
        bad = [e for e in engines if e not in ENGINE_NAMES]
        if bad:
            raise ConfigError(f"{label}: unknown engine(s) {', '.join(bad)}; known: {', '.join(ENGINE_NAMES)}")
    per_file = {
        str(pattern): tuple(_strings(ids, label, f"per-file-ignores.{pattern}"))
        for pattern, ids in _mapping(table.get("per-file-ignores", {}), label, "per-file-ignores").items()
    }
    options = {str(k): dict(_mapping(v, label, f"options.{k}")) for k, v in _mapping(table.get("options", {}), label, "options").items()}
    return Config(
        select=tuple(_strings(table.get("select", ()), label, "select")),
        ignore=tuple(_strings(table.get("ignore", ()), label, "ignore")),
        tiers=tiers,
        exclude=tuple(_strings(table.get("exclude", ()), label, "exclude")),
        per_file_ignores=per_file,
        engines=engines,
        engine_timeout=float(table.get("engine-timeout", 120.0)),
        max_file_bytes=int(table.get("max-file-bytes", 2 * 1024 * 1024)),
        options=options,
        respect_gitignore=bool(table.get("respect-gitignore", True)),
        jobs=int(table.get("jobs", 0)),
        source=label,
    )


def _mapping(value: object, label: str, key: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{label}: {key} must be a table")
    return value


def _strings(value: object, label: str, key: str) -> Iterable[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{label}: {key} must be a list of strings")
    return value
