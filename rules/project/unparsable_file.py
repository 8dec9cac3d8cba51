"""PRJ003: every Python file, Dockerfile and compose file parses."""
from __future__ import annotations

from critic.analyze import PARSE_ERROR
from critic.rule import Invalid, ProjectRule, Valid


class UnparsableFile(ProjectRule):
    """
    ## What it does
    Reports every Python file, Dockerfile and compose file that critic cannot read or parse:
    syntax errors, binary content, text that is not valid UTF-8 (or its declared encoding),
    files over the size limit, empty Dockerfiles, malformed YAML, a compose file that is not a
    mapping.

    ## Why is this bad?
    A file that does not parse does not build, and a file critic cannot read is a file no rule
    has checked. AGT rejects a hand-off whose build fails; critic says so instead of skipping
    the file in silence.

    ## Example
        def create_user(payload:
            return payload

    ## Use instead
        def create_user(payload):
            return payload
    """

    id = "PRJ003"
    name = "unparsable-file"
    tier = "critical"
    severity = "high"
    sources = ('AGT code execution ("handoff rejected if build fails")',)
    message = "File cannot be parsed"
    fix = "Make the file parse (fix the syntax, save it as UTF-8 text) so it builds and can be checked."
    VALID = (Valid(files={"app/main.py": "x = 1\n", "Dockerfile": "FROM python:3.12-slim\n"}),)
    INVALID = (
        Invalid(files={"app/main.py": "x = = 1\nprint(x)\n"}, line=1, path="app/main.py"),
        Invalid(files={"Dockerfile": ""}, line=1, path="Dockerfile"),
        Invalid(files={"docker-compose.yml": "- a\n- b\n"}, line=1, path="docker-compose.yml"),
    )

    def check(self) -> None:
        for fact in self.project.facts_of(PARSE_ERROR):
            kind = fact.get("kind", "file")
            label = {"python": "Python file", "dockerfile": "Dockerfile", "compose": "Compose file"}.get(str(kind), "File")
            self.report(
                fact.path,
                fact.line,
                f"{label} cannot be parsed: {fact.get('message')}",
                column=int(fact.get("column", 1) or 1),
            )
