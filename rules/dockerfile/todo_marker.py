"""QLT001 in Dockerfiles: TODO/FIXME/XXX/HACK markers in comment lines."""
from __future__ import annotations

from critic.rule import DockerfileRule
from critic.rules.python.todo_marker import (
    TodoMarkerBase,
    marker_in_comment,
    marker_message,
)


class DockerfileTodoMarker(TodoMarkerBase, DockerfileRule):
    __doc__ = TodoMarkerBase.__doc__

    def finish(self) -> None:
        for comment in self.dockerfile.comments:
            marker = marker_in_comment(comment.text)
            if marker is not None:
                self.report(comment.line, marker_message(marker))
