"""The five task operations. Each is one short transaction that also writes its audit row; the
two reads may also run unaudited (`tools.operations.ReadOperation`).

A task that does not exist and a task of another user are the same `NotFound`: every query is
filtered by the acting user's id, so another user's task is never even read. The reads' own
statements are in `tools.task_queries`.
"""

import uuid
from typing import Any

from sqlalchemy import case, delete, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Task
from db.types import utcnow
from tools import task_queries
from tools.errors import NotFound
from tools.operations import operation, read_operation
from tools.schemas import TaskChange, TaskCreate, TaskPage, TaskPublic, TaskQuery, TaskRef


@operation
async def create_task(session: AsyncSession, args: TaskCreate, *, user_id: uuid.UUID) -> TaskPublic:
    """Create a task for the user.

    Resolve relative dates ("Friday", "tomorrow") to YYYY-MM-DD using today's date from your
    instructions. Priority is low, medium (the default) or high.
    """
    now = utcnow()
    task = Task(user_id=user_id, **args.model_dump(), created_at=now, updated_at=now)
    session.add(task)
    return TaskPublic.model_validate(task)


@read_operation
async def read_task(db: AsyncSession | AsyncEngine, args: TaskRef, *, user_id: uuid.UUID) -> TaskPublic:
    """Get one task with all its fields. Find its id with list_tasks first."""
    task = await task_queries.read_task(await _source(db), args.task_id, user_id)
    if task is None:
        raise NotFound(f"task {args.task_id} not found")
    return task


@operation
async def update_task(session: AsyncSession, args: TaskChange, *, user_id: uuid.UUID) -> TaskPublic:
    """Change some fields of one task; fields you leave out stay as they are.

    completed=true marks the task done and completed=false reopens it. Pass description or
    due_date as null to clear them. Find the task's id with list_tasks first.
    """
    changes = args.changes()
    now = utcnow()
    values: dict[str, Any] = {**changes, "updated_at": now}
    if "completed" in changes:
        # Completing an already-completed task keeps the original completion time.
        values["completed_at"] = (
            case((col(Task.completed), Task.completed_at), else_=now) if changes["completed"] else None
        )
    stmt = (
        update(Task)
        .where(col(Task.id) == args.task_id, col(Task.user_id) == user_id)
        .values(**values)
        .returning(Task)
        .execution_options(synchronize_session=False)
    )
    return _public((await session.exec(stmt)).scalars().one_or_none(), args.task_id)


@operation
async def delete_task(session: AsyncSession, args: TaskRef, *, user_id: uuid.UUID) -> TaskPublic:
    """Delete one task permanently. Find its id with list_tasks first."""
    stmt = (
        delete(Task)
        .where(col(Task.id) == args.task_id, col(Task.user_id) == user_id)
        .returning(Task)
        .execution_options(synchronize_session=False)
    )
    return _public((await session.exec(stmt)).scalars().one_or_none(), args.task_id)


@read_operation
async def list_tasks(db: AsyncSession | AsyncEngine, args: TaskQuery, *, user_id: uuid.UUID) -> TaskPage:
    """List the user's tasks, with optional filters, search, sorting and paging.

    Use search to find a task the user names ("the dentist task" -> search="dentist").
    Returns {items, total, limit, offset}; use offset to read further pages.
    """
    return await task_queries.list_tasks(await _source(db), args, user_id)


async def list_tasks_json(engine: AsyncEngine, args: TaskQuery, *, user_id: uuid.UUID) -> str:
    """`list_tasks` unaudited, as the JSON text of its page: a person reading their own tasks
    over REST, which sends the page on as it is (`tools.task_queries.list_tasks_json`)."""
    return await task_queries.list_tasks_json(engine, args, user_id)


async def _source(db: AsyncSession | AsyncEngine) -> task_queries.Source:
    """Where a read runs: the session's connection (in its transaction), or the engine's pool."""
    return db if isinstance(db, AsyncEngine) else await db.connection()


def _public(task: Task | None, task_id: uuid.UUID) -> TaskPublic:
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return TaskPublic.model_validate(task)
