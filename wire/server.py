"""A fake OpenAI-compatible provider on both wire APIs, answered by any "brain".

`POST /v1/responses` and `POST /v1/chat/completions`, streamed or not. The brain gets what a model
gets — the instructions and the input items (a Chat Completions request's messages are read back
into the same items) — and returns a `Reply`; the server streams it as real providers do,
fragments and all, optionally slowed down like a real model (a delay before the first byte and
per fragment). Used for the offline model served over HTTP, the benchmark's model and tests.
"""

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import uvicorn
from openai.types.chat import ChatCompletionChunk
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from wire import chat_completions, responses
from wire.fragments import Fragments, uneven
from wire.reply import Reply
from wire.sse import DONE, chat_frame, responses_frame


@dataclass(frozen=True)
class ModelRequest:
    api: Literal["responses", "chat_completions"]
    model: str
    instructions: str | None
    items: list[dict[str, Any]]
    body: dict[str, Any]


Brain = Callable[[ModelRequest], Awaitable[Reply]]


def create_app(
    brain: Brain,
    *,
    fragments: Fragments | None = None,
    first_byte_delay: float = 0.0,
    fragment_delay: float = 0.0,
    timings: list[float] | None = None,
) -> Starlette:
    """`fragment_delay` is spent before each delta (a piece of text or arguments: a token, say);
    `timings`, when given, receives each call's duration in seconds (the model's time)."""
    cut = fragments or uneven()

    async def serve(frames: Iterable[tuple[bytes, bool]], started: float) -> AsyncIterator[bytes]:
        await asyncio.sleep(first_byte_delay)
        for frame, is_delta in frames:
            if is_delta and fragment_delay:
                await asyncio.sleep(fragment_delay)
            yield frame
        if timings is not None:
            timings.append(time.perf_counter() - started)

    async def responses_route(request: Request) -> Response:
        started = time.perf_counter()
        body = await request.json()
        raw = body.get("input", [])
        items = raw if isinstance(raw, list) else [{"role": "user", "content": raw}]
        reply = await brain(
            ModelRequest("responses", body.get("model", ""), body.get("instructions"), items, body)
        )
        if not body.get("stream"):
            return JSONResponse(responses.response(reply).model_dump(mode="json", exclude_unset=True))
        frames = [(responses_frame(e), e.type.endswith(".delta")) for e in responses.stream(reply, cut)]
        return StreamingResponse(serve(frames, started), media_type="text/event-stream")

    async def chat_route(request: Request) -> Response:
        started = time.perf_counter()
        body = await request.json()
        instructions, items = chat_completions.request_items(body)
        reply = await brain(
            ModelRequest("chat_completions", body.get("model", ""), instructions, items, body)
        )
        if not body.get("stream"):
            return JSONResponse(
                chat_completions.completion(reply).model_dump(mode="json", exclude_unset=True)
            )
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = chat_completions.chunks(reply, cut, include_usage=include_usage)
        frames = [*((chat_frame(c), _is_delta(c)) for c in chunks), (DONE, False)]
        return StreamingResponse(serve(frames, started), media_type="text/event-stream")

    return Starlette(
        routes=[
            Route("/v1/responses", responses_route, methods=["POST"]),
            Route("/v1/chat/completions", chat_route, methods=["POST"]),
        ]
    )


def _is_delta(chunk: ChatCompletionChunk) -> bool:
    return any(
        c.delta.content or any(t.function and t.function.arguments for t in c.delta.tool_calls or [])
        for c in chunk.choices
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """Serve `app` on loopback with uvicorn in this event loop (its lifespan is the caller's to
    run); yields the base URL. For what an ASGI transport cannot show: it buffers whole responses."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
