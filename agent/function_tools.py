"""The five task operations as Agents SDK function tools.

Schemas come from the same pydantic models that validate the REST API, and each call goes
through `tools.registry.invoke`, so the model gets exactly the rules every other interface
gets. The user id comes from the run context; no schema has a field for it.
"""

import json
import logging
from typing import Any

from agents import FunctionTool
from agents.tool_context import ToolContext
from pydantic import BaseModel

from agent.context import ChatContext
from tools.audit import INTERNAL_ERROR
from tools.errors import ToolError
from tools.registry import OPERATIONS, Operation, invoke

log = logging.getLogger(__name__)


def task_tools() -> list[FunctionTool]:
    return [_function_tool(op) for op in OPERATIONS.values()]


def _function_tool(operation: Operation) -> FunctionTool:
    async def on_invoke(ctx: ToolContext[ChatContext], arguments: str) -> str:
        chat = ctx.context
        origin = chat.origin()
        try:
            async with chat.sessionmaker() as session:
                result = await invoke(session, operation.name, arguments, user_id=chat.user_id, origin=origin)
            output: Any = result.model_dump(mode="json")
        except ToolError as exc:  # told to the model, so it can explain or correct itself
            output = {"error": exc.message}
        except Exception:
            log.exception("tool %s failed", operation.name)
            output = {"error": INTERNAL_ERROR}
        if origin.actions:
            chat.actions[ctx.tool_call_id] = origin.actions[-1]
        return json.dumps(output, ensure_ascii=False)

    # Not strict: update_task must tell "leave as is" (absent) from "clear" (null), which strict
    # mode cannot express; validation is ours either way.
    return FunctionTool(
        name=operation.name,
        description=operation.description,
        params_json_schema=json_schema(operation.arguments),
        on_invoke_tool=on_invoke,
        strict_json_schema=False,
    )


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

    resolved = resolve(schema)
    required = resolved.get("required", [])
    # Required first: update_task reads as (task_id, title?, ...), as the contract states it.
    resolved["properties"] = dict(
        sorted(resolved["properties"].items(), key=lambda kv: kv[0] not in required)
    )
    return resolved
