"""Two instances of the service behind nginx, as deployed: a turn stopped from the other instance,
an instance killed mid-turn, an instance shut down mid-turn (a deploy). Real processes on
loopback, served as in production (`python -m backend.serve`); the model is the offline one,
served slowly over HTTP so that a turn can be caught in the middle."""

import asyncio
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from replay.offline_server import offline_brain
from tests.conftest import JWT_SECRET
from tests.deploy.nginx_process import running_nginx
from wire.reply import Reply
from wire.server import ModelRequest, create_app, free_port, serving

ROOT = Path(__file__).resolve().parents[2]
Events = list[tuple[str, dict[str, Any]]]


@dataclass
class Instance:
    url: str
    process: asyncio.subprocess.Process


@asynccontextmanager
async def instance(database_url: str, model_url: str, *, grace_s: float = 20) -> AsyncIterator[Instance]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_POOL_SIZE": "5",  # opened at start: a few instances at once stay well under max_connections
        "ENVIRONMENT": "test",
        "JWT_SECRET": JWT_SECRET,
        "LLM_PROVIDER": "openai",
        "OPENAI_BASE_URL": f"{model_url}/v1",
        "OPENAI_API_KEY": "offline",
        "LLM_MODEL": "offline-rules",
        "LLM_MAX_RETRIES": "0",
        "LOG_LEVEL": "WARNING",
        "SHUTDOWN_GRACE_S": str(grace_s),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "backend.serve", "--port", str(port),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx2.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{url}/health")).status_code == 200:
                        break
                except httpx2.TransportError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the instance did not start")
        yield Instance(url, process)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


@asynccontextmanager
async def slow_model(seen: list[ModelRequest]) -> AsyncIterator[str]:
    """The offline model over HTTP, a fragment every 50 ms: a turn lasts a couple of seconds."""

    async def brain(request: ModelRequest) -> Reply:
        seen.append(request)
        return await offline_brain(request)

    async with serving(create_app(brain, fragment_delay=0.05)) as url:
        yield url


async def register(client: httpx2.AsyncClient, base: str) -> dict[str, str]:
    body = {"email": f"ops-{uuid.uuid4().hex[:8]}@example.com", "password": "a long enough passphrase"}
    response = await client.post(f"{base}/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def events_until(lines: AsyncIterator[str], last: str) -> Events:
    events: Events = []
    name = ""
    async for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[6:])))
            if name == last or name in ("done", "error"):
                break
    return events


MESSAGE = "add a high priority task for Friday to call the dentist"


async def test_a_turn_stopped_through_the_other_instance(database_url: str) -> None:
    seen: list[ModelRequest] = []
    async with (
        slow_model(seen) as model,
        instance(database_url, model) as a,
        instance(database_url, model) as b,
        running_nginx([a.url.removeprefix("http://"), b.url.removeprefix("http://")]) as edge,
        httpx2.AsyncClient(timeout=30) as client,
    ):
        headers = await register(client, edge.url)
        async with client.stream(
            "POST", f"{a.url}/api/chat", json={"message": MESSAGE}, headers=headers
        ) as turn:
            lines = turn.aiter_lines()
            first = await events_until(lines, "tool_result")
            conversation_id = first[0][1]["conversation_id"]
            stop = await client.post(f"{b.url}/api/conversations/{conversation_id}/stop", headers=headers)
            started = asyncio.get_running_loop().time()
            rest = await events_until(lines, "done")
            took = asyncio.get_running_loop().time() - started
        detail = (await client.get(f"{edge.url}/api/conversations/{conversation_id}", headers=headers)).json()
    assert stop.status_code == 202
    assert rest[-1][0] == "done" and rest[-1][1]["stopped"] is True and took < 1.5
    assert detail["turns"][0]["status"] == "stopped"
    assert [action["tool"] for action in detail["turns"][0]["actions"]] == ["create_task"]


