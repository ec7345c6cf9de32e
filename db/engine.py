"""Async engine and session factory construction."""

import asyncio
import math
import time
from typing import Any, Protocol, cast

from pydantic import BaseModel, Field
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, AdaptedConnection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn
from sqlmodel.ext.asyncio.session import AsyncSession

# libpq options that asyncpg does not understand as connect() keywords.
_LIBPQ_ONLY = ("channel_binding", "options", "target_session_attrs")


DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./todo.db"  # zero setup: a file beside the checkout
_RETURNED = "returned_at"
PING = "SELECT 1"


class PoolSettings(BaseModel):
    """The PostgreSQL connection pool (`DB_POOL_SIZE`, `DB_MAX_OVERFLOW`, ...)."""

    pool_size: int = Field(20, ge=1, description="persistent connections")
    # No overflow by default: an overflow connection is closed as soon as it is given back while the
    # pool is full, so a load just above `pool_size` opened and closed one per request (measured:
    # 71 connects in 10 s of `GET /api/tasks` from 32 clients, each 80-115 ms on the busy event
    # loop, stalling the requests behind it). A connection is held for a statement or a short
    # transaction, never across a model call, so waiting for a pooled one is cheaper.
    max_overflow: int = Field(0, ge=0, description="extra connections under load, closed after use")
    pool_recycle_s: int = Field(3600, ge=-1, description="recycle a connection after this many seconds")
    pool_timeout_s: float = Field(30.0, gt=0, description="wait this long for a free connection")
    # A round trip per checkout, to survive connections the server (or a proxy) dropped...
    pool_pre_ping: bool = True
    # ...except for a connection that was in use this recently (HikariCP's "alive bypass window").
    pool_pre_ping_idle_s: float = Field(0.5, ge=0, description="ping only connections idle this long")


class PoolObserver(Protocol):
    def obtained(self, seconds: float) -> None:
        """A caller got its connection (or gave up) after this long."""


class ObservedPool(AsyncAdaptedQueuePool):
    """The async queue pool, counting the callers waiting for a connection (`pending`, read when
    metrics are collected) and telling its `observer` how long each took to get one (a free one,
    or a new one opened and pinged). The pool's own counts (checked out, checked in) cannot show
    that requests queue for connections; these can."""

    observer: PoolObserver | None = None
    pending = 0  # a plain count: a metric's add() on every checkout cost more than the checkout

    def connect(self) -> PoolProxiedConnection:
        observer = self.observer
        if observer is None:
            return super().connect()
        started = time.perf_counter()
        self.pending += 1
        try:
            return super().connect()
        finally:
            self.pending -= 1
            observer.obtained(time.perf_counter() - started)

    def recreate(self) -> "ObservedPool":
        pool = cast(ObservedPool, super().recreate())  # `dispose()`: the same pool anew, still watched
        pool.observer = self.observer
        return pool


def normalize_url(raw: str) -> URL:
    """Accept the URLs people paste: `postgresql://` / `postgres://` (Neon, Heroku) mean asyncpg,
    libpq's `sslmode=` becomes asyncpg's `ssl=`, and `sqlite://` means aiosqlite."""
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+asyncpg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    if url.drivername == "postgresql+asyncpg":
        query = dict(url.query)
        if "sslmode" in query:
            query["ssl"] = query.pop("sslmode")
        for key in _LIBPQ_ONLY:
            query.pop(key, None)
        url = url.set(query=query)
    return url


def listen_dsn(raw: str) -> str | None:
    """A plain PostgreSQL DSN for a direct asyncpg connection (LISTEN); None for SQLite."""
    url = normalize_url(raw)
    if url.drivername != "postgresql+asyncpg":
        return None
    query = dict(url.query)
    if "ssl" in query:
        query["sslmode"] = query.pop("ssl")
    return url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def create_engine(raw_url: str, pool: PoolSettings | None = None) -> AsyncEngine:
    pool = pool or PoolSettings()
    url = normalize_url(raw_url)
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        poolclass=ObservedPool,
        pool_size=pool.pool_size,
        max_overflow=pool.max_overflow,
        pool_recycle=pool.pool_recycle_s,
        pool_timeout=pool.pool_timeout_s,
        # The connection given back last goes out first: at a light load the same few stay
        # warm (within the ping's idle window, their prepared statements cached) and the rest
        # idle until `pool_recycle` retires them; the default, oldest first, wakes every one of
        # them in turn, so a checkout often paid a ping and prepared its statements again.
        pool_use_lifo=True,
    )
    if pool.pool_pre_ping:
        _Ping(pool.pool_pre_ping_idle_s).listen(engine)
    return engine


async def fill_pool(engine: AsyncEngine, size: int) -> int:
    """Open `size` connections at once and give them to the pool; how many opened. Otherwise
    the first requests after a start each wait for a connect, on a loop that is busy by then
    (80-115 ms each, measured under load). A database that cannot be reached is not an error
    here: the requests that need it report it."""
    if is_sqlite(engine.url):
        return 0
    held: list[PoolProxiedConnection] = []

    async def hold() -> None:
        held.append(await engine.raw_connection())

    try:
        await asyncio.gather(*(hold() for _ in range(size)), return_exceptions=True)
        return len(held)
    finally:  # also when cancelled (a short-lived app): every connection opened goes back
        for connection in held:
            await greenlet_spawn(connection.close)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects stay readable after the commit that the tools do themselves.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


class _Ping:
    """`DB_POOL_PRE_PING`, in one round trip, and only for connections idle a while.

    SQLAlchemy's own pre-ping on asyncpg wraps its query in BEGIN and ROLLBACK (for pgbouncer's
    transaction mode, where a prepared statement may not outlive a transaction): three round
    trips per checkout, which under load cost as much as the request's own query. Here a query
    without parameters goes over the simple protocol and prepares nothing, so it is as safe behind
    pgbouncer. A connection that fails it is replaced (the pool's documented answer to
    `DisconnectionError`); if the server is down, getting the new one fails as it would have.

    A connection given back less than `idle_s` ago is not pinged: it worked a moment ago. If the
    server went away within that moment, its next statement fails with a disconnect (503
    `database_unavailable`, as for a connection lost mid-request), and the pool then replaces
    every connection older than the failure, so the rest are never tried."""

    def __init__(self, idle_s: float) -> None:
        self.idle_s = idle_s

    def listen(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "connect", self._returned)  # a new connection is as good
        event.listen(engine.sync_engine, "checkin", self._returned)
        event.listen(engine.sync_engine, "checkout", self._checkout)

    def _returned(self, dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:  # (none for a connection that was invalidated)
            record.info[_RETURNED] = time.monotonic()

    def _checkout(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_RETURNED, -math.inf) < self.idle_s:
            return
        assert isinstance(dbapi_connection, AdaptedConnection)
        try:
            dbapi_connection.run_async(lambda connection: connection.execute(PING))
        except Exception as error:
            raise exc.DisconnectionError(str(error)) from error


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE is off by default in SQLite
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
