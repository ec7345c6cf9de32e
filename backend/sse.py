"""A turn's events as a Server-Sent Events response: each event's type is its SSE `event`, its
JSON the `data`, its number the `id` (what a client sends back as `Last-Event-ID`)."""

from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse, ServerSentEvent

from agent.chat import TurnStream

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
KEEPALIVE_S = 15  # a comment line this often keeps proxies from closing a quiet stream


def event_stream(turn: TurnStream) -> EventSourceResponse:
    return EventSourceResponse(_frames(turn), ping=KEEPALIVE_S, headers=HEADERS)


async def _frames(turn: TurnStream) -> AsyncIterator[bytes]:
    # What was ready at once goes out in one write (a burst of text deltas: one send, not thirty).
    async for batch in turn.batches():
        yield b"".join(
            ServerSentEvent(data=event.event.model_dump_json(), event=event.name, id=str(event.id)).encode()
            for event in batch
        )
