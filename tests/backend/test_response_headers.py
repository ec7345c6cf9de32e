"""What every response carries, and what production does not publish."""

from collections.abc import AsyncIterator

import httpx2
import pytest
from fastapi import FastAPI

from backend.app import create_app
from tests.chat import chat_app
from tests.conftest import asgi_client, make_settings
from tests.factories import AuthedUser
from tests.provider import text


@pytest.mark.parametrize(
    "path", ["/api/tasks", "/api/auth/me", "/api/tasks/not-an-id", "/health", "/nowhere"]
)
async def test_api_responses_are_not_sniffed_or_stored(
    client: httpx2.AsyncClient, alice: AuthedUser, path: str
) -> None:
    response = await client.get(path, headers=alice.headers)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_errors_before_the_routes_carry_them_too(client: httpx2.AsyncClient) -> None:
    response = await client.post("/api/auth/login", content=b"x" * 6_000_000)  # refused by the body limit
    assert response.status_code == 413
    assert (response.headers["x-content-type-options"], response.headers["cache-control"]) == (
        "nosniff",
        "no-store",
    )


async def test_the_chat_page_and_streams_keep_their_own_caching(database_url: str) -> None:
    async with chat_app(database_url, text("Hello.")) as chat:
        page = await chat.client.get("/")
        assert page.headers["cache-control"] == "no-cache" and "content-security-policy" in page.headers
        async with chat.client.stream(
            "POST", "/api/chat", json={"message": "hi"}, headers=chat.user.headers
        ) as stream:
            assert stream.headers["cache-control"] == "no-cache"
            assert stream.headers["x-content-type-options"] == "nosniff"
            await stream.aread()


@pytest.fixture
async def production(database_url: str) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(database_url, environment="production"))
    async with app.router.lifespan_context(app):
        yield app


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
async def test_production_publishes_no_docs(production: FastAPI, path: str) -> None:
    async with asgi_client(production) as client:
        assert (await client.get(path)).status_code == 404
        assert (await client.get("/health")).status_code == 200


async def test_docs_can_be_enabled_in_production(database_url: str) -> None:
    app = create_app(make_settings(database_url, environment="production", docs_enabled=True))
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        assert (await client.get("/openapi.json")).status_code == 200
