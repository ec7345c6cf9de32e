"""Rate limits kept in the database: GCRA, one statement per check, over the `rate_limits` table.

A limit of "N per period" allows a burst of N, then one request every period/N (the Generic Cell
Rate Algorithm: the leaky bucket, kept as one timestamp per key). The timestamp is the key's
theoretical arrival time (TAT): a request moves it `period/N` later (from now, if it lay in the
past), and is let through if that leaves it at most `period` ahead of now. On PostgreSQL that is
one `INSERT ... ON CONFLICT DO UPDATE ... WHERE` (one round trip; it locks the key's row only, so
every instance shares each limit). No row returned means over the limit; the row's TAT then says
when the next request fits (`Retry-After`).

SQLite (the single-process development default) has no interval arithmetic worth the name: there
the same algorithm runs in the process's memory, which is all a SQLite deployment is.
"""

import math
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Protocol

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer
from pydantic_settings import NoDecode
from sqlalchemy import Interval, bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.errors import ApiError
from db import driver
from db.engine import is_sqlite

_UNITS = {"s": 1, "second": 1, "m": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_RATE = re.compile(r"(\d+)\s*/\s*(\d*)\s*([a-z]+?)s?")


@dataclass(frozen=True)
class Rate:
    """N requests per period: a burst of N, refilled one every period/N."""

    count: int
    period_s: int

    @property
    def interval_s(self) -> float:
        return self.period_s / self.count

    @classmethod
    def parse(cls, value: object) -> object:
        """`20/minute`, `10/15m`, `100/day`, `5/30s`: a count, a slash, a number and a unit."""
        if not isinstance(value, str):
            return value
        match = _RATE.fullmatch(value.strip().lower())
        if not match or match.group(3) not in _UNITS or int(match.group(1)) < 1:
            raise ValueError(f"{value!r} is not a rate such as 20/minute, 10/15m or 100/day")
        count, amount, unit = match.groups()
        return cls(int(count), int(amount or 1) * _UNITS[unit])

    def __str__(self) -> str:
        return f"{self.count}/{self.period_s}s"


# NoDecode: from the environment, "20/minute" is the value itself, not JSON to decode.
RateValue = Annotated[Rate, NoDecode, BeforeValidator(Rate.parse), PlainSerializer(str)]


class RateSettings(BaseModel):
    """`RATE_*`: request rates (`N/period`) and caps on running chat turns."""

    login_per_address: RateValue = Field(Rate(20, 60), description="logins and tokens per client address")
    login_per_account: RateValue = Field(Rate(10, 900), description="logins and tokens per email")
    register_per_address: RateValue = Field(Rate(10, 3600), description="sign-ups per client address")
    chat_per_user: RateValue = Field(Rate(30, 60), description="chat messages per user")
    import_per_user: RateValue = Field(Rate(10, 3600), description="transcript imports per user")
    running_turns_per_user: int = Field(3, ge=1, description="chat turns one user may have running")
    # Each running turn makes at most one model call at a time: this caps concurrent model calls.
    running_turns_total: int = Field(0, ge=0, description="chat turns running for all users; 0: no cap")

    @classmethod
    def unlimited(cls) -> "RateSettings":
        """Limits out of reach, for an app that serves a tool rather than people (the replay
        runner's in-process app, where one address registers a user per conversation)."""
        rate = Rate(10**9, 1)
        return cls(
            login_per_address=rate,
            login_per_account=rate,
            register_per_address=rate,
            chat_per_user=rate,
            import_per_user=rate,
            running_turns_per_user=10**6,
        )


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    remaining: int  # requests that would still be let through now
    reset_s: float  # until the full burst is available again
    retry_after_s: float  # until the next request is let through (0 when allowed)


class RateLimited(ApiError):
    """429 `rate_limited`, with `Retry-After` and the IETF RateLimit-Policy / RateLimit fields
    (draft-ietf-httpapi-ratelimit-headers: `"name";q=N;w=S` and `"name";r=R;t=T`)."""

    def __init__(
        self, message: str, *, policy: str, retry_after_s: float, quota: int, window_s: int | None
    ) -> None:
        retry = max(1, math.ceil(retry_after_s))
        window = f";w={window_s}" if window_s else ""
        headers = {
            "Retry-After": str(retry),
            "RateLimit-Policy": f'"{policy}";q={quota}{window}',
            "RateLimit": f'"{policy}";r=0;t={retry}',
        }
        super().__init__(429, "rate_limited", f"{message}; try again in {retry} s", headers)


class RateStore(Protocol):
    async def hit(self, key: str, rate: Rate) -> Verdict: ...


def _verdict(rate: Rate, tat_ahead_s: float | None, allowed: bool) -> Verdict:
    """From how far the key's TAT lies ahead of now (after the hit, if it was let through)."""
    ahead = max(0.0, tat_ahead_s if tat_ahead_s is not None else rate.period_s)
    if allowed:
        # The epsilon: 1 s / 100 is not exact in binary, and 98.999... requests left are 99.
        remaining = math.floor((rate.period_s - ahead) / rate.interval_s + 1e-6)
        return Verdict(True, max(0, remaining), ahead, 0.0)
    return Verdict(False, 0, ahead, max(0.0, ahead - rate.period_s + rate.interval_s))


_GCRA = text(
    """
    WITH hit AS (
        INSERT INTO rate_limits AS r (key, tat) VALUES (:key, now() + :interval)
        ON CONFLICT (key) DO UPDATE SET tat = greatest(r.tat, now()) + :interval
            WHERE greatest(r.tat, now()) + :interval - now() <= :period
        RETURNING tat
    )
    SELECT (SELECT tat FROM hit) AS admitted, (SELECT tat FROM rate_limits WHERE key = :key) AS held,
           now() AS now
    """
).bindparams(bindparam("interval", type_=Interval()), bindparam("period", type_=Interval()))


class PostgresRateStore:
    def __init__(self, engine: AsyncEngine) -> None:
        # The statement is its own transaction, so the row lock ends with it (a check inside the
        # request's transaction would hold it until the request commits); on the driver, as a
        # plain read is (`db.driver`): it is on the way to every chat turn's first byte.
        self._engine = engine
        self._gcra = driver.Compiled.of(_GCRA, engine.dialect)

    async def hit(self, key: str, rate: Rate) -> Verdict:
        params = {
            "key": key,
            "interval": timedelta(seconds=rate.interval_s),
            "period": timedelta(seconds=rate.period_s),
        }
        row = await driver.fetch_row(self._engine, self._gcra.sql, self._gcra.args(params))
        assert row is not None  # (one row, always)
        admitted, held, now = row["admitted"], row["held"], row["now"]
        if admitted is not None:
            return _verdict(rate, _ahead(admitted, now), allowed=True)
        # Refused: the row as this statement saw it (None only if it appeared meanwhile).
        return _verdict(rate, _ahead(held, now) if held is not None else None, allowed=False)


def _ahead(tat: datetime, now: datetime) -> float:
    return (tat - now).total_seconds()


class MemoryRateStore:
    """The same algorithm in this process's memory: for SQLite, a single-process database."""

    _PRUNE_AT = 10_000  # keys; past this, those whose TAT has passed are dropped

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}

    async def hit(self, key: str, rate: Rate) -> Verdict:
        now = time.monotonic()
        # Kept as time ahead of now rather than `tat - now`: with a monotonic clock of large
        # magnitude, (now + interval) - now can come out a hair above an interval equal to the
        # period, which refused a fresh key's first request under a 1-per-period limit.
        backlog = max(self._tat.get(key, now) - now, 0.0)
        if backlog + rate.interval_s > rate.period_s:
            return _verdict(rate, backlog, allowed=False)
        if len(self._tat) >= self._PRUNE_AT:
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        self._tat[key] = now + backlog + rate.interval_s
        return _verdict(rate, backlog + rate.interval_s, allowed=True)


async def prune_rate_limits(engine: AsyncEngine) -> int:
    """Delete the keys whose TAT has passed: their next request starts afresh either way, so they
    only take space (one row per address, account and user ever seen)."""
    if is_sqlite(engine.url):
        return 0  # the limits live in memory there
    async with engine.begin() as conn:
        result = await conn.execute(text("DELETE FROM rate_limits WHERE tat < now()"))
    return int(result.rowcount)


def rate_store(engine: AsyncEngine) -> RateStore:
    return MemoryRateStore() if is_sqlite(engine.url) else PostgresRateStore(engine)


async def enforce(store: RateStore, *, policy: str, key: str, rate: Rate, message: str) -> Verdict:
    """Count one request against `rate` for `key`; 429 if it is over.

    The rate is part of the stored key: a bucket filled under one rate says nothing about another,
    so a limit raised (or lowered) by an operator applies from the next request, instead of
    holding clients to the old limit until their stored state runs out."""
    verdict = await store.hit(f"{policy}:{rate}:{key}", rate)
    if not verdict.allowed:
        raise RateLimited(
            message,
            policy=policy,
            retry_after_s=verdict.retry_after_s,
            quota=rate.count,
            window_s=rate.period_s,
        )
    return verdict
