"""MCP at /mcp, driven by the official `mcp` client over HTTP: the agent's five tools, each user's
own tasks only, the REST API's token checks with RFC 9728 discovery, and the audit trail."""

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import jwt
import pytest
from agents import Agent, RunConfig, Runner
from agents.mcp import MCPServerStreamableHttp
from agents.testing import ScriptedModel, assistant_message, function_call
from fastapi import FastAPI
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from agent.function_tools import task_tools
from tests.conftest import JWT_SECRET, asgi_client
from tests.factories import AuthedUser, make_task

URL = "http://testserver/mcp"
METADATA = "http://localhost:8000/.well-known/oauth-protected-resource/mcp"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}


def http_client(app: FastAPI, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), headers=headers, **kwargs)


@asynccontextmanager
async def mcp_session(app: FastAPI, user: AuthedUser, **headers: str) -> AsyncIterator[Client]:
    async with (
        http_client(app, {**user.headers, **headers}) as http,
        Client(streamable_http_client(URL, http_client=http)) as client,
    ):
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def test_the_five_tools_as_the_agent_sees_them(app: FastAPI, alice: AuthedUser) -> None:
    async with mcp_session(app, alice) as client:
        tools = (await client.list_tools()).tools
    published = {t.name: (t.description, t.input_schema) for t in tools}
    agents = {t.name: (t.description, t.params_json_schema) for t in task_tools()}
    assert list(published) == ["create_task", "read_task", "update_task", "delete_task", "list_tasks"]
    assert published == agents


async def test_a_user_manages_their_tasks_and_nobody_elses(
    app: FastAPI, alice: AuthedUser, bob: AuthedUser
) -> None:
    async with mcp_session(app, alice) as client:
        task = await call(client, "create_task", title="Dentist", priority="high")
        listed = await call(client, "list_tasks", search="dentist")
        assert [t["id"] for t in listed["items"]] == [task["id"]]
        updated = await call(client, "update_task", task_id=task["id"], completed=True, due_date="2026-12-04")
        assert (updated["completed"], updated["due_date"]) == (True, "2026-12-04")

    async with mcp_session(app, bob) as client:
        assert (await call(client, "list_tasks"))["total"] == 0
        for tool, arguments in [
            ("read_task", {"task_id": task["id"]}),
            ("update_task", {"task_id": task["id"], "title": "Mine now"}),
            ("delete_task", {"task_id": task["id"]}),
        ]:
            result = await client.call_tool(tool, arguments)
            assert result.is_error
            assert result.structured_content == {
                "error": {"code": "not_found", "message": f"task {task['id']} not found"}
            }, result

    async with mcp_session(app, alice) as client:
        assert (await call(client, "read_task", task_id=task["id"]))["title"] == "Dentist"
        assert (await call(client, "delete_task", task_id=task["id"]))["id"] == task["id"]
        assert (await call(client, "list_tasks", search="dentist"))["total"] == 0


async def test_a_bad_argument_is_a_tool_error_naming_it_and_audited(
    app: FastAPI, client: httpx2.AsyncClient, alice: AuthedUser
) -> None:
    request_id = f"mcp-{uuid.uuid4().hex[:8]}"
    async with mcp_session(app, alice, **{"X-Request-ID": request_id}) as mcp:
        result = await mcp.call_tool("create_task", {"title": "Milk", "priority": "urgent"})
    assert result.is_error
    assert result.content[0].text.startswith("priority: Input should be 'low', 'medium' or 'high'")
    assert result.structured_content["error"]["details"][0]["field"] == "priority"

    actions = (await client.get("/api/actions", params={"source": "mcp"}, headers=alice.headers)).json()
    row = next(a for a in actions["items"] if a["request_id"] == request_id)
    assert (row["tool"], row["status"], row["source"]) == ("create_task", "error", "mcp")
    assert row["arguments"] == {"title": "Milk", "priority": "urgent"}
    assert row["error"].startswith("priority:")


