"""Durable turns: a stream resumed on any instance, a turn stopped from any instance, a message
sent twice run once, history written step by step, a lost lease, a deploy."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from agent.memory import paired
from backend.app import create_app
from db.models import ChatTurn, Conversation, ConversationItem, StoredEvent, Task
from db.types import utcnow
from tests.chat import Chat, chat_app
from tests.conftest import make_settings
from tests.provider import BASE_URL, ScriptedProvider, Step, call, text
from wire.server import serving

Events = list[tuple[str, int, dict[str, Any]]]


class Gate:
    """A model call that waits until the test lets it answer."""

    def __init__(self, answer: Step) -> None:
        self.entered, self.release, self.answer = asyncio.Event(), asyncio.Event(), answer

    async def __call__(self, _: httpx2.Request) -> Step:
        self.entered.set()
        await asyncio.wait_for(self.release.wait(), 20)
        return self.answer


async def read_sse(response: httpx2.Response | AsyncIterator[str], limit: int | None = None) -> Events:
    """Events from a streamed response (or its lines), as a client parses them; stops after
    `limit` of them (pass the same lines again to read on)."""
    lines = response.aiter_lines() if isinstance(response, httpx2.Response) else response
    events: Events = []
    name, event_id = "", 0
    async for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("id: "):
            event_id = int(line[4:])
        elif line.startswith("data: "):
            events.append((name, event_id, json.loads(line[6:])))
            if limit is not None and len(events) >= limit:
                break
    return events


@asynccontextmanager
async def instance(database_url: str, provider: ScriptedProvider, **settings: Any) -> AsyncIterator[str]:
    """One more instance of the service on the same database (its own engine, listener, turns)."""
    llm = {"provider": "openai", "model": "gpt-test", "max_retries": 0}
    config = make_settings(database_url, llm=llm, openai={"api_key": "k", "base_url": BASE_URL}, **settings)
    app = create_app(config, llm_transport=provider.transport())
    async with app.router.lifespan_context(app), serving(app) as base:
        yield base


async def test_a_stream_resumes_on_another_instance(database_url: str) -> None:
    gate = Gate(text("Added Milk, and done."))
    provider = ScriptedProvider(call("create_task", {"title": "Milk"}, call_id="c1"), gate)
    async with (
        chat_app(database_url) as chat,
        instance(database_url, provider) as a,
        instance(database_url, ScriptedProvider()) as b,
        httpx2.AsyncClient(timeout=30) as client,
    ):
        headers = chat.user.headers
        async with client.stream(
            "POST", f"{a}/api/chat", json={"message": "add milk"}, headers=headers
        ) as first:
            seen = await read_sse(first, limit=2)  # then the connection drops
        conversation_id = seen[0][2]["conversation_id"]
        await asyncio.wait_for(gate.entered.wait(), 10)
        gate.release.set()
        last_id = {"Last-Event-ID": str(seen[-1][1])}
        url = f"{b}/api/conversations/{conversation_id}/stream"
        async with client.stream("GET", url, headers={**headers, **last_id}) as resumed:
            assert resumed.status_code == 200
            rest = await read_sse(resumed)
        everything = await _all_events(client, url, headers)
        tail = await client.get(url, headers={**headers, "Last-Event-ID": str(rest[-1][1])})
        after_all = await client.get(url, params={"after": rest[-1][1]}, headers=headers)
    assert [name for name, _, _ in seen] == ["conversation", "tool_call"]
    names = [name for name, _, _ in rest]
    assert names[0] == "tool_result" and names[-2:] == ["message", "done"]
    ids = [event_id for _, event_id, _ in seen + rest]
    assert ids == list(range(1_000_001, 1_000_001 + len(ids))), "every event once, in order"
    assert rest[-2][2]["content"] == "Added Milk, and done."
    assert everything == seen + rest, "without an id: the whole turn from its start"
    assert tail.status_code == after_all.status_code == 204, "nothing follows the last id"


async def _all_events(client: httpx2.AsyncClient, url: str, headers: dict[str, str]) -> Events:
    async with client.stream("GET", url, headers=headers) as response:
        return await read_sse(response)


async def test_resume_edges(database_url: str) -> None:
    async with chat_app(database_url, text("hi")) as chat:
        stranger = await chat.another_user()
        events = await chat.events("hello")
        url = f"/api/conversations/{events[0][2]['conversation_id']}/stream"
        theirs = await chat.client.get(url, headers=stranger.headers)
        unknown = await chat.client.get(
            f"/api/conversations/{uuid.uuid4()}/stream", headers=chat.user.headers
        )
        bad = await chat.client.get(url, headers={**chat.user.headers, "Last-Event-ID": "soon"})
        partial = await chat.client.get(url, params={"after": events[2][1]}, headers=chat.user.headers)
    assert (theirs.status_code, unknown.status_code, bad.status_code) == (404, 404, 422)
    assert (
        partial.status_code == 200
        and "event: done" in partial.text
        and "event: conversation" not in partial.text
    )


async def test_stop_from_another_instance(database_url: str) -> None:
    slow = Gate(text("never sent"))
    provider = ScriptedProvider(call("create_task", {"title": "Kept"}, call_id="c1"), slow, text("Next."))
    async with (
        chat_app(database_url) as chat,
        instance(database_url, provider) as a,
        instance(database_url, ScriptedProvider()) as b,
        httpx2.AsyncClient(timeout=30) as client,
    ):
        headers = chat.user.headers
        async with client.stream(
            "POST", f"{a}/api/chat", json={"message": "add it"}, headers=headers
        ) as stream:
            lines = stream.aiter_lines()
            started = await read_sse(lines, limit=3)
            conversation_id = started[0][2]["conversation_id"]
            await asyncio.wait_for(slow.entered.wait(), 10)
            stop = await client.post(f"{b}/api/conversations/{conversation_id}/stop", headers=headers)
            clock = asyncio.get_running_loop().time()
            rest = await read_sse(lines)
            took = asyncio.get_running_loop().time() - clock
        again = await client.post(f"{b}/api/conversations/{conversation_id}/stop", headers=headers)
        metrics = (await client.get(f"{a}/metrics")).text
        detail = await chat.get(f"/api/conversations/{conversation_id}")
        items = await _history(chat, conversation_id)
        follow_up = await client.post(
            f"{a}/api/chat",
            json={"message": "and now?", "conversation_id": conversation_id, "stream": False},
            headers=headers,
        )
    assert stop.status_code == 202 and took < 1.5, "stopped within a second, on the other instance"
    assert rest[-1][0] == "done" and rest[-1][2]["stopped"] is True
    assert [a["tool"] for a in rest[-1][2]["actions"]] == ["create_task"]
    assert (again.status_code, again.json()["error"]["code"]) == (409, "no_running_turn")
    assert 'chat_turns_total{outcome="stopped"} 1.0' in metrics, "counted as stopped, not failed"
    (turn,) = detail["turns"]
    assert turn["status"] == "stopped" and [a["tool"] for a in turn["actions"]] == ["create_task"]
    assert [i.get("type", "message") for i in items] == ["message", "function_call", "function_call_output"]
    assert follow_up.status_code == 200 and follow_up.json()["message"]["content"] == "Next."
    slow.release.set()


async def _history(chat: Chat, conversation_id: str) -> list[dict[str, Any]]:
    async with chat.app.state.sessionmaker() as session:
        stmt = (
            select(ConversationItem)
            .where(ConversationItem.conversation_id == uuid.UUID(conversation_id))
            .order_by(col(ConversationItem.id))
        )
        return [row.item for row in (await session.exec(stmt)).all()]


async def test_nobody_else_can_stop_or_follow_a_turn(database_url: str) -> None:
    """Another user's running turn is "not found" to stop and to resume, and runs on regardless."""
    gate = Gate(text("Done."))
    async with chat_app(database_url, gate) as chat:
        stranger = await chat.another_user()
        running = asyncio.create_task(chat.events("hello"))
        await asyncio.wait_for(gate.entered.wait(), 10)
        conversation_id = (await chat.get("/api/conversations"))["items"][0]["id"]
        base = f"/api/conversations/{conversation_id}"
        stop = await chat.client.post(f"{base}/stop", headers=stranger.headers)
        follow = await chat.client.get(f"{base}/stream", headers=stranger.headers)
        gate.release.set()
        events = await running
    assert (stop.status_code, stop.json()["error"]["code"]) == (404, "not_found")
    assert follow.status_code == 404
    assert events[-1][0] == "done" and events[-1][2]["stopped"] is False


