"""One statement straight on a pooled connection's driver, for the hottest paths: plain reads,
and writes that PostgreSQL runs as a single statement (its own transaction).

A plain REST read is one statement outside any transaction. Through an `AsyncSession` it also
pays for the session, its connection and transaction objects, an execution context, a cursor
and a result, and the greenlet hops between them: measured, 0.68 ms of CPU a read against
0.21 ms for the same statement on the asyncpg connection the pool holds — a quarter of a whole
`GET /api/tasks`. So `fetch_row` checks a connection out of the engine's own pool (its size,
timeout, ping and metrics all apply), runs the statement on the driver and gives the connection
back. It never began a transaction, so the pool's reset on return has nothing to roll back (but
giving it back may close it, an overflow connection, which SQLAlchemy must await in a greenlet).
A chat turn's writes use it too, each as one statement (data-modifying CTEs, or the function of
migration 0006): one round trip where BEGIN, the statements and COMMIT were each one.

Only for SQL already compiled for asyncpg (`$1` parameters) with values asyncpg takes as they
are. A connection that turns out dead is dropped, and the statement goes through SQLAlchemy
once more: on a fresh connection it succeeds; if the server is down, SQLAlchemy reports it as
for any other statement (an invalidated connection: a 503) and replaces the pool's older
connections, which died with it. (A write whose connection died after it committed but before
the answer came is sent again, as a session's retry would: the chat's writers are written to
find that out — a released lease, an existing key.)
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn


@dataclass(frozen=True)
class Compiled:
    """A statement as the dialect's SQL, its parameters' names in order, and the values of those
    the statement holds itself (literals SQLAlchemy made parameters of)."""

    sql: str
    names: list[str]
    fixed: dict[str, Any]

    @classmethod
    def of(cls, stmt: ClauseElement, dialect: Dialect) -> "Compiled":
        compiled = cast(SQLCompiler, stmt.compile(dialect=dialect))
        fixed = {name: value for name, value in compiled.params.items() if value is not None}
        return cls(str(compiled), list(compiled.positiontup or ()), fixed)

    @classmethod
    def named(cls, sql: str) -> "Compiled":
        """Hand-written SQL with `:name` parameters, as asyncpg's `$n` (a name used twice is one
        parameter). Write casts as CAST(x AS type): `::` is left alone, but is easy to misread."""
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        return cls(re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", number, sql), names, {})

    def args(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional values for `values` by name (the statement's own ones included)."""
        merged = self.fixed | dict(values)
        return tuple(merged[name] for name in self.names)


def postgresql_engine(bind: object) -> AsyncEngine | None:
    """`bind` (a session's, or a sessionmaker's) if it is PostgreSQL's engine, whose one-statement
    forms `fetch_row` runs outside any session; None for SQLite, which takes the statements one by
    one."""
    return bind if isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql" else None


async def fetch_row(engine: AsyncEngine, sql: str, args: Sequence[Any]) -> Mapping[Any, Any] | None:
    """The statement's first row (None if it has none), run outside a transaction."""
    pooled = await engine.raw_connection()
    driver = pooled.driver_connection
    assert driver is not None
    try:
        row: Mapping[Any, Any] | None = await driver.fetchrow(sql, *args)
    except BaseException as error:
        if isinstance(error, Exception) and not driver.is_closed():
            await greenlet_spawn(pooled.close)  # the statement failed, not the connection
            raise
        # Dead, or interrupted mid-statement (cancelled): never back into the pool. Outside a
        # greenlet, SQLAlchemy closes it at once rather than waiting on it.
        pooled.invalidate(error)
        if not isinstance(error, Exception):
            raise
        return await _through_sqlalchemy(engine, sql, args)
    await greenlet_spawn(pooled.close)
    return row


async def _through_sqlalchemy(engine: AsyncEngine, sql: str, args: Sequence[Any]) -> Mapping[Any, Any] | None:
    # `begin`, not `connect`: SQLAlchemy's connection opens a transaction, and one left without a
    # commit is rolled back, which would silently undo a write sent again after a dead connection.
    async with engine.begin() as connection:
        result = await connection.exec_driver_sql(sql, tuple(args))
        return result.mappings().first()
