"""`/api/agent/tasks`: the same five operations, each answer carrying the audit rows of its request."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from backend.deps import AgentApiOrigin, CurrentUser, SessionDep
from backend.errors import ErrorResponse
from tools import create_task, delete_task, list_tasks, read_task, update_task
from tools.schemas import ActionPublic, TaskCreate, TaskPage, TaskPublic, TaskQuery, TaskUpdate

router = APIRouter(
    prefix="/api/agent/tasks",
    tags=["agent tasks"],
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
NOT_FOUND = {404: {"model": ErrorResponse}}


class AgentTaskResult(BaseModel):
    result: TaskPublic
    actions: list[ActionPublic]


class AgentTaskPage(BaseModel):
    result: TaskPage
    actions: list[ActionPublic]


@router.get("")
async def list_(
    query: Annotated[TaskQuery, Query()], session: SessionDep, user: CurrentUser, origin: AgentApiOrigin
) -> AgentTaskPage:
    """list_tasks, with its audit row."""
    page = await list_tasks(session, query, user_id=user.id, origin=origin)
    return AgentTaskPage(result=page, actions=origin.actions)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create(
    body: TaskCreate, session: SessionDep, user: CurrentUser, origin: AgentApiOrigin
) -> AgentTaskResult:
    """create_task, with its audit row."""
    task = await create_task(session, body, user_id=user.id, origin=origin)
    return AgentTaskResult(result=task, actions=origin.actions)


@router.get("/{task_id}", responses=NOT_FOUND)
async def read(
    task_id: uuid.UUID, session: SessionDep, user: CurrentUser, origin: AgentApiOrigin
) -> AgentTaskResult:
    """read_task, with its audit row."""
    task = await read_task(session, task_id, user_id=user.id, origin=origin)
    return AgentTaskResult(result=task, actions=origin.actions)


@router.patch("/{task_id}", responses=NOT_FOUND)
async def update(
    task_id: uuid.UUID, body: TaskUpdate, session: SessionDep, user: CurrentUser, origin: AgentApiOrigin
) -> AgentTaskResult:
    """update_task, with its audit row."""
    task = await update_task(session, task_id, body, user_id=user.id, origin=origin)
    return AgentTaskResult(result=task, actions=origin.actions)


@router.delete("/{task_id}", responses=NOT_FOUND)
async def delete(
    task_id: uuid.UUID, session: SessionDep, user: CurrentUser, origin: AgentApiOrigin
) -> AgentTaskResult:
    """delete_task; the result is the task as it was before deletion."""
    task = await delete_task(session, task_id, user_id=user.id, origin=origin)
    return AgentTaskResult(result=task, actions=origin.actions)
