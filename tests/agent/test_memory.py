"""History lives in PostgreSQL: any instance continues a conversation, the window is bounded and
never separates a tool call from its output, and loading it does not grow with its length."""

import uuid

from fastapi import FastAPI
from sqlalchemy import event

from agent.events import Usage
from agent.memory import ConversationMemory, load_history, paired
from agent.turns import TurnCaps, finish_turn, start_turn
from db.models import TurnStatus
from tests.chat import chat_app
from tests.factories import AuthedUser
from tests.provider import call, text


async def test_a_second_instance_continues_the_conversation(database_url: str) -> None:
    async with chat_app(
        database_url, call("create_task", {"title": "Milk"}, call_id="call_1"), text("Added Milk.")
    ) as first:
        turn_one = await first.events("add milk")
    conversation_id = turn_one[0][2]["conversation_id"]

    async with chat_app(database_url, text("You asked me to add Milk.")) as second:  # another process
        turn_two = await second.events("what did I ask?", conversation_id, user=first.user)
    assert turn_two[-2][2]["content"] == "You asked me to add Milk."
    assert turn_two[0][1] == 2_000_001 > turn_one[-1][1], "event ids keep increasing across turns"
    sent = second.provider.bodies[0]["input"]
    assert [(i.get("type", "message"), i.get("role")) for i in sent] == [
        ("message", "user"),
        ("function_call", None),
        ("function_call_output", None),
        ("message", "assistant"),
        ("message", "user"),
    ]
    assert sent[0]["content"] == "add milk" and sent[-1]["content"] == "what did I ask?"


async def test_history_is_bounded_and_tool_pairs_stay_whole(database_url: str) -> None:
    steps = []
    for n in range(3):
        steps += [call("list_tasks", {}, call_id=f"c{n}"), text(f"reply {n}")]
    async with chat_app(database_url, *steps, text("last"), history_max_items=6) as chat:
        conversation = None
        for n in range(4):
            conversation = (await chat.events(f"message {n}", conversation))[0][2]["conversation_id"]

    def shape(call_index: int) -> list[str]:
        sent = chat.provider.bodies[call_index]["input"]
        return [
            i.get("call_id") or i.get("content") if i.get("role") != "assistant" else "reply" for i in sent
        ]

    # At the third message the newest 6 items begin with the output of c0, whose call fell out of
    # the window: the output goes too (see the next tests for the window itself), and the new
    # message follows the history.
    assert shape(2) == ["message 0", "c0", "c0", "reply", "message 1"]
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


async def _conversation(app: FastAPI, user_id: uuid.UUID, items: list[dict]) -> tuple[uuid.UUID, uuid.UUID]:
    """A conversation whose stored history is `items` (what many turns would have left)."""
    async with app.state.sessionmaker() as session:
        turn = await start_turn(
            session,
            user_id=user_id,
            conversation_id=None,
            message="hello",
            lease_s=60,
            history_limit=10,
            caps=TurnCaps(per_user=10),
        )
    async with app.state.sessionmaker() as session:
        await finish_turn(
            session, turn, status=TurnStatus.completed, reply="ok", usage=Usage(), model="m", items=items
        )
    return turn.conversation_id, turn.turn_id


async def test_a_window_starting_with_an_orphan_output_drops_it(app: FastAPI, alice: AuthedUser) -> None:
    items = [
        {"type": "function_call", "call_id": "old", "name": "list_tasks", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "old", "output": "{}"},
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": "next"},
    ]
    conversation_id, turn_id = await _conversation(app, alice.uuid, items)
    memory = ConversationMemory(
        app.state.sessionmaker,
        user_id=alice.uuid,
        conversation_id=conversation_id,
        turn_id=turn_id,
        lease_token=uuid.uuid4(),
        limit=3,
    )
    window = await memory.get_items()
    assert window == [{"role": "assistant", "content": "done"}, {"role": "user", "content": "next"}]


async def test_loading_history_is_one_query_whatever_its_length(app: FastAPI, alice: AuthedUser) -> None:
    filler = [{"role": "user", "content": f"filler {n}"} for n in range(3000)]
    conversation_id, _ = await _conversation(app, alice.uuid, filler)
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with app.state.sessionmaker() as session:
            items = await load_history(session, user_id=alice.uuid, conversation_id=conversation_id, limit=50)
    finally:
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", seen)
    assert len(items) == 50
    assert items[0]["content"] == "filler 2950" and items[-1]["content"] == "filler 2999"
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1 and "LIMIT" in selects[0].upper()


async def test_history_of_another_user_is_invisible(app: FastAPI, alice: AuthedUser, bob: AuthedUser) -> None:
    conversation_id, turn_id = await _conversation(
        app, alice.uuid, [{"role": "user", "content": "my secret plan"}]
    )
    as_bob = ConversationMemory(
        app.state.sessionmaker,
        user_id=bob.uuid,
        conversation_id=conversation_id,
        turn_id=uuid.uuid4(),
        lease_token=uuid.uuid4(),
        limit=50,
    )
    assert await as_bob.get_items() == []
    assert await as_bob.pop_item() is None
    await as_bob.clear_session()
    as_alice = ConversationMemory(
        app.state.sessionmaker,
        user_id=alice.uuid,
        conversation_id=conversation_id,
        turn_id=turn_id,
        lease_token=uuid.uuid4(),
        limit=50,
    )
    assert (await as_alice.get_items())[-1]["content"] == "my secret plan"
