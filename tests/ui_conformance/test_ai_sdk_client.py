"""The Vercel AI SDK's own client code (`ai` 5 and 7) reads what `/api/chat/ui` sends: live turns
through `readUIMessageStream` and `DefaultChatTransport`, failed, stopped and resumed turns, and
every stream the server can make of any sequence of chat events."""

import asyncio
import re
import uuid
from typing import Any

import httpx2
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.events import ChatEvent
from backend import ui_chunks as ui
from tests.chat import Chat, chat_app
from tests.provider import Step, call, failure, text
from tests.ui_conformance.conftest import LIBRARIES, Conform
from tests.ui_events import any_sequence, chunks_of, expected_message, sse_of, summary, turns
from wire.server import serving

MESSAGE = "add a high priority task for Friday to call the dentist"
ARGS = {"title": "Call the dentist", "priority": "high", "due_date": "2026-11-27"}
REPLY = "Added “Call the dentist”, high priority, due Friday."


class Gate:
    """A model call that waits until the test lets it answer."""

    def __init__(self, answer: Step) -> None:
        self.entered, self.release, self.answer = asyncio.Event(), asyncio.Event(), answer

    async def __call__(self, _: httpx2.Request) -> Step:
        self.entered.set()
        await asyncio.wait_for(self.release.wait(), 30)
        return self.answer


def request(chat_id: str, message: str) -> dict[str, Any]:
    """The body DefaultChatTransport sends."""
    user = {"id": f"{chat_id}-u", "role": "user", "parts": [{"type": "text", "text": message}]}
    return {"id": chat_id, "messages": [user], "trigger": "submit-message"}


def camel(usage: dict[str, int]) -> dict[str, int]:
    return {re.sub(r"_(\w)", lambda m: m.group(1).upper(), key): value for key, value in usage.items()}


async def stored_turn(chat: Chat, message: dict[str, Any]) -> dict[str, Any]:
    detail = await chat.get(f"/api/conversations/{message['metadata']['conversationId']}")
    turn: dict[str, Any] = detail["turns"][-1]
    return turn


async def test_a_turn_as_the_library_reads_it(database_url: str, conform: Conform) -> None:
    steps = [step for _ in range(4) for step in (call("create_task", ARGS), text(REPLY))]
    async with chat_app(database_url, *steps) as chat, serving(chat.app) as base:
        api, headers = f"{base}/api/chat/ui", chat.user.headers
        jobs = []
        for library in LIBRARIES:
            body = request(f"{library}-read", MESSAGE)
            jobs.append({"library": library, "kind": "read", "url": api, "headers": headers, "body": body})
            send = {
                "kind": "send",
                "api": api,
                "headers": headers,
                "chatId": f"{library}-send",
                "text": MESSAGE,
            }
            jobs.append({"library": library, **send})
        results = await conform(jobs)
        stored = [await stored_turn(chat, result["message"]) for result in results]
        tasks = await chat.get("/api/tasks")
    assert [r.get("status") for r in results] == [200, None, 200, None]
    assert results[0]["headers"]["x-vercel-ai-ui-message-stream"] == "v1"
    for result, turn in zip(results, stored, strict=True):
        assert result["errors"] == []
        message = result["message"]
        assert message["id"] == turn["assistant_message"]["id"] and message["role"] == "assistant"
        assert [p["type"] for p in message["parts"]] == [
            "step-start",
            "tool-create_task",
            "step-start",
            "text",
            "data-action",
        ]
        _, tool, _, reply, action = message["parts"]
        assert (tool["state"], tool["input"]) == ("output-available", ARGS)
        assert (tool["output"]["title"], tool["output"]["priority"]) == ("Call the dentist", "high")
        assert tool["output"]["due_date"] == "2026-11-27" and tool["output"]["completed"] is False
        assert (reply["text"], reply["state"]) == (REPLY, "done")
        assert action["id"] == action["data"]["id"] == turn["actions"][0]["id"]
        assert (action["data"]["tool"], action["data"]["status"]) == ("create_task", "ok")
        assert action["data"]["result"] == tool["output"]
        assert message["metadata"] == {
            "conversationId": turn["actions"][0]["conversation_id"],
            "usage": camel(turn["usage"]),
        }
    assert len({r["message"]["metadata"]["conversationId"] for r in results}) == 4, (
        "a conversation per chat id"
    )
    assert tasks["total"] == 4


async def test_a_failed_turn_parses_and_says_why(database_url: str, conform: Conform) -> None:
    # Per library: a tool call and then a model failure (read), a model failure at once (send).
    steps = [step for _ in LIBRARIES for step in (call("create_task", ARGS), failure(500), failure(500))]
    async with chat_app(database_url, *steps) as chat, serving(chat.app) as base:
        api, headers = f"{base}/api/chat/ui", chat.user.headers
        jobs = []
        for library in LIBRARIES:
            body = request(f"{library}-read", MESSAGE)
            jobs.append({"library": library, "kind": "read", "url": api, "headers": headers, "body": body})
            send = {
                "kind": "send",
                "api": api,
                "headers": headers,
                "chatId": f"{library}-send",
                "text": MESSAGE,
            }
            jobs.append({"library": library, **send})
        results = await conform(jobs)
    for n, result in enumerate(results):
        assert result["errors"] == ["the model is unavailable; try again shortly"], result
        message = result["message"]
        assert message["metadata"]["errorCode"] == "model_unavailable"
        uuid.UUID(message["metadata"]["conversationId"])
        parts = [(p["type"], p.get("state")) for p in message["parts"]]
        if n % 2 == 0:  # the tool ran before the model failed: its part stays done
            assert parts == [("step-start", None), ("tool-create_task", "output-available")]
        else:
            assert parts == []


