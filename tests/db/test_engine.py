"""The engine's pool: a connection the server dropped is replaced at checkout, in one round trip."""

import asyncio

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.app import create_app
from db.engine import PING, PoolSettings, create_engine, fill_pool
from db.scratch import execute_as_admin
from tests.conftest import ADMIN_URL, asgi_client, make_settings
from tests.dbproxy import through_proxy
from tests.factories import make_user

PID = text("SELECT pg_backend_pid()")


async def _dropped_then_used(database_url: str, pre_ping: bool) -> tuple[int, int, list[str]]:
    """The backend pid before the server ends the pooled connection and after, and the
    statements sent at the checkout after."""
    settings = PoolSettings(pool_size=1, max_overflow=0, pool_pre_ping=pre_ping, pool_pre_ping_idle_s=0)
    engine = create_engine(database_url, settings)
    try:
        async with engine.connect() as conn:
            before = (await conn.execute(PID)).scalar_one()
        await execute_as_admin(ADMIN_URL, f"SELECT pg_terminate_backend({before})")
        sent: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
        async with engine.connect() as conn:
            after = (await conn.execute(PID)).scalar_one()
        return before, after, sent
    finally:
        await engine.dispose()


async def test_a_dropped_connection_is_replaced_at_checkout(database_url: str) -> None:
    before, after, _ = await _dropped_then_used(database_url, pre_ping=True)
    assert after != before


async def test_without_the_ping_a_dropped_connection_fails(database_url: str) -> None:
    with pytest.raises(DBAPIError):  # "connection is closed", or a protocol error on its dead socket
        await _dropped_then_used(database_url, pre_ping=False)


async def test_a_live_connection_is_kept_and_pinged_once_outside_any_transaction(database_url: str) -> None:
    engine = create_engine(database_url, PoolSettings(pool_size=1, max_overflow=0, pool_pre_ping_idle_s=0))
    sent: list[str] = []
    try:
        async with engine.connect() as conn:
            before = (await conn.execute(PID)).scalar_one()
            (await conn.get_raw_connection()).driver_connection.add_query_logger(
                lambda q: sent.append(q.query)
            )
        async with engine.connect() as conn:
            after = (await conn.execute(PID)).scalar_one()
        await asyncio.sleep(0)  # the driver hands its log records over on the next loop turn
    finally:
        await engine.dispose()
    assert after == before
    # The driver logs the statements it runs unprepared: the end of the first use, then the
    # checkout's ping alone, then the second use's transaction.
    assert sent == ["ROLLBACK;", PING, "BEGIN;", "ROLLBACK;"], sent


def _queries_of_new_connections(engine: AsyncEngine) -> list[str]:
    """What the driver runs unprepared on each connection the pool opens from now on (its log
    records arrive on the next loop turn)."""
    sent: list[str] = []
    event.listen(
        engine.sync_engine,
        "connect",
        lambda dbapi, _: dbapi.driver_connection.add_query_logger(lambda q: sent.append(q.query)),
    )
    return sent


async def test_a_new_connection_is_not_pinged(database_url: str) -> None:
    engine = create_engine(database_url, PoolSettings(pool_size=1, max_overflow=0))
    sent = _queries_of_new_connections(engine)
    try:
        async with engine.connect() as conn:
            await conn.execute(PID)
        await asyncio.sleep(0)
    finally:
        await engine.dispose()
    assert PING not in sent and sent, sent


async def test_a_connection_used_a_moment_ago_is_not_pinged(database_url: str) -> None:
    engine = create_engine(database_url, PoolSettings(pool_size=1, max_overflow=0, pool_pre_ping_idle_s=60))
    sent: list[str] = []
    try:
        async with engine.connect() as conn:
            await conn.execute(PID)
            (await conn.get_raw_connection()).driver_connection.add_query_logger(
                lambda q: sent.append(q.query)
            )
        async with engine.connect() as conn:
            await conn.execute(PID)
        await asyncio.sleep(0)
    finally:
        await engine.dispose()
    assert PING not in sent and sent, sent


async def test_after_a_pause_a_request_reuses_one_connection_and_pings_it_once(database_url: str) -> None:
    """A light load: a request (or a turn) checks connections out one after another, after a
    pause longer than the ping's window. The one given back last goes out first, so only the
    first checkout pings; oldest-first would hand out, and ping, a different one each time."""
    engine = create_engine(database_url, PoolSettings(pool_size=4, max_overflow=0, pool_pre_ping_idle_s=0.2))
    sent = _queries_of_new_connections(engine)
    try:
        opened = [await engine.connect() for _ in range(4)]  # the pool holds four live connections
        for conn in opened:
            await conn.execute(PID)
            await conn.close()
        await asyncio.sleep(0.3)  # a pause: every one of them is past the window now
        sent.clear()
        pids = []
        for _ in range(4):
            async with engine.connect() as conn:
                pids.append((await conn.execute(PID)).scalar_one())
        await asyncio.sleep(0)
    finally:
        await engine.dispose()
    assert len(set(pids)) == 1, pids
    assert sent.count(PING) == 1, sent


async def test_a_connection_dropped_within_the_window_costs_one_503(database_url: str) -> None:
    """The price of not pinging a connection that just worked: if the server dropped it in that
    moment, one request gets 503 `database_unavailable`; the pool then replaces it. (A plain
    read pays nothing: `db.driver` runs it again on a fresh connection, `tests/db/test_driver.py`.)"""
    app = create_app(
        make_settings(database_url, db={"pool_size": 1, "max_overflow": 0, "pool_pre_ping_idle_s": 60})
    )
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        user = await make_user(app)
        assert (await client.get("/api/tasks", headers=user.headers)).status_code == 200
        async with app.state.engine.connect() as conn:
            pid = (await conn.execute(PID)).scalar_one()
        await execute_as_admin(ADMIN_URL, f"SELECT pg_terminate_backend({pid})")
        failed = await client.post("/api/tasks", json={"title": "Lost?"}, headers=user.headers)
        assert (failed.status_code, failed.json()["error"]["code"]) == (503, "database_unavailable")
        assert failed.headers["retry-after"]
        assert (await client.get("/api/tasks", headers=user.headers)).status_code == 200


async def test_filling_the_pool_opens_its_connections_at_once(database_url: str) -> None:
    engine = create_engine(database_url, PoolSettings(pool_size=3))
    try:
        assert await fill_pool(engine, 3) == 3
        assert (engine.pool.checkedin(), engine.pool.checkedout()) == (3, 0)  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_filling_a_pool_whose_database_is_down_is_no_error(database_url: str) -> None:
    async with through_proxy(database_url) as (proxy, proxied):
        proxy.cut()
        engine = create_engine(proxied, PoolSettings(pool_size=3))
        try:
            assert await fill_pool(engine, 3) == 0
            assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        finally:
            await engine.dispose()


async def test_the_app_opens_its_pool_at_start(database_url: str) -> None:
    app = create_app(make_settings(database_url, db={"pool_size": 4}))
    async with app.router.lifespan_context(app):
        for _ in range(100):
            if app.state.engine.pool.checkedin() == 4:
                break
            await asyncio.sleep(0.02)
        assert app.state.engine.pool.checkedin() == 4