async def test_an_instance_killed_mid_turn(database_url: str) -> None:
    seen: list[ModelRequest] = []
    async with (
        slow_model(seen) as model,
        instance(database_url, model) as a,
        instance(database_url, model) as b,
        running_nginx([a.url.removeprefix("http://"), b.url.removeprefix("http://")]) as edge,
        httpx2.AsyncClient(timeout=30) as client,
    ):
        headers = await register(client, edge.url)
        async with client.stream(
            "POST", f"{a.url}/api/chat", json={"message": MESSAGE}, headers=headers
        ) as turn:
            first = await events_until(turn.aiter_lines(), "tool_result")
            a.process.send_signal(signal.SIGKILL)  # no goodbye: the tool step is committed, the rest is not
        await a.process.wait()
        conversation_id = first[0][1]["conversation_id"]
        body = {"message": "show my tasks", "conversation_id": conversation_id, "stream": False}
        started, reply = asyncio.get_running_loop().time(), None
        while asyncio.get_running_loop().time() - started < 15:
            reply = await client.post(f"{edge.url}/api/chat", json=body, headers=headers)
            if reply.status_code == 200:
                break
            assert reply.status_code in (409, 502), reply.text  # still locked by the dead turn
            await asyncio.sleep(0.5)
        took = asyncio.get_running_loop().time() - started
        detail = (await client.get(f"{edge.url}/api/conversations/{conversation_id}", headers=headers)).json()
    assert reply is not None and reply.status_code == 200 and took < 15
    assert [(t["status"], (t["error"] or {}).get("code")) for t in detail["turns"]] == [
        ("failed", "interrupted"),
        ("completed", None),
    ]
    # The next turn's model saw the dead turn's committed step: the call and its output.
    history = [item.get("type") for item in seen[-1].items if item.get("type")]
    assert history[:2] == ["function_call", "function_call_output"]


async def test_a_deploy_lets_a_turn_finish_and_sends_new_ones_elsewhere(database_url: str) -> None:
    """SIGTERM (a rolling deploy) with time to spare: the running turn ends normally, while the
    instance, still serving, says it is not ready and refuses new turns with 503 before any work."""
    seen: list[ModelRequest] = []
    async with (
        slow_model(seen) as model,
        instance(database_url, model, grace_s=30) as a,
        httpx2.AsyncClient(timeout=30) as client,
    ):
        headers = await register(client, a.url)
        async with client.stream(
            "POST", f"{a.url}/api/chat", json={"message": MESSAGE}, headers=headers
        ) as turn:
            lines = turn.aiter_lines()
            first = await events_until(lines, "tool_call")
            a.process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
            ready = await client.get(f"{a.url}/ready")
            refused = await client.post(f"{a.url}/api/chat", json={"message": "hello"}, headers=headers)
            rest = await events_until(lines, "done")
        # uvicorn re-raises the signal once it has shut down cleanly, as a process should.
        assert await asyncio.wait_for(a.process.wait(), 30) in (0, -signal.SIGTERM)
    assert first[0][0] == "conversation"
    assert ready.status_code == 503
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "shutting_down"
    assert "retry-after" in refused.headers
    assert rest[-1][0] == "done" and rest[-1][1]["stopped"] is False
    assert "text_delta" in [name for name, _ in rest]


async def test_a_deploy_that_outlasts_the_grace_leaves_nothing_locked(database_url: str) -> None:
    """SIGTERM with too little grace for the turn: the client is told `server_shutdown`, the turn is
    stored as interrupted with what it did, and the conversation takes the next message at once
    through the other instance (no lease to wait out)."""
    seen: list[ModelRequest] = []
    async with (
        slow_model(seen) as model,
        instance(database_url, model, grace_s=0.5) as a,
        instance(database_url, model) as b,
        running_nginx([a.url.removeprefix("http://"), b.url.removeprefix("http://")]) as edge,
        httpx2.AsyncClient(timeout=30) as client,
    ):
        headers = await register(client, edge.url)
        async with client.stream(
            "POST", f"{a.url}/api/chat", json={"message": MESSAGE}, headers=headers
        ) as turn:
            lines = turn.aiter_lines()
            first = await events_until(lines, "tool_result")
            a.process.send_signal(signal.SIGTERM)
            rest = await events_until(lines, "error")
        # uvicorn re-raises the signal once it has shut down cleanly, as a process should.
        assert await asyncio.wait_for(a.process.wait(), 30) in (0, -signal.SIGTERM)
        conversation_id = first[0][1]["conversation_id"]
        body = {"message": "show my tasks", "conversation_id": conversation_id, "stream": False}
        reply = await client.post(f"{edge.url}/api/chat", json=body, headers=headers)
        detail = (await client.get(f"{edge.url}/api/conversations/{conversation_id}", headers=headers)).json()
    assert rest[-1][0] == "error" and rest[-1][1]["code"] == "server_shutdown", rest[-1]
    assert reply.status_code == 200, reply.text
    assert [(t["status"], (t["error"] or {}).get("code")) for t in detail["turns"]] == [
        ("failed", "interrupted"),
        ("completed", None),
    ]
    assert [action["tool"] for action in detail["turns"][0]["actions"]] == ["create_task"]
