"""The GCRA stores: the same verdicts in PostgreSQL (one statement a check) and in memory."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from backend.ratelimit import (
    MemoryRateStore,
    PostgresRateStore,
    Rate,
    RateLimited,
    RateSettings,
    RateStore,
    enforce,
    rate_store,
)
from db.engine import PoolSettings, create_engine


@pytest.fixture(params=["postgresql", "memory"])
async def store(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[RateStore]:
    if request.param == "memory":
        yield MemoryRateStore()
        return
    engine = create_engine(database_url)
    try:
        yield PostgresRateStore(engine)
    finally:
        await engine.dispose()


async def test_a_burst_then_one_per_interval(store: RateStore) -> None:
    key, rate = f"test:{uuid.uuid4()}", Rate(3, 60)
    verdicts = [await store.hit(key, rate) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    assert verdicts[2].reset_s == pytest.approx(60, abs=1)
    # Refused: the next request fits once one interval (60 s / 3) has drained.
    assert verdicts[3].retry_after_s == pytest.approx(20, abs=1)
    assert (await store.hit(f"test:{uuid.uuid4()}", rate)).allowed, "keys are independent"


async def test_the_bucket_refills(store: RateStore) -> None:
    key, rate = f"test:{uuid.uuid4()}", Rate(2, 1)  # one every 0.5 s
    assert [(await store.hit(key, rate)).allowed for _ in range(3)] == [True, True, False]
    await asyncio.sleep(0.6)
    assert [(await store.hit(key, rate)).allowed for _ in range(2)] == [True, False]


async def test_concurrent_hits_never_pass_the_burst(store: RateStore) -> None:
    key, rate = f"test:{uuid.uuid4()}", Rate(5, 3600)
    verdicts = await asyncio.gather(*(store.hit(key, rate) for _ in range(20)))
    assert sum(v.allowed for v in verdicts) == 5


async def test_postgresql_checks_in_one_statement(database_url: str) -> None:
    """One statement on the driver, with no BEGIN or COMMIT around it."""
    engine = create_engine(database_url, PoolSettings(pool_size=1, max_overflow=0, pool_pre_ping=False))
    statements: list[str] = []
    try:
        store, key = PostgresRateStore(engine), f"test:{uuid.uuid4()}"
        await store.hit(key, Rate(1, 60))
        pooled = await engine.raw_connection()  # the pool's one connection, which the hit used
        pooled.driver_connection.add_query_logger(lambda query: statements.append(query.query))
        pooled.close()
        refused = await store.hit(key, Rate(1, 60))  # over the limit: the answer says when, still one
        await asyncio.sleep(0)  # the driver hands its log records over on the next loop turn
    finally:
        await engine.dispose()
    assert not refused.allowed
    assert len(statements) == 1 and statements[0].lstrip().startswith("WITH hit AS (")


def test_sqlite_keeps_limits_in_memory(tmp_path: Any) -> None:
    assert isinstance(rate_store(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")), MemoryRateStore)


@pytest.mark.parametrize(
    ("text", "count", "period_s"),
    [
        ("20/minute", 20, 60),
        ("10/15m", 10, 900),
        ("100/day", 100, 86400),
        ("5/30s", 5, 30),
        ("3 / hours", 3, 3600),
    ],
)
def test_rates_are_written_as_count_per_period(text: str, count: int, period_s: int) -> None:
    rate = RateSettings.model_validate({"chat_per_user": text}).chat_per_user
    assert (rate.count, rate.period_s) == (count, period_s)
    assert RateSettings.model_validate({"chat_per_user": str(rate)}).chat_per_user == rate


@pytest.mark.parametrize("text", ["20", "0/minute", "10/fortnight", "-1/s", "ten/minute"])
def test_a_rate_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="is not a rate"):
        RateSettings.model_validate({"login_per_address": text})


async def test_a_changed_rate_starts_a_fresh_bucket(store: RateStore) -> None:
    """An operator who raises a limit sees it apply at once: the state kept under the old rate
    does not hold clients to it (nor does a full bucket under a loose rate pass a strict one)."""
    key = str(uuid.uuid4())
    await enforce(store, policy="test", key=key, rate=Rate(1, 3600), message="over")
    with pytest.raises(RateLimited):
        await enforce(store, policy="test", key=key, rate=Rate(1, 3600), message="over")
    raised = await enforce(store, policy="test", key=key, rate=Rate(100, 1), message="over")
    assert raised.allowed and raised.remaining == 99


@pytest.mark.parametrize("clock", [127703.23867429855, 0.5])
async def test_one_per_period_lets_the_first_request_through_whatever_the_clock(
    clock: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At this monotonic reading, (now + 3600) - now is a hair over 3600 in floating point: a
    fresh key's first request under 1/hour was refused (and the refusal raised KeyError)."""
    monkeypatch.setattr("backend.ratelimit.time.monotonic", lambda: clock)
    store, rate = MemoryRateStore(), Rate(1, 3600)
    first, second = await store.hit("k", rate), await store.hit("k", rate)
    assert (first.allowed, first.remaining) == (True, 0)
    assert not second.allowed and second.retry_after_s == pytest.approx(3600)


async def test_postgresql_keeps_the_limits_unlogged(database_url: str) -> None:
    """A limit's row is written on every message and login: unlogged, its commit does not wait
    for the write-ahead log to reach the disk (and a crash only gives clients a fresh burst)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            persistence = await conn.scalar(
                text("SELECT relpersistence::text FROM pg_class WHERE relname = 'rate_limits'")
            )
    finally:
        await engine.dispose()
    assert persistence == "u"
