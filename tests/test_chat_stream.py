"""A full streamed chat turn with a tool call, for both wire APIs, checked event by event and in
the database afterwards."""

import json
import uuid

import pytest
import respx
from sqlmodel import col, select

from db.models import Action, ChatTurn, ConversationItem
from tests.conftest import asgi_client, register
from tests.fake_llm import (
    chat_app,
    chat_events,
    chat_sse,
    chat_text,
    chat_tool_call,
    function_call,
    message,
    openai_model,
    responses_frames,
    router,
    sse,
)

REPLY = "Added Dentist for Friday, high priority."
ARGS = {"title": "Dentist", "priority": "high", "due_date": "2026-11-27"}


def script(api: str, mock: respx.Router) -> respx.Route:
    if api == "responses":
        return mock.post("/responses").mock(
            side_effect=[
                sse(responses_frames(function_call("create_task", ARGS, call_id="call_A"), usage=(120, 30))),
                sse(responses_frames(message(REPLY), usage=(180, 12))),
            ]
        )
    return mock.post("/chat/completions").mock(
        side_effect=[
            chat_sse(chat_tool_call("create_task", ARGS, call_id="call_A"), usage=(120, 30)),
            chat_sse(chat_text(REPLY), usage=(180, 12)),
        ]
    )


@pytest.mark.parametrize("api", ["responses", "chat_completions"])
async def test_streamed_turn_with_a_tool_call(database_url: str, api: str) -> None:
    mock = router()
    route = script(api, mock)
    async with chat_app(database_url, openai_model(mock, api)) as app:
        async with asgi_client(app) as client:
            user = await register(client)
        events = await chat_events(
            app, user.token, {"message": "add a high priority task for Friday: Dentist"}
        )

        names = [name for name, _, _ in events]
        assert names[0] == "conversation" and names[-2:] == ["message", "done"]
        assert names[1:-2] == ["tool_call", "tool_result", *["text_delta"] * (len(names) - 5)]
        ids = [event_id for _, event_id, _ in events]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)

        started = events[0][2]
        conversation_id, user_message_id = (
            uuid.UUID(started["conversation_id"]),
            uuid.UUID(started["user_message_id"]),
        )
        call, result = events[1][2], events[2][2]
        assert call == {"call_id": "call_A", "name": "create_task", "arguments": ARGS}
        assert (result["call_id"], result["name"], result["status"], result["error"]) == (
            "call_A",
            "create_task",
            "ok",
            None,
        )
        assert result["result"]["title"] == "Dentist" and result["result"]["priority"] == "high"
        assert result["duration_ms"] > 0
        assert "".join(data["delta"] for name, _, data in events if name == "text_delta") == REPLY
        assert events[-2][2]["content"] == REPLY
        done = events[-1][2]
        assert done["conversation_id"] == str(conversation_id)
        assert done["usage"] == {"input_tokens": 300, "output_tokens": 42, "total_tokens": 342}
        assert [a["id"] for a in done["actions"]] == [result["action_id"]]

        # What the model was sent: our tools' schemas, then the tool output on the second call.
        first, second = (json.loads(c.request.content) for c in route.calls)
        tools = [t.get("name") or t["function"]["name"] for t in first["tools"]]
        assert tools == ["create_task", "read_task", "update_task", "delete_task", "list_tasks"]
        assert "user_id" not in json.dumps(first["tools"])
        assert "Dentist" in json.dumps(second)

        async with app.state.sessionmaker() as session:
            turn = await session.get(ChatTurn, user_message_id)
            assert (turn.status, turn.assistant_message, turn.total_tokens) == ("completed", REPLY, 342)
            assert turn.assistant_message_id == uuid.UUID(events[-2][2]["message_id"])
            action = await session.get(Action, uuid.UUID(result["action_id"]))
            assert (action.source, action.conversation_id, action.message_id, action.status) == (
                "chat",
                conversation_id,
                user_message_id,
                "ok",
            )
            items = (
                await session.exec(
                    select(ConversationItem)
                    .where(ConversationItem.conversation_id == conversation_id)
                    .order_by(col(ConversationItem.id))
                )
            ).all()
            kinds = [i.item.get("type", "message") for i in items]
            assert kinds == ["message", "function_call", "function_call_output", "message"]
            assert items[0].item["role"] == "user" and items[-1].item["role"] == "assistant"

        async with asgi_client(app) as client:
            tasks = (await client.get("/api/tasks", headers=user.headers)).json()
        assert [(t["title"], t["priority"], t["due_date"]) for t in tasks["items"]] == [
            ("Dentist", "high", "2026-11-27")
        ]


async def test_sse_headers_and_openapi(database_url: str) -> None:
    mock = router()
    mock.post("/responses").mock(return_value=sse(responses_frames(message("Hi!"))))
    async with chat_app(database_url, openai_model(mock)) as app, asgi_client(app) as client:
        user = await register(client)
        response = await client.post("/api/chat", json={"message": "hello"}, headers=user.headers)
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        spec = (await client.get("/openapi.json")).json()
        assert "tool_result" in spec["paths"]["/api/chat"]["post"]["description"]
