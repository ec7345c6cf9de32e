"""Turn bookkeeping in the database: the lease that serialises a conversation's turns, the turn
rows, and the requests made of a running turn. Each function is one short transaction; none is
held while the model thinks."""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from sqlalchemy import bindparam, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent import event_log
from agent.errors import ConversationBusy, LeaseLost, NoRunningTurn, TooManyTurns
from agent.events import TurnEvent, Usage
from agent.failures import TurnErrorCode, TurnFailure
from agent.memory import Item, input_items, insert_items, load_history
from agent.notifier import STOPS, notify
from db.driver import Compiled, fetch_row, postgresql_engine
from db.limits import CLIENT_ID_MAX, MESSAGE_MAX
from db.models import ChatTurn, Conversation, TurnStatus, table_of
from db.types import UTCDateTime, utcnow
from tools.errors import NotFound, UnknownUser
from tools.schemas import no_nul

TITLE_CHARS = 80
BUSY = "this conversation is still answering the previous message; try again shortly"
_INSERT_CONVERSATION = insert(table_of(Conversation))
_INSERT_TURN = insert(table_of(ChatTurn))
# Running turns (conversations under an unexpired lease), counted before a turn starts.
_RUNNING = select(func.count()).where(~Conversation.lease_free(bindparam("now", type_=UTCDateTime)))
_RUNNING_OF_USER = _RUNNING.where(col(Conversation.user_id) == bindparam("user_id"))
# pg_advisory_xact_lock's first key: what the lock is about (the second is the user).
_RUNNING_TURNS_LOCK = 0x7475726E  # "turn"
# The function of migration 0006, its arguments in the order it declares them.
_START_TURN = Compiled.named(
    """
    SELECT outcome, conversation_id, seq, history FROM start_turn(
        :user_id, :conversation_id, :client_id, :new_conversation_id, :title, :turn_id,
        :assistant_message_id, :message, :client_message_id, CAST(:items AS jsonb), :lease_token,
        :now, :expires, :history_limit, :lock_scope, :lock_key, :per_user, :total)
    """
)
# What a user may send as one chat message, whichever route or transcript it comes by.
UserMessage = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MESSAGE_MAX),
    AfterValidator(no_nul),
]
# A client's own id: for a message (its idempotency key) or a conversation (a chat frontend's id).
ClientId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=CLIENT_ID_MAX),
    AfterValidator(no_nul),
]


class DuplicateKey(Exception):
    """Another request with the same idempotency key stored its turn first."""


@dataclass(frozen=True)
class TurnCaps:
    """How many turns may run at once: for one user, and for everyone (0: no such cap)."""

    per_user: int
    total: int = 0


@dataclass(frozen=True)
class StartedTurn:
    conversation_id: uuid.UUID
    turn_id: uuid.UUID  # also the user message's id
    assistant_message_id: uuid.UUID
    seq: int
    lease_token: uuid.UUID
    history: list[Item]  # the newest items before this turn, in the SDK's format


@dataclass(frozen=True)
class _NewTurn:
    """What a turn's start decides before it touches the database."""

    user_id: uuid.UUID
    turn_id: uuid.UUID  # also the user message's id
    assistant_message_id: uuid.UUID
    message: str
    client_message_id: str | None
    lease_token: uuid.UUID
    now: datetime
    expires: datetime

    def started(self, conversation_id: uuid.UUID, seq: int, history: list[Item]) -> StartedTurn:
        return StartedTurn(
            conversation_id, self.turn_id, self.assistant_message_id, seq, self.lease_token, history
        )


