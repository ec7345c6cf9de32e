"""The benchmark's model: an OpenAI-compatible Responses server on loopback (`wire.server`).

Each conversation turn takes two model calls: the first answers with a `create_task` call, the
second (once a tool output is in the input) writes a reply of REPLY_TOKENS words. Latency is
`--call-delay` before the first byte plus `--token-delay` per fragment (a word: a token, roughly).
`GET /stats` returns how long each call took on the server side (the model time), and clears it.
"""

import argparse
import json
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from wire.fragments import words
from wire.reply import Reply, function_call, message
from wire.server import ModelRequest, create_app

REPLY_TOKENS = 24


async def bench_brain(request: ModelRequest) -> Reply:
    last_user = max((i for i, item in enumerate(request.items) if item.get("role") == "user"), default=-1)
    answered = any(item.get("type") == "function_call_output" for item in request.items[last_user + 1 :])
    if answered:
        text = " ".join(f"word{n}" for n in range(REPLY_TOKENS))
        return Reply([message(text)], 200, 30, model=request.model)
    arguments = json.dumps({"title": "Benchmark task"})
    call = function_call("create_task", arguments, call_id=f"call_{time.monotonic_ns()}")
    return Reply([call], 200, 30, model=request.model)


def build_app(call_delay: float, token_delay: float) -> Starlette:
    durations: list[float] = []
    model = create_app(
        bench_brain,
        fragments=words,
        first_byte_delay=call_delay,
        fragment_delay=token_delay,
        timings=durations,
    )

    async def stats(_: Request) -> JSONResponse:
        taken = list(durations)
        durations.clear()
        return JSONResponse(taken)

    return Starlette(routes=[Route("/stats", stats), Mount("/", app=model)])


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
        # Longer than the openai client's idle expiry (httpx's 5 s): with both at 5 s, a pooled
        # connection could be reused just as this server closed it, failing that call (a POST is
        # not retried at the transport). Real providers keep idle connections far longer.
        timeout_keep_alive=75,
    )


if __name__ == "__main__":
    main()
