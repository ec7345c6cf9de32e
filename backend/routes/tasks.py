"""`/api/tasks`: the five task operations as a plain REST resource."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from backend.deps import CurrentUser, RestOrigin, SessionDep
from backend.errors import ErrorResponse
from tools import create_task, delete_task, list_tasks, read_task, update_task
from tools.schemas import TaskCreate, TaskPage, TaskPublic, TaskQuery, TaskUpdate

router = APIRouter(
    prefix="/api/tasks",
    tags=["tasks"],
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
NOT_FOUND = {404: {"model": ErrorResponse}}


@router.get("")
async def list_(
    query: Annotated[TaskQuery, Query()], session: SessionDep, user: CurrentUser, origin: RestOrigin
) -> TaskPage:
    """List your tasks, filtered, searched, sorted and paginated."""
    return await list_tasks(session, query, user_id=user.id, origin=origin)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create(
    body: TaskCreate, response: Response, session: SessionDep, user: CurrentUser, origin: RestOrigin
) -> TaskPublic:
    """Create a task."""
    task = await create_task(session, body, user_id=user.id, origin=origin)
    response.headers["Location"] = f"{router.prefix}/{task.id}"
    return task


@router.get("/{task_id}", responses=NOT_FOUND)
async def read(task_id: uuid.UUID, session: SessionDep, user: CurrentUser, origin: RestOrigin) -> TaskPublic:
    """Read one task."""
    return await read_task(session, task_id, user_id=user.id, origin=origin)


@router.patch("/{task_id}", responses=NOT_FOUND)
async def update(
    task_id: uuid.UUID, body: TaskUpdate, session: SessionDep, user: CurrentUser, origin: RestOrigin
) -> TaskPublic:
    """Change some fields of a task; `null` clears `description` or `due_date`."""
    return await update_task(session, task_id, body, user_id=user.id, origin=origin)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete(task_id: uuid.UUID, session: SessionDep, user: CurrentUser, origin: RestOrigin) -> None:
    """Delete a task."""
    await delete_task(session, task_id, user_id=user.id, origin=origin)
