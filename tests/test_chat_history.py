"""History lives in PostgreSQL: any instance continues a conversation, the window is bounded and
never separates a tool call from its output, and loading it does not grow with its length."""

import json
import uuid

from sqlalchemy import event

from agent.session import ConversationSession, paired
from tests.conftest import asgi_client, register
from tests.fake_llm import (
    chat_app,
    chat_events,
    function_call,
    message,
    openai_model,
    responses_frames,
    router,
    sse,
)


async def test_a_second_instance_continues_the_conversation(database_url: str) -> None:
    mock = router()
    route = mock.post("/responses").mock(
        side_effect=[
            sse(responses_frames(function_call("create_task", {"title": "Milk"}, call_id="call_1"))),
            sse(responses_frames(message("Added Milk."))),
            sse(responses_frames(message("You asked me to add Milk."))),
        ]
    )
    async with chat_app(database_url, openai_model(mock)) as first:
        async with asgi_client(first) as client:
            user = await register(client)
        events = await chat_events(first, user.token, {"message": "add milk"})
    conversation_id = events[0][2]["conversation_id"]

    async with chat_app(database_url, openai_model(mock)) as second:  # a different process, same database
        events = await chat_events(
            second, user.token, {"message": "what did I ask?", "conversation_id": conversation_id}
        )
    assert events[-2][2]["content"] == "You asked me to add Milk."
    assert events[0][1] > 2_000_000 > 1_000_000, "event ids keep increasing across turns"
    sent = json.loads(route.calls[2].request.content)["input"]
    assert [(i.get("type", "message"), i.get("role")) for i in sent] == [
        ("message", "user"),
        ("function_call", None),
        ("function_call_output", None),
        ("message", "assistant"),
        ("message", "user"),
    ]
    assert sent[0]["content"] == "add milk" and sent[-1]["content"] == "what did I ask?"


async def test_history_is_bounded_and_tool_pairs_stay_whole(database_url: str) -> None:
    mock = router()
    calls = []
    for n in range(3):
        calls += [
            sse(responses_frames(function_call("list_tasks", {}, call_id=f"c{n}"))),
            sse(responses_frames(message(f"reply {n}"))),
        ]
    calls.append(sse(responses_frames(message("last"))))
    route = mock.post("/responses").mock(side_effect=calls)
    async with chat_app(database_url, openai_model(mock), history_max_items=6) as app:
        async with asgi_client(app) as client:
            user = await register(client)
        conversation = None
        for n in range(4):
            body = {"message": f"message {n}"} | ({"conversation_id": conversation} if conversation else {})
            conversation = (await chat_events(app, user.token, body))[0][2]["conversation_id"]

    def shape(call_index: int) -> list[str]:
        sent = json.loads(route.calls[call_index].request.content)["input"]
        return [
            i.get("call_id") or i.get("content") if i.get("role") != "assistant" else "reply" for i in sent
        ]

    # The newest 6 items begin with the output of a call that fell out of the window: it is dropped,
    # and the new message follows the history.
    assert shape(4) == ["reply", "message 1", "c1", "c1", "reply", "message 2"]
    assert shape(6) == ["reply", "message 2", "c2", "c2", "reply", "message 3"]


def test_pairing_drops_orphans_on_both_sides() -> None:
    items = [
        {"type": "function_call_output", "call_id": "cut", "output": "{}"},
        {"role": "user", "content": "hi"},
        {"type": "function_call", "call_id": "ok", "name": "list_tasks", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "ok", "output": "{}"},
        {"type": "function_call", "call_id": "unanswered", "name": "list_tasks", "arguments": "{}"},
    ]
    assert [i.get("call_id") for i in paired(items)] == [None, "ok", "ok"]


async def test_loading_history_is_one_query_whatever_its_length(database_url: str) -> None:
    mock = router()
    async with chat_app(database_url, openai_model(mock)) as app:
        async with asgi_client(app) as client:
            user = await register(client)
        mock.post("/responses").mock(return_value=sse(responses_frames(message("ok"))))
        started = await chat_events(app, user.token, {"message": "hello"})
        conversation_id = uuid.UUID(started[0][2]["conversation_id"])
        turn_id = uuid.UUID(started[0][2]["user_message_id"])
        history = ConversationSession(
            app.state.sessionmaker,
            user_id=uuid.UUID(user.id),
            conversation_id=conversation_id,
            turn_id=turn_id,
            limit=50,
        )
        await history.add_items([{"role": "user", "content": f"filler {n}"} for n in range(3000)])

        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", listener)
        try:
            items = await history.get_items()
        finally:
            event.remove(app.state.engine.sync_engine, "before_cursor_execute", listener)
    assert len(items) == 50 and items[-1]["content"] == "filler 2999"
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1 and "LIMIT" in selects[0].upper()


async def test_history_of_another_user_is_invisible(database_url: str) -> None:
    mock = router()
    mock.post("/responses").mock(return_value=sse(responses_frames(message("ok"))))
    async with chat_app(database_url, openai_model(mock)) as app:
        async with asgi_client(app) as client:
            alice, bob = await register(client), await register(client)
        started = await chat_events(app, alice.token, {"message": "my secret plan"})
        conversation_id = uuid.UUID(started[0][2]["conversation_id"])
        as_bob = ConversationSession(
            app.state.sessionmaker,
            user_id=uuid.UUID(bob.id),
            conversation_id=conversation_id,
            turn_id=uuid.uuid4(),
            limit=50,
        )
        assert await as_bob.get_items() == []
        assert await as_bob.pop_item() is None
        await as_bob.clear_session()
        as_alice = ConversationSession(
            app.state.sessionmaker,
            user_id=uuid.UUID(alice.id),
            conversation_id=conversation_id,
            turn_id=uuid.uuid4(),
            limit=50,
        )
        assert (await as_alice.get_items())[0]["content"] == "my secret plan"