async def test_a_message_sent_twice_runs_once(database_url: str) -> None:
    gate = Gate(text("Added Bread."))
    async with chat_app(database_url, call("create_task", {"title": "Bread"}, call_id="c1"), gate) as chat:
        body = {"message": "add bread", "client_message_id": "tap-1"}
        first = asyncio.create_task(chat.events("add bread", headers={"Idempotency-Key": "tap-1"}))
        await asyncio.wait_for(gate.entered.wait(), 10)
        while_running = asyncio.create_task(
            chat.client.post("/api/chat", json={**body, "stream": False}, headers=chat.user.headers)
        )
        await asyncio.sleep(0.2)
        gate.release.set()
        streamed, repeated = await first, await while_running
        again = await chat.events("add bread", headers={"Idempotency-Key": "tap-1"})
        reused = await chat.client.post(
            "/api/chat", json={"message": "add milk", "client_message_id": "tap-1"}, headers=chat.user.headers
        )
        tasks = await chat.get("/api/tasks")
        conversations = await chat.get("/api/conversations")
    assert [t["title"] for t in tasks["items"]] == ["Bread"], "one task"
    assert conversations["total"] == 1 and conversations["items"][0]["message_count"] == 2, "one turn"
    assert repeated.status_code == 200 and repeated.json()["message"]["content"] == "Added Bread."
    assert again == streamed, "a repeat after the end replays the same stream"
    assert (reused.status_code, reused.json()["error"]["code"]) == (422, "idempotency_key_reused")
    assert len(chat.provider.requests) == 2


