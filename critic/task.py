"""A critique task (PLN): reading and validating it, the criteria table, and judging criteria.

A planner files a critique task after every build task. What critic reads from it:

- ``inputs.validation_criteria``: ``{"critical": [...], "expected": [...], "nice_to_have": [...]}``,
  free-text criteria ("Input validation implemented", "Tests pass"). A mapping without
  ``inputs`` is taken as the inputs themselves (what the CLI's ``--task`` file and the MCP tool
  usually carry).
- ``original_prompt`` and ``preceding_task`` (skill_id, task_name, description): echoed, and
  read for whether documentation was requested (PRJ006).
- ``include_docker`` (DEV): ``false`` turns off PRJ001's Docker part.
- ``handoff`` / ``outputs`` (or ``preceding_task.outputs``): the build agent's hand-off, as a
  JSON object or the path of a JSON file; PRJ005 checks its claims.
- ``spec``: the path of an OpenAPI spec when it is not at ``specs/openapi.yaml``; PRJ004.

``plan_task(task, pack)`` returns a :class:`TaskPlan`: its ``context`` is merged into the
project context the project rules see (``include_docker``, ``handoff``, ``handoff_path``,
``spec``, ``documentation_requested``, ``original_prompt``), and ``judge(findings)`` maps each
criterion to rules with ``critic/criteria.toml`` (read that file: it documents the matching),
applies the task's tiers to the findings behind them and returns one ``CriterionResult`` per
criterion: ``pass``, ``fail`` (with the findings behind it) or ``not_checkable`` (with why).
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from critic.model import TIER_RANK, TIERS, CriterionResult, Finding

if TYPE_CHECKING:  # pragma: no cover
    from critic.config import Config
    from critic.model import Fact, FileSummary, Report
    from critic.registry import RulePack

NO_RULE_NOTE = "no rule maps to this criterion"
STATUSES = ("pass", "fail", "not_checkable")
MODES = ("full", "fail_only", "not_checkable")
#: What a criterion can require of the tree before critic may call it `pass`: with a
#: requirement unmet, its rules still run (a finding still fails it), but silence proves
#: nothing ("Docker health checks configured" in a tree with no Dockerfile), so the
#: criterion is `not_checkable` with this note.
REQUIREMENT_NOTES = {
    "openapi_spec": "No OpenAPI spec was found or configured to compare the routes with.",
    "handoff": "The task gave no hand-off to check.",
    "routes": "critic found no HTTP routes it can resolve (FastAPI and Flask), so nothing was judged.",
    "auth": "critic found no authentication in the code (no protected route, auth dependency or hook), so there was nothing to judge.",
    "database": "critic found no database access in the code (no SQLAlchemy, ORM or driver import, no database URL), so there was nothing to judge.",
    "dockerfile": "There is no Dockerfile in the scanned tree, so there was nothing to judge.",
    "compose": "There is no docker-compose file in the scanned tree, so there was nothing to judge.",
    "container_files": "There is no Dockerfile or docker-compose file in the scanned tree, so there was nothing to judge.",
}
REQUIREMENTS = tuple(REQUIREMENT_NOTES)
#: Modules whose import means the code talks to a database.
_DATABASE_MODULES = frozenset(
    {
        "sqlalchemy", "sqlmodel", "tortoise", "peewee", "mongoengine", "beanie", "psycopg", "psycopg2",
        "asyncpg", "pg8000", "pymysql", "MySQLdb", "aiomysql", "asyncmy", "mysql", "sqlite3", "aiosqlite",
        "pymongo", "motor", "django",
    }
)

#: Where an OpenAPI spec is looked for, in this order, when neither the task nor the
#: configuration names one (relative to the scanned root). Shared with PRJ004.
SPEC_LOCATIONS: tuple[str, ...] = (
    "specs/openapi.yaml",
    "specs/openapi.yml",
    "specs/openapi.json",
    "openapi.yaml",
    "openapi.yml",
    "openapi.json",
)

_TIER_KEYS = {
    "critical": "critical",
    "must": "critical",
    "expected": "expected",
    "should": "expected",
    "nicetohave": "nice_to_have",
    "optional": "nice_to_have",
}
#: Words of a prompt that ask for documentation. "document" alone does not ("a document
#: management API"); "document" followed by one of _DOC_OBJECTS does ("document the API").
_DOC_WORDS = frozenset({"documentation", "documented", "docs", "readme"})
_DOC_OBJECTS = frozenset({"the", "it", "all", "each", "every", "your", "its", "api", "apis", "endpoints", "how", "usage", "setup"})


class TaskError(ValueError):
    """The task cannot be used: not JSON, criteria of the wrong shape, an unknown tier."""


# --------------------------------------------------------------------------- the task
@dataclass(frozen=True)
class Task:
    """A critique task, validated: the criteria in task order, and what the rules need."""

    criteria: tuple[tuple[str, str], ...] = ()  # (tier, text), critical first, in task order
    original_prompt: str = ""
    preceding_task: Mapping[str, object] = field(default_factory=dict)
    include_docker: bool | None = None
    handoff: Mapping[str, object] | str | None = None  # the hand-off JSON, or a path to it
    spec: str | None = None
    documentation_requested: bool | None = None  # None: decided from the prompt and criteria


def load_task(source: "str | os.PathLike[str] | Mapping[str, object] | Task") -> Task:
    """A task from a JSON file, a mapping (PLN task or its ``inputs``) or a Task.

    A ``handoff`` given as a relative path in a task file is resolved against the task file's
    folder when it exists there (else it stays relative to the scanned root).
    """
    if isinstance(source, Task):
        return source
    if isinstance(source, Mapping):
        return parse_task(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TaskError(f"cannot read task {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaskError(f"task {path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    return parse_task(data, base=path.resolve().parent)


def parse_task(data: object, base: Path | None = None) -> Task:
    """Validate a task mapping (see the module docstring for the shapes accepted)."""
    if not isinstance(data, Mapping):
        raise TaskError("a task is a JSON object with `validation_criteria` (or `inputs.validation_criteria`)")
    inputs = data.get("inputs")
    if inputs is None:
        inputs = data
    elif not isinstance(inputs, Mapping):
        raise TaskError("task `inputs` must be an object")

    def pick(*names: str) -> object:
        for where in (inputs, data):
            for name in names:
                if name in where and where[name] is not None:
                    return where[name]
        return None

    for where in (inputs, data):
        near_miss = [k for k in ("criteria", "validationCriteria", "validation-criteria") if k in where]
        if near_miss and "validation_criteria" not in where:
            raise TaskError(f"task has `{near_miss[0]}`: the criteria go under `validation_criteria`")
    # the build task's criteria sit under inputs; a task that has them only at the top level
    # is judged by those rather than silently by none
    criteria = _criteria(inputs.get("validation_criteria") if "validation_criteria" in inputs else data.get("validation_criteria"))
    prompt = pick("original_prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise TaskError("`original_prompt` must be a string")
    preceding = pick("preceding_task")
    if preceding is not None and not isinstance(preceding, Mapping):
        raise TaskError("`preceding_task` must be an object (skill_id, task_name, description)")
    include_docker = _boolean(pick("include_docker"), "include_docker")
    handoff = pick("handoff", "outputs")
    if handoff is None and isinstance(preceding, Mapping):
        handoff = preceding.get("outputs") or preceding.get("handoff")
    if handoff is not None and not isinstance(handoff, (Mapping, str)):
        raise TaskError("`handoff` must be the hand-off JSON object or the path of a JSON file")
    if isinstance(handoff, str):
        if not handoff.strip():
            handoff = None
        elif base is not None and not Path(handoff).is_absolute() and (base / handoff).is_file():
            handoff = str((base / handoff).resolve())
    spec = pick("spec", "openapi_spec", "spec_path")
    if spec is not None and not isinstance(spec, str):
        raise TaskError("`spec` must be the path of an OpenAPI spec")
    docs = _boolean(pick("documentation_requested"), "documentation_requested")
    return Task(
        criteria=criteria,
        original_prompt=prompt or "",
        preceding_task=dict(preceding or {}),
        include_docker=include_docker,
        handoff=dict(handoff) if isinstance(handoff, Mapping) else handoff,
        spec=spec or None,
        documentation_requested=docs,
    )


def _criteria(value: object) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise TaskError("`validation_criteria` must be an object: {\"critical\": [...], \"expected\": [...], \"nice_to_have\": [...]}")
    by_tier: dict[str, list[str]] = {tier: [] for tier in TIERS}
    for key, items in value.items():
        tier = _TIER_KEYS.get(re.sub(r"[^a-z]", "", str(key).lower()))
        if tier is None:
            raise TaskError(f"validation_criteria: unknown tier {key!r}; tiers are {', '.join(TIERS)}")
        if isinstance(items, str):
            items = [items]
        if items is None:
            continue
        if not isinstance(items, (list, tuple)):
            raise TaskError(f"validation_criteria.{key} must be a list of strings")
        for item in items:
            if not isinstance(item, str):
                raise TaskError(f"validation_criteria.{key}: every criterion is a string, got {type(item).__name__}")
            text = " ".join(item.split())
            if text and text not in by_tier[tier]:
                by_tier[tier].append(text)
    return tuple((tier, text) for tier in TIERS for text in by_tier[tier])


def _boolean(value: object, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "on", "false", "no", "0", "off"):
        return value.strip().lower() in ("true", "yes", "1", "on")
    if isinstance(value, int):
        return bool(value)
    raise TaskError(f"`{name}` must be true or false")


def read_handoff(path: "str | os.PathLike[str]") -> Mapping[str, object]:
    """The hand-off JSON object in a file (TaskError when it is not one)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise TaskError(f"cannot read hand-off {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise TaskError(f"hand-off {path} is not JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(data, Mapping):
        raise TaskError(f"hand-off {path} is not a JSON object")
    return data


# --------------------------------------------------------------------------- the criteria table
@dataclass(frozen=True)
class CriteriaEntry:
    id: str
    phrases: tuple[tuple[str, ...], ...]
    rules: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    mode: str = "full"
    requires: tuple[str, ...] = ()
    note: str = ""

    @property
    def broad(self) -> bool:
        """An entry for a broad criterion: it selects a whole family or an engine's findings."""
        return any(s.endswith(":") or s.isalpha() for s in self.rules)

    def selects(self, finding: Finding) -> bool:
        return self.selector_of(finding) is not None

    def selector_of(self, finding: Finding) -> str | None:
        """The first of the entry's selectors that takes ``finding``, else None."""
        for selector in self.rules:
            if _selector_matches(selector, finding.rule_id):
                globs = self.paths.get(selector) or self.paths.get(finding.rule_id)
                if not globs or any(fnmatch.fnmatchcase(finding.path, g) for g in globs):
                    return selector
        return None


def _selector_matches(selector: str, rule_id: str) -> bool:
    if selector.endswith(":"):
        return rule_id.startswith(selector)
    if selector.isalpha():
        return ":" not in rule_id and rule_id.rstrip("0123456789") == selector
    return rule_id == selector


def words(text: str) -> list[str]:
    """The words a criterion is matched on: lower-case runs of letters and digits."""
    return re.findall(r"[a-z0-9]+", text.lower())


def _pattern_matches(pattern: str, word: str) -> bool:
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1])
    return word == pattern or word == pattern + "s" or word == pattern + "es"


