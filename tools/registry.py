"""The five operations by name, with their argument models: what the agent and MCP publish.

`invoke` is the one way in for callers that hold raw arguments (a model's JSON): the arguments
are validated by the same models the REST API uses, and a rejection is audited like any other
failure, so every invocation leaves its row.
"""

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from tools.audit import Origin, audited
from tools.errors import InvalidInput, NotFound
from tools.schemas import TaskChange, TaskCreate, TaskQuery, TaskRef
from tools.tasks import create_task, delete_task, list_tasks, read_task, update_task

Runner = Callable[[AsyncSession, Any, uuid.UUID, Origin], Awaitable[BaseModel]]


@dataclass(frozen=True)
class Operation:
    name: str
    description: str
    arguments: type[BaseModel]
    run: Runner


def _operation(fn: Callable[..., Awaitable[BaseModel]], arguments: type[BaseModel], run: Runner) -> Operation:
    description = " ".join((fn.__doc__ or "").split())  # the docstring, written for the model
    return Operation(fn.__name__, description, arguments, run)


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        _operation(create_task, TaskCreate, lambda s, a, u, o: create_task(s, a, user_id=u, origin=o)),
        _operation(read_task, TaskRef, lambda s, a, u, o: read_task(s, a.task_id, user_id=u, origin=o)),
        _operation(
            update_task,
            TaskChange,
            lambda s, a, u, o: update_task(s, a.task_id, a.patch(), user_id=u, origin=o),
        ),
        _operation(delete_task, TaskRef, lambda s, a, u, o: delete_task(s, a.task_id, user_id=u, origin=o)),
        _operation(list_tasks, TaskQuery, lambda s, a, u, o: list_tasks(s, a, user_id=u, origin=o)),
    )
}


async def invoke(
    session: AsyncSession, name: str, arguments: dict[str, Any] | str, *, user_id: uuid.UUID, origin: Origin
) -> BaseModel:
    """Validate raw arguments (a dict, or a model's JSON text) and run the named operation.

    Every outcome is audited, a rejection of the arguments included."""
    operation = OPERATIONS.get(name)
    try:
        if isinstance(arguments, str):
            arguments = _decode(arguments)
        if operation is None:
            raise NotFound(f"there is no tool named {name!r}")
        try:
            parsed = operation.arguments.model_validate(arguments)
        except ValidationError as exc:
            raise InvalidInput.from_errors(exc.errors()) from exc
    except (NotFound, InvalidInput):
        # Nothing ran: record the rejection itself, with the arguments as they came.
        recorded = arguments if isinstance(arguments, dict) else {"raw": arguments}
        async with audited(session, user_id=user_id, origin=origin, tool=name, arguments=recorded):
            raise
    return await operation.run(session, parsed, user_id, origin)


def _decode(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"arguments are not valid JSON: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise InvalidInput("arguments must be a JSON object")
    return value