async def test_an_internal_failure_does_not_leak(app: FastAPI, alice: AuthedUser) -> None:
    async with mcp_session(app, alice) as client:
        result = await client.call_tool("no_such_tool", {})
        assert result.is_error and result.content[0].text == "there is no tool named 'no_such_tool'"


def expired_token(user: AuthedUser) -> str:
    now = int(time.time())
    return jwt.encode({"sub": user.id, "iat": now - 7200, "exp": now - 3600}, JWT_SECRET, algorithm="HS256")


@pytest.mark.parametrize("token", ["none", "garbage", "expired", "other-key", "orphaned"])
async def test_without_a_valid_token_401_points_at_the_metadata(
    app: FastAPI, alice: AuthedUser, token: str
) -> None:
    bearer = {
        "none": None,
        "garbage": "not-a-jwt",
        "expired": expired_token(alice),
        "other-key": jwt.encode({"sub": alice.id, "iat": 1, "exp": 2**32}, "x" * 64, algorithm="HS256"),
        "orphaned": app.state.tokens.issue(uuid.uuid4()),  # valid, but its user is gone
    }[token]
    headers = {"Accept": "application/json, text/event-stream"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    async with http_client(app) as http:
        response = await http.post(URL, json=INITIALIZE, headers=headers)
    assert response.status_code == 401
    assert f'resource_metadata="{METADATA}"' in response.headers["www-authenticate"]


async def test_the_protected_resource_metadata_is_served_where_the_401_points(app: FastAPI) -> None:
    async with asgi_client(app) as http:
        response = await http.get(METADATA.removeprefix("http://localhost:8000"))
    assert response.status_code == 200
    assert response.json()["resource"] == "http://localhost:8000/mcp"


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [("Host", "evil.example", 421), ("Origin", "http://evil.example", 403), ("Host", "localhost:8000", 200)],
)
async def test_dns_rebinding_protection(
    app: FastAPI, alice: AuthedUser, header: str, value: str, status: int
) -> None:
    headers = {**alice.headers, "Accept": "application/json, text/event-stream", header: value}
    async with http_client(app) as http:
        response = await http.post(URL, json=INITIALIZE, headers=headers)
    assert response.status_code == status, response.text


async def test_the_agents_sdk_as_an_mcp_client(
    app: FastAPI, client: httpx2.AsyncClient, alice: AuthedUser
) -> None:
    """One round trip: a scripted model calls the tools through `MCPServerStreamableHttp`."""
    await make_task(app, alice, "Water the plants")

    def factory(
        headers: dict[str, str] | None = None, timeout: Any = None, auth: Any = None
    ) -> httpx2.AsyncClient:
        return http_client(app, headers, timeout=timeout, auth=auth)

    model = ScriptedModel(
        [
            [function_call("create_task", {"title": "Call mum", "due_date": "2026-12-01"}, call_id="c1")],
            [function_call("list_tasks", {"sort_by": "title"}, call_id="c2")],
            [assistant_message("Added it; you have two tasks.")],
        ]
    )
    params = {"url": URL, "headers": alice.headers, "httpx_client_factory": factory}
    async with MCPServerStreamableHttp(params=params, cache_tools_list=True) as server:  # type: ignore[arg-type]
        agent = Agent(name="mcp-client", model=model, mcp_servers=[server])
        result = await Runner.run(agent, "add call mum", run_config=RunConfig(tracing_disabled=True))
    model.assert_complete()
    assert result.final_output == "Added it; you have two tasks."
    listed = str(model.calls[2].input[-1])  # what the model read back from list_tasks
    assert "Call mum" in listed and "Water the plants" in listed

    tasks = (await client.get("/api/tasks", params={"sort_by": "title"}, headers=alice.headers)).json()
    assert [t["title"] for t in tasks["items"]] == ["Call mum", "Water the plants"]
    actions = (await client.get("/api/actions", params={"source": "mcp"}, headers=alice.headers)).json()
    assert [a["tool"] for a in actions["items"][:2]] == ["list_tasks", "create_task"]
