"""One turn at a time per conversation (a lease in the database), conversations in parallel, and
no database connection held while the model thinks."""

import asyncio
import uuid
from datetime import timedelta

import httpx2
from sqlalchemy import update
from sqlmodel import col

from db.models import ChatTurn, Conversation
from db.types import utcnow
from tests.chat import chat_app
from tests.provider import Step, text


def held_until(entered: asyncio.Event, release: asyncio.Event, reply: str) -> Step:
    async def answer(_: httpx2.Request) -> Step:
        entered.set()
        await asyncio.wait_for(release.wait(), 10)
        return text(reply)

    return answer


async def test_busy_conversation_is_409_while_others_run(database_url: str) -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    async with chat_app(database_url, text("reply 1"), held_until(entered, release, "reply 2")) as chat:
        first = await chat.reply("hi")
        conversation_id = first.json()["conversation_id"]
        slow = asyncio.create_task(chat.reply("slow one", conversation_id))
        try:
            await asyncio.wait_for(entered.wait(), 10)
            busy = await chat.reply("too soon", conversation_id)
            chat.provider.script(text("elsewhere"))
            other = await chat.reply("elsewhere")
            deleting = await chat.client.delete(
                f"/api/conversations/{conversation_id}", headers=chat.user.headers
            )
        finally:
            release.set()
        assert (busy.status_code, busy.json()["error"]["code"]) == (409, "conversation_busy")
        assert other.status_code == 200, "another conversation is not blocked"
        assert (deleting.status_code, deleting.json()["error"]["code"]) == (409, "conversation_busy")

        assert (await slow).status_code == 200
        chat.provider.script(text("now"))
        after = await chat.reply("now", conversation_id)
        assert after.status_code == 200
        turns = (await chat.get(f"/api/conversations/{conversation_id}"))["turns"]
        assert [t["user_message"]["content"] for t in turns] == ["hi", "slow one", "now"]


async def test_a_crashed_instances_lease_expires(database_url: str) -> None:
    async with chat_app(database_url, text("ok"), text("ok")) as chat:
        first = await chat.reply("hi")
        conversation_id = uuid.UUID(first.json()["conversation_id"])
        # Another instance took the lease and died mid-turn: its turn row says running.
        await _set_lease(chat.app, conversation_id, expires_in=timedelta(minutes=1), running=True)
        assert (await chat.reply("again", conversation_id)).status_code == 409

        await _set_lease(chat.app, conversation_id, expires_in=timedelta(seconds=-1))
        taken_over = await chat.reply("again", conversation_id)
        assert taken_over.status_code == 200
        turns = (await chat.get(f"/api/conversations/{conversation_id}"))["turns"]
    assert [(t["status"], (t["error"] or {}).get("code")) for t in turns] == [
        ("failed", "interrupted"),
        ("completed", None),
    ]


async def _set_lease(
    app: object, conversation_id: uuid.UUID, *, expires_in: timedelta, running: bool = False
) -> None:
    async with app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        await session.exec(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(lease_token=uuid.uuid4(), lease_expires_at=utcnow() + expires_in)
        )
        if running:
            await session.exec(
                update(ChatTurn)
                .where(col(ChatTurn.conversation_id) == conversation_id)
                .values(status="running", assistant_message=None)
            )
        await session.commit()


async def test_a_pool_of_one_serves_overlapping_chats(database_url: str) -> None:
    both_waiting = asyncio.Event()
    in_flight = 0

    async def overlapping(_: httpx2.Request) -> Step:
        nonlocal in_flight
        in_flight += 1
        if in_flight == 2:
            both_waiting.set()
        # Each model call waits until the other chat's call is also in flight: they overlap.
        await asyncio.wait_for(both_waiting.wait(), 15)
        return text("done")

    pool = {"pool_size": 1, "max_overflow": 0, "pool_timeout_s": 5}
    async with chat_app(database_url, overlapping, overlapping, db=pool) as chat:
        bob = await chat.another_user()
        replies = await asyncio.gather(chat.reply("hello"), chat.reply("hello", user=bob))
    assert [r.status_code for r in replies] == [200, 200]
    assert [r.json()["message"]["content"] for r in replies] == ["done", "done"]
    assert both_waiting.is_set()


async def test_turns_past_the_active_limit_wait_their_turn(database_url: str) -> None:
    """With one active turn allowed, a second conversation's turn opens its stream at once and
    runs when the first is done; a waiting turn that is stopped ends without a model call."""
    entered, release = asyncio.Event(), asyncio.Event()
    steps = (held_until(entered, release, "first"), text("second"))
    async with chat_app(database_url, *steps, chat={"max_active_turns": 1}) as chat:
        first = asyncio.create_task(chat.events("one"))
        await asyncio.wait_for(entered.wait(), 10)
        second = asyncio.create_task(chat.events("two"))
        stopped = asyncio.create_task(chat.events("three"))
        await asyncio.sleep(0.3)
        assert len(chat.provider.bodies) == 1, "the other turns wait for the active one"
        waiting = [c for c in (await chat.get("/api/conversations"))["items"] if c["title"] == "three"]
        stop = await chat.client.post(
            f"/api/conversations/{waiting[0]['id']}/stop", headers=chat.user.headers
        )
        stopped_events = await asyncio.wait_for(stopped, 5)
        assert len(chat.provider.bodies) == 1, "a stopped waiting turn never called the model"
        release.set()
        events = [await asyncio.wait_for(task, 10) for task in (first, second)]
    assert stop.status_code == 202
    assert stopped_events[-1][0] == "done" and stopped_events[-1][2]["stopped"] is True
    replies = [next(d["content"] for n, _, d in e if n == "message") for e in events]
    assert replies == ["first", "second"]
