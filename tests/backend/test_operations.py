"""Health, readiness, request ids, logs and the error shape of failures outside the domain."""

import logging
import re
from collections.abc import AsyncIterator

import httpx2
import pytest

from backend.app import create_app
from tests.conftest import asgi_client, make_settings
from tests.factories import AuthedUser, make_user


async def test_health_does_not_touch_the_database() -> None:
    app = create_app(make_settings("postgresql+asyncpg://nobody@127.0.0.1:1/none"))
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        response = await client.get("/health")
        assert (response.status_code, response.json()) == (200, {"status": "healthy"})
        not_ready = await client.get("/ready")
    assert not_ready.status_code == 503
    assert not_ready.json()["error"]["code"] == "database_unavailable"
    assert "nobody" not in not_ready.text, "no connection details leak"


async def test_ready_when_the_database_answers(client: httpx2.AsyncClient) -> None:
    response = await client.get("/ready")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


async def test_request_id_is_echoed_or_generated(client: httpx2.AsyncClient) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    forged = await client.get("/health", headers={"X-Request-ID": 'x" level=ERROR msg="forged'})
    assert forged.headers["x-request-id"] != 'x" level=ERROR msg="forged'


async def test_request_id_is_in_the_logs(
    client: httpx2.AsyncClient, alice: AuthedUser, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="backend.access"):
        await client.get("/api/tasks", headers={**alice.headers, "X-Request-ID": "log-me-42"})
    lines = [r for r in caplog.records if getattr(r, "request_id", None) == "log-me-42"]
    assert lines and "GET /api/tasks 200" in lines[0].getMessage()


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/nowhere", 404, "not_found"),
        ("PUT", "/api/tasks", 405, "method_not_allowed"),
    ],
)
async def test_routing_errors_use_the_error_shape(
    client: httpx2.AsyncClient, method: str, path: str, status: int, code: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


async def test_unhandled_error_is_a_clean_500(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(make_settings(database_url))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    async with app.router.lifespan_context(app), asgi_client(app) as client:
        with caplog.at_level(logging.ERROR):
            response = await client.get("/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "internal server error"}}
    assert response.headers["x-request-id"] == "boom-1"
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert any(getattr(r, "request_id", None) == "boom-1" and r.exc_info for r in caplog.records), (
        "logged with its request id"
    )


async def test_cors_origins(database_url: str) -> None:
    app = create_app(make_settings(database_url, cors_origins="https://app.example, https://admin.example"))
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        allowed = await client.options(
            "/api/tasks", headers={"Origin": "https://admin.example", "Access-Control-Request-Method": "GET"}
        )
        denied = await client.options(
            "/api/tasks", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        )
    assert allowed.headers["access-control-allow-origin"] == "https://admin.example"
    assert "access-control-allow-origin" not in denied.headers


async def test_oversized_bodies_are_413_in_the_error_shape(database_url: str) -> None:
    app = create_app(make_settings(database_url, max_body_bytes=2048))
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        user = await make_user(app)
        response = await client.post(
            "/api/tasks", json={"title": "x", "description": "d" * 4000}, headers=user.headers
        )
        chunked = await client.post(
            "/api/tasks",
            content=_chunks(b'{"title": "x", "description": "', 3000),
            headers={**user.headers, "Content-Type": "application/json"},
        )
        fine = await client.post("/api/tasks", json={"title": "small"}, headers=user.headers)
    for refused in (response, chunked):
        assert refused.status_code == 413
        assert refused.json()["error"]["code"] == "payload_too_large"
    assert fine.status_code == 201


async def _chunks(
    start: bytes, size: int
) -> AsyncIterator[bytes]:  # no Content-Length: the body arrives in pieces
    yield start
    for _ in range(size // 500):
        yield b"d" * 500
    yield b'"}'


async def test_an_exhausted_pool_is_503_overloaded(database_url: str) -> None:
    pool = {"pool_size": 1, "max_overflow": 0, "pool_timeout_s": 0.2}
    app = create_app(make_settings(database_url, db=pool))
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        user = await make_user(app)
        async with app.state.engine.connect():  # the only connection, held elsewhere
            response = await client.get("/api/tasks", headers=user.headers)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "overloaded"
    assert response.headers["retry-after"] == "5"
