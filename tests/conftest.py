"""Shared fixtures: a throw-away PostgreSQL database per run, the app on an ASGI transport, users."""

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import URL

from backend.app import create_app
from backend.ratelimit import RateSettings
from backend.settings import Settings
from db import scratch
from db.migrate import upgrade
from tests.factories import AuthedUser, make_user

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
JWT_SECRET = "test-secret-long-enough-for-every-hmac-algorithm-even-hs512-0123456789"
# The suite shares apps and one client address, so its limits are out of reach; the limits
# themselves are tested on apps of their own (tests/backend/test_rate_limits.py).
UNLIMITED = RateSettings.unlimited().model_dump()


async def create_database(prefix: str = "todo_test") -> URL:
    """A new, empty, uniquely named database on the test server."""
    try:
        return await scratch.create_database(ADMIN_URL, prefix)
    except (OSError, ConnectionError) as exc:
        message = f"PostgreSQL is not reachable at {ADMIN_URL}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


async def drop_database(url: URL) -> None:
    await scratch.drop_database(ADMIN_URL, url)


def url_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    url = await create_database()
    try:
        await asyncio.to_thread(upgrade, url_string(url))
        yield url_string(url)
    finally:
        await drop_database(url)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Test settings: nothing from the environment or a `.env` file, groups as dicts."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "environment": "test",
        "log": {"level": "WARNING"},
        **overrides,
    }
    values["jwt"] = {"secret": JWT_SECRET, **values.get("jwt", {})}
    values["rate"] = {**UNLIMITED, **values.get("rate", {})}
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(database_url))
    async with application.router.lifespan_context(application):
        yield application


def asgi_client(application: FastAPI) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=application), base_url="http://testserver")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    async with asgi_client(app) as c:
        yield c


@pytest.fixture
async def alice(app: FastAPI) -> AuthedUser:
    return await make_user(app)


@pytest.fixture
async def bob(app: FastAPI) -> AuthedUser:
    return await make_user(app)
