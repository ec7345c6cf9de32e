"""Throw-away databases on a PostgreSQL server: what the tests and the benchmark run against."""

import uuid

from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import normalize_url


async def execute_as_admin(admin_url: str, sql: str) -> None:
    """One statement outside any transaction (CREATE and DROP DATABASE allow no other way)."""
    engine = create_async_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def create_database(admin_url: str, prefix: str) -> URL:
    """A new, empty database named `prefix` and a random suffix, on `admin_url`'s server."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await execute_as_admin(admin_url, f'CREATE DATABASE "{name}"')
    return normalize_url(admin_url).set(database=name)


async def drop_database(admin_url: str, url: URL) -> None:
    """Drop it, closing whatever connections are still open to it."""
    await execute_as_admin(admin_url, f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
