"""The zero-setup default: the service on an SQLite file behaves like on PostgreSQL."""

import asyncio
from datetime import datetime
from pathlib import Path

import httpx2

from backend.app import create_app
from db.migrate import upgrade
from tests.conftest import asgi_client, make_settings
from tests.factories import AuthedUser


async def register(client: httpx2.AsyncClient, email: str) -> AuthedUser:
    response = await client.post("/api/auth/register", json={"email": email, "password": "long enough"})
    assert response.status_code == 201, response.text
    body = response.json()
    return AuthedUser(id=body["user"]["id"], email=email, token=body["access_token"])


async def test_full_cycle_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"
    await asyncio.to_thread(upgrade, url)
    app = create_app(make_settings(url))
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        user = await register(client, email="Dev@Example.com")
        duplicate = await client.post(
            "/api/auth/register", json={"email": "dev@example.com", "password": "another long one"}
        )
        assert duplicate.status_code == 409
        other = await register(client, "other@example.com")
        task = (
            await client.post(
                "/api/tasks",
                json={"title": "Sqlite", "priority": "high", "due_date": "2026-12-24"},
                headers=user.headers,
            )
        ).json()
        assert datetime.fromisoformat(task["created_at"]).utcoffset().total_seconds() == 0
        done = (
            await client.patch(f"/api/tasks/{task['id']}", json={"completed": True}, headers=user.headers)
        ).json()
        assert datetime.fromisoformat(done["completed_at"]).utcoffset().total_seconds() == 0
        await client.post("/api/tasks", json={"title": "apple", "priority": "low"}, headers=user.headers)
        await client.post("/api/tasks", json={"title": "Medium", "priority": "medium"}, headers=user.headers)
        page = (
            await client.get(
                "/api/tasks", params={"sort_by": "priority", "order": "desc"}, headers=user.headers
            )
        ).json()
        assert [t["title"] for t in page["items"]] == ["Sqlite", "Medium", "apple"], (
            "ranked, not alphabetical"
        )
        assert (await client.get(f"/api/tasks/{task['id']}", headers=other.headers)).status_code == 404
        assert (await client.get("/api/tasks", params={"search": "SQLITE"}, headers=user.headers)).json()[
            "total"
        ] == 1
        assert (await client.delete(f"/api/tasks/{task['id']}", headers=user.headers)).status_code == 204
        actions = (await client.get("/api/actions", headers=user.headers)).json()
        # Writes are audited; plain REST reads are not.
        assert [a["tool"] for a in actions["items"]][:2] == ["delete_task", "create_task"]
        assert (await client.get("/ready")).status_code == 200


async def test_chat_turns_on_sqlite(tmp_path: Path) -> None:
    """The turn's start, its tool step's history, its events and its outcome take SQLite's path
    (PostgreSQL runs each as one statement): two turns of one conversation, with the offline model."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"
    await asyncio.to_thread(upgrade, url)
    app = create_app(make_settings(url, llm={"provider": "offline"}))
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        user = await register(client, "chat@example.com")
        message = {"message": "add a task to water the plants", "stream": False}
        first = await client.post("/api/chat", json=message, headers=user.headers)
        assert first.status_code == 200, first.text
        conversation = first.json()["conversation_id"]
        assert [a["tool"] for a in first.json()["actions"]] == ["create_task"]
        body = {"message": "show my tasks", "conversation_id": conversation}
        async with client.stream("POST", "/api/chat", json=body, headers=user.headers) as second:
            frames = [line async for line in second.aiter_lines() if line.startswith(("id:", "event:"))]
        assert frames[:2] == ["id: 2000001", "event: conversation"] and frames[-1] == "event: done", frames
        detail = (await client.get(f"/api/conversations/{conversation}", headers=user.headers)).json()
        said = [turn["user_message"]["content"] for turn in detail["turns"]]
        assert said == ["add a task to water the plants", "show my tasks"]
        assert "Water the plants" in detail["turns"][1]["assistant_message"]["content"]
        replay = await client.get(f"/api/conversations/{conversation}/stream", headers=user.headers)
        logged = [line for line in replay.text.splitlines() if line.startswith(("id:", "event:"))]
        assert logged == frames, "the last turn's events, as the log kept them"
