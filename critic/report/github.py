"""GitHub Actions workflow commands: one annotation per finding, shown on the pull request diff.

    ::error file=app/db.py,line=12,col=5,endLine=12,endColumn=40,title=SQL001 sql-string-building::SQL text ...

critical -> ``error``, expected -> ``warning``, nice_to_have -> ``notice``. Paths are relative
to the scanned root: run critic from the repository root (``critic check .``, or
``--root .`` when checking a sub-folder) so that they are relative to the workspace too.
Data is escaped as the Actions runner expects (``%``, CR, LF), property values also ``:`` and
``,``. Engines that could not run and files that could not be read are annotated too, and the
last line is the verdict in plain text.
"""
from __future__ import annotations

from critic.model import Finding, Report
from critic.report import RenderOptions

LEVEL = {"critical": "error", "expected": "warning", "nice_to_have": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: object) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None)
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"


def annotation(f: Finding) -> str:
    props: dict[str, object] = {}
    if f.path not in ("", "."):
        props["file"] = f.path
        props["line"] = f.line
        props["col"] = f.column
        end_line = max(f.end_line, f.line)
        props["endLine"] = end_line
        if end_line == f.line and f.end_column > f.column:
            props["endColumn"] = f.end_column
    props["title"] = f"{f.rule_id} {f.name}" if f.name and f.name != f.rule_id else f.rule_id
    message = f.message.rstrip().rstrip(".")
    text = f"{message}. Fix: {f.fix}" if f.fix else f"{message}."
    return command(LEVEL.get(f.tier, "warning"), text, **props)


def render(report: Report, options: RenderOptions | None = None) -> str:
    out = [annotation(f) for f in report.findings]
    for e in report.engines:
        if e.status in ("failed", "timeout", "missing"):
            out.append(command("warning", f"{e.status}: {e.reason}" if e.reason else e.status, title=f"critic engine {e.name}"))
    for e in report.errors:
        props = {"file": e.path} if e.path not in ("", ".") else {}
        out.append(command("error", e.message, **props, title="critic could not check this"))
    counts = dict(report.counts)
    out.append(
        f"critic: {report.verdict.upper()}: {counts.get('critical', 0)} critical, {counts.get('expected', 0)} expected, "
        f"{counts.get('nice_to_have', 0)} nice-to-have"
    )
    return "\n".join(out) + "\n"
