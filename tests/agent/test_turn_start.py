"""A turn's start, on both databases: PostgreSQL runs it as one function call (migration 0006),
SQLite as statements from Python. Every outcome, and what each leaves in the database: a refused
start writes nothing."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, func, select

from agent.errors import ConversationBusy, LeaseLost, TooManyTurns
from agent.event_log import events_after
from agent.events import EVENTS_PER_TURN, TurnDone, TurnEvent, Usage
from agent.memory import append_items
from agent.turns import DuplicateKey, StartedTurn, TurnCaps, finish_turn, start_turn
from backend.app import create_app
from db.migrate import upgrade
from db.models import ChatTurn, Conversation, ConversationItem, TurnStatus
from db.types import utcnow
from tests.conftest import make_settings
from tests.factories import AuthedUser, make_user
from tools.errors import NotFound, UnknownUser

CAPS = TurnCaps(per_user=100)


@pytest.fixture(scope="module", params=["postgresql", "sqlite"], name="dialect_app")
async def _app(
    request: pytest.FixtureRequest, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    url = database_url
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('turns') / 'dev.db'}"
        await asyncio.to_thread(upgrade, url)
    application = create_app(make_settings(url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def app(dialect_app: FastAPI) -> FastAPI:
    """This module's app: on each database in turn."""
    return dialect_app


@pytest.fixture
async def user(app: FastAPI) -> AuthedUser:
    return await make_user(app)


async def start(
    app: FastAPI,
    user: AuthedUser,
    conversation_id: uuid.UUID | None = None,
    *,
    message: str = "hello",
    caps: TurnCaps = CAPS,
    history_limit: int | None = None,
    **keys: str,
) -> StartedTurn:
    async with app.state.sessionmaker() as session:
        return await start_turn(
            session,
            user_id=user.uuid,
            conversation_id=conversation_id,
            message=message,
            lease_s=60,
            history_limit=history_limit,
            caps=caps,
            **keys,
        )


async def finish(
    app: FastAPI, turn: StartedTurn, reply: str = "done", events: list[TurnEvent] | None = None
) -> None:
    items = [{"role": "assistant", "content": reply}]
    usage = Usage(input_tokens=10, output_tokens=3, total_tokens=13)
    async with app.state.sessionmaker() as session:
        await finish_turn(
            session,
            turn,
            status=TurnStatus.completed,
            reply=reply,
            usage=usage,
            model="m",
            items=items,
            events=events,
        )


async def taken_over(app: FastAPI, user: AuthedUser) -> tuple[StartedTurn, StartedTurn]:
    """A turn whose instance died (its lease ran out), and the next one, which took over."""
    dead = await start(app, user)
    async with app.state.sessionmaker() as session:
        expired = utcnow() - timedelta(seconds=1)
        stmt = update(Conversation).where(col(Conversation.id) == dead.conversation_id)
        await session.exec(stmt.values(lease_expires_at=expired))
        await session.commit()
    return dead, await start(app, user, dead.conversation_id)


async def stored(app: FastAPI, user: AuthedUser) -> tuple[int, int, int]:
    """The user's conversations, turns and history items."""
    async with app.state.sessionmaker() as session:
        counts = []
        for table in (Conversation, ChatTurn):
            stmt = select(func.count()).select_from(table).where(col(table.user_id) == user.uuid)
            counts.append((await session.exec(stmt)).one())
        mine = select(Conversation.id).where(col(Conversation.user_id) == user.uuid)
        items = select(func.count()).where(col(ConversationItem.conversation_id).in_(mine))
        counts.append((await session.exec(items)).one())
        return counts[0], counts[1], counts[2]


async def test_a_new_conversation_then_its_next_turn_with_the_history(app: FastAPI, user: AuthedUser) -> None:
    first = await start(app, user, message="  first message, long enough to be the title  ")
    assert (first.seq, first.history) == (1, [])
    async with app.state.sessionmaker() as session:
        conversation = await session.get(Conversation, first.conversation_id)
        turn = await session.get(ChatTurn, first.turn_id)
    assert conversation is not None and turn is not None
    assert (conversation.user_id, conversation.lease_token, conversation.turn_count) == (
        user.uuid,
        first.lease_token,
        1,
    )
    assert (turn.seq, turn.status, turn.assistant_message_id) == (1, "running", first.assistant_message_id)
    await finish(app, first, "first reply")

    second = await start(app, user, first.conversation_id, message="second")
    assert second.seq == 2 and second.conversation_id == first.conversation_id
    assert second.history == [
        {"role": "user", "content": "  first message, long enough to be the title  "},
        {"role": "assistant", "content": "first reply"},
    ], "the items before this turn, oldest first, without the new message"
    await finish(app, second, "second reply")
    third = await start(app, user, first.conversation_id, message="third", history_limit=3)
    assert [item["content"] for item in third.history] == ["first reply", "second", "second reply"]
    assert await stored(app, user) == (1, 3, 5)


