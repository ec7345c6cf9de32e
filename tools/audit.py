"""The audit trail: every invocation of a task operation writes one `actions` row.

A successful operation's row is committed in the same transaction as its effect. A failed one is
rolled back and its error row is committed on its own, so failures are never lost either.
"""

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from pydantic import BaseModel
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Action, ActionSource, ActionStatus
from tools.errors import ToolError
from tools.paging import fetch_page
from tools.schemas import ActionPage, ActionPublic, ActionQuery

log = logging.getLogger(__name__)

INTERNAL_ERROR = "internal error"


@dataclass
class Origin:
    """Where an invocation came from, and the audit rows written on its behalf."""

    source: ActionSource
    conversation_id: uuid.UUID | None = None
    message_id: uuid.UUID | None = None
    request_id: str | None = None
    actions: list[ActionPublic] = field(default_factory=list)


@dataclass
class Outcome:
    result: BaseModel | None = None


@asynccontextmanager
async def audited(
    session: AsyncSession, *, user_id: uuid.UUID, origin: Origin, tool: str, arguments: dict[str, Any]
) -> AsyncIterator[Outcome]:
    """Run one operation as one transaction and record it; the body sets `outcome.result`."""
    outcome = Outcome()
    started = perf_counter()
    entry = Action(
        user_id=user_id,
        tool=tool,
        arguments=arguments,
        source=origin.source,
        conversation_id=origin.conversation_id,
        message_id=origin.message_id,
        request_id=origin.request_id,
        status=ActionStatus.ok,
        duration_ms=0.0,
    )
    try:
        yield outcome
        await session.flush()  # the database's verdict on the effect belongs inside this try, not at commit
    except ToolError as exc:
        await session.rollback()
        entry.status, entry.error = ActionStatus.error, exc.message
        await _commit(session, entry, started, origin)
        raise
    except Exception:
        await session.rollback()
        entry.status, entry.error = ActionStatus.error, INTERNAL_ERROR
        try:
            await _commit(session, entry, started, origin)
        except Exception:  # the database itself may be what failed; the original error matters more
            log.exception("could not record the failed %s call", tool)
        raise
    else:
        entry.result = outcome.result.model_dump(mode="json") if outcome.result is not None else None
        await _commit(session, entry, started, origin)


async def _commit(session: AsyncSession, entry: Action, started: float, origin: Origin) -> None:
    entry.duration_ms = round((perf_counter() - started) * 1000, 3)
    session.add(entry)
    await session.commit()
    origin.actions.append(ActionPublic.model_validate(entry))


async def list_actions(session: AsyncSession, query: ActionQuery, *, user_id: uuid.UUID) -> ActionPage:
    """The caller's audit trail, newest first."""
    where = [Action.user_id == user_id]
    for name in ("tool", "status", "source", "conversation_id"):
        value = getattr(query, name)
        if value is not None:
            where.append(getattr(Action, name) == value)
    order_by = [col(Action.created_at).desc(), col(Action.id).desc()]
    rows, total = await fetch_page(
        session, Action, where=where, order_by=order_by, limit=query.limit, offset=query.offset
    )
    items = [ActionPublic.model_validate(row) for row in rows]
    return ActionPage(items=items, total=total, limit=query.limit, offset=query.offset)