async def test_concurrent_repeats_run_once(database_url: str) -> None:
    async with chat_app(
        database_url, call("create_task", {"title": "Once"}, call_id="c1"), text("Done.")
    ) as chat:
        body = {"message": "add once", "client_message_id": "k-1", "stream": False}
        replies = await asyncio.gather(
            *(chat.client.post("/api/chat", json=body, headers=chat.user.headers) for _ in range(3))
        )
        tasks = await chat.get("/api/tasks")
    assert [r.status_code for r in replies] == [200, 200, 200]
    assert {r.json()["message"]["id"] for r in replies} == {replies[0].json()["message"]["id"]}
    assert tasks["total"] == 1


async def test_history_is_written_step_by_step(database_url: str) -> None:
    gate = Gate(text("Late reply."))
    async with chat_app(database_url, call("create_task", {"title": "Step"}, call_id="c1"), gate) as chat:
        turn = asyncio.create_task(chat.events("add step"))
        await asyncio.wait_for(gate.entered.wait(), 10)
        async with chat.app.state.sessionmaker() as session:
            stmt = (
                select(ConversationItem)
                .join(Conversation, col(Conversation.id) == ConversationItem.conversation_id)
                .where(Conversation.user_id == chat.user.uuid)
                .order_by(col(ConversationItem.id))
            )
            written = [row.item.get("type", "message") for row in (await session.exec(stmt)).all()]
        gate.release.set()
        await turn
    assert written == ["message", "function_call", "function_call_output"], "committed before the turn ended"


async def test_a_turn_that_lost_its_lease_stops_and_writes_nothing(database_url: str) -> None:
    gate = Gate(text("Too late."))
    steps = (call("list_tasks", {}, call_id="c1"), gate, text("The new turn."))
    async with chat_app(database_url, *steps, chat={"lease_s": 1.0}) as chat:
        first = asyncio.create_task(chat.events("slow one"))
        await asyncio.wait_for(gate.entered.wait(), 10)
        async with chat.app.state.sessionmaker() as session:
            conversation = (
                await session.exec(select(Conversation).where(Conversation.user_id == chat.user.uuid))
            ).first()
            assert conversation is not None
            # As if this instance had paused past its lease and another had taken over.
            await session.exec(
                update(Conversation)
                .where(col(Conversation.id) == conversation.id)
                .values(lease_token=uuid.uuid4(), lease_expires_at=utcnow() + timedelta(minutes=5))
            )
            await session.commit()
        events = await asyncio.wait_for(first, 10)
        gate.release.set()
        async with chat.app.state.sessionmaker() as session:
            turn = (await session.exec(select(ChatTurn).where(ChatTurn.user_id == chat.user.uuid))).first()
    assert events[-1][0] == "error" and events[-1][2]["code"] == "interrupted"
    assert turn is not None and (turn.status, turn.assistant_message) == ("running", None), "nothing written"


