"""`/api/tasks`: the five task operations as a plain REST resource.

Writes are audited; reads are not (`tools.operations`: a person reading their own tasks is not an
action to record), though they are counted as invocations like every other.
"""

import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

from fastapi import APIRouter, Response, status

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
from tools.schemas import (
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
T = TypeVar("T")


@router.get("", response_model=TaskPage, openapi_extra=TASK_QUERY.openapi)
async def list_tasks(query: TaskQueryDep, engine: EngineDep, user_id: CurrentUserId) -> Response:
    """List your tasks, filtered, searched, sorted and paginated."""
    # The page's JSON as the database wrote it, which is what `TaskPage` would be written as.
    page = await _counted(tasks.list_tasks.name, tasks.list_tasks_json(engine, query, user_id=user_id))
    return Response(page, media_type="application/json")


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
    read = tasks.read_task.unaudited(engine, TaskRef(task_id=task_id), user_id=user_id)
    return await _counted(tasks.read_task.name, read)


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


async def _counted(name: str, read: Awaitable[T]) -> T:
    # The user id is the token's alone: the read's own statement finds the user's row, or fails.
    # No session: the read's one statement borrows a pooled connection (`tools.task_queries`).
    try:
        value = await read
    except Exception:
        count_invocation(name, ActionSource.rest, ActionStatus.error)
        raise
    count_invocation(name, ActionSource.rest, ActionStatus.ok)
    return value