async def start_turn(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    conversation_id: uuid.UUID | None,
    message: str,
    lease_s: float,
    history_limit: int | None,
    caps: TurnCaps,
    client_id: str | None = None,
    client_message_id: str | None = None,
) -> StartedTurn:
    """Within the caps on running turns, take the conversation's lease (creating the conversation
    if none is given, or none has this client id yet), store the user's message (in the history
    too) and load the history, in one transaction.

    Raises TooManyTurns when a cap is reached, NotFound for an unknown or foreign conversation,
    ConversationBusy while another turn holds an unexpired lease, DuplicateKey when the
    idempotency key was stored meanwhile, UnknownUser when the user row is gone."""
    now, token = utcnow(), uuid.uuid4()
    turn = _NewTurn(
        user_id=user_id,
        turn_id=uuid.uuid4(),
        assistant_message_id=uuid.uuid4(),
        message=message,
        client_message_id=client_message_id,
        lease_token=token,
        now=now,
        expires=now + timedelta(seconds=lease_s),
    )
    engine = postgresql_engine(session.bind)
    if engine is not None:
        if session.in_transaction():  # a lookup came first (the idempotency key's): free its connection
            await session.rollback()
        return await _start_in_one_statement(engine, turn, conversation_id, client_id, history_limit, caps)
    # The same order as the function: a repeat is told so even when its conversation is busy.
    if client_message_id is not None and await keyed_turn(session, user_id, client_message_id):
        raise DuplicateKey(client_message_id)
    await _check_caps(session, user_id, caps, now)
    if conversation_id is None and client_id is not None:
        conversation_id = await conversation_by_client_id(session, user_id, client_id)
    # Plain rows through the Core tables (their column defaults apply): the ORM's objects and
    # unit of work cost more than these inserts, on the path to the turn's first byte.
    if conversation_id is None:
        conversation_id, seq, history = uuid.uuid4(), 1, []
        conversation = {
            "id": conversation_id,
            "user_id": user_id,
            "client_id": client_id,
            "title": title_of(message),
            "turn_count": 1,
            "message_count": 1,
            "lease_token": token,
            "lease_expires_at": turn.expires,
            "created_at": now,
            "updated_at": now,
        }
        try:
            await session.exec(_INSERT_CONVERSATION, params=conversation)
        except IntegrityError as exc:
            await session.rollback()
            if client_id is not None and await conversation_by_client_id(session, user_id, client_id):
                # The same chat's first message, twice at once: the other one created it.
                raise ConversationBusy(BUSY) from exc
            raise UnknownUser("invalid or expired token") from exc  # the user row is gone
    else:
        seq = await _take_lease(session, user_id, conversation_id, token, now, turn.expires)
        history = await load_history(
            session, user_id=user_id, conversation_id=conversation_id, limit=history_limit
        )
    row = {
        "id": turn.turn_id,
        "conversation_id": conversation_id,
        "user_id": user_id,
        "seq": seq,
        "user_message": message,
        "client_message_id": client_message_id,
        "assistant_message_id": turn.assistant_message_id,
        "created_at": now,
    }
    try:
        await session.exec(_INSERT_TURN, params=row)
        await insert_items(
            session, conversation_id=conversation_id, turn_id=turn.turn_id, items=input_items(message)
        )
        await session.commit()
    except IntegrityError as exc:  # the unique (user, key) index: a repeat got there first
        await session.rollback()
        raise DuplicateKey(client_message_id) from exc
    return turn.started(conversation_id, seq, history)


async def _start_in_one_statement(
    engine: AsyncEngine,
    turn: "_NewTurn",
    conversation_id: uuid.UUID | None,
    client_id: str | None,
    history_limit: int | None,
    caps: TurnCaps,
) -> StartedTurn:
    """PostgreSQL: the same steps as the function `start_turn` (migration 0006), in one round
    trip and an implicit transaction, outside the request's session."""
    args = _START_TURN.args(
        {
            "user_id": turn.user_id,
            "conversation_id": conversation_id,
            "client_id": client_id,
            "new_conversation_id": uuid.uuid4(),
            "title": title_of(turn.message),
            "turn_id": turn.turn_id,
            "assistant_message_id": turn.assistant_message_id,
            "message": turn.message,
            "client_message_id": turn.client_message_id,
            "items": json.dumps(input_items(turn.message)),
            "lease_token": turn.lease_token,
            "now": turn.now,
            "expires": turn.expires,
            "history_limit": history_limit,
            "lock_scope": _RUNNING_TURNS_LOCK,
            "lock_key": int.from_bytes(turn.user_id.bytes[:4], "big", signed=True),
            "per_user": caps.per_user,
            "total": caps.total,
        }
    )
    row = await fetch_row(engine, _START_TURN.sql, args)
    assert row is not None
    match row["outcome"]:
        case "started":
            return turn.started(row["conversation_id"], row["seq"], json.loads(row["history"]))
        case "running-turns":
            raise _too_many(caps, total=False)
        case "running-turns-total":
            raise _too_many(caps, total=True)
        case "busy":
            raise ConversationBusy(BUSY)
        case "not-found":
            raise NotFound(f"conversation {conversation_id} not found")
        case "unknown-user":
            raise UnknownUser("invalid or expired token")
        case "duplicate-key":
            raise DuplicateKey(turn.client_message_id)
    raise AssertionError(f"start_turn answered {row['outcome']!r}")


