"""The five task operations as Agents SDK function tools.

Schemas come from the same pydantic models that validate the REST API, and each call goes
through `tools.registry.invoke`, so the model gets exactly the rules every other interface
gets. The user id comes from the run context; no schema has a field for it.
"""

import json
import logging
from dataclasses import dataclass
from typing import Any

from agents import FunctionTool, Tool
from agents.tool_context import ToolContext
from pydantic import BaseModel

from agent.context import ChatContext
from agent.events import ToolResult
from tools.audit import INTERNAL_ERROR
from tools.errors import DomainError
from tools.operations import Operation
from tools.registry import OPERATIONS, invoke, json_schema
from tools.schemas import ActionPublic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ToolOutcome:
    """What a tool call returns to the SDK: the output the model reads and the audit row behind it.

    The SDK hands a tool's return value to the model as `str(value)` and to the stream, untouched,
    as the `tool_output` event's item output: so the `tool_result` event is built from this very
    object, with no lookup by call id."""

    call_id: str
    name: str
    action: ActionPublic | None
    output: Any

    def __str__(self) -> str:
        return json.dumps(self.output, ensure_ascii=False)

    def event(self) -> ToolResult:
        return ToolResult.of(self.call_id, self.name, self.action, error=INTERNAL_ERROR)


def task_tools() -> list[Tool]:
    return [_function_tool(op) for op in OPERATIONS.values()]


def _function_tool(operation: Operation[Any, Any]) -> FunctionTool:
    async def on_invoke(ctx: ToolContext[ChatContext], arguments: str) -> ToolOutcome:
        chat = ctx.context
        try:
            async with chat.sessionmaker() as session:
                invocation = await invoke(
                    session, operation.name, arguments, user_id=chat.user_id, origin=chat.origin()
                )
        except Exception:  # not even the failure could be recorded: the database is in trouble
            log.exception("tool %s failed", operation.name)
            return ToolOutcome(ctx.tool_call_id, operation.name, None, {"error": INTERNAL_ERROR})
        output = _output(invocation.value, invocation.error, operation.name)
        return ToolOutcome(ctx.tool_call_id, operation.name, invocation.action, output)

    # Not strict: update_task must tell "leave as is" (absent) from "clear" (null), which strict
    # mode cannot express; validation is ours either way.
    return FunctionTool(
        name=operation.name,
        description=operation.description,
        params_json_schema=json_schema(operation.arguments),
        on_invoke_tool=on_invoke,
        strict_json_schema=False,
    )


def _output(value: BaseModel | None, error: Exception | None, name: str) -> Any:
    """What the model reads: the result, or the error's message when it is safe to show."""
    if error is None:
        assert value is not None
        return value.model_dump(mode="json")
    if isinstance(error, DomainError):  # told to the model, so it can explain or correct itself
        return {"error": error.message}
    log.error("tool %s failed", name, exc_info=error)
    return {"error": INTERNAL_ERROR}
