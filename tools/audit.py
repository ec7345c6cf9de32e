"""The audit trail: every invocation of a task operation writes one `actions` row.

A successful operation's row is committed in the same transaction as its effect. A failed one is
rolled back and its error row is committed on its own, so failures are never lost either. Either
way the caller gets the row back in the `Invocation` it is returned.
"""

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from time import perf_counter
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Action, ActionSource, ActionStatus
from tools.errors import DomainError
from tools.paging import fetch_page
from tools.schemas import ActionPage, ActionPublic, ActionQuery

log = logging.getLogger(__name__)

INTERNAL_ERROR = "internal error"
R = TypeVar("R")


class AuditSettings(BaseModel):
    """`AUDIT_*`: how long the audit trail is kept (`python -m backend.prune` deletes older rows)."""

    retention_days: int = Field(90, ge=1, description="audit rows older than this are pruned")


@dataclass(frozen=True)
class Origin:
    """Which interface an invocation came from, and on behalf of which request or chat turn."""

    source: ActionSource
    conversation_id: uuid.UUID | None = None
    message_id: uuid.UUID | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class Call:
    """One invocation about to run: the tool, its arguments as given, who acts and from where."""

    tool: str
    arguments: dict[str, Any]
    user_id: uuid.UUID
    origin: Origin


@dataclass(frozen=True)
class Invocation(Generic[R]):
    """What one invocation did: its value or its error, and the audit row that says so."""

    action: ActionPublic
    value: R | None = None
    error: Exception | None = None

    def unwrap(self) -> R:
        """The value; the invocation's error is raised instead if it failed."""
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value


async def audited(
    session: AsyncSession,
    call: Call,
    effect: Callable[[], Awaitable[R]],
    view: Callable[[R], Any],
) -> Invocation[R]:
    """Run `effect` as one transaction with its audit row (`view` of the value is the row's result).

    A failure is rolled back and recorded; it comes back in the invocation, not raised, so every
    caller gets the row. Only when even the failure cannot be recorded is the error raised."""
    started = perf_counter()
    try:
        value = await effect()
        await session.flush()  # the database's verdict on the effect belongs inside this try, not at commit
    except Exception as exc:
        await session.rollback()
        message = exc.message if isinstance(exc, DomainError) else INTERNAL_ERROR
        try:
            action = await _commit(session, call, started, ActionStatus.error, error=message)
        except Exception:  # the database itself may be what failed; the original error matters more
            log.exception("could not record the failed %s call", call.tool)
            raise exc from None
        return Invocation(action, error=exc)
    action = await _commit(session, call, started, ActionStatus.ok, result=view(value))
    return Invocation(action, value)


async def _commit(
    session: AsyncSession,
    call: Call,
    started: float,
    status: ActionStatus,
    *,
    result: Any = None,
    error: str | None = None,
) -> ActionPublic:
    entry = Action(
        user_id=call.user_id,
        tool=call.tool,
        arguments=call.arguments,
        source=call.origin.source,
        conversation_id=call.origin.conversation_id,
        message_id=call.origin.message_id,
        request_id=call.origin.request_id,
        status=status,
        result=result,
        error=error,
        duration_ms=round((perf_counter() - started) * 1000, 3),
    )
    session.add(entry)
    await session.commit()
    return ActionPublic.model_validate(entry)


async def list_actions(session: AsyncSession, query: ActionQuery, *, user_id: uuid.UUID) -> ActionPage:
    """The caller's audit trail, newest first."""
    where = [col(Action.user_id) == user_id]
    for name in ("tool", "status", "source", "conversation_id"):
        value = getattr(query, name)
        if value is not None:
            where.append(getattr(Action, name) == value)
    return await fetch_page(
        session,
        Action,
        ActionPublic.model_validate,
        where=where,
        order_by=[col(Action.created_at).desc(), col(Action.id).desc()],
        limit=query.limit,
        offset=query.offset,
    )


async def prune_actions(session: AsyncSession, *, before: datetime) -> int:
    """Delete every audit row created before `before`, of every user; how many went."""
    result = await session.exec(delete(Action).where(col(Action.created_at) < before))
    await session.commit()
    return int(result.rowcount)