async def _check_caps(session: AsyncSession, user_id: uuid.UUID, caps: TurnCaps, now: datetime) -> None:
    # SQLite has no advisory lock, and serialises writers anyway: simultaneous messages of one
    # user may be counted from the same state, so the cap is approximate there.
    if (await session.exec(_RUNNING_OF_USER, params={"now": now, "user_id": user_id})).one() >= caps.per_user:
        raise _too_many(caps, total=False)
    if caps.total and (await session.exec(_RUNNING, params={"now": now})).one() >= caps.total:
        raise _too_many(caps, total=True)


def _too_many(caps: TurnCaps, *, total: bool) -> TooManyTurns:
    if total:
        return TooManyTurns(
            "running-turns-total", caps.total, "the service is answering as many messages as it can"
        )
    return TooManyTurns(
        "running-turns", caps.per_user, f"you already have {caps.per_user} replies being written"
    )


async def conversation_by_client_id(
    session: AsyncSession, user_id: uuid.UUID, client_id: str
) -> uuid.UUID | None:
    """The user's conversation a chat frontend calls `client_id`, if there is one yet."""
    stmt = select(Conversation.id).where(Conversation.user_id == user_id, Conversation.client_id == client_id)
    return (await session.exec(stmt)).first()


async def _take_lease(
    session: AsyncSession,
    user_id: uuid.UUID,
    conversation_id: uuid.UUID,
    token: uuid.UUID,
    now: datetime,
    expires: datetime,
) -> int:
    # Whether a turn still says running (its instance died holding the lease), read with the
    # lease in one statement: the update below is then only sent when there is one.
    stale = (
        select(ChatTurn.id)
        .where(col(ChatTurn.conversation_id) == conversation_id, col(ChatTurn.status) == TurnStatus.running)
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        update(Conversation)
        .where(Conversation.owned(conversation_id, user_id), Conversation.lease_free(now))
        .values(
            lease_token=token,
            lease_expires_at=expires,
            turn_count=Conversation.turn_count + 1,
            message_count=Conversation.message_count + 1,
            updated_at=now,
        )
        .returning(col(Conversation.turn_count), stale)
        .execution_options(synchronize_session=False)
    )
    taken = (await session.exec(stmt)).one_or_none()
    if taken is not None:
        seq, stale_turn = taken
        if stale_turn is not None:
            # A turn whose instance died holding an expired lease never finished: say so. The
            # steps it committed are in the history already.
            await session.exec(
                update(ChatTurn)
                .where(
                    col(ChatTurn.conversation_id) == conversation_id,
                    col(ChatTurn.status) == TurnStatus.running,
                )
                .values(
                    status=TurnStatus.failed,
                    error_code=TurnErrorCode.interrupted,
                    error_message="the server handling this turn stopped",
                    completed_at=now,
                )
            )
        return int(seq)
    await session.rollback()
    owned = select(Conversation.id).where(Conversation.owned(conversation_id, user_id))
    if (await session.exec(owned)).first() is None:
        raise NotFound(f"conversation {conversation_id} not found")
    raise ConversationBusy(BUSY)


