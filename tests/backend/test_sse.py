"""The event-stream response, under a real server: frames as written, the client leaving, and
what a parked stream costs in tasks."""

import asyncio
import gc
import weakref
from collections.abc import AsyncGenerator
from typing import Annotated

import httpx2
from fastapi import Depends, FastAPI
from opentelemetry.sdk.metrics import MeterProvider
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from backend.sse import EventStreamResponse, frame, ping
from wire.server import serving


def test_frames_follow_the_sse_format() -> None:
    assert frame('{"a": 1}', event="message", id="7") == b'id: 7\r\nevent: message\r\ndata: {"a": 1}\r\n\r\n'
    # Every line end the spec knows starts a data line of its own; the others stay in the data.
    assert frame("one\r\ntwo\rthree\nfour\u2028five", sep="\n") == (
        "data: one\ndata: two\ndata: three\ndata: four\u2028five\n\n".encode()
    )
    assert ping() == b": ping\r\n\r\n"


async def test_a_client_that_leaves_ends_the_stream_where_it_waits() -> None:
    closed, parked, ended_cleanly = asyncio.Event(), asyncio.Event(), asyncio.Event()
    tasks_while_parked: list[int] = []

    async def frames() -> AsyncGenerator[bytes]:
        try:
            yield frame("first")
            parked.set()
            await asyncio.Event().wait()  # a turn that never says anything more
            yield frame("never")
        finally:
            closed.set()

    async def stream(_: Request) -> EventStreamResponse:
        return EventStreamResponse(frames())

    async def after(scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, send)
        ended_cleanly.set()  # the request's task returned: not cancelled, no error

    app = Starlette(routes=[Route("/stream", stream)])
    async with serving(after) as base, httpx2.AsyncClient(base_url=base) as client:
        before = len(asyncio.all_tasks())
        async with client.stream("GET", "/stream") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-cache"
            lines = response.aiter_lines()
            assert await anext(lines) == "data: first"
            await asyncio.wait_for(parked.wait(), 5)
            tasks_while_parked.append(len(asyncio.all_tasks()) - before)
        await asyncio.wait_for(closed.wait(), 5)
        await asyncio.wait_for(ended_cleanly.wait(), 5)
    # The request's own task, and one waiting for the client to leave (plus the client's side).
    assert tasks_while_parked[0] <= 2, tasks_while_parked


class Held:
    """What an endpoint was given (its session, say): it should not live as long as the stream."""


async def test_a_parked_stream_keeps_nothing_its_endpoint_was_given() -> None:
    parked, gone = asyncio.Event(), asyncio.Event()

    async def given() -> Held:
        held = Held()
        weakref.finalize(held, gone.set)
        return held

    async def frames() -> AsyncGenerator[bytes]:
        yield frame("first")
        parked.set()
        await asyncio.Event().wait()

    # FastAPI's own telemetry on (metrics into a provider of ours): it keeps the endpoint's
    # arguments for the request's lifetime, for processors to read while the endpoint runs.
    app = FastAPI(telemetry={"metrics": True, "tracing": False, "meter_provider": MeterProvider()})

    @app.get("/stream")
    async def stream(held: Annotated[Held, Depends(given)]) -> EventStreamResponse:
        assert isinstance(held, Held)
        return EventStreamResponse(frames())

    async with (
        serving(app) as base,
        httpx2.AsyncClient(base_url=base) as client,
        client.stream("GET", "/stream") as response,
    ):
        assert await anext(response.aiter_lines()) == "data: first"
        await asyncio.wait_for(parked.wait(), 5)
        gc.collect()
        assert gone.is_set(), "the endpoint's arguments live on while the stream is parked"
