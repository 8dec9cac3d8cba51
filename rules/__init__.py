"""critic's rule pack: the explicit list of every rule critic runs.

A rule is added here and nowhere else: no registration by import side effects, no package
walking. The order of the list is the order of ``critic rules``.
"""
from __future__ import annotations

from critic.rule import PythonVisitor, RuleMeta
from critic.rules.project.unparsable_file import UnparsableFile

#: Bumped whenever a rule changes what it reports; part of the cache key.
VERSION = "0.1.0"

RULES: tuple[type[RuleMeta], ...] = (
    UnparsableFile,
)

#: Visitors that gather facts for project-level rules (routes, apps, models), without ids.
COLLECTORS: tuple[type[PythonVisitor], ...] = ()