async def keyed_turn(session: AsyncSession, user_id: uuid.UUID, key: str) -> ChatTurn | None:
    """The user's turn stored under this idempotency key, if any."""
    stmt = select(ChatTurn).where(ChatTurn.user_id == user_id, ChatTurn.client_message_id == key)
    return (await session.exec(stmt)).first()


async def renew_leases(session: AsyncSession, held: Sequence[StartedTurn], lease_s: float) -> set[uuid.UUID]:
    """Extend the leases of these running turns, in one statement whatever their number; the ids
    of the turns whose lease is still theirs (one that expired and was taken over is not)."""
    if not held:
        return set()
    by_token = {turn.lease_token: turn.turn_id for turn in held}
    stmt = (
        update(Conversation)
        .where(
            col(Conversation.id).in_([turn.conversation_id for turn in held]),
            col(Conversation.lease_token).in_(list(by_token)),
        )
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s))
        .returning(col(Conversation.lease_token))
        .execution_options(synchronize_session=False)
    )
    renewed = {by_token[token] for token in (await session.exec(stmt)).scalars()}
    await session.commit()
    return renewed


# finish_turn on PostgreSQL: every write hangs on the lease's release, so a turn that lost its
# lease writes nothing; data-modifying CTEs all run, in one statement and one transaction.
_FINISH = Compiled.named(
    """
    WITH released AS (
        UPDATE conversations c
        SET input_tokens = c.input_tokens + :input_tokens,
            output_tokens = c.output_tokens + :output_tokens,
            total_tokens = c.total_tokens + :total_tokens,
            message_count = c.message_count + :added_messages,
            updated_at = :now, lease_token = NULL, lease_expires_at = NULL
        WHERE c.id = :conversation_id AND c.lease_token = :lease_token
        RETURNING c.id
    ), items AS (
        INSERT INTO conversation_items (conversation_id, turn_id, item, created_at)
        SELECT r.id, :turn_id, e.item, :now
        FROM released r, jsonb_array_elements(CAST(:items AS jsonb)) WITH ORDINALITY AS e(item, n)
        ORDER BY e.n
    ), events AS (
        INSERT INTO chat_events (conversation_id, id, turn_id, type, data, created_at)
        SELECT r.id, e.id, :turn_id, e.type, e.data, :now
        FROM released r, jsonb_to_recordset(CAST(:events AS jsonb)) AS e(id bigint, type varchar, data jsonb)
    ), finished AS (
        UPDATE chat_turns t
        SET status = CAST(:status AS turn_status), assistant_message = :reply,
            error_code = :error_code, error_message = :error_message, model = :model,
            completed_at = :now, input_tokens = :input_tokens, output_tokens = :output_tokens,
            total_tokens = :total_tokens
        FROM released r
        WHERE t.id = :turn_id
    )
    SELECT count(*) AS released FROM released
    """
)


