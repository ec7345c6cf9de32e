"""The audit trail: one row per invocation, for success and failure, scoped to its user."""

import json
import uuid
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from db.models import Action, ActionSource, Priority, Task
from tests.chat import chat_app
from tests.factories import AuthedUser, make_task, make_user
from tests.provider import call, text
from tools import tasks
from tools.audit import Call, Origin, audited
from tools.errors import NotFound
from tools.schemas import TaskCreate, TaskPublic


async def trail(client: httpx2.AsyncClient, user: AuthedUser, **params: Any) -> dict:
    response = await client.get("/api/actions", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_rest_write_writes_one_row_and_reads_none(
    client: httpx2.AsyncClient, alice: AuthedUser
) -> None:
    task = (await client.post("/api/tasks", json={"title": "x"}, headers=alice.headers)).json()
    assert (await client.get(f"/api/tasks/{task['id']}", headers=alice.headers)).status_code == 200
    await client.patch(f"/api/tasks/{task['id']}", json={"priority": "low"}, headers=alice.headers)
    assert (await client.get("/api/tasks", params={"search": "x"}, headers=alice.headers)).status_code == 200
    await client.delete(f"/api/tasks/{task['id']}", headers=alice.headers)
    await client.delete(f"/api/tasks/{task['id']}", headers=alice.headers)
    assert (await client.get(f"/api/tasks/{task['id']}", headers=alice.headers)).status_code == 404
    rows = (await trail(client, alice))["items"]
    assert [(r["tool"], r["status"]) for r in rows] == [
        ("delete_task", "error"),
        ("delete_task", "ok"),
        ("update_task", "ok"),
        ("create_task", "ok"),
    ]
    assert {r["source"] for r in rows} == {"rest"}
    assert rows[0]["error"] == f"task {task['id']} not found" and rows[0]["result"] is None
    assert rows[2]["arguments"] == {"task_id": task["id"], "priority": "low"}
    assert rows[2]["result"]["priority"] == "low"
    assert all(r["duration_ms"] > 0 for r in rows)
    assert rows == sorted(rows, key=lambda r: r["created_at"], reverse=True)


async def test_agent_route_reads_are_audited(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    task = (await client.post("/api/tasks", json={"title": "x"}, headers=alice.headers)).json()
    read = await client.get(f"/api/agent/tasks/{task['id']}", headers=alice.headers)
    missing = await client.get(f"/api/agent/tasks/{uuid.uuid4()}", headers=alice.headers)
    listed = await client.get("/api/agent/tasks", params={"search": "x"}, headers=alice.headers)
    assert (read.status_code, missing.status_code, listed.status_code) == (200, 404, 200)
    rows = (await trail(client, alice))["items"]
    assert [(r["tool"], r["status"], r["source"]) for r in rows] == [
        ("list_tasks", "ok", "agent_api"),
        ("read_task", "error", "agent_api"),
        ("read_task", "ok", "agent_api"),
        ("create_task", "ok", "rest"),
    ]
    assert rows[0]["result"] == {"ids": [task["id"]], "total": 1}
    assert listed.json()["actions"] == [rows[0]]


async def test_rejected_input_never_reaches_the_tools(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    await client.post("/api/tasks", json={"title": ""}, headers=alice.headers)
    assert (await trail(client, alice))["total"] == 0


async def test_trail_pagination_and_filters(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    for n in range(5):
        await client.post("/api/tasks", json={"title": f"t{n}"}, headers=alice.headers)
    await client.delete(f"/api/tasks/{uuid.uuid4()}", headers=alice.headers)
    first, second = await trail(client, alice, limit=4), await trail(client, alice, limit=4, offset=4)
    assert (first["total"], len(first["items"]), len(second["items"])) == (6, 4, 2)
    assert {r["id"] for r in first["items"]}.isdisjoint(r["id"] for r in second["items"])
    assert (await trail(client, alice, status="error"))["total"] == 1
    assert (await trail(client, alice, tool="create_task"))["total"] == 5
    assert (await trail(client, alice, source="mcp"))["total"] == 0
    bad = await client.get("/api/actions", params={"limit": 101}, headers=alice.headers)
    assert bad.status_code == 422


async def test_trail_is_per_user(client: httpx2.AsyncClient, alice: AuthedUser, bob: AuthedUser) -> None:
    await client.post("/api/tasks", json={"title": "alice's"}, headers=alice.headers)
    assert (await trail(client, bob))["total"] == 0
    assert (await trail(client, alice))["total"] == 1


async def test_domain_failure_rolls_back_the_effect_and_records(app: FastAPI, alice: AuthedUser) -> None:
    origin = Origin(source=ActionSource.mcp, conversation_id=uuid.uuid4())
    call = Call("create_task", {"n": 1}, alice.uuid, origin)

    async def effect() -> TaskPublic:
        session.add(Task(user_id=alice.uuid, title="ghost"))
        await session.flush()
        raise NotFound("simulated failure after the write")

    async with app.state.sessionmaker() as session:
        invocation = await audited(session, call, effect, lambda value: value)
        rows = (await session.exec(select(Action).where(Action.user_id == alice.uuid))).all()
        tasks = (await session.exec(select(Task).where(Task.user_id == alice.uuid))).all()
    assert tasks == [], "the effect was rolled back"
    assert [(r.status, r.source, r.conversation_id, r.arguments, r.error) for r in rows] == [
        ("error", "mcp", origin.conversation_id, {"n": 1}, "simulated failure after the write")
    ]
    assert invocation.action.id == rows[0].id and isinstance(invocation.error, NotFound)
    with pytest.raises(NotFound):
        invocation.unwrap()


async def test_success_returns_the_result_and_its_row(app: FastAPI, alice: AuthedUser) -> None:
    async with app.state.sessionmaker() as session:
        invocation = await tasks.create_task(
            session, TaskCreate(title="Bread"), user_id=alice.uuid, origin=Origin(source=ActionSource.rest)
        )
    assert invocation.unwrap().title == "Bread" and invocation.error is None
    assert (invocation.action.tool, invocation.action.status) == ("create_task", "ok")
    assert invocation.action.result == invocation.unwrap().model_dump(mode="json")
    assert invocation.action.arguments == {
        "title": "Bread",
        "description": None,
        "priority": "medium",
        "due_date": None,
    }
    assert invocation.action.duration_ms > 0


async def test_unexpected_failure_is_recorded_without_internals(app: FastAPI, alice: AuthedUser) -> None:
    # Bypass validation so the database itself rejects the row (title longer than the column).
    data = TaskCreate.model_construct(
        title="x" * 300, description=None, priority=Priority.medium, due_date=None
    )
    async with app.state.sessionmaker() as session:
        invocation = await tasks.create_task(
            session, data, user_id=alice.uuid, origin=Origin(source=ActionSource.rest)
        )
        rows = (await session.exec(select(Action).where(Action.user_id == alice.uuid))).all()
    assert [(r.tool, r.status, r.error) for r in rows] == [("create_task", "error", "internal error")]
    assert invocation.action.status == "error"
    with pytest.raises(DBAPIError, match="value too long"):
        invocation.unwrap()


async def test_a_list_is_audited_as_its_ids_and_total(app: FastAPI, client: httpx2.AsyncClient) -> None:
    """A page of 100 long tasks wrote 256 KB of audit row; it is the ids and the total now, for
    every source, so a deleted task's text does not live on in the trail either."""
    user = await make_user(app)
    created = [
        await make_task(app, user, f"Task {n} " + "t" * 190, description="d" * 2000) for n in range(101)
    ]
    page = await client.get("/api/agent/tasks", params={"limit": 100}, headers=user.headers)
    assert page.status_code == 200
    async with app.state.sessionmaker() as session:
        stmt = select(Action).where(Action.user_id == user.uuid, Action.tool == "list_tasks")
        (row,) = (await session.exec(stmt)).all()
    assert row.result == {"ids": [str(task.id) for task in created[:100]], "total": 101}
    size = len(json.dumps(row.model_dump(mode="json")))
    assert size < 5 * 1024, f"the audit row is {size} bytes"


async def test_the_chat_audits_a_list_the_same_way(database_url: str) -> None:
    async with chat_app(database_url, call("list_tasks", {}), text("You have one task.")) as chat:
        task = await make_task(chat.app, chat.user, "Soap")
        events = await chat.events("what do I have?")
    (result,) = [data for name, _, data in events if name == "tool_result"]
    assert result["result"] == {"ids": [str(task.id)], "total": 1}
