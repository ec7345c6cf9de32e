"""A fake OpenAI-compatible Responses server for benchmarks, on loopback.

Each conversation turn takes two model calls: the first answers with a `create_task` call, the
second (once a tool output is in the input) streams a text reply token by token. Latency is
`--call-delay` before the first byte plus `--token-delay` per token. `GET /stats` returns how
long each call took on the server side (the model time), and clears the list.
"""

import argparse
import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

REPLY_TOKENS = 24


def build_app(call_delay: float, token_delay: float) -> Starlette:
    durations: list[float] = []

    async def responses(request: Request) -> StreamingResponse:
        body = await request.json()
        items = body["input"] if isinstance(body["input"], list) else []
        last_user = max((i for i, item in enumerate(items) if item.get("role") == "user"), default=-1)
        answered = any(item.get("type") == "function_call_output" for item in items[last_user + 1 :])
        return StreamingResponse(_stream(answered, body.get("model", "fake")), media_type="text/event-stream")

    async def _stream(answered: bool, model: str) -> AsyncIterator[bytes]:
        started = time.perf_counter()
        await asyncio.sleep(call_delay)
        if answered:
            text = " ".join(f"word{n}" for n in range(REPLY_TOKENS))
            item = {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
            }
            yield _frame("response.created", response=_response(model, []))
            for n in range(REPLY_TOKENS):
                await asyncio.sleep(token_delay)
                yield _frame(
                    "response.output_text.delta",
                    item_id="msg_1",
                    output_index=0,
                    content_index=0,
                    delta=f"word{n} ",
                    logprobs=[],
                )
        else:
            item = {
                "type": "function_call",
                "id": "fc_1",
                "call_id": f"call_{time.monotonic_ns()}",
                "name": "create_task",
                "arguments": json.dumps({"title": "Benchmark task"}),
                "status": "completed",
            }
            yield _frame("response.created", response=_response(model, []))
            for _ in range(8):  # the arguments stream in as tokens too
                await asyncio.sleep(token_delay)
        yield _frame("response.completed", response=_response(model, [item]))
        durations.append(time.perf_counter() - started)

    async def stats(_: Request) -> JSONResponse:
        taken = list(durations)
        durations.clear()
        return JSONResponse(taken)

    return Starlette(routes=[Route("/v1/responses", responses, methods=["POST"]), Route("/stats", stats)])


def _response(model: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 0,
        "model": model,
        "status": "completed" if output else "in_progress",
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 200,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 30,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 230,
        },
    }


_seq = 0


def _frame(kind: str, **fields: Any) -> bytes:
    global _seq
    _seq += 1
    return f"data: {json.dumps({'type': kind, 'sequence_number': _seq, **fields})}\n\n".encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--call-delay", type=float, default=0.0)
    parser.add_argument("--token-delay", type=float, default=0.002)
    args = parser.parse_args()
    uvicorn.run(
        build_app(args.call_delay, args.token_delay),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        backlog=4096,
    )


if __name__ == "__main__":
    main()
