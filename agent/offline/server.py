"""The offline model served over the OpenAI wire protocols: `python -m agent.offline.server`.

POST /v1/responses and /v1/chat/completions, streamed or not, answered by the rule-based
offline model. With it, anything that speaks to an OpenAI-compatible server (this service with
OPENAI_BASE_URL, its recorder, other clients) can be tried with no network and no real model;
the conversation library in tests/conversations was recorded against it.
"""

import argparse
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from openai.types.responses import ResponseFunctionToolCall
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from agent.offline.model import MODEL_NAME, OfflineModel, decide, response_of


async def responses(request: Request) -> Response:
    body = await request.json()
    items = body["input"] if isinstance(body["input"], list) else [{"role": "user", "content": body["input"]}]
    if not body.get("stream"):
        item, usage = decide(body.get("instructions"), items)
        return JSONResponse(response_of(item, usage).model_dump(mode="json"))

    async def events() -> AsyncIterator[bytes]:
        async for event in OfflineModel().stream_response(body.get("instructions"), items):
            yield f"event: {event.type}\ndata: {event.model_dump_json()}\n\n".encode()

    return StreamingResponse(events(), media_type="text/event-stream")


async def chat_completions(request: Request) -> Response:
    body = await request.json()
    instructions, items = _from_messages(body["messages"])
    item, usage = decide(instructions, items)
    created, model = int(time.time()), body.get("model") or MODEL_NAME
    usage_json = {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }
    if isinstance(item, ResponseFunctionToolCall):
        call = {
            "id": item.call_id,
            "type": "function",
            "function": {"name": item.name, "arguments": item.arguments},
        }
        message, finish = {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
    else:
        message, finish = {"role": "assistant", "content": item.content[0].text}, "stop"
    if not body.get("stream"):
        return JSONResponse(
            {
                "id": f"chatcmpl-{item.id}",
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage_json,
            }
        )

    def chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> bytes:
        payload = {
            "id": f"chatcmpl-{item.id}",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
            if delta is not None
            else [],
            **extra,
        }
        return f"data: {json.dumps(payload)}\n\n".encode()

    async def events() -> AsyncIterator[bytes]:
        if finish == "tool_calls":
            yield chunk({"role": "assistant", "content": None, "tool_calls": [{"index": 0, **call}]})
        else:
            yield chunk({"role": "assistant", "content": ""})
            for word in message["content"].split(" "):
                yield chunk({"content": word + " "})
        yield chunk({}, finish)
        if (body.get("stream_options") or {}).get("include_usage"):
            yield chunk(None, usage=usage_json)
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def _from_messages(messages: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """Chat Completions messages as the Responses input items the offline model reads."""
    instructions, items = None, []
    for message in messages:
        role = message.get("role")
        if role in ("system", "developer"):
            instructions = _text(message.get("content"))
        elif role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message["tool_call_id"],
                    "output": _text(message.get("content")),
                }
            )
        elif role == "assistant" and message.get("tool_calls"):
            items.extend(
                {
                    "type": "function_call",
                    "call_id": c["id"],
                    "name": c["function"]["name"],
                    "arguments": c["function"]["arguments"],
                }
                for c in message["tool_calls"]
            )
        else:
            items.append({"role": role, "content": _text(message.get("content"))})
    return instructions, items


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""


app = Starlette(
    routes=[
        Route("/v1/responses", responses, methods=["POST"]),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    ]
)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
