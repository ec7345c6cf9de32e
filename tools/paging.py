"""One page of rows and the total count, in one query."""

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T", bound=SQLModel)


async def fetch_page(
    session: AsyncSession,
    entity: type[T],
    *,
    where: list[ColumnElement[bool]],
    order_by: list[Any],
    limit: int,
    offset: int,
) -> tuple[list[T], int]:
    # count(*) OVER () carries the total on every row, so a non-empty page costs one round trip.
    stmt = select(entity, func.count().over()).where(*where).order_by(*order_by).limit(limit).offset(offset)
    rows = (await session.exec(stmt)).all()
    if rows:
        return [row[0] for row in rows], rows[0][1]
    if offset == 0:
        return [], 0
    # Past the end the window has no row to ride on; only then is a second query needed.
    total = (await session.exec(select(func.count()).select_from(entity).where(*where))).one()
    return [], total
