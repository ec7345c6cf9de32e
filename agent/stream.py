"""Agents SDK stream events -> our chat events."""

import json
from collections.abc import Iterator
from typing import Any

from agents import StreamEvent

from agent.context import ChatContext
from agent.events import ChatEvent, TextDelta, ToolCalled, ToolResult


def translate(event: StreamEvent, ctx: ChatContext) -> Iterator[ChatEvent]:
    if event.type == "raw_response_event":
        if event.data.type == "response.output_text.delta" and event.data.delta:
            yield TextDelta(delta=event.data.delta)
    elif event.type == "run_item_stream_event":
        if event.name == "tool_called":
            raw = event.item.raw_item
            yield ToolCalled(call_id=raw.call_id, name=raw.name, arguments=_arguments(raw.arguments))
        elif event.name == "tool_output":
            yield _result(event.item.raw_item, ctx)


def _result(raw: Any, ctx: ChatContext) -> ToolResult:
    call_id = raw["call_id"] if isinstance(raw, dict) else raw.call_id
    action = ctx.actions.get(call_id)
    if action is None:  # the SDK answered the call itself (e.g. invalid JSON it could not route)
        return ToolResult(
            call_id=call_id,
            name="",
            status="error",
            result=None,
            error="the tool did not run",
            duration_ms=None,
            action_id=None,
        )
    return ToolResult(
        call_id=call_id,
        name=action.tool,
        status=action.status.value,
        result=action.result,
        error=action.error,
        duration_ms=action.duration_ms,
        action_id=action.id,
    )


def _arguments(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {"raw": text}
    return value if isinstance(value, dict) else {"raw": text}
