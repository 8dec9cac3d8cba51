"""critic as an MCP server: `critic mcp` serves the critique as a tool over stdio.

Built on the official ``mcp`` SDK's low-level ``Server`` so that the tool's input schema (the
critique task's fields) and output schema (critic/verdict.schema.json) are the published
ones, not ones inferred from a Python signature. The tool answers with the JSON verdict as
structured content (and the same JSON as text, for clients that read only text).

An agent's MCP configuration::

    {"mcpServers": {"critic": {"command": "critic", "args": ["mcp"]}}}
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from critic import __version__

TOOL_NAME = "critique"
TOOL_DESCRIPTION = (
    "Statically critique a generated backend (FastAPI/Flask/Django + SQLAlchemy + Dockerfile + "
    "docker-compose) against a critique task. Give the backend's folder and the task's "
    "validation_criteria (critical / expected / nice_to_have free-text criteria); the answer is "
    "a structured verdict: overall pass | pass_with_warnings | fail | incomplete, every criterion "
    "with status pass | fail | not_checkable and the findings behind a failure (file, line, "
    "problem, fix), and a summary listing the most important fixes first. Criteria static "
    "analysis cannot judge ('Tests pass', 'Server starts') are not_checkable, never pass."
)

_CRITERIA_LIST = {"type": "array", "items": {"type": "string"}}
_ENGINES = ["ruff", "bandit", "semgrep", "hadolint"]

INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "path": {
            "type": "string",
            "description": "The backend's folder: absolute, or relative to the server's working directory.",
        },
        "original_prompt": {"type": "string", "description": "The user's original request (PLN inputs.original_prompt)."},
        "preceding_task": {
            "type": "object",
            "description": "The build task being critiqued (PLN inputs.preceding_task).",
            "properties": {
                "task_order": {"type": "integer"},
                "skill_id": {"type": "string"},
                "task_name": {"type": "string"},
                "description": {"type": "string"},
            },
        },
        "validation_criteria": {
            "type": "object",
            "description": "The criteria to judge, by tier (PLN inputs.validation_criteria).",
            "properties": {"critical": _CRITERIA_LIST, "expected": _CRITERIA_LIST, "nice_to_have": _CRITERIA_LIST},
            "additionalProperties": False,
        },
        "include_docker": {
            "type": "boolean",
            "description": "false when the build task did not ask for a Dockerfile and docker-compose.yml (default true).",
        },
        "handoff": {
            "type": ["object", "string"],
            "description": "The build agent's hand-off (DEV outputs or AGT hand-off JSON), or the path of its JSON file relative to `path`.",
        },
        "spec": {"type": "string", "description": "The OpenAPI spec to hold the routes to, relative to `path` (default: specs/openapi.yaml)."},
        "task": {
            "type": "object",
            "description": "A whole PLN critique task (or its inputs); the fields above, when given, override its own.",
        },
        "engines": {
            "description": "External engines to run besides critic's own rules: a list, or all | fast | none (default: the project's configuration, else all).",
            "oneOf": [
                {"type": "array", "items": {"enum": _ENGINES}, "uniqueItems": True},
                {"enum": ["all", "fast", "none"]},
            ],
        },
    },
    "required": ["path"],
    "additionalProperties": False,
}

_TASK_FIELDS = ("original_prompt", "preceding_task", "validation_criteria", "include_docker", "handoff", "spec")


def _inputs(arguments: Mapping[str, Any]) -> tuple[Path, dict]:
    """The folder to critique and the task's inputs: ``task`` overlaid with the separate fields.

    A hand-off or spec given as a relative path is relative to the folder.
    """
    path = Path(str(arguments["path"])).expanduser().resolve()
    if not path.is_dir():
        raise ValueError(f"no such folder: {arguments['path']}")
    given = arguments.get("task") or {}
    inputs: dict = {}
    if isinstance(given, Mapping):
        # as parse_task reads a task: the fields under `inputs` first, then the top level's
        nested = given.get("inputs")
        inputs = {k: v for k, v in given.items() if k != "inputs"}
        if isinstance(nested, Mapping):
            inputs.update(nested)
    for name in _TASK_FIELDS:
        if arguments.get(name) is not None:
            inputs[name] = arguments[name]
    handoff = inputs.get("handoff")
    if isinstance(handoff, str) and handoff.strip():
        full = Path(handoff) if Path(handoff).is_absolute() else path / handoff
        if not full.is_file():
            raise ValueError(f"no such hand-off file: {handoff}")
        inputs["handoff"] = str(full)
    return path, inputs


def run_tool(arguments: Mapping[str, Any]) -> dict:
    """The tool's work, as plain data in and out (the server runs it in a worker thread)."""
    from critic.api import critique
    from critic.config import ENGINE_NAMES, FAST_ENGINES
    from critic.report.json_report import report_dict
    from critic.task import parse_task

    path, inputs = _inputs(arguments)
    task = parse_task(inputs)
    engines = arguments.get("engines")
    if isinstance(engines, str):
        engines = {"all": ENGINE_NAMES, "fast": FAST_ENGINES, "none": ()}[engines]
    report = critique([path], task=task, engines=tuple(engines) if engines is not None else None)
    return report_dict(report)


def run_tool_isolated(arguments: Mapping[str, Any], timeout: float | None = None) -> dict:
    """``run_tool`` in a fresh ``critic critique`` process.

    The server is multi-threaded (the SDK reads stdin in a worker thread) and the native pass
    forks worker processes for large trees; forking a threaded process can deadlock, so each
    call runs in its own single-threaded process. It also keeps one call's memory and any
    crash away from the server.
    """
    import json
    import subprocess
    import sys

    from critic.task import parse_task

    path, inputs = _inputs(arguments)
    parse_task(inputs)  # a malformed task is the caller's error, reported before any work
    command = [sys.executable, "-m", "critic", "critique", str(path), "--task", "-", "--format", "json", "--exit-zero"]
    engines = arguments.get("engines")
    if engines is not None:
        command += ["--engines", engines if isinstance(engines, str) else (",".join(engines) or "none")]
    done = subprocess.run(command, input=json.dumps(inputs), capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"critic exited with status {done.returncode}"
        raise ValueError(message.removeprefix("critic: error: "))
    return json.loads(done.stdout)


def build_server():
    """The MCP server with its one tool (no I/O until it is run)."""
    import anyio
    import mcp.types as types
    from mcp.server.lowlevel import Server

    from critic.task import verdict_schema

    server: Server = Server("critic", version=__version__, instructions=TOOL_DESCRIPTION)
    tool = types.Tool(
        name=TOOL_NAME,
        title="Critique a generated backend",
        description=TOOL_DESCRIPTION,
        inputSchema=INPUT_SCHEMA,
        outputSchema=verdict_schema(),
        annotations=types.ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False),
    )

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return [tool]

    @server.call_tool()
    async def call_tool(name: str, arguments: dict[str, Any]) -> dict:
        if name != TOOL_NAME:
            raise ValueError(f"unknown tool {name!r}; the tool is {TOOL_NAME!r}")
        return await anyio.to_thread.run_sync(run_tool_isolated, arguments)

    return server


def main() -> int:
    """Serve over stdio until the client closes the connection."""
    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server()

    async def serve() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(serve)
    return 0