def _bag_matches(patterns: Sequence[str], found: Sequence[str]) -> bool:
    return all(any(_pattern_matches(p, w) for w in found) for p in patterns)


def parse_criteria_table(text: str, label: str = "criteria.toml") -> tuple[CriteriaEntry, ...]:
    """The table, validated (ValueError names the entry and what is wrong)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{label}: {exc}") from exc
    entries = []
    seen: set[str] = set()
    for index, raw in enumerate(data.get("criterion", [])):
        where = f"{label}: criterion #{index + 1} ({raw.get('id', '?')})"
        unknown = set(raw) - {"id", "phrases", "unless", "rules", "paths", "mode", "requires", "note"}
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        entry_id = raw.get("id")
        if not isinstance(entry_id, str) or not entry_id or entry_id in seen:
            raise ValueError(f"{where}: every entry needs a unique string id")
        seen.add(entry_id)
        phrases = raw.get("phrases")
        if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and words(p.replace("*", "")) for p in phrases):
            raise ValueError(f"{where}: phrases must be a non-empty list of strings")
        mode = raw.get("mode", "full")
        if mode not in MODES:
            raise ValueError(f"{where}: mode must be one of {', '.join(MODES)}")
        rules = tuple(raw.get("rules", ()))
        if mode != "not_checkable" and not rules:
            raise ValueError(f"{where}: a {mode} entry needs rules")
        requires = raw.get("requires", ())
        requires = (requires,) if isinstance(requires, str) else tuple(requires)
        if any(r not in REQUIREMENTS for r in requires):
            raise ValueError(f"{where}: requires must be among {', '.join(REQUIREMENTS)}")
        note = raw.get("note", "")
        if mode != "full" and not note:
            raise ValueError(f"{where}: a {mode} entry needs a note saying why")
        paths = raw.get("paths", {})
        if not isinstance(paths, dict) or any(k not in rules for k in paths):
            raise ValueError(f"{where}: paths is a table keyed by the entry's own rule selectors")
        entries.append(
            CriteriaEntry(
                id=entry_id,
                phrases=tuple(tuple(_phrase_patterns(p)) for p in phrases),
                rules=rules,
                unless=tuple(_phrase_patterns(" ".join(raw.get("unless", ())))),
                paths={k: tuple(v) for k, v in paths.items()},
                mode=mode,
                requires=requires,
                note=" ".join(note.split()),
            )
        )
    return tuple(entries)


def _phrase_patterns(phrase: str) -> list[str]:
    out = []
    for token in phrase.lower().split():
        star = token.endswith("*")
        parts = words(token)
        for i, part in enumerate(parts):
            out.append(part + ("*" if star and i == len(parts) - 1 else ""))
    return out


@lru_cache(maxsize=1)
def criteria_table() -> tuple[CriteriaEntry, ...]:
    """The packaged table (critic/criteria.toml)."""
    text = resources.files("critic").joinpath("criteria.toml").read_text(encoding="utf-8")
    return parse_criteria_table(text)


def match_criterion(text: str, table: Sequence[CriteriaEntry] | None = None) -> tuple[CriteriaEntry, ...]:
    """The entries of the table that a criterion's text selects (empty: no rule maps to it)."""
    found = words(text)
    out = []
    for entry in criteria_table() if table is None else table:
        if entry.unless and any(_pattern_matches(p, w) for p in entry.unless for w in found):
            continue
        if any(_bag_matches(phrase, found) for phrase in entry.phrases):
            out.append(entry)
    return tuple(out)


