"""The event log: every event of a turn's stream, kept in PostgreSQL while the turn runs, so a
client can pick the stream up again — after a reload, on another instance — from the last id it
saw. The running turn appends in batches (at most FLUSH_S late, and at once at every tool result);
its last events are written with its outcome (`agent.turns.finish_turn`). Events of finished
turns are purged after CHAT_EVENTS_TTL_S: the turns, history and audit rows are the lasting record.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent.events import (
    EVENTS_PER_TURN,
    ChatEvent,
    ConversationStarted,
    MessageCompleted,
    ToolCalled,
    ToolResult,
    TurnDone,
    TurnEvent,
    TurnFailed,
    Usage,
    chat_event_adapter,
)
from agent.failures import TurnErrorCode
from agent.notifier import EVENTS, notify
from db.driver import Compiled, fetch_row, postgresql_engine
from db.models import ChatTurn, StoredEvent, TurnStatus, table_of
from db.types import utcnow
from tools.schemas import ActionPublic

log = logging.getLogger(__name__)
FLUSH_S = 0.1


async def append(
    session: AsyncSession, conversation_id: uuid.UUID, turn_id: uuid.UUID, events: Sequence[TurnEvent]
) -> None:
    """Add events to the log, in the caller's transaction: one INSERT of plain rows (a turn ends
    with a few dozen, and the ORM's unit of work would cost more than the write)."""
    if not events:
        return
    now = utcnow()
    rows = [
        {"conversation_id": conversation_id, "turn_id": turn_id, "created_at": now, **_row(event)}
        for event in events
    ]
    await session.exec(insert(table_of(StoredEvent)), params=rows)


def rows_json(events: Sequence[TurnEvent]) -> str:
    """Events as one JSON array of `{id, type, data}`, for a statement to insert in one go
    (`jsonb_to_recordset`) on PostgreSQL."""
    return json.dumps([_row(event) for event in events])


def _row(event: TurnEvent) -> dict[str, Any]:
    return {"id": event.id, "type": event.name, "data": event.event.model_dump(mode="json")}


def loaded(row: StoredEvent) -> TurnEvent:
    return TurnEvent(row.id, chat_event_adapter.validate_python({"type": row.type, **row.data}))


async def events_after(session: AsyncSession, conversation_id: uuid.UUID, after: int) -> list[TurnEvent]:
    stmt = (
        select(StoredEvent)
        .where(col(StoredEvent.conversation_id) == conversation_id, col(StoredEvent.id) > after)
        .order_by(col(StoredEvent.id))
    )
    return [loaded(row) for row in (await session.exec(stmt)).all()]


async def purge(session: AsyncSession, before: datetime) -> int:
    """Forget the events of finished turns written before `before`."""
    finished = select(ChatTurn.id).where(col(ChatTurn.status) != TurnStatus.running)
    result = await session.exec(
        delete(StoredEvent).where(
            col(StoredEvent.created_at) < before, col(StoredEvent.turn_id).in_(finished)
        )
    )
    await session.commit()
    return int(result.rowcount)


# A batch on PostgreSQL: the rows, and the notice to other instances (sent when it commits).
_FLUSH = Compiled.named(
    """
    WITH added AS (
        INSERT INTO chat_events (conversation_id, id, turn_id, type, data, created_at)
        SELECT :conversation_id, e.id, :turn_id, e.type, e.data, :now
        FROM jsonb_to_recordset(CAST(:events AS jsonb)) AS e(id bigint, type varchar, data jsonb)
    )
    SELECT pg_notify(:channel, :payload)
    """
)


