"""`OfflineModel`: the SDK `Model` interface over the rule-based replies, streamed like a real model.

It sees exactly what an LLM would see — the instructions (for today's date) and the input items —
and keeps no state of its own, so it runs through the real SDK loop, tools, session and SSE.
"""

import hashlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from agents import Model, ModelResponse, Usage
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFunctionToolCall,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
    ResponseUsage,
)
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails

from agent.offline.replies import Call, Done, next_step, parse_output, today_from, user_text

MODEL_NAME = "offline-rules"


class OfflineModel(Model):
    model = MODEL_NAME

    async def get_response(
        self, system_instructions: str | None, input: Any, *_: Any, **__: Any
    ) -> ModelResponse:
        item, usage = decide(system_instructions, input)
        return ModelResponse(output=[item], usage=usage, response_id=None)

    async def stream_response(  # type: ignore[override]
        self, system_instructions: str | None, input: Any, *_: Any, **__: Any
    ) -> AsyncIterator[Any]:
        item, usage = decide(system_instructions, input)
        response = response_of(item, usage)
        seq = iter(range(1_000_000))
        yield ResponseCreatedEvent(
            type="response.created",
            sequence_number=next(seq),
            response=response.model_copy(update={"output": [], "status": "in_progress"}),
        )
        yield ResponseOutputItemAddedEvent(
            type="response.output_item.added", sequence_number=next(seq), output_index=0, item=item
        )
        if isinstance(item, ResponseOutputMessage):
            for chunk in re.findall(r"\S+\s*|\s+", item.content[0].text):  # word by word, like a model
                yield ResponseTextDeltaEvent(
                    type="response.output_text.delta",
                    sequence_number=next(seq),
                    item_id=item.id,
                    output_index=0,
                    content_index=0,
                    delta=chunk,
                    logprobs=[],
                )
        yield ResponseOutputItemDoneEvent(
            type="response.output_item.done", sequence_number=next(seq), output_index=0, item=item
        )
        yield ResponseCompletedEvent(type="response.completed", sequence_number=next(seq), response=response)


def decide(instructions: str | None, input: Any) -> tuple[Any, Usage]:
    items: list[dict[str, Any]] = (
        [{"role": "user", "content": input}] if isinstance(input, str) else list(input)
    )
    users = [i for i, item in enumerate(items) if item.get("role") == "user"]
    last_user = users[-1] if users else -1
    message = user_text(items[last_user]) if users else ""
    previous_message = user_text(items[users[-2]]) if len(users) > 1 else None
    previous_reply = next(
        (_assistant_text(i) for i in reversed(items[:last_user]) if _assistant_text(i)), None
    )
    step = next_step(
        message,
        previous_reply,
        previous_message,
        _done_calls(items[last_user + 1 :]),
        today_from(instructions),
    )
    # Ids are derived from the input, so a replay of the same conversation yields the same ids.
    digest = hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()[:24]
    if isinstance(step, Call):
        arguments = json.dumps(step.arguments, ensure_ascii=False)
        item: Any = ResponseFunctionToolCall(
            id=f"fc_{digest}",
            call_id=f"call_{digest}",
            type="function_call",
            name=step.name,
            arguments=arguments,
            status="completed",
        )
        produced = arguments
    else:
        item = ResponseOutputMessage(
            id=f"msg_{digest}",
            type="message",
            role="assistant",
            status="completed",
            content=[ResponseOutputText(type="output_text", text=step, annotations=[], logprobs=[])],
        )
        produced = step
    # A rough count (4 characters a token), so usage accounting has something real to add up.
    prompt_tokens = (len(instructions or "") + len(json.dumps(items, default=str))) // 4
    output_tokens = len(produced) // 4 + 1
    return item, Usage(
        requests=1,
        input_tokens=prompt_tokens,
        output_tokens=output_tokens,
        total_tokens=prompt_tokens + output_tokens,
    )


def _done_calls(items: list[dict[str, Any]]) -> list[Done]:
    outputs = {i.get("call_id"): i.get("output") for i in items if i.get("type") == "function_call_output"}
    done = []
    for item in items:
        if item.get("type") == "function_call" and item.get("call_id") in outputs:
            arguments = parse_output(item.get("arguments") or "{}")
            done.append(Done(item["name"], arguments, parse_output(outputs[item["call_id"]])))
    return done


def _assistant_text(item: dict[str, Any]) -> str | None:
    if item.get("role") != "assistant":
        return None
    return user_text(item) or None


def response_of(item: Any, usage: Usage) -> Response:
    return Response(
        id=f"resp_{item.id.split('_', 1)[1]}",
        created_at=0,
        model=MODEL_NAME,
        object="response",
        output=[item],
        tool_choice="auto",
        tools=[],
        top_p=None,
        parallel_tool_calls=False,
        status="completed",
        usage=ResponseUsage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            total_tokens=usage.total_tokens,
            input_tokens_details=InputTokensDetails(cached_tokens=0, cache_write_tokens=0),
            output_tokens_details=OutputTokensDetails(reasoning_tokens=0),
        ),
    )