async def test_a_stopped_turn_parses(database_url: str, conform: Conform) -> None:
    gate = Gate(text("never sent"))
    async with (
        chat_app(database_url, call("create_task", ARGS), gate) as chat,
        serving(chat.app) as base,
        httpx2.AsyncClient(timeout=30) as client,
    ):
        headers = chat.user.headers
        async with client.stream(
            "POST", f"{base}/api/chat/ui", json=request("stopped", MESSAGE), headers=headers
        ) as response:
            await asyncio.wait_for(gate.entered.wait(), 10)
            (conversation,) = (await chat.get("/api/conversations"))["items"]
            stop = await client.post(f"{base}/api/conversations/{conversation['id']}/stop", headers=headers)
            body = (await response.aread()).decode()
        results = await conform(
            [{"library": library, "kind": "replay", "sse": body} for library in LIBRARIES]
        )
    assert stop.status_code == 202
    assert '"type":"abort"' in body and body.endswith("data: [DONE]\n\n")
    for result in results:
        assert result["errors"] == []
        message = result["message"]
        assert message["metadata"]["stopped"] is True and message["metadata"]["usage"]["totalTokens"] > 0
        assert [(p["type"], p.get("state")) for p in message["parts"]] == [
            ("step-start", None),
            ("tool-create_task", "output-available"),
            ("data-action", None),
        ]


def releasing(app: ASGIApp, gates: dict[str, Gate]) -> ASGIApp:
    """`app`, letting a chat's gated model call answer once a client is reading its resumed stream."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        match = re.fullmatch(r"/api/chat/ui/(.+)/stream", scope.get("path", ""))
        gate = gates.get(match.group(1)) if match else None
        if gate is None:
            return await app(scope, receive, send)

        async def sending(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.start" and message["status"] == 200:
                gate.release.set()

        return await app(scope, receive, sending)

    return wrapped


async def test_resume_replays_the_running_turn(database_url: str, conform: Conform) -> None:
    gates = {f"{library}-resumed": Gate(text(REPLY)) for library in LIBRARIES}
    steps = [step for gate in gates.values() for step in (call("create_task", ARGS), gate)]
    async with (
        chat_app(database_url, *steps) as chat,
        serving(releasing(chat.app, gates)) as base,
        httpx2.AsyncClient(timeout=30) as client,
    ):
        api, headers = f"{base}/api/chat/ui", chat.user.headers
        for chat_id, gate in gates.items():  # each turn left running, its first reader gone
            async with client.stream("POST", api, json=request(chat_id, MESSAGE), headers=headers):
                await asyncio.wait_for(gate.entered.wait(), 10)
        jobs = [
            {"library": library, "kind": "resume", "api": api, "headers": headers, "chatId": chat_id}
            for chat_id, library in [*zip(gates, LIBRARIES, strict=True), *zip(gates, LIBRARIES, strict=True)]
        ]
        results = await conform(jobs)
        stored = [await stored_turn(chat, result["message"]) for result in results[:2]]
    assert [r["resumed"] for r in results] == [True, True, False, False], "then 204: nothing runs"
    for result, turn in zip(results[:2], stored, strict=True):
        assert result["errors"] == []
        message = result["message"]
        assert message["id"] == turn["assistant_message"]["id"], "the whole turn, from its start"
        assert [p["type"] for p in message["parts"]] == [
            "step-start",
            "tool-create_task",
            "step-start",
            "text",
            "data-action",
        ]
        assert message["parts"][3]["text"] == REPLY
        assert message["metadata"]["usage"] == camel(turn["usage"])


def examples(strategy: st.SearchStrategy[list[ChatEvent]], count: int) -> list[list[ChatEvent]]:
    """`count` values of `strategy`, drawn as Hypothesis draws them (collected, to be sent to
    Node in one batch)."""
    found: list[list[ChatEvent]] = []

    @settings(
        max_examples=count, phases=[Phase.generate], database=None, suppress_health_check=list(HealthCheck)
    )
    @given(strategy)
    def collect(value: list[ChatEvent]) -> None:
        found.append(value)

    collect()
    return found


async def test_the_library_accepts_every_stream_the_server_can_make(conform: Conform) -> None:
    sequences = examples(turns(), 150) + examples(any_sequence, 150)
    streams = [(chunks_of(events), await sse_of(events)) for events in sequences]
    jobs = [{"library": library, "kind": "replay", "sse": sse} for _, sse in streams for library in LIBRARIES]
    results = await conform(jobs)
    for n, result in enumerate(results):
        chunks, sse = streams[n // len(LIBRARIES)]
        assert "failed" not in result, result
        errors = [chunk.error_text for chunk in chunks if isinstance(chunk, ui.Error)]
        assert result["errors"] == errors, (sse, result)
        assert result["chunks"] == len(chunks), "every chunk parsed"
        assert summary(result["message"]) == expected_message(chunks), sse


async def test_the_harness_sees_a_broken_stream(conform: Conform) -> None:
    # What this suite must catch if the mapper ever broke: each stream below is refused.
    broken = [
        'data: {"type":"start"}\n\ndata: {"type":"text-delta","id":"t","delta":"x"}\n\n',
        'data: {"type":"start","messageId":null}\n\n',
        'data: {"type":"start"}\n\ndata: {"type":"tool-output-available","toolCallId":"c","output":1}\n\n',
        'data: {"type":"finish","finishReason":"interrupted"}\n\n',  # version 7 only: 5 refuses it
    ]
    jobs = [
        {"library": lib, "kind": "replay", "sse": sse + "data: [DONE]\n\n"}
        for sse in broken
        for lib in LIBRARIES
    ]
    results = await conform(jobs)
    refused = [bool(result["errors"]) for result in results]
    assert refused == [True, True, True, True, True, True, True, False]