async def test_a_deploy_ends_running_turns_cleanly(database_url: str) -> None:
    gate = Gate(text("never"))
    async with chat_app(
        database_url, call("create_task", {"title": "Done before"}, call_id="c1"), gate
    ) as chat:
        turn = asyncio.create_task(chat.events("add it"))
        await asyncio.wait_for(gate.entered.wait(), 10)
        await chat.app.state.chat.drain(0.2)  # what SIGTERM does, with a short grace
        events = await asyncio.wait_for(turn, 10)
        refused = await chat.reply("another")
        readiness = await chat.client.get("/ready")
        async with chat.app.state.sessionmaker() as session:
            row = (await session.exec(select(ChatTurn).where(ChatTurn.user_id == chat.user.uuid))).first()
            conversation = (
                await session.exec(select(Conversation).where(Conversation.user_id == chat.user.uuid))
            ).first()
        gate.release.set()
    assert events[-1][0] == "error" and events[-1][2]["code"] == "server_shutdown"
    assert row is not None and (row.status, row.error_code) == ("failed", "interrupted")
    assert conversation is not None and conversation.lease_token is None, "nothing stays locked"
    assert (refused.status_code, refused.json()["error"]["code"]) == (503, "shutting_down")
    assert refused.headers["retry-after"]
    assert (readiness.status_code, readiness.json()["error"]["code"]) == (503, "shutting_down")


async def test_a_deploy_ends_the_streams_it_follows_and_they_resume_elsewhere(database_url: str) -> None:
    """A stream resumed on an instance that is going away ends once its turns are drained, with no
    last event of its own (the turn runs on): the client picks it up again on another instance."""
    gate = Gate(text("Finished elsewhere."))
    async with (
        chat_app(database_url) as leaving,
        serving(leaving.app) as leaving_base,
        instance(database_url, ScriptedProvider(gate)) as running,
        httpx2.AsyncClient(timeout=30) as client,
    ):
        headers = leaving.user.headers
        async with client.stream("POST", f"{running}/api/chat", json={"message": "hi"}, headers=headers) as r:
            seen = await read_sse(r, limit=1)
        await asyncio.wait_for(gate.entered.wait(), 10)
        url = f"/api/conversations/{seen[0][2]['conversation_id']}/stream"
        async with client.stream("GET", f"{leaving_base}{url}", headers=headers) as followed:
            lines = followed.aiter_lines()
            again = await read_sse(lines, limit=1)
            await leaving.app.state.chat.drain(0.1)
            cut = await asyncio.wait_for(read_sse(lines), 5)
        gate.release.set()
        last = {"Last-Event-ID": str(again[-1][1])}
        async with client.stream("GET", f"{running}{url}", headers={**headers, **last}) as resumed:
            rest = await read_sse(resumed)
    assert again == seen and cut == [], "the stream ended where it was, with nothing made up"
    assert [name for name, _, _ in rest][-2:] == ["message", "done"]


async def test_finished_events_are_purged_and_the_turn_still_replays(database_url: str) -> None:
    from agent.event_log import purge

    async with chat_app(
        database_url, call("create_task", {"title": "Old"}, call_id="c1"), text("Added Old.")
    ) as chat:
        events = await chat.events("add old")
        async with chat.app.state.sessionmaker() as session:
            await purge(session, utcnow() + timedelta(seconds=1))
            conversation_id = uuid.UUID(events[0][2]["conversation_id"])
            left = (
                await session.exec(select(StoredEvent).where(StoredEvent.conversation_id == conversation_id))
            ).all()
        url = f"/api/conversations/{events[0][2]['conversation_id']}/stream"
        async with chat.client.sse(url, headers=chat.user.headers) as source:
            replayed = [(e.event, json.loads(e.data)) async for e in source]
    assert left == []
    assert [name for name, _ in replayed] == ["conversation", "tool_call", "tool_result", "message", "done"]
    assert replayed[-2][1]["content"] == "Added Old." and replayed[2][1]["result"]["title"] == "Old"


