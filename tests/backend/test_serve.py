"""`python -m backend.serve`: the edge's limits on a real socket, and the shutdown hook."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from backend.edge import EdgeProtocol, ServerSettings
from backend.serve import GRACE_MARGIN_S, GracefulServer, config
from wire.server import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """The API as deployments run it; yields its port and process id."""
    port, folder = free_port(), tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'serve.db'}",
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",
        "SERVER_HEADER_TIMEOUT_S": "1",
    }
    subprocess.run([sys.executable, "-m", "backend.migrate"], cwd=ROOT, env=env, check=True)
    command = [sys.executable, "-m", "backend.serve", "--port", str(port)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx2.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not start")
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


def exchange(port: int, request: bytes) -> bytes:
    """Send `request`, then read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(request)  # it may close while we still send: what is read below says why
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        return answer


def test_a_64_kb_header_is_refused_and_memory_stays_steady(server: tuple[int, int]) -> None:
    port, pid = server
    head = b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + b"a" * 64 * 1024 + b"\r\n\r\n"
    exchange(port, head)  # the first one warms whatever a first request warms
    before = rss_kb(pid)
    for _ in range(50):
        answer = exchange(port, head)
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
        assert b"headers_too_large" in answer  # and recv returned b"": the connection was closed
    assert rss_kb(pid) - before < 10 * 1024, "50 refused 64 KB heads left nothing behind"
    ok = exchange(port, b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert ok.startswith(b"HTTP/1.1 200 ")


def test_an_endless_header_is_cut_off_before_it_is_buffered(server: tuple[int, int]) -> None:
    port, pid = server
    before = rss_kb(pid)
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Endless: ")
        try:
            while sent < 50 * 1024 * 1024:
                conn.sendall(b"b" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert sent < 8 * 1024 * 1024, f"the server read {sent} bytes of one header before closing"
    assert rss_kb(pid) - before < 10 * 1024


def test_a_connection_that_sends_no_head_is_closed(server: tuple[int, int]) -> None:
    port, _ = server
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET /health HTTP/1.1\r\n")  # and nothing more: a slowloris
        assert conn.recv(1024) == b""
    assert time.monotonic() - started < 5  # SERVER_HEADER_TIMEOUT_S is 1 here
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:  # and one that sends nothing
        assert conn.recv(1024) == b""


def test_a_normal_request_with_large_but_allowed_headers_is_served(server: tuple[int, int]) -> None:
    port, _ = server
    head = (
        b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Padding: "
        + b"a" * 12_000
        + b"\r\n\r\n"
    )
    assert exchange(port, head).startswith(b"HTTP/1.1 200 ")


def test_the_server_is_configured_from_the_settings() -> None:
    settings = ServerSettings(max_header_bytes=4096, header_timeout_s=3, keepalive_s=7, max_connections=9)
    served = config(host="127.0.0.1", port=1, server=settings, shutdown_grace_s=20)
    protocol = served.http
    assert isinstance(protocol, type) and issubclass(protocol, EdgeProtocol)
    assert (protocol.max_header_bytes, protocol.header_timeout_s) == (4096, 3)
    assert (served.timeout_keep_alive, served.limit_concurrency) == (7, 9)
    assert served.timeout_graceful_shutdown == 20 + GRACE_MARGIN_S
    assert not served.access_log and not served.proxy_headers


async def test_before_shutdown_runs_while_the_server_still_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first SIGTERM awaits `app.state.before_shutdown` before uvicorn stops accepting: a
    request made during the hook is served; once it returns, the server stops."""
    raised: list[int] = []
    monkeypatch.setattr(signal, "raise_signal", raised.append)  # uvicorn re-raises the signal at exit
    port = free_port()
    log: list[Any] = []

    async def ping(_: Any) -> PlainTextResponse:
        return PlainTextResponse("pong")

    app = Starlette(routes=[Route("/ping", ping)])

    async def before_shutdown() -> None:
        log.append("hook")
        async with httpx2.AsyncClient() as client:
            log.append((await client.get(f"http://127.0.0.1:{port}/ping")).text)

    app.state.before_shutdown = before_shutdown
    server = GracefulServer(
        config(app, host="127.0.0.1", port=port, server=ServerSettings(), shutdown_grace_s=1)
    )
    server.config.lifespan = "off"
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
            await asyncio.sleep(0.01)
        server.handle_exit(signal.SIGTERM, None)
        assert not server.should_exit, "the hook runs first"
        await task
    assert log == ["hook", "pong"]
    assert raised == [signal.SIGTERM]
