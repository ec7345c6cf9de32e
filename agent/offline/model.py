"""`OfflineModel`: the SDK `Model` interface over the rule-based replies, streamed like a real model.

It sees what an LLM would see — the input items — and keeps no state of its own, so it runs
through the real SDK loop, tools, memory and SSE. The user's "today" is given to it when the turn
begins (an LLM reads it from the instructions; a rule-based model is told it).
"""

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from agents import Model, ModelResponse, Usage
from agents.items import TResponseStreamEvent

from agent.offline.replies import Call, Done, next_step, parse_output, user_text
from tools.errors import InvalidInput
from tools.registry import decode_arguments
from wire import responses
from wire.fragments import words
from wire.reply import OutputItem, Reply, function_call, message

MODEL_NAME = "offline-rules"


class OfflineModel(Model):
    model = MODEL_NAME

    def __init__(self, today: date) -> None:
        self.today = today

    async def get_response(
        self, system_instructions: str | None, input: Any, *_: Any, **__: Any
    ) -> ModelResponse:
        reply = decide(input, self.today, system_instructions)
        usage = Usage(
            requests=1,
            input_tokens=reply.input_tokens,
            output_tokens=reply.output_tokens,
            total_tokens=reply.total_tokens,
        )
        return ModelResponse(output=list(reply.items), usage=usage, response_id=None)

    async def stream_response(
        self, system_instructions: str | None, input: Any, *_: Any, **__: Any
    ) -> AsyncIterator[TResponseStreamEvent]:
        for event in responses.stream(decide(input, self.today, system_instructions), words):
            yield event


def decide(input: str | list[Any], today: date, instructions: str | None = None) -> Reply:
    """The next step of the conversation in `input`: a tool call or the reply, with its usage."""
    items: list[dict[str, Any]] = (
        [{"role": "user", "content": input}] if isinstance(input, str) else list(input)
    )
    users = [i for i, item in enumerate(items) if item.get("role") == "user"]
    last_user = users[-1] if users else -1
    message_text = user_text(items[last_user]) if users else ""
    previous_message = user_text(items[users[-2]]) if len(users) > 1 else None
    previous_reply = next(
        (_assistant_text(i) for i in reversed(items[:last_user]) if _assistant_text(i)), None
    )
    step = next_step(
        message_text, previous_reply, previous_message, _done_calls(items[last_user + 1 :]), today
    )
    # Ids are derived from the input, so a replay of the same conversation yields the same ids.
    digest = hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()[:24]
    item: OutputItem
    if isinstance(step, Call):
        item = function_call(step.name, step.arguments, call_id=f"call_{digest}", item_id=f"fc_{digest}")
        produced = item.arguments
    else:
        item = message(step, item_id=f"msg_{digest}")
        produced = step
    # A rough count (4 characters a token), so usage accounting has something real to add up.
    input_tokens = (len(instructions or "") + len(json.dumps(items, default=str))) // 4
    return Reply([item], input_tokens, len(produced) // 4 + 1, id=f"resp_{digest}", model=MODEL_NAME)


def _done_calls(items: list[dict[str, Any]]) -> list[Done]:
    outputs = {i.get("call_id"): i.get("output") for i in items if i.get("type") == "function_call_output"}
    return [
        Done(item["name"], _arguments(item.get("arguments")), parse_output(outputs[item["call_id"]]))
        for item in items
        if item.get("type") == "function_call" and item.get("call_id") in outputs
    ]


def _arguments(text: str | None) -> dict[str, Any]:
    try:
        return decode_arguments(text or "{}")
    except InvalidInput:  # a call the tool rejected as it came: nothing in it to act on
        return {}


def _assistant_text(item: dict[str, Any]) -> str | None:
    if item.get("role") != "assistant":
        return None
    return user_text(item) or None
