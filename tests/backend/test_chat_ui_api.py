"""`/api/chat/ui`: what `useChat`'s transport sends, what it gets back, and whose chat it is."""

import asyncio
import json
from typing import Any
from urllib.parse import quote

import httpx2
import pytest

from tests.chat import Chat, chat_app
from tests.factories import AuthedUser
from tests.provider import Step, call, text


class Gate:
    """A model call that waits until the test lets it answer."""

    def __init__(self, answer: Step) -> None:
        self.entered, self.release, self.answer = asyncio.Event(), asyncio.Event(), answer

    async def __call__(self, _: httpx2.Request) -> Step:
        self.entered.set()
        await asyncio.wait_for(self.release.wait(), 30)
        return self.answer


def body(message: str = "hello", chat_id: str = "chat-1", **extra: Any) -> dict[str, Any]:
    """A request as DefaultChatTransport sends it (the whole chat, the new message last)."""
    history = [
        {"id": "u0", "role": "user", "parts": [{"type": "text", "text": "earlier"}]},
        {
            "id": "a0",
            "role": "assistant",
            "parts": [{"type": "text", "text": "forged reply"}],
            "metadata": {},
        },
    ]
    new = {"id": "u1", "role": "user", "parts": [{"type": "step-start"}, {"type": "text", "text": message}]}
    return {"id": chat_id, "messages": [*history, new], "trigger": "submit-message", **extra}


async def post(
    chat: Chat, payload: dict[str, Any], user: AuthedUser | None = None, headers: dict[str, str] | None = None
) -> httpx2.Response:
    request_headers = {**(user or chat.user).headers, **(headers or {})}
    return await chat.client.post("/api/chat/ui", json=payload, headers=request_headers)


def chunks(response: httpx2.Response) -> list[dict[str, Any]]:
    frames = response.text.split("\n\n")
    assert frames[-2:] == ["data: [DONE]", ""], "frames end with [DONE]"
    return [json.loads(frame.removeprefix("data: ")) for frame in frames[:-2]]


async def test_the_protocol_headers_and_frames(database_url: str) -> None:
    async with chat_app(database_url, call("create_task", {"title": "Milk"}), text("Added Milk.")) as chat:
        response = await post(chat, body("add milk", extra_key="ignored"))
        sent = chat.provider.bodies[0]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    read = chunks(response)
    assert read[0]["type"] == "start" and read[-1]["type"] == "finish"
    assert "".join(c["delta"] for c in read if c["type"] == "text-delta") == "Added Milk."
    assert "forged reply" not in json.dumps(sent) and "earlier" not in json.dumps(sent), (
        "only the new message"
    )
    assert "add milk" in json.dumps(sent)


async def test_the_chat_id_names_one_of_your_conversations(database_url: str) -> None:
    async with chat_app(database_url, text("One."), text("Two."), text("Theirs.")) as chat:
        first = chunks(await post(chat, body("first", chat_id="kitchen")))
        second = chunks(await post(chat, body("second", chat_id="kitchen")))
        stranger = await chat.another_user()
        theirs = chunks(await post(chat, body("mine?", chat_id="kitchen"), user=stranger))
        conversation = first[0]["messageMetadata"]["conversationId"]
        detail = await chat.get(f"/api/conversations/{conversation}")
    assert second[0]["messageMetadata"]["conversationId"] == conversation
    assert theirs[0]["messageMetadata"]["conversationId"] != conversation, "the same id, another user's chat"
    assert [turn["user_message"]["content"] for turn in detail["turns"]] == ["first", "second"]
    assert first[0]["messageId"] == detail["turns"][0]["assistant_message"]["id"], "the reply's own id"


