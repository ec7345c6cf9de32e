"""`/api/agent/tasks`: the same five operations, each answer carrying the audit row it wrote."""

import uuid
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, status
from pydantic import BaseModel

from backend.deps import TASK_QUERY, AgentApiOrigin, CurrentUser, SessionDep, TaskQueryDep
from backend.errors import UNREADABLE_BODY, ErrorResponse
from tools import tasks
from tools.audit import Invocation
from tools.schemas import (
    ActionPublic,
    TaskChange,
    TaskCreate,
    TaskPage,
    TaskPublic,
    TaskRef,
    TaskUpdate,
)

router = APIRouter(
    prefix="/api/agent/tasks",
    tags=["agent tasks"],
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}}
R = TypeVar("R", bound=BaseModel)


class Audited(BaseModel, Generic[R]):
    """An operation's result with the audit rows its request wrote."""

    result: R
    actions: list[ActionPublic]

    @classmethod
    def of(cls, invocation: Invocation[R]) -> "Audited[R]":
        return cls(result=invocation.unwrap(), actions=[invocation.action])


@router.get("", openapi_extra=TASK_QUERY.openapi)
async def agent_list_tasks(
    query: TaskQueryDep, session: SessionDep, user: CurrentUser, origin: AgentApiOrigin
) -> Audited[TaskPage]:
    """list_tasks, with its audit row."""
    return Audited.of(await tasks.list_tasks(session, query, user_id=user.id, origin=origin))


@router.post("", status_code=status.HTTP_201_CREATED, responses=UNREADABLE_BODY)
async def agent_create_task(
    body: TaskCreate, session: SessionDep, user: CurrentUser, origin: AgentApiOrigin
) -> Audited[TaskPublic]:
    """create_task, with its audit row."""
    return Audited.of(await tasks.create_task(session, body, user_id=user.id, origin=origin))


@router.get("/{task_id}", responses=NOT_FOUND)
async def agent_read_task(
    task_id: uuid.UUID, session: SessionDep, user: CurrentUser, origin: AgentApiOrigin
) -> Audited[TaskPublic]:
    """read_task, with its audit row."""
    args = TaskRef(task_id=task_id)
    return Audited.of(await tasks.read_task(session, args, user_id=user.id, origin=origin))


@router.patch("/{task_id}", responses={**NOT_FOUND, **UNREADABLE_BODY})
async def agent_update_task(
    task_id: uuid.UUID, body: TaskUpdate, session: SessionDep, user: CurrentUser, origin: AgentApiOrigin
) -> Audited[TaskPublic]:
    """update_task, with its audit row."""
    args = TaskChange.of(task_id, body)
    return Audited.of(await tasks.update_task(session, args, user_id=user.id, origin=origin))


@router.delete("/{task_id}", responses=NOT_FOUND)
async def agent_delete_task(
    task_id: uuid.UUID, session: SessionDep, user: CurrentUser, origin: AgentApiOrigin
) -> Audited[TaskPublic]:
    """delete_task; the result is the task as it was before deletion."""
    args = TaskRef(task_id=task_id)
    return Audited.of(await tasks.delete_task(session, args, user_id=user.id, origin=origin))
