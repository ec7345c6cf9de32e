"""The Alembic migrations: they build the schema from empty and match the models exactly."""

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlmodel import SQLModel

import db.models  # noqa: F401
from db.engine import create_engine
from db.migrate import downgrade, upgrade
from tests.conftest import create_database, drop_database, url_string

TABLES = {"users", "tasks", "actions"}


def _state(connection: Connection) -> tuple[set[str], list]:
    tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
    diff = compare_metadata(
        MigrationContext.configure(connection, opts={"compare_type": True}), SQLModel.metadata
    )
    return tables, diff


async def _inspect(url: str) -> tuple[set[str], list]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_state)
    finally:
        await engine.dispose()


async def _round_trip(url: str) -> None:
    await asyncio.to_thread(upgrade, url)
    tables, diff = await _inspect(url)
    assert tables >= TABLES
    assert diff == [], f"models and migrations disagree: {diff}"
    await asyncio.to_thread(downgrade, url)
    assert (await _inspect(url))[0] == set()
    await asyncio.to_thread(
        upgrade, url
    )  # and back up again: downgrade left nothing behind (e.g. enum types)
    assert (await _inspect(url))[0] >= TABLES


async def test_postgresql_from_empty() -> None:
    url = await create_database("todo_migrate")
    try:
        await _round_trip(url_string(url))
    finally:
        await drop_database(url)


# SQLite cannot reflect the lower(email) expression index, so the drift check there cannot see it;
# PostgreSQL, which can, checks it above.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
async def test_sqlite_from_empty(tmp_path: Path) -> None:
    await _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")


def test_migrate_cli_uses_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from backend import migrate

    db_file = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db_file}")
    monkeypatch.setattr("sys.argv", ["backend.migrate"])
    migrate.main()
    tables = set(asyncio.run(_tables(f"sqlite+aiosqlite:///{db_file}")))
    assert {"alembic_version", "users", "tasks", "actions", "conversations"} <= tables


async def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    await engine.dispose()
    return list(names)
