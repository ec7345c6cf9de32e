"""`/api/tasks`: the five task operations as a plain REST resource.

Writes are audited; reads are not (`tools.operations`: a person reading their own tasks is not an
action to record), though they are counted as invocations like every other.
"""

import uuid
from typing import Any, TypeVar

from fastapi import APIRouter, Response, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.deps import (
    TASK_QUERY,
    CurrentUser,
    CurrentUserId,
    EngineDep,
    RestOrigin,
    SessionDep,
    TaskQueryDep,
)
from backend.errors import UNREADABLE_BODY, ErrorResponse
from backend.telemetry.observers import count_invocation
from db.models import ActionSource, ActionStatus
from tools import tasks
from tools.operations import ReadOperation
from tools.schemas import (
    Arguments,
    TaskChange,
    TaskCreate,
    TaskPage,
    TaskPublic,
    TaskRef,
    TaskUpdate,
)

router = APIRouter(
    prefix="/api/tasks",
    tags=["tasks"],
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}}
A = TypeVar("A", bound=Arguments)
R = TypeVar("R", bound=BaseModel)


@router.get("", openapi_extra=TASK_QUERY.openapi)
async def list_tasks(query: TaskQueryDep, engine: EngineDep, user_id: CurrentUserId) -> TaskPage:
    """List your tasks, filtered, searched, sorted and paginated."""
    return await _read(tasks.list_tasks, engine, query, user_id)


@router.post("", status_code=status.HTTP_201_CREATED, responses=UNREADABLE_BODY)
async def create_task(
    body: TaskCreate, response: Response, session: SessionDep, user: CurrentUser, origin: RestOrigin
) -> TaskPublic:
    """Create a task."""
    task = (await tasks.create_task(session, body, user_id=user.id, origin=origin)).unwrap()
    response.headers["Location"] = f"{router.prefix}/{task.id}"
    return task


@router.get("/{task_id}", responses=NOT_FOUND)
async def read_task(task_id: uuid.UUID, engine: EngineDep, user_id: CurrentUserId) -> TaskPublic:
    """Read one task."""
    return await _read(tasks.read_task, engine, TaskRef(task_id=task_id), user_id)


@router.patch("/{task_id}", responses={**NOT_FOUND, **UNREADABLE_BODY})
async def update_task(
    task_id: uuid.UUID, body: TaskUpdate, session: SessionDep, user: CurrentUser, origin: RestOrigin
) -> TaskPublic:
    """Change some fields of a task; `null` clears `description` or `due_date`."""
    args = TaskChange.of(task_id, body)
    return (await tasks.update_task(session, args, user_id=user.id, origin=origin)).unwrap()


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_task(task_id: uuid.UUID, session: SessionDep, user: CurrentUser, origin: RestOrigin) -> None:
    """Delete a task."""
    (await tasks.delete_task(session, TaskRef(task_id=task_id), user_id=user.id, origin=origin)).unwrap()


async def _read(operation: ReadOperation[A, R], engine: AsyncEngine, args: A, user_id: uuid.UUID) -> R:
    # The user id is the token's alone: the read's own statement finds the user's row, or fails.
    # No session: the read's one statement borrows a pooled connection (`tools.task_queries`).
    try:
        value = await operation.unaudited(engine, args, user_id=user_id)
    except Exception:
        count_invocation(operation.name, ActionSource.rest, ActionStatus.error)
        raise
    count_invocation(operation.name, ActionSource.rest, ActionStatus.ok)
    return value
