"""One turn at a time per conversation (a lease in the database), conversations in parallel, and
no database connection held while the model thinks."""

import asyncio
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import update
from sqlmodel import col

from db.models import ChatTurn, Conversation
from db.types import utcnow
from tests.conftest import asgi_client, register
from tests.fake_llm import chat_app, message, openai_model, responses_frames, router, sse


def reply(text: str) -> httpx.Response:
    return sse(responses_frames(message(text)))


async def test_busy_conversation_is_409_while_others_run(database_url: str) -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def model(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 2:  # the second turn of the first conversation: hold it
            entered.set()
            await asyncio.wait_for(release.wait(), 10)
        return reply(f"reply {calls}")

    mock = router()
    mock.post("/responses").mock(side_effect=model)
    async with chat_app(database_url, openai_model(mock)) as app, asgi_client(app) as client:
        user = await register(client)
        first = await client.post("/api/chat", json={"message": "hi", "stream": False}, headers=user.headers)
        conversation_id = first.json()["conversation_id"]
        body = {"message": "slow one", "conversation_id": conversation_id, "stream": False}
        slow = asyncio.create_task(client.post("/api/chat", json=body, headers=user.headers))
        await asyncio.wait_for(entered.wait(), 10)

        busy = await client.post("/api/chat", json={**body, "message": "too soon"}, headers=user.headers)
        assert busy.status_code == 409
        assert busy.json()["error"]["code"] == "conversation_busy"
        other = await client.post(
            "/api/chat", json={"message": "elsewhere", "stream": False}, headers=user.headers
        )
        assert other.status_code == 200, "another conversation is not blocked"
        deleting = await client.delete(f"/api/conversations/{conversation_id}", headers=user.headers)
        assert deleting.status_code == 409

        release.set()
        assert (await slow).status_code == 200
        after = await client.post("/api/chat", json={**body, "message": "now"}, headers=user.headers)
        assert after.status_code == 200
        turns = (await client.get(f"/api/conversations/{conversation_id}", headers=user.headers)).json()[
            "turns"
        ]
        assert [t["user_message"]["content"] for t in turns] == ["hi", "slow one", "now"]


async def test_a_crashed_instances_lease_expires(database_url: str) -> None:
    mock = router()
    mock.post("/responses").mock(return_value=reply("ok"))
    async with chat_app(database_url, openai_model(mock)) as app, asgi_client(app) as client:
        user = await register(client)
        first = await client.post("/api/chat", json={"message": "hi", "stream": False}, headers=user.headers)
        conversation_id = uuid.UUID(first.json()["conversation_id"])
        # Another instance took the lease and died mid-turn: its turn row says running.
        await _set_lease(app, conversation_id, expires_in=timedelta(minutes=1), running=True)
        body = {"message": "again", "conversation_id": str(conversation_id), "stream": False}
        assert (await client.post("/api/chat", json=body, headers=user.headers)).status_code == 409

        await _set_lease(app, conversation_id, expires_in=timedelta(seconds=-1))
        taken_over = await client.post("/api/chat", json=body, headers=user.headers)
        assert taken_over.status_code == 200
        turns = (await client.get(f"/api/conversations/{conversation_id}", headers=user.headers)).json()[
            "turns"
        ]
        assert [(t["status"], (t["error"] or {}).get("code")) for t in turns] == [
            ("failed", "interrupted"),
            ("completed", None),
        ]


async def _set_lease(
    app, conversation_id: uuid.UUID, *, expires_in: timedelta, running: bool = False
) -> None:
    async with app.state.sessionmaker() as session:
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

    async def model(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight
        in_flight += 1
        if in_flight == 2:
            both_waiting.set()
        # Each model call waits until the other chat's call is also in flight: they overlap.
        await asyncio.wait_for(both_waiting.wait(), 15)
        return reply("done")

    mock = router()
    mock.post("/responses").mock(side_effect=model)
    async with (
        chat_app(
            database_url, openai_model(mock), db_pool_size=1, db_max_overflow=0, db_pool_timeout_s=5
        ) as app,
        asgi_client(app) as client,
    ):
        alice, bob = await register(client), await register(client)
        replies = await asyncio.gather(
            *(
                client.post("/api/chat", json={"message": "hello", "stream": False}, headers=user.headers)
                for user in (alice, bob)
            )
        )
    assert [r.status_code for r in replies] == [200, 200]
    assert both_waiting.is_set()
