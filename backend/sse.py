"""Server-Sent Events: the response that writes a stream, and a turn's events as one (each
event's type is its SSE `event`, its JSON the `data`, its number the `id`: what a client sends
back as `Last-Event-ID`).

`EventStreamResponse` is ours rather than sse-starlette's `EventSourceResponse`: a chat stream
parked on a slow model is held for its whole life, and that response keeps an anyio task group
of four tasks per stream, with their cancel scopes, events and locks: about 25 KB of a parked
stream's 80 (tracemalloc, 300 streams). Here the request's own task writes the frames and one
more task waits for the client to leave; keep-alive comments come from the stream itself, whose
batches include an empty one after KEEPALIVE_S without events.
"""

import asyncio
import re
from collections.abc import AsyncGenerator, Mapping

from fastapi.telemetry import get_telemetry_data
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from agent.chat import TurnStream

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
KEEPALIVE_S: float = 15  # a comment line after this long without events keeps proxies from closing the stream
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the SSE spec's line ends (str.splitlines knows more)


def frame(data: str, *, event: str | None = None, id: str | None = None, sep: str = "\r\n") -> bytes:
    """One SSE event: `id`, `event`, then `data` (a line each of its lines), and a blank line."""
    head = f"id: {id}{sep}" if id is not None else ""
    head += f"event: {event}{sep}" if event is not None else ""
    body = "".join(f"data: {line}{sep}" for line in _LINE_BREAK.split(data))
    return f"{head}{body}{sep}".encode()


def ping(sep: str = "\r\n") -> bytes:
    return f": ping{sep}{sep}".encode()


class EventStreamResponse(Response):
    """`text/event-stream` from an async iterator of frames, until it ends or the client leaves
    (then the iterator is closed where it waits)."""

    media_type = "text/event-stream"

    def __init__(self, frames: AsyncGenerator[bytes], headers: Mapping[str, str] | None = None) -> None:
        self.frames = frames
        self.status_code = 200
        self.background = None
        self.init_headers({**HEADERS, **(headers or {})})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _forget_arguments()
        writing = asyncio.current_task()
        assert writing is not None
        streaming, left = True, False

        async def watch() -> None:
            nonlocal left
            while (await receive())["type"] != "http.disconnect":
                pass
            left = True
            if streaming:  # the writer waits inside the `try` below (for the stream, or to send)
                writing.cancel()

        watcher = asyncio.create_task(watch(), name="sse-disconnect")
        try:
            start = {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
            await send(start)
            async for chunk in self.frames:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not left:
                raise
            writing.uncancel()  # the client left: this response is over, not the request's task
        finally:
            streaming = False
            watcher.cancel()
            await self.frames.aclose()


def _forget_arguments() -> None:
    """FastAPI's telemetry keeps the endpoint's arguments (the parsed body, a closed database
    session) until the request ends, for telemetry processors to read while the endpoint runs. A
    stream outlives its endpoint by minutes: nothing reads them after this point, so they go
    (about 2 KB of a parked stream)."""
    data = get_telemetry_data()
    if data is not None:
        data.values = data.body = None


def event_stream(turn: TurnStream) -> EventStreamResponse:
    return EventStreamResponse(_frames(turn))


async def _frames(turn: TurnStream) -> AsyncGenerator[bytes]:
    # What was ready at once goes out in one write (a burst of text deltas: one send, not thirty).
    async for batch in turn.batches(idle_s=KEEPALIVE_S):
        if not batch:
            yield ping()
            continue
        yield b"".join(
            frame(event.event.model_dump_json(), event=event.name, id=str(event.id)) for event in batch
        )
