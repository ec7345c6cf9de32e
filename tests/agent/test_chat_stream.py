"""A full streamed chat turn with a tool call, for both wire APIs, checked event by event and in
the database afterwards."""

import uuid

import pytest
from sqlmodel import col, select

from db.models import Action, ChatTurn, ConversationItem
from tests.chat import Api, chat_app
from tests.provider import call, text

REPLY = "Added Dentist for Friday, high priority."
ARGS = {"title": "Dentist", "priority": "high", "due_date": "2026-11-27"}


@pytest.mark.parametrize("api", ["responses", "chat_completions"])
async def test_streamed_turn_with_a_tool_call(database_url: str, api: Api) -> None:
    steps = (call("create_task", ARGS, call_id="call_A", usage=(120, 30)), text(REPLY, usage=(180, 12)))
    async with chat_app(database_url, *steps, api=api) as chat:
        events = await chat.events("add a high priority task for Friday: Dentist")

        names = [name for name, _, _ in events]
        assert names[0] == "conversation" and names[-2:] == ["message", "done"]
        assert names[1:-2] == ["tool_call", "tool_result", *["text_delta"] * (len(names) - 5)]
        assert len(names) > 7, "the reply streams in several deltas"
        ids = [event_id for _, event_id, _ in events]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert ids[0] == 1_000_001, "the first turn's first event"

        started = events[0][2]
        conversation_id = uuid.UUID(started["conversation_id"])
        user_message_id = uuid.UUID(started["user_message_id"])
        called, result = events[1][2], events[2][2]
        assert called == {"call_id": "call_A", "name": "create_task", "arguments": ARGS}
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
        first, second = chat.provider.bodies
        tools = [t.get("name") or t["function"]["name"] for t in first["tools"]]
        assert tools == ["create_task", "read_task", "update_task", "delete_task", "list_tasks"]
        assert "user_id" not in str(first["tools"])
        assert "Dentist" in str(second)

        async with chat.app.state.sessionmaker() as session:
            turn = await session.get(ChatTurn, user_message_id)
            assert turn is not None
            assert (turn.status, turn.assistant_message, turn.total_tokens) == ("completed", REPLY, 342)
            assert turn.assistant_message_id == uuid.UUID(events[-2][2]["message_id"])
            assert turn.assistant_message_id == uuid.UUID(started["assistant_message_id"]), "known first"
            action = await session.get(Action, uuid.UUID(result["action_id"]))
            assert action is not None
            assert (action.source, action.conversation_id, action.message_id, action.status) == (
                "chat",
                conversation_id,
                user_message_id,
                "ok",
            )
            stmt = (
                select(ConversationItem)
                .where(ConversationItem.conversation_id == conversation_id)
                .order_by(col(ConversationItem.id))
            )
            items = (await session.exec(stmt)).all()
            kinds = [i.item.get("type", "message") for i in items]
            assert kinds == ["message", "function_call", "function_call_output", "message"]
            assert items[0].item["role"] == "user" and items[-1].item["role"] == "assistant"

        tasks = await chat.get("/api/tasks")
        assert [(t["title"], t["priority"], t["due_date"]) for t in tasks["items"]] == [
            ("Dentist", "high", "2026-11-27")
        ]


async def test_sse_headers(database_url: str) -> None:
    async with chat_app(database_url, text("Hi!")) as chat:
        response = await chat.client.post("/api/chat", json={"message": "hello"}, headers=chat.user.headers)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
