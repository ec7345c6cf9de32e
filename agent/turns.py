"""Turn bookkeeping in the database: the lease that serialises a conversation's turns, the turn
rows, and the requests made of a running turn. Each function is one short transaction; none is
held while the model thinks."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from sqlalchemy import func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent import event_log
from agent.errors import ConversationBusy, LeaseLost, NoRunningTurn
from agent.events import TurnEvent, Usage
from agent.failures import TurnErrorCode, TurnFailure
from agent.memory import Item, input_items, insert_items, load_history
from agent.notifier import STOPS, notify
from db.limits import CLIENT_ID_MAX, MESSAGE_MAX
from db.models import ChatTurn, Conversation, TurnStatus, table_of
from db.types import utcnow
from tools.errors import NotFound, UnknownUser
from tools.schemas import no_nul

TITLE_CHARS = 80
_INSERT_CONVERSATION = insert(table_of(Conversation))
_INSERT_TURN = insert(table_of(ChatTurn))
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
class StartedTurn:
    conversation_id: uuid.UUID
    turn_id: uuid.UUID  # also the user message's id
    assistant_message_id: uuid.UUID
    seq: int
    lease_token: uuid.UUID
    history: list[Item]  # the newest items before this turn, in the SDK's format


async def start_turn(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    conversation_id: uuid.UUID | None,
    message: str,
    lease_s: float,
    history_limit: int | None,
    client_id: str | None = None,
    client_message_id: str | None = None,
) -> StartedTurn:
    """Take the conversation's lease (creating the conversation if none is given, or none has
    this client id yet), store the user's message (in the history too) and load the history, in
    one transaction.

    Raises NotFound for an unknown or foreign conversation, ConversationBusy while another turn
    holds an unexpired lease, DuplicateKey when the idempotency key was stored meanwhile."""
    now, token = utcnow(), uuid.uuid4()
    expires = now + timedelta(seconds=lease_s)
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
            "lease_expires_at": expires,
            "created_at": now,
            "updated_at": now,
        }
        try:
            await session.exec(_INSERT_CONVERSATION, params=conversation)
        except IntegrityError as exc:
            await session.rollback()
            if client_id is not None and await conversation_by_client_id(session, user_id, client_id):
                # The same chat's first message, twice at once: the other one created it.
                raise ConversationBusy("this conversation is still answering the previous message") from exc
            raise UnknownUser("invalid or expired token") from exc  # the user row is gone
    else:
        seq = await _take_lease(session, user_id, conversation_id, token, now, expires)
        history = await load_history(
            session, user_id=user_id, conversation_id=conversation_id, limit=history_limit
        )
    turn_id, assistant_message_id = uuid.uuid4(), uuid.uuid4()
    turn = {
        "id": turn_id,
        "conversation_id": conversation_id,
        "user_id": user_id,
        "seq": seq,
        "user_message": message,
        "client_message_id": client_message_id,
        "assistant_message_id": assistant_message_id,
        "created_at": now,
    }
    try:
        await session.exec(_INSERT_TURN, params=turn)
        await insert_items(
            session, conversation_id=conversation_id, turn_id=turn_id, items=input_items(message)
        )
        await session.commit()
    except IntegrityError as exc:  # the unique (user, key) index: a repeat got there first
        await session.rollback()
        raise DuplicateKey(client_message_id) from exc
    return StartedTurn(conversation_id, turn_id, assistant_message_id, seq, token, history)


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
    raise ConversationBusy("this conversation is still answering the previous message; try again shortly")


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
    ours (LeaseLost otherwise: a turn that was taken over writes nothing)."""
    now = utcnow()
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
