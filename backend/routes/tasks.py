"""`/api/tasks`: the five task operations as a plain REST resource."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from backend.deps import CurrentUser, RestOrigin, SessionDep
from backend.errors import UNREADABLE_BODY, ErrorResponse
from tools import tasks
from tools.schemas import TaskChange, TaskCreate, TaskPage, TaskPublic, TaskQuery, TaskRef, TaskUpdate

router = APIRouter(
    prefix="/api/tasks",
    tags=["tasks"],
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}}


@router.get("")
async def list_tasks(
    query: Annotated[TaskQuery, Query()], session: SessionDep, user: CurrentUser, origin: RestOrigin
) -> TaskPage:
    """List your tasks, filtered, searched, sorted and paginated."""
    return (await tasks.list_tasks(session, query, user_id=user.id, origin=origin)).unwrap()


@router.post("", status_code=status.HTTP_201_CREATED, responses=UNREADABLE_BODY)
async def create_task(
    body: TaskCreate, response: Response, session: SessionDep, user: CurrentUser, origin: RestOrigin
) -> TaskPublic:
    """Create a task."""
    task = (await tasks.create_task(session, body, user_id=user.id, origin=origin)).unwrap()
    response.headers["Location"] = f"{router.prefix}/{task.id}"
    return task


@router.get("/{task_id}", responses=NOT_FOUND)
async def read_task(
    task_id: uuid.UUID, session: SessionDep, user: CurrentUser, origin: RestOrigin
) -> TaskPublic:
    """Read one task."""
    return (await tasks.read_task(session, TaskRef(task_id=task_id), user_id=user.id, origin=origin)).unwrap()


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
