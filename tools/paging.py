"""One page of rows and the total count, in one query; the page shape every list answers with."""

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

Row = TypeVar("Row", bound=SQLModel)
# The largest offset a list accepts. Unbounded, an offset past 2**63 reached the driver and failed
# as a server error; no list here is paged anywhere near this far.
OFFSET_MAX = 2**31 - 1
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


async def fetch_page(
    session: AsyncSession,
    entity: type[Row],
    view: Callable[[Row], T],
    *,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    limit: int,
    offset: int,
) -> Page[T]:
    """The rows at [offset, offset + limit) in this order, each shown through `view`."""
    # count(*) OVER () carries the total on every row, so a non-empty page costs one round trip.
    stmt = select(entity, func.count().over()).where(*where).order_by(*order_by).limit(limit).offset(offset)
    rows = (await session.exec(stmt)).all()
    if rows:
        total = rows[0][1]
    elif offset == 0:
        total = 0
    else:  # past the end the window has no row to ride on; only then is a second query needed
        total = (await session.exec(select(func.count()).select_from(entity).where(*where))).one()
    return Page(items=[view(row[0]) for row in rows], total=total, limit=limit, offset=offset)