# --------------------------------------------------------------------------- the spec
def find_spec(paths: Iterable[str], configured: str | None = None) -> str | None:
    """The relative path of the OpenAPI spec to hold the routes to, or None.

    A configured path (task ``spec``, ``[tool.critic.options.PRJ004] spec``) wins and is
    returned as given (normalised) even when it does not exist, so PRJ004 can say so; else the
    first of ``SPEC_LOCATIONS`` present; else the shallowest ``*/specs/openapi.{yaml,yml,json}``.
    """
    if configured:
        if Path(configured).is_absolute():
            return configured
        return Path(configured).as_posix()  # normalised: a leading "./" is dropped
    present = set(paths)
    for candidate in SPEC_LOCATIONS:
        if candidate in present:
            return candidate
    nested = sorted(
        (p for p in present if any(p.endswith("/" + c) for c in SPEC_LOCATIONS[:3])),
        key=lambda p: (p.count("/"), p),
    )
    return nested[0] if nested else None


# --------------------------------------------------------------------------- the plan
@dataclass
class TaskPlan:
    task: Task
    pack: "RulePack"
    #: (tier, text, the table entries that matched it), in task order
    matches: tuple[tuple[str, str, tuple[CriteriaEntry, ...]], ...]
    context: dict[str, object]

    def judge(
        self,
        findings: Sequence[Finding],
        *,
        config: "Config | None" = None,
        files: "Sequence[FileSummary] | None" = None,
        facts: "Sequence[Fact] | None" = None,
    ) -> tuple[list[Finding], tuple[CriterionResult, ...]]:
        """Apply the task's tiers to the findings behind its criteria and judge each criterion.

        ``config`` says which rules ran (a deselected rule cannot make a criterion pass);
        ``files`` and ``facts`` say what the tree holds (a spec, a Dockerfile, routes, auth, a
        database): a criterion about something absent is never `pass`.
        """
        from critic.findings import with_fingerprints

        findings = list(findings)
        if any(not f.fingerprint for f in findings):
            findings = with_fingerprints(findings)
        native = [r.id for r in self.pack.rules]
        enabled = (lambda rid: config.rule_enabled(rid)) if config is not None else (lambda rid: True)
        met = self._requirements_met(config, files, facts)
        tiers: dict[int, str] = {}  # from "full" entries: the task's tier replaces the rule's
        raised: dict[int, str] = {}  # from "fail_only" entries: the task's tier only raises it
        results = []
        for tier, text, entries in self.matches:
            if not entries:
                results.append(CriterionResult(tier, text, "not_checkable", note=NO_RULE_NOTE))
                continue
            can_pass = True
            notes: list[str] = []
            rules: list[str] = []
            behind: list[int] = []
            for entry in entries:
                if entry.mode == "not_checkable":
                    can_pass = False
                    notes.append(entry.note)
                    continue
                unmet = [r for r in entry.requires if not met[r]]
                if unmet:  # its rules still run: a finding fails the criterion all the same
                    can_pass = False
                    notes.append(entry.note or " ".join(REQUIREMENT_NOTES[r] for r in unmet))
                ids = _expand(entry.rules, native)
                ran = [i for i in ids if enabled(i)]
                skipped = [i for i in ids if not enabled(i)]
                if skipped:
                    can_pass = False
                    notes.append(f"not run (deselected): {', '.join(skipped)}")
                if entry.mode == "fail_only":
                    can_pass = False
                    notes.append(entry.note)
                rules += ran
                for index, f in enumerate(findings):
                    selector = entry.selector_of(f)
                    if selector is not None and (":" in f.rule_id or enabled(f.rule_id)):
                        behind.append(index)
                        if ":" in f.rule_id:
                            rules.append(f.rule_id)
                        # the task's tier replaces the rule's only for a criterion about that
                        # rule's standard; a broad one ("Follows security best practices", whose
                        # entry takes every SEC rule and the engines) may raise a tier, never lower
                        # a critical SQL injection to nice_to_have
                        target = tiers if entry.mode == "full" and not entry.broad else raised
                        current = target.get(index)
                        if current is None or TIER_RANK[tier] < TIER_RANK[current]:
                            target[index] = tier
            behind = sorted(set(behind), key=lambda i: findings[i].sort_key)
            if behind:
                status = "fail"
            elif can_pass and rules:
                status = "pass"
            else:
                status = "not_checkable"
                if not rules and not notes:
                    notes.append("none of its rules ran")
            note = "" if status != "not_checkable" else " ".join(dict.fromkeys(notes))
            results.append(
                CriterionResult(
                    tier,
                    text,
                    status,
                    tuple(dict.fromkeys(rules)),
                    tuple(findings[i].fingerprint for i in behind),
                    note,
                )
            )
        out = []
        for index, f in enumerate(findings):
            tier = tiers.get(index, f.tier)
            if index in raised and TIER_RANK[raised[index]] < TIER_RANK.get(tier, 9):
                tier = raised[index]
            out.append(f if tier == f.tier else replace(f, tier=tier))
        return out, tuple(results)

    def _requirements_met(
        self, config: "Config | None", files: "Sequence[FileSummary] | None", facts: "Sequence[Fact] | None"
    ) -> dict[str, bool]:
        kinds = {f.kind for f in files} if files is not None else set()
        facts = facts or ()
        routes = [f for f in facts if f.kind == "route"]
        stacks = [f for f in facts if f.kind == "stack"]
        dockerfile = "dockerfile" in kinds
        return {
            # an empty hand-off ({}) claims nothing: nothing to find true
            "handoff": self.context.get("handoff") not in (None, {}),
            "openapi_spec": self._spec_present(config, files),
            "routes": bool(routes),
            "auth": any(r.get("auth") or r.get("dependencies_auth") for r in routes)
            or any(f.kind == "auth_alias" or (f.kind == "before_request" and f.get("auth")) for f in facts),
            "database": any(set(s.get("imports") or ()) & _DATABASE_MODULES or s.get("databases") for s in stacks)
            or any(f.kind in ("create_all", "relationship", "session_dependency") for f in facts),
            "dockerfile": dockerfile,
            "compose": "compose" in kinds,
            "container_files": dockerfile or "compose" in kinds,
        }

    def _spec_present(self, config: "Config | None", files: "Sequence[FileSummary] | None") -> bool:
        configured = self.context.get("spec") or (config.options.get("PRJ004", {}).get("spec") if config is not None else None)
        if configured:
            return True
        if files is None:
            return False
        return find_spec([f.path for f in files]) is not None


