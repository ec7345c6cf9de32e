"""The caps on running chat turns: per user (exact, even for simultaneous messages) and in total."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx2
import pytest
from sqlmodel import col, func, select

from db.migrate import upgrade
from db.models import Conversation
from db.types import utcnow
from tests.chat import Chat, chat_app
from tests.conftest import create_database, drop_database, url_string
from tests.factories import AuthedUser
from tests.provider import Step, text

Held = Callable[[httpx2.Request], Awaitable[Step]]


def held(release: asyncio.Event) -> Held:
    """A model call that answers only once `release` is set: its turn keeps running till then."""

    async def answer(_: httpx2.Request) -> Step:
        await release.wait()
        return text("Done.")

    return answer


async def running(chat: Chat, user: AuthedUser) -> int:
    async with chat.app.state.sessionmaker() as session:
        leased = ~Conversation.lease_free(utcnow())
        stmt = select(func.count()).where(leased, col(Conversation.user_id) == user.uuid)
        return (await session.exec(stmt)).one()


async def until_running(chat: Chat, user: AuthedUser, count: int) -> None:
    async with asyncio.timeout(10):
        while await running(chat, user) < count:  # noqa: ASYNC110 (the database has no event to wait on)
            await asyncio.sleep(0.02)


async def test_the_next_turn_past_the_cap_is_refused(database_url: str) -> None:
    release = asyncio.Event()
    async with chat_app(database_url, *[held(release)] * 4, rate={"running_turns_per_user": 2}) as chat:
        bob = await chat.another_user()
        turns = [asyncio.create_task(chat.reply(f"message {n}")) for n in range(2)]
        await until_running(chat, chat.user, 2)

        third = await chat.reply("one more")
        assert third.status_code == 429
        assert third.json()["error"]["code"] == "rate_limited"
        assert third.headers["ratelimit-policy"] == '"running-turns";q=2'
        assert int(third.headers["retry-after"]) >= 1
        compat = await chat.client.post(
            f"/api/{chat.user.id}/chat", json={"message": "one more"}, headers=chat.user.headers
        )
        assert compat.status_code == 429
        other = asyncio.create_task(chat.reply("mine", user=bob))  # another user is not counted
        await until_running(chat, bob, 1)

        release.set()
        assert [(await t).status_code for t in turns] == [200, 200]
        assert (await other).status_code == 200
        chat.provider.script(text("Fine now."))
        assert (await chat.reply("and now?")).status_code == 200, "finished turns free their place"


async def test_simultaneous_messages_cannot_pass_the_cap_together(database_url: str) -> None:
    release = asyncio.Event()
    async with chat_app(database_url, *[held(release)] * 6, rate={"running_turns_per_user": 1}) as chat:
        attempts = [asyncio.create_task(chat.reply(f"message {n}")) for n in range(6)]
        done, _ = await asyncio.wait(attempts, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        await until_running(chat, chat.user, 1)
        await asyncio.sleep(0.2)  # every refusal is answered by now; the admitted turn waits
        release.set()
        codes = sorted([(await attempt).status_code for attempt in attempts])
    assert done and codes == [200, 429, 429, 429, 429, 429]


@pytest.fixture
async def own_database() -> AsyncIterator[str]:
    """A database of its own: the total cap counts every user's turns, and the shared database
    holds other tests' conversations (some with leases on purpose)."""
    url = await create_database()
    try:
        await asyncio.to_thread(upgrade, url_string(url))
        yield url_string(url)
    finally:
        await drop_database(url)


async def test_a_total_cap_counts_every_user(own_database: str) -> None:
    release = asyncio.Event()
    rate = {"running_turns_total": 1}
    async with chat_app(own_database, held(release), text("Now."), rate=rate) as chat:
        bob = await chat.another_user()
        first = asyncio.create_task(chat.reply("first"))
        await until_running(chat, chat.user, 1)
        refused = await chat.reply("second", user=bob)
        assert refused.status_code == 429
        assert refused.headers["ratelimit-policy"] == '"running-turns-total";q=1'
        release.set()
        assert (await first).status_code == 200
        assert (await chat.reply("second", user=bob)).status_code == 200