def test_a_reasoning_item_never_goes_alone() -> None:
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": []}
    call_ = {"type": "function_call", "call_id": "c1", "name": "list_tasks", "arguments": "{}"}
    output = {"type": "function_call_output", "call_id": "c1", "output": "{}"}
    reply = {"type": "message", "role": "assistant", "content": "ok"}
    assert paired([reasoning, call_, output, reasoning | {"id": "rs_2"}, reply]) == [
        reasoning,
        call_,
        output,
        reasoning | {"id": "rs_2"},
        reply,
    ]
    # A stopped turn left a call without its output: the call goes, and its reasoning with it.
    assert paired([{"role": "user", "content": "hi"}, reasoning, call_]) == [
        {"role": "user", "content": "hi"}
    ]
    assert paired([reply, reasoning]) == [reply], "a reasoning item at the end precedes nothing"


@pytest.mark.parametrize("header", ["", "x" * 201, "a\x00b"])
async def test_a_bad_idempotency_key_is_refused(database_url: str, header: str) -> None:
    async with chat_app(database_url) as chat:
        response = await chat.client.post(
            "/api/chat", json={"message": "hi"}, headers={**chat.user.headers, "Idempotency-Key": header}
        )
    assert (response.status_code, response.json()["error"]["code"]) == (422, "validation_error")


async def test_following_a_turn_whose_instance_died_ends_with_interrupted(database_url: str) -> None:
    async with chat_app(database_url, text("hi")) as chat:
        events = await chat.events("hello")
        conversation_id = uuid.UUID(events[0][2]["conversation_id"])
        async with chat.app.state.sessionmaker() as session:  # as a crash leaves it: running, lease gone
            await session.exec(
                update(ChatTurn)
                .where(col(ChatTurn.conversation_id) == conversation_id)
                .values(status="running")
            )
            await session.exec(
                update(Conversation)
                .where(col(Conversation.id) == conversation_id)
                .values(lease_token=uuid.uuid4(), lease_expires_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
        url = f"/api/conversations/{conversation_id}/stream"
        async with chat.client.sse(
            url, headers={**chat.user.headers, "Last-Event-ID": str(events[-1][1])}
        ) as source:
            told = [(e.event, json.loads(e.data)) async for e in source]
    assert told == [("error", {"code": "interrupted", "message": "the server handling this turn stopped"})]


async def test_a_turn_stopped_while_its_tool_runs_says_so_and_ends(database_url: str) -> None:
    """The tool call that was announced and never answered gets its error result, then `done`."""
    task: dict[str, Any] = {}

    async def complete_it(_: httpx2.Request) -> Step:
        return call("update_task", {"task_id": task["id"], "completed": True}, call_id="c1")

    async with chat_app(database_url, complete_it) as chat:
        created = await chat.client.post("/api/tasks", json={"title": "Locked"}, headers=chat.user.headers)
        task.update(created.json())
        async with chat.app.state.sessionmaker() as holder:
            # Another transaction holds the task's row: the tool waits for it until the stop.
            await holder.exec(select(Task).where(Task.id == uuid.UUID(task["id"])).with_for_update())
            running = asyncio.create_task(chat.events("mark it done"))
            for _ in range(200):
                conversations = (await chat.get("/api/conversations"))["items"]
                if conversations:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # the tool is waiting for the row
            stop = await chat.client.post(
                f"/api/conversations/{conversations[0]['id']}/stop", headers=chat.user.headers
            )
            events = await asyncio.wait_for(running, 10)
            await holder.rollback()
    assert stop.status_code == 202
    result = next(data for name, _, data in events if name == "tool_result")
    assert (result["call_id"], result["status"], result["error"]) == (
        "c1",
        "error",
        "stopped before it finished",
    )
    assert events[-1][0] == "done" and events[-1][2]["stopped"] is True
