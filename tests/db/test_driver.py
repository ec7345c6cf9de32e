"""`db.driver.fetch_row`: one statement on a pooled connection's driver, and the connection back
in the pool unless it died or was interrupted mid-statement."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from db.driver import Compiled, fetch_row
from db.engine import PoolSettings, create_engine
from db.scratch import execute_as_admin
from tests.conftest import ADMIN_URL
from tests.dbproxy import through_proxy

PID = "SELECT pg_backend_pid() AS pid, $1::int AS n"
ALIVE = "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    # One connection, never pinged: what the pool hands out is the one it was given back.
    engine = create_engine(database_url, PoolSettings(pool_size=1, max_overflow=0, pool_pre_ping=False))
    yield engine
    await engine.dispose()


async def pid(engine: AsyncEngine) -> int:
    row = await fetch_row(engine, PID, (7,))
    assert row is not None and row["n"] == 7
    return int(row["pid"])


async def test_the_row_comes_back_outside_a_transaction_and_the_connection_goes_back(
    engine: AsyncEngine,
) -> None:
    before = await pid(engine)
    sent: list[str] = []
    pooled = await engine.raw_connection()
    pooled.driver_connection.add_query_logger(lambda query: sent.append(query.query))
    pooled.close()
    assert await pid(engine) == before, "the same connection, reused"
    assert await fetch_row(engine, "SELECT 1 WHERE $1::int = 0", (1,)) is None
    await asyncio.sleep(0)  # the driver hands its log records over on the next loop turn
    assert sent == [PID, "SELECT 1 WHERE $1::int = 0"], "no BEGIN, no ROLLBACK"
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_failed_statement_is_raised_and_its_connection_kept(engine: AsyncEngine) -> None:
    before = await pid(engine)
    with pytest.raises(asyncpg.DivisionByZeroError):
        await fetch_row(engine, "SELECT 1 / $1::int", (0,))
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert await pid(engine) == before


async def test_a_connection_the_server_dropped_is_replaced_and_the_read_answered(engine: AsyncEngine) -> None:
    before = await pid(engine)
    await execute_as_admin(ADMIN_URL, f"SELECT pg_terminate_backend({before})")
    after = await pid(engine)
    assert after != before
    assert await pid(engine) == after, "the new connection is the pool's now"


async def test_a_write_sent_again_after_a_dropped_connection_is_committed(engine: AsyncEngine) -> None:
    await fetch_row(engine, "CREATE TABLE IF NOT EXISTS driver_writes (n int)", ())
    await execute_as_admin(ADMIN_URL, f"SELECT pg_terminate_backend({await pid(engine)})")
    row = await fetch_row(engine, "INSERT INTO driver_writes VALUES ($1) RETURNING n", (5,))
    assert row is not None and row["n"] == 5
    stored = await fetch_row(engine, "SELECT count(*) AS n FROM driver_writes WHERE n = $1", (5,))
    assert stored is not None and stored["n"] == 1, "one statement, its own transaction: committed"
    await fetch_row(engine, "DROP TABLE driver_writes", ())


async def test_with_the_server_unreachable_it_is_the_pools_own_error(database_url: str) -> None:
    async with through_proxy(database_url) as (proxy, proxied):
        engine = create_engine(proxied, PoolSettings(pool_size=1, max_overflow=0, pool_pre_ping=False))
        try:
            await pid(engine)
            proxy.cut()
            # The dead connection dropped, a new one cannot be had: the pool's own error for that,
            # which the app answers with 503 `database_unavailable` (tests/agent/test_database_trouble.py).
            with pytest.raises(ConnectionError):
                await pid(engine)
            assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
            proxy.restore()
            await pid(engine)
        finally:
            await engine.dispose()


async def test_a_statement_interrupted_midway_never_goes_back_to_the_pool(engine: AsyncEngine) -> None:
    before = await pid(engine)
    slow = asyncio.create_task(fetch_row(engine, "SELECT pg_sleep($1::int)", (30,)))
    await asyncio.sleep(0.2)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    after = await asyncio.wait_for(pid(engine), 5)  # not stuck behind the sleep
    assert after != before


async def test_an_overflow_connection_is_closed_on_its_way_back(database_url: str) -> None:
    engine = create_engine(database_url, PoolSettings(pool_size=1, max_overflow=1, pool_pre_ping=False))
    try:
        both = [fetch_row(engine, "SELECT pg_backend_pid() AS pid, pg_sleep(0.2)", ()) for _ in range(2)]
        pids = [row["pid"] for row in await asyncio.gather(*both) if row is not None]
        assert len(set(pids)) == 2
        assert (engine.pool.checkedout(), engine.pool.checkedin()) == (0, 1)  # type: ignore[attr-defined]
        for _ in range(50):  # the server ends the closed connection's backend soon after
            alive = await fetch_row(engine, ALIVE, (pids,))
            if alive is not None and alive["n"] == 1:
                break
            await asyncio.sleep(0.02)
        assert alive is not None and alive["n"] == 1, "one of the two is closed, not left open"
    finally:
        await engine.dispose()


async def test_named_parameters_become_numbered_ones(engine: AsyncEngine) -> None:
    compiled = Compiled.named("SELECT :a AS a, CAST(:b AS int) AS b, :a::text AS again, '10:30'::text AS t")
    assert compiled.sql == "SELECT $1 AS a, CAST($2 AS int) AS b, $1::text AS again, '10:30'::text AS t"
    assert compiled.names == ["a", "b"], "a name used twice is one parameter; casts and times stay"
    row = await fetch_row(engine, compiled.sql, compiled.args({"b": 7, "a": "x"}))
    assert row is not None and dict(row) == {"a": "x", "b": 7, "again": "x", "t": "10:30"}