def _expand(selectors: Iterable[str], native: Sequence[str]) -> list[str]:
    out: list[str] = []
    for selector in selectors:
        if selector.endswith(":"):
            continue
        out += [rid for rid in native if _selector_matches(selector, rid) and rid not in out]
    return out


def plan_task(task: "Mapping[str, object] | Task", pack: "RulePack") -> TaskPlan:
    """Match the task's criteria to rules, and gather what the project rules need to know."""
    task = load_task(task)
    matches = tuple((tier, text, match_criterion(text)) for tier, text in task.criteria)
    context: dict[str, object] = {}
    if task.include_docker is not None:
        context["include_docker"] = task.include_docker
    if task.handoff is not None:
        context["handoff"] = task.handoff
        if isinstance(task.handoff, str):
            context["handoff_path"] = task.handoff
    if task.spec:
        context["spec"] = task.spec
    if task.original_prompt:
        context["original_prompt"] = task.original_prompt
    docs = task.documentation_requested
    if docs is None:
        asked = any(entry.id == "api-documentation" for _, _, entries in matches for entry in entries)
        docs = asked or asks_for_documentation(task.original_prompt)
    context["documentation_requested"] = docs
    return TaskPlan(task, pack, matches, context)


def asks_for_documentation(prompt: str) -> bool:
    said = words(prompt)
    return bool(_DOC_WORDS & set(said)) or any(a == "document" and b in _DOC_OBJECTS for a, b in zip(said, said[1:]))


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return resources.files("critic").joinpath("verdict.schema.json").read_text(encoding="utf-8")