async def test_a_held_conversation_is_busy_and_a_foreign_one_not_found(
    app: FastAPI, user: AuthedUser
) -> None:
    held = await start(app, user)
    before = await stored(app, user)
    with pytest.raises(ConversationBusy):
        await start(app, user, held.conversation_id)
    stranger = await make_user(app)
    with pytest.raises(NotFound):
        await start(app, stranger, held.conversation_id)
    with pytest.raises(NotFound):
        await start(app, user, uuid.uuid4())
    assert await stored(app, user) == before, "refusals write nothing"


async def test_a_dead_instances_turn_is_marked_interrupted_on_takeover(
    app: FastAPI, user: AuthedUser
) -> None:
    dead, taken = await taken_over(app, user)
    assert taken.seq == 2 and taken.history == [{"role": "user", "content": "hello"}]
    async with app.state.sessionmaker() as session:
        old = await session.get(ChatTurn, dead.turn_id)
        new = await session.get(ChatTurn, taken.turn_id)
    assert old is not None and (old.status, old.error_code) == ("failed", "interrupted")
    assert new is not None and new.status == "running"


async def test_the_caps_refuse_before_anything_is_written(app: FastAPI, user: AuthedUser) -> None:
    await start(app, user, caps=TurnCaps(per_user=1))
    before = await stored(app, user)
    with pytest.raises(TooManyTurns) as mine:
        await start(app, user, caps=TurnCaps(per_user=1))
    assert (mine.value.policy, mine.value.quota) == ("running-turns", 1)
    assert await stored(app, user) == before
    other = await make_user(app)
    with pytest.raises(TooManyTurns) as everyone:  # the others' running turns count in the total
        await start(app, other, caps=TurnCaps(per_user=1, total=1))
    assert (everyone.value.policy, everyone.value.quota) == ("running-turns-total", 1)
    assert await stored(app, other) == (0, 0, 0)


async def test_an_idempotency_key_starts_one_turn(app: FastAPI, user: AuthedUser) -> None:
    first = await start(app, user, client_message_id="key-1")
    before = await stored(app, user)
    with pytest.raises(DuplicateKey):
        await start(app, user, client_message_id="key-1")
    with pytest.raises(DuplicateKey):
        await start(app, user, first.conversation_id, client_message_id="key-1")
    assert await stored(app, user) == before
    other = await make_user(app)
    await start(app, other, client_message_id="key-1")  # keys are per user


async def test_a_client_id_names_one_conversation(app: FastAPI, user: AuthedUser) -> None:
    first = await start(app, user, client_id="chat-1")
    with pytest.raises(ConversationBusy):
        await start(app, user, client_id="chat-1")
    await finish(app, first)
    second = await start(app, user, client_id="chat-1")
    assert second.conversation_id == first.conversation_id and second.seq == 2
    other = await make_user(app)
    assert (await start(app, other, client_id="chat-1")).conversation_id != first.conversation_id


async def test_a_user_whose_row_is_gone_is_unknown(app: FastAPI) -> None:
    ghost = AuthedUser(id=str(uuid.uuid4()), email="ghost@example.com", token="")
    with pytest.raises(UnknownUser):
        await start(app, ghost)


async def test_a_turn_taken_over_writes_nothing_more(app: FastAPI, user: AuthedUser) -> None:
    dead, taken = await taken_over(app, user)
    before = await stored(app, user)
    step = [{"type": "function_call", "call_id": "c1", "name": "list_tasks", "arguments": "{}"}]

    async def append(turn: StartedTurn) -> None:
        async with app.state.sessionmaker() as session:
            await append_items(
                session,
                conversation_id=turn.conversation_id,
                turn_id=turn.turn_id,
                lease_token=turn.lease_token,
                items=step,
            )
            await session.commit()

    with pytest.raises(LeaseLost):
        await append(dead)
    with pytest.raises(LeaseLost):
        await finish(app, dead, "too late")
    assert await stored(app, user) == before

    await append(taken)
    done_event = TurnDone(conversation_id=taken.conversation_id, actions=[], usage=Usage())
    done = TurnEvent(taken.seq * EVENTS_PER_TURN + 1, done_event)
    await finish(app, taken, "in time", [done])
    assert await stored(app, user) == (before[0], before[1], before[2] + 2)
    async with app.state.sessionmaker() as session:
        conversation = await session.get(Conversation, taken.conversation_id)
        turn = await session.get(ChatTurn, taken.turn_id)
        logged = await events_after(session, taken.conversation_id, 0)
    assert conversation is not None and turn is not None
    assert (conversation.lease_token, conversation.lease_expires_at) == (None, None)
    assert (conversation.total_tokens, conversation.message_count) == (13, 3)
    assert (turn.status, turn.assistant_message, turn.total_tokens, turn.model) == (
        "completed",
        "in time",
        13,
        "m",
    )
    assert logged == [done]
