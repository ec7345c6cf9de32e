"""`tools.registry`: raw arguments in, the same rules and audit rows as every other interface."""

import uuid

import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from db.models import Action, ActionSource
from tests.factories import AuthedUser
from tools.audit import Origin
from tools.errors import InvalidInput, NotFound
from tools.paging import Page
from tools.registry import OPERATIONS, invoke
from tools.schemas import TaskPublic


def test_every_operation_is_described_for_the_model() -> None:
    assert list(OPERATIONS) == ["create_task", "read_task", "update_task", "delete_task", "list_tasks"]
    assert all(
        op.description and op.description == " ".join(op.description.split()) for op in OPERATIONS.values()
    )


async def _rows(app: FastAPI, user_id: uuid.UUID) -> list[Action]:
    async with app.state.sessionmaker() as session:
        stmt = select(Action).where(Action.user_id == user_id).order_by(col(Action.created_at))
        return list((await session.exec(stmt)).all())


async def test_invoke_runs_and_audits(app: FastAPI, alice: AuthedUser) -> None:
    user_id, origin = alice.uuid, _origin()
    async with app.state.sessionmaker() as session:
        created = await invoke(
            session,
            "create_task",
            '{"title": "via registry", "due_date": "2026-12-01"}',
            user_id=user_id,
            origin=origin,
        )
        task = created.unwrap()
        assert isinstance(task, TaskPublic)
        changed = await invoke(
            session,
            "update_task",
            {"task_id": str(task.id), "description": "notes"},
            user_id=user_id,
            origin=origin,
        )
        updated = changed.unwrap()
        assert isinstance(updated, TaskPublic)
        assert (updated.description, updated.due_date) == ("notes", task.due_date)
        page = await invoke(session, "list_tasks", {"search": "REGISTRY"}, user_id=user_id, origin=origin)
        listed = page.unwrap()
        assert isinstance(listed, Page) and listed.total == 1
    rows = await _rows(app, user_id)
    assert [r.id for r in rows] == [i.action.id for i in (created, changed, page)]
    assert {r.source for r in rows} == {"chat"}


@pytest.mark.parametrize(
    ("name", "arguments", "field"),
    [
        ("create_task", {"title": ""}, "title"),
        ("create_task", {"title": "x", "due_date": "Friday"}, "due_date"),
        ("create_task", {"title": "x", "user_id": str(uuid.uuid4())}, "user_id"),
        ("update_task", {"task_id": "not-an-id", "completed": True}, "task_id"),
        ("update_task", {"task_id": str(uuid.uuid4()), "title": None}, "title"),
        ("list_tasks", {"limit": 0}, "limit"),
    ],
)
async def test_rejected_arguments_are_audited(
    app: FastAPI, alice: AuthedUser, name: str, arguments: dict, field: str
) -> None:
    user_id, origin = alice.uuid, _origin()
    async with app.state.sessionmaker() as session:
        invocation = await invoke(session, name, arguments, user_id=user_id, origin=origin)
    error = invocation.error
    assert isinstance(error, InvalidInput) and error.details
    assert error.details[0]["field"] == field
    assert field in error.message
    (row,) = await _rows(app, user_id)
    assert (row.tool, row.status, row.arguments, row.id) == (name, "error", arguments, invocation.action.id)
    assert row.error == error.message


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"'])
async def test_arguments_that_are_not_an_object_are_audited(
    app: FastAPI, alice: AuthedUser, raw: str
) -> None:
    async with app.state.sessionmaker() as session:
        invocation = await invoke(session, "create_task", raw, user_id=alice.uuid, origin=_origin())
    assert isinstance(invocation.error, InvalidInput)
    (row,) = await _rows(app, alice.uuid)
    assert (row.status, row.arguments) == ("error", {"raw": raw})


async def test_unknown_tool_is_audited_not_found(app: FastAPI, alice: AuthedUser) -> None:
    async with app.state.sessionmaker() as session:
        invocation = await invoke(session, "drop_tables", {}, user_id=alice.uuid, origin=_origin())
    assert isinstance(invocation.error, NotFound)
    assert [(r.tool, r.status) for r in await _rows(app, uuid.UUID(alice.id))] == [("drop_tables", "error")]


def _origin() -> Origin:
    return Origin(source=ActionSource.chat, conversation_id=uuid.uuid4())
