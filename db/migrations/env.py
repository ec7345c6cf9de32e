"""Alembic environment: runs migrations over the app's async engine (asyncpg or aiosqlite)."""

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import db.models  # noqa: F401  (registers the tables on SQLModel.metadata for autogenerate)
from db.engine import DEFAULT_DATABASE_URL, create_engine, is_sqlite, normalize_url

config = context.config
target_metadata = SQLModel.metadata


def _database_url() -> str:
    # `python -m backend.migrate` passes the configured URL (it reads .env too); the plain
    # `alembic` CLI takes DATABASE_URL from the environment.
    url = config.attributes.get("database_url")
    return str(url) if url else os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite(connection.engine.url),  # SQLite needs batch mode for ALTER
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_database_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=normalize_url(_database_url()), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
