"""QLT001 in compose files: TODO/FIXME/XXX/HACK markers in YAML comments."""
from __future__ import annotations

from typing import TYPE_CHECKING

from critic.rule import ComposeRule
from critic.rules.python.todo_marker import (
    TodoMarkerBase,
    marker_in_comment,
    marker_message,
)

if TYPE_CHECKING:  # pragma: no cover
    from critic.parsers.yaml_doc import Node


class ComposeTodoMarker(TodoMarkerBase, ComposeRule):
    __doc__ = TodoMarkerBase.__doc__

    def check(self, root: Node) -> None:
        for line, text in self.doc.comments:
            marker = marker_in_comment(text.lstrip().lstrip("#"))
            if marker is not None:
                self.report(line, marker_message(marker))
