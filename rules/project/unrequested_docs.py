"""PRJ006: no documentation files beyond a README unless the task asked for them."""
from __future__ import annotations

from critic.rule import Invalid, ProjectRule, Valid

_DOC_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".adoc")
#: Files with a documentation suffix that are not documentation (or are the one allowed README).
_NOT_DOCS = ("readme", "license", "licence", "copying", "notice", "requirements", "constraints", "runtime.txt", "robots.txt")
#: Folders whose text files are data, templates or test material, not documentation.
_SKIPPED_FOLDERS = frozenset(
    {"tests", "test", "templates", "static", "assets", "data", "fixtures", "locale", "prompts", "requirements", "resources"}
)


class UnrequestedDocs(ProjectRule):
    """
    ## What it does
    Reports each documentation file the agent added beyond a README: Markdown, reStructuredText,
    AsciiDoc and text files (`CHANGELOG.md`, `ARCHITECTURE.md`, `API.md`, `docs/**`...), one
    finding per file at its line 1. Not documentation: `README*`, `LICENSE*`, `NOTICE*`,
    `requirements*.txt`, `constraints*.txt`, `runtime.txt`, `robots.txt`, and files under
    `tests/`, hidden folders (`.github/`) or folders of data and templates (`templates/`,
    `static/`, `assets/`, `data/`, `fixtures/`, `locale/`, `prompts/`, `requirements/`,
    `resources/`). Nothing is reported when the critique task requested documentation
    (`documentation_requested`).

    ## Why is this bad?
    DEV tells the agent not to create documentation files unless explicitly requested: they
    cost the user review time, go stale with the next change, and often describe what the
    agent intended rather than what the code does.

    ## Example
        README.md
        ARCHITECTURE.md
        docs/api.md

    ## Use instead
        README.md
    """

    id = "PRJ006"
    name = "unrequested-docs"
    tier = "nice_to_have"
    severity = "low"
    confidence = "high"
    sources = ("DEV Constraints (no documentation files unless requested)",)
    message = "Documentation file beyond the README was not requested"
    fix = "Delete the file (fold anything essential into README.md), unless the task asked for this documentation."
    VALID = (
        Valid(files={"README.md": "# api\n", "LICENSE.txt": "MIT\n", "requirements-dev.txt": "pytest\n", "app/main.py": ""}),
        Valid(files={".github/PULL_REQUEST_TEMPLATE.md": "", "tests/fixtures/payload.txt": "x\n", "app/README.rst": ""}),
        Valid(files={"requirements/prod.txt": "fastapi\n", "app/templates/welcome_email.txt": "Hello {{ name }}\n"}),
    )
    INVALID = (
        Invalid(files={"README.md": "# api\n", "ARCHITECTURE.md": "# design\n"}, line=1, path="ARCHITECTURE.md"),
        Invalid(files={"docs/api.md": "# endpoints\n", "app/main.py": ""}, line=1, path="docs/api.md"),
        Invalid(files={"backend/CHANGELOG.md": "## 0.1.0\n"}, line=1, path="backend/CHANGELOG.md"),
    )

    def check(self) -> None:
        if _requested(self.project.context.get("documentation_requested")):
            return
        for path in self.project.paths("other"):
            parts = path.split("/")
            name = parts[-1].lower()
            if not name.endswith(_DOC_SUFFIXES) or name.startswith(_NOT_DOCS):
                continue
            if any(p.startswith(".") or p in _SKIPPED_FOLDERS for p in parts[:-1]):
                continue
            self.report(path, 1, f"Documentation file {parts[-1]} was not requested")


def _requested(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "no", "0", "off")
    return bool(value)
