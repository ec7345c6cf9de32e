"""The statements of the two task reads, and the rule of a list: its filters, order and page.

Each read is one statement that also finds the acting user's row, so a token that outlived its
account is told apart from an empty answer at no extra round trip. The statements take their
values as parameters and are built once per query shape (its filters, sort and order) and
dialect: building them, and their cache keys, cost more than running them.

On PostgreSQL the database renders the page as JSON text, byte for byte what pydantic writes
for the `TaskPage`, which pydantic reads back into one (or a plain REST read sends on as it
is); elsewhere (SQLite) the rows come back as they are. The filters, order and page are the
same on both: only the last step differs.

A read runs where its caller says: on a connection, in the caller's transaction (an audited
read), or on the engine, whose pool lends a connection for the one statement — on PostgreSQL
straight on the driver (`db.driver`: a plain REST read, the hottest path there is).
"""

import re
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ColumnElement, Subquery
from sqlmodel import col

from db import driver
from db.models import Priority, Task, User
from db.types import UTCDateTime
from tools.errors import UnknownUser
from tools.schemas import TaskPage, TaskPublic, TaskQuery

GONE = "invalid or expired token"  # what the token's holder is told: their account is no more

# What a read selects: the columns of the public view, in its order.
PUBLIC_COLUMNS = [getattr(Task, name) for name in TaskPublic.model_fields]
_USER = col(User.id) == bindparam("user_id")
_OWNED = (col(Task.id) == bindparam("task_id")) & (col(Task.user_id) == col(User.id))
_READ = select(*PUBLIC_COLUMNS).select_from(User).outerjoin(Task, _OWNED).where(_USER)
# Which of TaskQuery's fields change the statement's text when set; the rest are values.
_OPTIONAL = ("priority", "search", "due_before", "due_after")
# What `icontains(..., autoescape=True)` escapes; it cannot apply to a parameter, so it is done here.
_LIKE_SPECIAL = re.compile("[/%_]")
# A timestamp as pydantic writes one: at UTC, with microseconds unless they are zero.
_ISO_SECONDS: ColumnElement[str] = literal_column("""'YYYY-MM-DD"T"HH24:MI:SS"Z"'""")
_ISO_MICROSECONDS: ColumnElement[str] = literal_column("""'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'""")
_LISTINGS: dict[tuple[Any, ...], Select[Any]] = {}  # at most 2 x 3 x 4 x 2 x 2**4 shapes
_COMPILED: dict[Select[Any], driver.Compiled] = {}


# Where a read runs: a connection in the caller's transaction, or the engine's pool.
Source = AsyncConnection | AsyncEngine


async def read_task(source: Source, task_id: uuid.UUID, user_id: uuid.UUID) -> TaskPublic | None:
    """The user's task, None if they have none by this id; `UnknownUser` if the user is gone."""
    row = _the_users(await _one_row(source, _READ, {"user_id": user_id, "task_id": task_id}))
    return TaskPublic.model_validate(dict(row)) if row["id"] is not None else None


async def list_tasks(source: Source, query: TaskQuery, user_id: uuid.UUID) -> TaskPage:
    """The page of the user's tasks `query` asks for; `UnknownUser` if the user is gone."""
    if source.dialect.name == "postgresql":
        return await page_as_json(source, query, user_id)
    async with _connected(source) as connection:
        return await page_as_rows(connection, query, user_id)


async def list_tasks_json(source: Source, query: TaskQuery, user_id: uuid.UUID) -> str:
    """`list_tasks` as the JSON text of its `TaskPage`, exactly as `model_dump_json` writes it:
    for a caller that only sends it on (a plain REST read), which then spends nothing on reading
    it into models and writing them out again (a fifth of a `GET /api/tasks` did that)."""
    if source.dialect.name == "postgresql":
        return await page_json(source, query, user_id)
    return (await list_tasks(source, query, user_id)).model_dump_json()


async def page_json(source: Source, query: TaskQuery, user_id: uuid.UUID) -> str:
    """The page rendered by PostgreSQL: the items as one JSON text, the rest around it here."""
    row = _the_users(await _one_row(source, _listing(query, True), _parameters(query, user_id)))
    # ints, written as pydantic writes them
    return f'{{"items":{row["items"]},"total":{row["total"]},"limit":{query.limit},"offset":{query.offset}}}'


async def page_as_json(source: Source, query: TaskQuery, user_id: uuid.UUID) -> TaskPage:
    """`list_tasks` with the page rendered by PostgreSQL as one JSON value."""
    return TaskPage.model_validate_json(await page_json(source, query, user_id))


async def page_as_rows(connection: AsyncConnection, query: TaskQuery, user_id: uuid.UUID) -> TaskPage:
    """`list_tasks` with the page as rows, on any database."""
    rows = list(await connection.execute(_listing(query, False), _parameters(query, user_id)))
    if not rows:
        raise UnknownUser(GONE)
    items = [TaskPublic.model_validate(row._asdict()) for row in rows if row.id is not None]
    return TaskPage(items=items, total=rows[0].total, limit=query.limit, offset=query.offset)


