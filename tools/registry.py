"""The five operations by name: what the agent and MCP publish, and the way in for raw arguments.

`invoke` is for callers that hold raw arguments (a model's JSON, an MCP client's object): they are
validated by the same models the REST API uses, and a rejection is audited like any other
failure, so every invocation leaves its row.
"""

import json
import uuid
from typing import Any

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from tools.audit import Call, Invocation, Origin, audited
from tools.errors import DomainError, InvalidInput, NotFound
from tools.operations import Operation
from tools.tasks import create_task, delete_task, list_tasks, read_task, update_task

OPERATIONS: dict[str, Operation[Any, Any]] = {
    op.name: op for op in (create_task, read_task, update_task, delete_task, list_tasks)
}


async def invoke(
    session: AsyncSession, name: str, arguments: dict[str, Any] | str, *, user_id: uuid.UUID, origin: Origin
) -> Invocation[BaseModel]:
    """Validate raw arguments (an object, or a model's JSON text) and run the named operation."""
    operation = OPERATIONS.get(name)
    try:
        raw = decode_arguments(arguments) if isinstance(arguments, str) else arguments
        if operation is None:
            raise NotFound(f"there is no tool named {name!r}")
        args = operation.validate(raw)
    except DomainError as rejection:
        # Nothing ran: record the rejection itself, with the arguments as they came.
        recorded = arguments if isinstance(arguments, dict) else {"raw": arguments}
        return await audited(session, Call(name, recorded, user_id, origin), _raising(rejection), _nothing)
    return await operation(session, args, user_id=user_id, origin=origin)


def decode_arguments(text: str) -> dict[str, Any]:
    """A tool call's arguments, sent as JSON text, as an object; InvalidInput if they are not one."""
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"arguments are not valid JSON: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise InvalidInput("arguments must be a JSON object")
    return value


def _raising(error: DomainError) -> Any:
    async def effect() -> BaseModel:
        raise error

    return effect


def _nothing(_: BaseModel) -> None:
    return None


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with `$ref`s inlined and titles dropped: what small servers accept."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:  # keep the field's own default and description beside the definition
            target = definitions[node["$ref"].rsplit("/", 1)[-1]]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return {
            k: ({name: resolve(p) for name, p in v.items()} if k == "properties" else resolve(v))
            for k, v in node.items()
            if k != "title"  # the keyword; a property named "title" lives under "properties"
        }

    resolved: dict[str, Any] = resolve(schema)
    required = resolved.get("required", [])
    # Required first: update_task reads as (task_id, title?, ...), as the contract states it.
    resolved["properties"] = dict(
        sorted(resolved["properties"].items(), key=lambda kv: kv[0] not in required)
    )
    return resolved
