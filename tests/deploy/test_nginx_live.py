"""nginx with the shipped rules in front of two instances on loopback: streams, spread, edges."""

import asyncio
import re
from collections.abc import AsyncIterator

import httpx2
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from tests.deploy.nginx_process import Edge, running_nginx
from wire.server import serving

# A stream's second event waits for the test to release it, so a first event that reaches the
# client proves nginx passed it on before the response was over.
GATE_TIMEOUT_S = 5


def instance(name: str, gates: dict[str, asyncio.Event]) -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    @app.get("/who")
    async def who(request: Request) -> JSONResponse:
        return JSONResponse({"name": name, "headers": dict(request.headers)})

    @app.post("/upload")
    async def upload(request: Request) -> JSONResponse:
        return JSONResponse({"name": name, "size": len(await request.body())})

    @app.api_route("/api/{path:path}", methods=["GET", "POST"])
    async def stream(request: Request) -> Response:
        gate = gates[request.query_params["gate"]]

        async def events() -> AsyncIterator[bytes]:
            yield b"event: first\ndata: {}\n\n"
            await asyncio.wait_for(gate.wait(), GATE_TIMEOUT_S)
            yield b"event: done\ndata: {}\n\n"

        # No `X-Accel-Buffering: no` here: what streams does so by nginx's location rule.
        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@pytest.fixture(scope="module")
def gates() -> dict[str, asyncio.Event]:
    return {}


@pytest.fixture(scope="module")
async def edge(gates: dict[str, asyncio.Event]) -> AsyncIterator[Edge]:
    async with (
        serving(instance("a", gates)) as a,
        serving(instance("b", gates)) as b,
        running_nginx([a.removeprefix("http://"), b.removeprefix("http://")]) as nginx,
    ):
        yield nginx


@pytest.fixture
async def client(edge: Edge) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=edge.url, timeout=10) as http:
        yield http


async def next_event(lines: AsyncIterator[str]) -> str:
    while not (line := await anext(lines)).startswith("event: "):
        pass
    return line.removeprefix("event: ")


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/api/chat"), ("GET", "/api/conversations/c0ffee/stream")]
)
async def test_event_streams_pass_through_unbuffered(
    client: httpx2.AsyncClient, gates: dict[str, asyncio.Event], method: str, path: str
) -> None:
    gate = gates.setdefault(path, asyncio.Event())
    try:
        async with client.stream(method, path, params={"gate": path}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            assert await asyncio.wait_for(next_event(lines), 2) == "first"
            gate.set()
            assert await next_event(lines) == "done"
    finally:
        gate.set()


async def test_requests_are_spread_over_both_instances(client: httpx2.AsyncClient) -> None:
    names = [(await client.get("/who")).json()["name"] for _ in range(6)]
    assert set(names) == {"a", "b"}, names


async def test_client_address_and_request_id_are_passed_on(client: httpx2.AsyncClient) -> None:
    spoofed = await client.get("/who", headers={"X-Forwarded-For": "203.0.113.9", "X-Request-ID": "abc-123"})
    seen = spoofed.json()["headers"]
    assert seen["x-forwarded-for"] == "127.0.0.1", "a client's X-Forwarded-For is replaced, never trusted"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-request-id"] == "abc-123"
    assert seen["host"] == client.base_url.netloc.decode()
    made_here = (await client.get("/who")).json()["headers"]["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_here)


async def test_oversized_headers_are_refused_and_normal_ones_pass(client: httpx2.AsyncClient) -> None:
    assert (await client.get("/who", headers={"X-Filler": "a" * 12_000})).status_code == 200
    for size in (20_000, 64 * 1024):
        refused = await client.get("/who", headers={"X-Filler": "a" * size})
        assert refused.status_code == 431, size
        assert refused.json()["error"]["code"] == "headers_too_large"


async def test_bodies_over_the_apps_limit_are_refused_at_the_edge(client: httpx2.AsyncClient) -> None:
    limit = 5 * 1024 * 1024
    accepted = await client.post("/upload", content=b"x" * limit)  # buffered to nginx's temp files
    assert accepted.status_code == 200 and accepted.json()["size"] == limit
    refused = await client.post("/upload", content=b"x" * (limit + 1))
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "payload_too_large"


async def test_health_checks_are_not_logged(client: httpx2.AsyncClient, edge: Edge) -> None:
    assert (await client.get("/health", params={"probe": "edge-test"})).status_code == 200
    assert (await client.get("/who", params={"probe": "edge-test"})).status_code == 200
    logged = [line for line in edge.access_log().splitlines() if "probe=edge-test" in line]
    assert len(logged) == 1 and '"GET /who?' in logged[0], logged