def verdict_schema() -> dict:
    """The JSON Schema of the verdict (critic/verdict.schema.json, printed by `critic schema`)."""
    return json.loads(_schema_text())


def criteria_counts(criteria: Sequence[CriterionResult]) -> dict[str, int]:
    return {status: sum(1 for c in criteria if c.status == status) for status in STATUSES}


# --------------------------------------------------------------------------- the Python API
def critique_task(
    path: "str | os.PathLike[str]",
    task: "Mapping[str, object] | Task | str | os.PathLike[str]",
    handoff: "Mapping[str, object] | str | os.PathLike[str] | None" = None,
    *,
    engines: Sequence[str] | None = None,
    config: "Config | None" = None,
) -> "Report":
    """Critique the backend at ``path`` for a critique task; the Report carries the criteria.

    ``task`` is a PLN task (or its inputs) as a mapping, a Task, or the path of a JSON file;
    ``handoff`` (a mapping or the path of a JSON file) overrides the task's own hand-off.
    """
    from critic.api import critique

    loaded = load_task(task)
    if handoff is not None:
        if not isinstance(handoff, Mapping):
            handoff_path = Path(handoff)
            if not handoff_path.is_file():
                raise TaskError(f"no such hand-off file: {handoff}")
            handoff = str(handoff_path.resolve())
        loaded = replace(loaded, handoff=dict(handoff) if isinstance(handoff, Mapping) else handoff)
    return critique([path], config, task=loaded, engines=engines)
