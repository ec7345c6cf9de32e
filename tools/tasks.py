"""The five task operations. Each is one short transaction that also writes its audit row.

A task that does not exist and a task of another user are the same `NotFound`: every query is
filtered by the acting user's id, so another user's task is never even read.
"""

import uuid
from typing import Any

from sqlalchemy import case, delete, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Priority, Task
from db.types import utcnow
from tools.errors import NotFound
from tools.operations import operation
from tools.paging import fetch_page
from tools.schemas import TaskChange, TaskCreate, TaskPage, TaskPublic, TaskQuery, TaskRef

PRIORITY_RANK = case({Priority.low: 0, Priority.medium: 1, Priority.high: 2}, value=Task.priority)


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


@operation
async def read_task(session: AsyncSession, args: TaskRef, *, user_id: uuid.UUID) -> TaskPublic:
    """Get one task with all its fields. Find its id with list_tasks first."""
    stmt = select(Task).where(Task.id == args.task_id, Task.user_id == user_id)
    return _public((await session.exec(stmt)).one_or_none(), args.task_id)


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


@operation
async def list_tasks(session: AsyncSession, args: TaskQuery, *, user_id: uuid.UUID) -> TaskPage:
    """List the user's tasks, with optional filters, search, sorting and paging.

    Use search to find a task the user names ("the dentist task" -> search="dentist").
    Returns {items, total, limit, offset}; use offset to read further pages.
    """
    return await fetch_page(
        session,
        Task,
        TaskPublic.model_validate,
        where=_filters(args, user_id),
        order_by=_ordering(args),
        limit=args.limit,
        offset=args.offset,
    )


def _public(task: Task | None, task_id: uuid.UUID) -> TaskPublic:
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return TaskPublic.model_validate(task)


def _filters(query: TaskQuery, user_id: uuid.UUID) -> list[Any]:
    where: list[Any] = [col(Task.user_id) == user_id]
    if query.status != "all":
        where.append(col(Task.completed) == (query.status == "completed"))
    if query.priority is not None:
        where.append(col(Task.priority) == query.priority)
    if query.search is not None:
        where.append(
            or_(
                col(Task.title).icontains(query.search, autoescape=True),
                col(Task.description).icontains(query.search, autoescape=True),
            )
        )
    if query.due_before is not None:
        where.append(col(Task.due_date) <= query.due_before)
    if query.due_after is not None:
        where.append(col(Task.due_date) >= query.due_after)
    return where


def _ordering(query: TaskQuery) -> list[Any]:
    key = {
        "created_at": col(Task.created_at),
        "due_date": col(Task.due_date),
        "priority": PRIORITY_RANK,
        "title": func.lower(Task.title),
    }[query.sort_by]
    primary = key.desc() if query.order == "desc" else key.asc()
    if query.sort_by == "due_date":
        primary = primary.nulls_last()  # undated tasks go last whichever way the dates run
    # The id breaks ties so that pages never overlap or skip a row.
    return [primary, col(Task.created_at).asc(), col(Task.id).asc()]
