"""Agents SDK stream events -> our chat events."""

from typing import Any

from agents import RawResponsesStreamEvent, RunItemStreamEvent, StreamEvent
from agents.items import ToolCallItem, ToolCallOutputItem
from openai.types.responses import ResponseFunctionToolCall, ResponseTextDeltaEvent

from agent.events import ChatEvent, TextDelta, ToolCalled, ToolResult
from agent.function_tools import ToolOutcome
from tools.errors import InvalidInput
from tools.registry import decode_arguments


def translate(event: StreamEvent) -> ChatEvent | None:
    """The chat event an SDK event stands for, if any (most are the model's internal steps)."""
    if isinstance(event, RawResponsesStreamEvent):
        if isinstance(event.data, ResponseTextDeltaEvent) and event.data.delta:
            return TextDelta(delta=event.data.delta)
    elif isinstance(event, RunItemStreamEvent):
        item = event.item
        if isinstance(item, ToolCallItem) and isinstance(item.raw_item, ResponseFunctionToolCall):
            raw = item.raw_item
            return ToolCalled(call_id=raw.call_id, name=raw.name, arguments=_arguments(raw.arguments))
        if isinstance(item, ToolCallOutputItem):
            if isinstance(item.output, ToolOutcome):
                return item.output.event()
            # The SDK answered the call itself (a tool it could not route): nothing of ours ran.
            return ToolResult.of(_call_id(item.raw_item), "", None, error="the tool did not run")
    return None


def _arguments(text: str) -> dict[str, Any]:
    try:
        return decode_arguments(text)
    except InvalidInput:
        return {"raw": text}


def _call_id(raw: Any) -> str:
    return str(raw["call_id"] if isinstance(raw, dict) else getattr(raw, "call_id", ""))