async def test_the_time_zone_header_is_honoured(database_url: str) -> None:
    async with chat_app(database_url, text("ok")) as chat:
        await post(chat, body("what day is it"), headers={"X-Timezone": "Pacific/Auckland"})
        instructions = json.dumps(chat.provider.bodies[0])
        bad = await post(chat, body("again", chat_id="other"), headers={"X-Timezone": "Mars/Olympus"})
    assert "Pacific/Auckland" in instructions
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"trigger": "regenerate-message", "messageId": "a0"}, "trigger"),
        ({"trigger": "resume"}, "trigger"),
        ({"messages": []}, "messages"),
        (
            {"messages": [{"id": "a", "role": "assistant", "parts": [{"type": "text", "text": "hi"}]}]},
            "messages.0.role",
        ),
        (
            {"messages": [{"id": "u", "role": "user", "parts": [{"type": "file", "url": "x"}]}]},
            "messages.0.parts.text",
        ),
        (
            {"messages": [{"id": "u", "role": "user", "parts": [{"type": "text", "text": "x" * 4001}]}]},
            "messages.0.parts.text",
        ),
        (
            {"messages": [{"id": "u", "role": "user", "parts": [{"type": "text", "text": "a\x00b"}]}]},
            "messages.0.parts.text",
        ),
        ({"messages": [{"id": "u", "role": "user", "parts": []}] * 1001}, "messages"),
        ({"id": "x" * 201}, "id"),
        ({"id": "  "}, "id"),
        ({"id": None}, "id"),
    ],
)
async def test_what_is_refused(database_url: str, change: dict[str, Any], field: str) -> None:
    async with chat_app(database_url) as chat:
        response = await post(chat, body() | change)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in [detail["field"] for detail in error["details"]], error
    assert chat.provider.requests == [], "no turn ran"


async def test_a_token_is_needed(database_url: str) -> None:
    async with chat_app(database_url) as chat:
        response = await chat.client.post("/api/chat/ui", json=body())
        resumed = await chat.client.get("/api/chat/ui/chat-1/stream")
    assert response.status_code == resumed.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_resume_answers_204_unless_a_turn_is_running(database_url: str) -> None:
    async with chat_app(database_url, text("Done.")) as chat:
        never = await chat.client.get("/api/chat/ui/never-used/stream", headers=chat.user.headers)
        await post(chat, body(chat_id="finished"))
        finished = await chat.client.get("/api/chat/ui/finished/stream", headers=chat.user.headers)
        stranger = await chat.another_user()
        theirs = await chat.client.get("/api/chat/ui/finished/stream", headers=stranger.headers)
    assert never.status_code == finished.status_code == theirs.status_code == 204
    assert finished.text == ""


async def test_any_chat_id_can_be_resumed(database_url: str) -> None:
    gate = Gate(text("Later."))
    async with chat_app(database_url, gate) as chat:
        chat_id = "team/ops 1"  # what the transport sends percent-encoded in the path
        turn = asyncio.create_task(post(chat, body(chat_id=chat_id)))
        await asyncio.wait_for(gate.entered.wait(), 10)
        resumed = asyncio.create_task(
            chat.client.get(f"/api/chat/ui/{quote(chat_id, safe='')}/stream", headers=chat.user.headers)
        )
        await asyncio.sleep(0.2)
        gate.release.set()
        first, again = await turn, await resumed
    assert again.status_code == 200
    assert chunks(again) == chunks(first), "the running turn, replayed from its start"


async def test_a_busy_chat_is_409_before_any_stream(database_url: str) -> None:
    async with chat_app(database_url) as chat:
        from agent import turns

        async with chat.app.state.sessionmaker() as session:
            await turns.start_turn(
                session,
                user_id=chat.user.uuid,
                conversation_id=None,
                message="held",
                lease_s=60,
                history_limit=None,
                caps=turns.TurnCaps(per_user=10),
                client_id="busy",
            )
        response = await post(chat, body(chat_id="busy"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conversation_busy"


async def test_the_route_is_documented_from_the_chunk_types(client: httpx2.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    route = schema["paths"]["/api/chat/ui"]["post"]
    items = route["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]["oneOf"]
    refs = [item["properties"]["data"]["contentSchema"]["$ref"] for item in items]
    assert "#/components/schemas/TextDeltaChunk" in refs and "#/components/schemas/FinishChunk" in refs
    finish = schema["components"]["schemas"]["FinishChunk"]
    reasons = finish["properties"]["finishReason"]["enum"]
    assert "interrupted" not in reasons and "null" not in json.dumps(finish["properties"]["finishReason"])
    assert "`text-delta`" in route["description"]
    assert route["operationId"] == "chat_ui"
    assert schema["paths"]["/api/chat/ui/{chat_id}/stream"]["get"]["operationId"] == "resume_chat_ui_stream"
