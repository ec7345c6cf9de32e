"""The pool's health check: a connection that sat idle is tested before use and replaced if the
server dropped it; one used a moment ago is trusted (the check would cost three round trips)."""

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.engine import PoolSettings, create_engine
from tests.dbproxy import through_proxy


async def _select_one(engine: object) -> int:
    async with engine.connect() as conn:  # type: ignore[attr-defined]
        return int((await conn.execute(text("SELECT 1"))).scalar_one())


async def test_an_idle_connection_the_server_dropped_is_replaced(database_url: str) -> None:
    async with through_proxy(database_url) as (proxy, url):
        engine = create_engine(url, PoolSettings(pool_size=1, max_overflow=0, pool_ping_idle_s=0.2))
        try:
            assert await _select_one(engine) == 1
            proxy.cut()  # the server (or a proxy) drops the pooled connection
            proxy.restore()
            await asyncio.sleep(0.3)
            assert await _select_one(engine) == 1, "the ping found it dead and a new one was opened"
        finally:
            await engine.dispose()


async def test_a_connection_used_a_moment_ago_is_not_pinged(database_url: str) -> None:
    async with through_proxy(database_url) as (proxy, url):
        engine = create_engine(url, PoolSettings(pool_size=1, max_overflow=0, pool_ping_idle_s=60))
        try:
            assert await _select_one(engine) == 1
            proxy.cut()
            proxy.restore()
            with pytest.raises(DBAPIError):  # no ping: the dead connection is found by its statement
                await _select_one(engine)
            assert await _select_one(engine) == 1, "the pool dropped it and opened a new one"
        finally:
            await engine.dispose()
