"""The lease that serialises a conversation's turns, directly: taken, renewed and released only by
the turn that holds it."""

from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from agent.errors import ConversationBusy, LeaseLost
from agent.events import Usage
from agent.turns import StartedTurn, TurnCaps, finish_turn, renew_leases, start_turn
from db.models import ChatTurn, Conversation, TurnStatus
from db.types import utcnow
from tests.factories import AuthedUser
from tools.errors import NotFound, UnknownUser


async def _start(
    app: FastAPI, user: AuthedUser, conversation_id: object = None, lease_s: float = 60
) -> StartedTurn:
    async with app.state.sessionmaker() as session:
        return await start_turn(
            session,
            user_id=user.uuid,
            conversation_id=conversation_id,  # type: ignore[arg-type]
            message="hello",
            lease_s=lease_s,
            history_limit=10,
            caps=TurnCaps(per_user=10),
        )


async def _lease(app: FastAPI, turn: StartedTurn) -> tuple[object, object]:
    async with app.state.sessionmaker() as session:
        row = await session.get(Conversation, turn.conversation_id)
        assert row is not None
        return row.lease_token, row.lease_expires_at


async def _expire(app: FastAPI, turn: StartedTurn) -> None:
    async with app.state.sessionmaker() as session:
        await session.exec(
            update(Conversation)
            .where(col(Conversation.id) == turn.conversation_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()


async def _finish(app: FastAPI, turn: StartedTurn) -> None:
    async with app.state.sessionmaker() as session:
        await finish_turn(session, turn, status=TurnStatus.completed, reply="done", usage=Usage(), model="m")


async def test_a_held_lease_refuses_a_second_turn(app: FastAPI, alice: AuthedUser, bob: AuthedUser) -> None:
    first = await _start(app, alice)
    with pytest.raises(ConversationBusy):
        await _start(app, alice, first.conversation_id)
    with pytest.raises(NotFound):  # not bob's to be busy with
        await _start(app, bob, first.conversation_id)
    await _finish(app, first)
    second = await _start(app, alice, first.conversation_id)
    assert second.seq == 2 and second.lease_token != first.lease_token


async def test_only_the_holder_renews(app: FastAPI, alice: AuthedUser) -> None:
    first = await _start(app, alice, lease_s=30)
    other = await _start(app, alice, lease_s=30)  # a second conversation: renewed in the same statement
    _, expires = await _lease(app, first)
    async with app.state.sessionmaker() as session:
        assert await renew_leases(session, [first, other], lease_s=300) == {first.turn_id, other.turn_id}
    assert (await _lease(app, first))[1] > expires  # type: ignore[operator]

    await _expire(app, first)
    second = await _start(app, alice, first.conversation_id)  # another instance took over
    taken = await _lease(app, second)
    async with app.state.sessionmaker() as session:
        renewed = await renew_leases(session, [first, other], lease_s=3600)
    assert renewed == {other.turn_id}, "the first lease is no longer ours"
    assert await _lease(app, second) == taken, "and the new holder's lease is untouched"


async def test_finishing_releases_only_its_own_lease(app: FastAPI, alice: AuthedUser) -> None:
    first = await _start(app, alice)
    await _expire(app, first)
    second = await _start(app, alice, first.conversation_id)
    with pytest.raises(LeaseLost):  # the dead turn's instance comes back and finishes late: refused
        await _finish(app, first)
    assert (await _lease(app, second))[0] == second.lease_token, "the takeover keeps its lease"
    async with app.state.sessionmaker() as session:
        late = await session.get(ChatTurn, first.turn_id)
        assert late is not None and (late.status, late.assistant_message) == ("failed", None), (
            "nothing written"
        )
    with pytest.raises(ConversationBusy):
        await _start(app, alice, first.conversation_id)
    await _finish(app, second)
    assert await _lease(app, second) == (None, None)


async def test_a_token_without_its_user_is_unauthorized(app: FastAPI) -> None:
    ghost = AuthedUser(id="00000000-0000-4000-8000-000000000000", email="ghost@example.com", token="")
    with pytest.raises(UnknownUser):
        await _start(app, ghost)