class EventWriter:
    """Appends one running turn's events to the log, in batches, and announces them. A batch is
    written at most FLUSH_S after its first event (at once after a tool result). Between batches
    nothing waits: a turn parked on a slow model holds no task and no timer for its log."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], conversation_id: uuid.UUID, turn_id: uuid.UUID
    ) -> None:
        self._sessionmaker = sessionmaker
        self._engine = postgresql_engine(sessionmaker.kw.get("bind"))
        self._conversation_id = conversation_id
        self._turn_id = turn_id
        self._pending: list[TurnEvent] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writing: asyncio.Task[None] | None = None
        self._urgent = False  # a tool result came while a batch was being written
        self._closed = False

    def add(self, event: TurnEvent) -> None:
        self._pending.append(event)
        if self._closed:
            return
        urgent = isinstance(event.event, ToolResult)  # a step is done: readers elsewhere want it now
        if self._writing is not None:
            self._urgent = self._urgent or urgent  # the next batch starts when this one ends
        elif urgent:
            self._write_soon(0.0)
        elif self._timer is None:
            self._write_soon(FLUSH_S)

    async def close(self) -> list[TurnEvent]:
        """Stop the batching (a batch being written is finished, never cut off); what was not
        written yet is returned, for the caller to write with the turn's outcome."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writing is not None:
            await self._writing
        left, self._pending = self._pending, []
        return left

    def _write_soon(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, self._write)

    def _write(self) -> None:
        self._timer = None
        if self._closed or not self._pending:
            return
        self._writing = asyncio.create_task(self._flush(), name=f"chat-events-{self._turn_id}")
        self._writing.add_done_callback(self._written)

    def _written(self, _: "asyncio.Task[None]") -> None:
        self._writing = None
        if self._closed or not self._pending:
            return
        # What came meanwhile (or a batch that failed, put back): the next batch, as if just added.
        self._write_soon(0.0 if self._urgent else FLUSH_S)
        self._urgent = False

    async def _flush(self) -> None:
        batch, self._pending = self._pending, []
        try:
            if self._engine is not None:  # one statement: the rows, and the notice at its commit
                await fetch_row(self._engine, _FLUSH.sql, _FLUSH.args(self._flushed(batch)))
                return
            async with self._sessionmaker() as session:
                await append(session, self._conversation_id, self._turn_id, batch)
                await notify(session, EVENTS, self._conversation_id)
                await session.commit()
        except Exception:  # the live stream goes on; readers elsewhere get these with the next batch
            log.warning("could not write events of turn %s; retrying", self._turn_id, exc_info=True)
            self._pending = batch + self._pending

    def _flushed(self, batch: list[TurnEvent]) -> dict[str, Any]:
        return {
            "conversation_id": self._conversation_id,
            "turn_id": self._turn_id,
            "now": utcnow(),
            "events": rows_json(batch),
            "channel": EVENTS,
            "payload": str(self._conversation_id),
        }


def replayed(turn: ChatTurn, actions: Sequence[ActionPublic]) -> list[TurnEvent]:
    """A finished turn's stream rebuilt from what is stored of it, for when its events are gone:
    the same kinds of events, each tool call told by its audit row."""
    events: list[ChatEvent] = [
        ConversationStarted(
            conversation_id=turn.conversation_id,
            user_message_id=turn.id,
            assistant_message_id=turn.assistant_message_id,
        )
    ]
    for action in actions:
        call_id = f"action_{action.id}"
        events.append(ToolCalled(call_id=call_id, name=action.tool, arguments=action.arguments))
        events.append(ToolResult.of(call_id, action.tool, action, error=action.error or ""))
    usage = Usage.model_validate(turn, from_attributes=True)
    if turn.status in (TurnStatus.completed, TurnStatus.stopped):
        events.append(
            MessageCompleted(message_id=turn.assistant_message_id, content=turn.assistant_message or "")
        )
        stopped = turn.status == TurnStatus.stopped
        events.append(
            TurnDone(
                conversation_id=turn.conversation_id, usage=usage, actions=list(actions), stopped=stopped
            )
        )
    elif turn.status == TurnStatus.failed:
        code = _code(turn.error_code)
        events.append(TurnFailed(code=code, message=turn.error_message or "the turn failed"))
    return [TurnEvent(turn.seq * EVENTS_PER_TURN + n, event) for n, event in enumerate(events, 1)]


def _code(stored_code: str | None) -> TurnErrorCode:
    try:
        return TurnErrorCode(stored_code or TurnErrorCode.internal_error)
    except ValueError:  # an imported transcript may carry any code
        return TurnErrorCode.internal_error
