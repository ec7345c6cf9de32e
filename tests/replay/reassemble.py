"""A recorded stream back to what the model answered (the items and usage), so a test can send
the same answer cut in other places."""

import json
from typing import Any

from openai.types.chat import ChatCompletionChunk
from openai.types.responses import ResponseCompletedEvent

from wire.reply import OutputItem, Reply, function_call, message


def frames(body: str) -> list[Any]:
    out = []
    for block in body.split("\n\n"):
        data = "\n".join(line[6:] for line in block.splitlines() if line.startswith("data: "))
        if data and data != "[DONE]":
            out.append(json.loads(data))
    return out


def reassemble(body: str, content_type: str, chat: bool) -> Reply | None:
    """None for a response that is not a complete stream (an error, a JSON answer)."""
    if "text/event-stream" not in content_type:
        return None
    if not chat:
        done = [f for f in frames(body) if f.get("type") == "response.completed"]
        if not done:
            return None
        response = ResponseCompletedEvent.model_validate(done[0]).response
        spent = response.usage
        return Reply(
            [item for item in response.output if isinstance(item, OutputItem)],
            spent.input_tokens if spent else 0,
            spent.output_tokens if spent else 0,
            id=response.id,
            model=response.model,
            created=int(response.created_at),
        )
    chunks = [ChatCompletionChunk.model_validate(f) for f in frames(body)]
    text, calls, tokens = "", dict[int, dict[str, str]](), (0, 0)
    for chunk in chunks:
        if chunk.usage:
            tokens = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        for choice in chunk.choices:
            text += choice.delta.content or ""
            for call in choice.delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                entry["id"] = call.id or entry["id"]
                if call.function:
                    entry["name"] = call.function.name or entry["name"]
                    entry["arguments"] += call.function.arguments or ""
    items: list[OutputItem] = [
        function_call(c["name"], c["arguments"], call_id=c["id"]) for _, c in sorted(calls.items())
    ]
    if text:
        items.insert(0, message(text))
    first = chunks[0]
    return Reply(
        items,
        tokens[0],
        tokens[1],
        id=f"resp_{first.id.removeprefix('chatcmpl-')}",
        model=first.model,
        created=first.created,
    )
