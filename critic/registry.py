"""A rule pack: the explicit list of rule classes, indexed by kind and by id."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from critic.config import Config
from critic.rule import ComposeRule, DockerfileRule, ProjectRule, PythonRule, PythonVisitor, RuleMeta
from critic.suppress import META_RULES


@dataclass(frozen=True)
class RulePack:
    rules: tuple[type[RuleMeta], ...]
    #: Python visitors that only gather facts for project rules (no id of their own).
    collectors: tuple[type[PythonVisitor], ...] = ()
    version: str = "0"

    def __post_init__(self) -> None:
        seen: dict[tuple[str, str], type] = {}
        for rule in self.rules:
            if not rule.id or not rule.name:
                raise ValueError(f"{rule.__name__} has no id or name")
            key = (rule.id, rule.kind)
            if key in seen:
                raise ValueError(f"{rule.id} is defined twice for {rule.kind}: {seen[key].__name__}, {rule.__name__}")
            seen[key] = rule

    @cached_property
    def by_id(self) -> dict[str, type[RuleMeta]]:
        """The documented rule for each id (the first class listed for it)."""
        out: dict[str, type[RuleMeta]] = {}
        for rule in self.rules + META_RULES:
            out.setdefault(rule.id, rule)
        return out

    def ids(self) -> list[str]:
        return sorted(self.by_id)

    def enabled(self, config: Config, kind: type) -> tuple[type, ...]:
        return tuple(r for r in self.rules if issubclass(r, kind) and config.rule_enabled(r.id))

    def python(self, config: Config) -> tuple[type[PythonVisitor], ...]:
        return self.collectors + self.enabled(config, PythonRule)

    def dockerfile(self, config: Config) -> tuple[type[DockerfileRule], ...]:
        return self.enabled(config, DockerfileRule)

    def compose(self, config: Config) -> tuple[type[ComposeRule], ...]:
        return self.enabled(config, ComposeRule)

    def project(self, config: Config) -> tuple[type[ProjectRule], ...]:
        return self.enabled(config, ProjectRule)


def default_pack() -> RulePack:
    from critic.rules import COLLECTORS, RULES, VERSION

    return RulePack(tuple(RULES), tuple(COLLECTORS), VERSION)