async def _one_row(source: Source, stmt: Select[Any], parameters: dict[str, Any]) -> Mapping[Any, Any] | None:
    """The statement's first row. On PostgreSQL, as SQL compiled once for its shape, straight to
    the driver: the values need no conversion (asyncpg takes UUIDs, dates and str enums) and the
    columns none either, so SQLAlchemy's per-execution work (the compiled-cache lookup, which
    hashes the statement's whole cache key, and the parameter and result processing) would buy
    nothing here."""
    if source.dialect.name != "postgresql":
        async with _connected(source) as connection:
            row: Mapping[Any, Any] | None = (await connection.execute(stmt, parameters)).mappings().first()
            return row
    compiled = _compiled(stmt, source.dialect)
    args = compiled.args(parameters)
    if isinstance(source, AsyncEngine):
        return await driver.fetch_row(source, compiled.sql, args)
    return (await source.exec_driver_sql(compiled.sql, args)).mappings().first()


@asynccontextmanager
async def _connected(source: Source) -> AsyncIterator[AsyncConnection]:
    """The caller's connection, or one of the engine's for this read alone."""
    if isinstance(source, AsyncEngine):
        async with source.connect() as connection:
            yield connection
    else:
        yield source


def _the_users(row: Mapping[Any, Any] | None) -> Mapping[Any, Any]:
    if row is None:
        raise UnknownUser(GONE)
    return row


def _listing(query: TaskQuery, json: bool) -> Select[Any]:
    shape = (json, query.status, query.sort_by, query.order, *(getattr(query, n) is None for n in _OPTIONAL))
    stmt = _LISTINGS.get(shape)
    if stmt is None:
        stmt = _LISTINGS[shape] = _build_listing(query, json)
    return stmt


def _compiled(stmt: Select[Any], dialect: Dialect) -> driver.Compiled:
    compiled = _COMPILED.get(stmt)
    if compiled is None:
        compiled = _COMPILED[stmt] = driver.Compiled.of(stmt, dialect)
    return compiled


def _build_listing(query: TaskQuery, json: bool) -> Select[Any]:
    where = _filters(query)
    total = select(func.count()).select_from(Task).where(*where).scalar_subquery().label("total")
    page = (
        select(*PUBLIC_COLUMNS)
        .where(*where)
        .order_by(*_ordering(query, Task))
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )
    # The page rides on the user's row (a page past the end is that row alone, with the total).
    stmt = select(total).select_from(User).outerjoin(page, true()).where(_USER)
    if json:
        return stmt.add_columns(_items_json(query, page).label("items")).group_by(col(User.id))
    return stmt.add_columns(*page.c).order_by(*_ordering(query, page.c))


def _items_json(query: TaskQuery, page: Subquery) -> ColumnElement[Any]:
    """The page's rows as the text of a JSON array of TaskPublic objects, in the query's order,
    byte for byte as pydantic writes them (`TaskPage.model_dump_json`): compact, the fields in
    the model's order, strings escaped alike by both, a timestamp at UTC with its fraction of a
    second only when it has one."""
    fields: list[Any] = []
    for n, name in enumerate(TaskPublic.model_fields):
        value: Any = page.c[name]
        if isinstance(value.type, UTCDateTime):
            value = _iso_utc(value)
        json = func.coalesce(cast(func.to_json(value), Text), literal_column("'null'"))
        fields += [literal_column(f"""'{"{" if n == 0 else ","}"{name}":'"""), json]
    row = func.concat(*fields, literal_column("'}'"))
    rows = func.string_agg(row, literal_column("','")).aggregate_order_by(*_ordering(query, page.c))
    items = rows.filter(page.c.id.is_not(None))
    return func.concat(literal_column("'['"), items, literal_column("']'"))


def _iso_utc(value: ColumnElement[Any]) -> ColumnElement[str]:
    at_utc = func.timezone(literal_column("'UTC'"), value)
    whole = func.date_trunc(literal_column("'second'"), value) == value
    return case((whole, func.to_char(at_utc, _ISO_SECONDS)), else_=func.to_char(at_utc, _ISO_MICROSECONDS))


def _parameters(query: TaskQuery, user_id: uuid.UUID) -> dict[str, Any]:
    values = query.model_dump(include={"priority", "due_before", "due_after", "limit", "offset"})
    if query.search is not None:
        values["search"] = _LIKE_SPECIAL.sub(r"/\g<0>", query.search)
    return values | {"user_id": user_id}


def _filters(query: TaskQuery) -> list[Any]:
    where: list[Any] = [col(Task.user_id) == bindparam("user_id")]
    if query.status != "all":
        where.append(col(Task.completed) == (query.status == "completed"))
    if query.priority is not None:
        where.append(col(Task.priority) == bindparam("priority"))
    if query.search is not None:
        search = bindparam("search", type_=String)
        where.append(
            or_(
                col(Task.title).icontains(search, escape="/"),
                col(Task.description).icontains(search, escape="/"),
            )
        )
    if query.due_before is not None:
        where.append(col(Task.due_date) <= bindparam("due_before"))
    if query.due_after is not None:
        where.append(col(Task.due_date) >= bindparam("due_after"))
    return where


def _ordering(query: TaskQuery, tasks: Any) -> list[Any]:
    """The order of `query` over `tasks`: the table, or a subquery with the same column names."""
    key = {
        "created_at": tasks.created_at,
        "due_date": tasks.due_date,
        "priority": case({Priority.low: 0, Priority.medium: 1, Priority.high: 2}, value=tasks.priority),
        "title": func.lower(tasks.title),
    }[query.sort_by]
    primary = key.desc() if query.order == "desc" else key.asc()
    if query.sort_by == "due_date":
        primary = primary.nulls_last()  # undated tasks go last whichever way the dates run
    # The id breaks ties so that pages never overlap or skip a row.
    return [primary, tasks.created_at.asc(), tasks.id.asc()]