async def finish_turn(
    session: AsyncSession,
    turn: StartedTurn,
    *,
    status: TurnStatus,
    reply: str | None,
    usage: Usage,
    model: str | None,
    error: TurnFailure | None = None,
    items: list[Item] | None = None,
    events: list[TurnEvent] | None = None,
) -> None:
    """Store the turn's outcome with its last history items and events, add its usage to the
    conversation's totals and release the lease: one transaction, and only while the lease is
    ours (LeaseLost otherwise: a turn that was taken over writes nothing). On PostgreSQL, one
    statement (`_FINISH`), the same writes."""
    now = utcnow()
    engine = postgresql_engine(session.bind)
    if engine is not None:
        values = {
            "conversation_id": turn.conversation_id,
            "lease_token": turn.lease_token,
            "turn_id": turn.turn_id,
            "now": now,
            "added_messages": 1 if reply is not None else 0,
            "items": json.dumps(items or []),
            "events": event_log.rows_json(events or []),
            "status": status.value,
            "reply": reply,
            "error_code": error.code if error else None,
            "error_message": error.message if error else None,
            "model": model,
            **usage.model_dump(),
        }
        row = await fetch_row(engine, _FINISH.sql, _FINISH.args(values))
        if row is None or not row["released"]:
            raise LeaseLost("another turn took this conversation over")
        return
    # The conversation first: its update checks the lease and locks the row for the rest of the
    # transaction, so no separate locking read is needed (one round trip fewer before `done`).
    released = await session.exec(
        update(Conversation)
        .where(
            col(Conversation.id) == turn.conversation_id, col(Conversation.lease_token) == turn.lease_token
        )
        .values(
            input_tokens=Conversation.input_tokens + usage.input_tokens,
            output_tokens=Conversation.output_tokens + usage.output_tokens,
            total_tokens=Conversation.total_tokens + usage.total_tokens,
            message_count=Conversation.message_count + (1 if reply is not None else 0),
            updated_at=now,
            lease_token=None,
            lease_expires_at=None,
        )
        .returning(col(Conversation.id))
    )
    if released.first() is None:
        raise LeaseLost("another turn took this conversation over")
    await insert_items(session, conversation_id=turn.conversation_id, turn_id=turn.turn_id, items=items or [])
    await event_log.append(session, turn.conversation_id, turn.turn_id, events or [])
    await session.exec(
        update(ChatTurn)
        .where(col(ChatTurn.id) == turn.turn_id)
        .values(
            status=status,
            assistant_message=reply,
            error_code=error.code if error else None,
            error_message=error.message if error else None,
            model=model,
            completed_at=now,
            **usage.model_dump(),
        )
    )
    await session.commit()


async def request_stop(session: AsyncSession, *, user_id: uuid.UUID, conversation_id: uuid.UUID) -> uuid.UUID:
    """Ask the conversation's running turn to stop, wherever it runs; its id. NotFound for a
    conversation not the caller's, NoRunningTurn when nothing is running."""
    now = utcnow()
    running = (
        select(ChatTurn.id)
        .join(Conversation, col(Conversation.id) == ChatTurn.conversation_id)
        .where(
            Conversation.owned(conversation_id, user_id),
            ~Conversation.lease_free(now),
            col(ChatTurn.status) == TurnStatus.running,
        )
    )
    turn_id = (await session.exec(running)).first()
    if turn_id is None:
        if (
            await session.exec(select(Conversation.id).where(Conversation.owned(conversation_id, user_id)))
        ).first():
            raise NoRunningTurn("this conversation is not answering anything")
        raise NotFound(f"conversation {conversation_id} not found")
    await session.exec(
        update(ChatTurn)
        .where(col(ChatTurn.id) == turn_id)
        .values(stop_requested_at=func.coalesce(ChatTurn.stop_requested_at, now))
    )
    await notify(session, STOPS, turn_id)
    await session.commit()
    return turn_id


async def stops_requested(session: AsyncSession, turn_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these turns were asked to stop (for when notifications do not arrive)."""
    stmt = select(ChatTurn.id).where(
        col(ChatTurn.id).in_(turn_ids), col(ChatTurn.stop_requested_at).is_not(None)
    )
    return set((await session.exec(stmt)).all())


async def latest_turn(
    session: AsyncSession, *, user_id: uuid.UUID, conversation_id: uuid.UUID
) -> tuple[ChatTurn | None, bool]:
    """The conversation's newest turn and whether it is running now (a live lease). NotFound for
    a conversation not the caller's."""
    conversation = (
        await session.exec(select(Conversation).where(Conversation.owned(conversation_id, user_id)))
    ).first()
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} not found")
    # LIMIT 1: `first()` alone would still fetch every turn of the conversation.
    newest = col(ChatTurn.seq).desc()
    stmt = select(ChatTurn).where(ChatTurn.conversation_id == conversation_id).order_by(newest).limit(1)
    turn = (await session.exec(stmt)).first()
    alive = conversation.lease_expires_at is not None and conversation.lease_expires_at > utcnow()
    return turn, bool(turn is not None and turn.status == TurnStatus.running and alive)


def title_of(message: str) -> str:
    """A conversation's title: its first message, on one line, cut to TITLE_CHARS."""
    text = " ".join(message.split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"
