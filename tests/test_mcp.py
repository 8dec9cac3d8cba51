"""The MCP server answers a real MCP client session over stdio, as an agent would call it."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import anyio
import jsonschema
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from critic.mcp_server import INPUT_SCHEMA, TOOL_NAME, run_tool
from critic.task import verdict_schema

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
TIMEOUT = timedelta(seconds=120)


async def _session(calls):
    """Start `python -m critic mcp`, initialise, run ``calls(session)`` and return its result."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "critic", "mcp"], cwd=str(REPO))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, read_timeout_seconds=TIMEOUT) as session:
            init = await session.initialize()
            assert init.serverInfo.name == "critic"
            return await calls(session)


def _run(calls):
    return anyio.run(_session, calls)


def test_the_tool_is_listed_with_the_task_schema_and_the_verdict_schema():
    async def calls(session):
        return (await session.list_tools()).tools

    (tool,) = _run(calls)
    assert tool.name == TOOL_NAME
    assert tool.inputSchema["required"] == ["path"]
    assert set(tool.inputSchema["properties"]) == {
        "path", "original_prompt", "preceding_task", "validation_criteria", "include_docker", "handoff", "spec", "task", "engines",
    }
    assert tool.outputSchema == verdict_schema()
    assert tool.annotations.readOnlyHint is True


def test_a_critique_task_over_mcp():
    arguments = {
        "path": "fixtures/spec_handoff",
        "original_prompt": "Build the user directory API defined in specs/openapi.yaml",
        "preceding_task": {"task_order": 1, "skill_id": "acme/skills/backend-dev", "task_name": "Build user directory API", "description": "Implement the spec"},
        "validation_criteria": {
            "critical": ["Implements the OpenAPI spec exactly", "Hand-off outputs are accurate"],
            "expected": ["Input validation implemented", "Tests pass"],
        },
        "handoff": "handoff.json",
        "engines": "none",
    }

    async def calls(session):
        return await session.call_tool(TOOL_NAME, arguments)

    result = _run(calls)
    assert result.isError is False
    verdict = result.structuredContent
    jsonschema.validate(verdict, verdict_schema())
    assert verdict["verdict"] == "fail"
    statuses = {c["criterion"]: (c["status"], c["locations"]) for c in verdict["criteria"]}
    assert statuses == {
        "Implements the OpenAPI spec exactly": ("fail", ["app/routers/users.py:33 PRJ004", "specs/openapi.yaml:29 PRJ004", "specs/openapi.yaml:34 PRJ004"]),
        "Hand-off outputs are accurate": ("fail", ["Dockerfile:13 PRJ005", "handoff.json:6 PRJ005", "handoff.json:23 PRJ005"]),
        "Input validation implemented": ("pass", []),
        "Tests pass": ("not_checkable", []),
    }
    # the same verdict as text, for clients that read only text content
    assert '"verdict": "fail"' in result.content[0].text


def test_a_clean_backend_and_a_whole_pln_task_over_mcp():
    task = {
        "inputs": {
            "original_prompt": "Inventory API",
            "validation_criteria": {"critical": ["No hardcoded secrets", "Tests pass"], "expected": ["Input validation"], "nice_to_have": ["Logging"]},
        }
    }

    async def calls(session):
        return await session.call_tool(TOOL_NAME, {"path": str(FIXTURES / "fastapi_clean"), "task": task, "engines": []})

    verdict = _run(calls).structuredContent
    assert verdict["verdict"] == "pass"
    assert verdict["criteria_counts"] == {"pass": 2, "fail": 0, "not_checkable": 2}


def test_errors_come_back_as_tool_errors():
    async def calls(session):
        missing = await session.call_tool(TOOL_NAME, {"path": "fixtures/no-such-backend", "engines": "none"})
        bad_tier = await session.call_tool(TOOL_NAME, {"path": "fixtures/fastapi_clean", "validation_criteria": {"urgent": ["x"]}})
        bad_engine = await session.call_tool(TOOL_NAME, {"path": "fixtures/fastapi_clean", "engines": ["pylint"]})
        return missing, bad_tier, bad_engine

    missing, bad_tier, bad_engine = _run(calls)
    assert missing.isError and "no such folder" in missing.content[0].text
    assert bad_tier.isError and "urgent" in bad_tier.content[0].text
    assert bad_engine.isError


def test_run_tool_in_process_matches_the_schema():
    verdict = run_tool({"path": str(FIXTURES / "fastapi_flawed"), "engines": "none", "validation_criteria": {"expected": ["Input validation"]}})
    jsonschema.validate(verdict, verdict_schema())
    (criterion,) = verdict["criteria"]
    assert criterion["locations"] == ["app/routers/auth.py:49 API004", "app/routers/items.py:94 API004"]
    jsonschema.Draft202012Validator.check_schema(INPUT_SCHEMA)
    with pytest.raises(ValueError, match="no such hand-off file"):
        run_tool({"path": str(FIXTURES / "fastapi_clean"), "handoff": "missing.json"})


def test_a_task_argument_keeps_its_top_level_fields():
    # a PLN task whose hand-off and include_docker sit beside `inputs`, as parse_task reads them
    task = {
        "inputs": {"validation_criteria": {"critical": ["Hand-off outputs are accurate"]}},
        "handoff": "handoff.json",
        "include_docker": False,
    }
    verdict = run_tool({"path": str(FIXTURES / "spec_handoff"), "engines": "none", "task": task})
    (criterion,) = verdict["criteria"]
    assert criterion["status"] == "fail"
    assert {f["rule_id"] for f in verdict["findings"] if f["path"] == "handoff.json"} == {"PRJ005"}
