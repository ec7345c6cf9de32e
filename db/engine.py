"""Async engine and session factory construction."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

# libpq options that asyncpg does not understand as connect() keywords.
_LIBPQ_ONLY = ("channel_binding", "options", "target_session_attrs")


@dataclass(frozen=True)
class PoolSettings:
    size: int = 20
    max_overflow: int = 10
    recycle_s: int = 3600
    timeout_s: float = 30.0
    pre_ping: bool = True  # a round trip per checkout, to survive connections the server dropped


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


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def create_engine(raw_url: str, pool: PoolSettings = PoolSettings()) -> AsyncEngine:
    url = normalize_url(raw_url)
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_recycle=pool.recycle_s,
        pool_timeout=pool.timeout_s,
        pool_pre_ping=pool.pre_ping,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects stay readable after the commit that the tools do themselves.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE is off by default in SQLite
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
