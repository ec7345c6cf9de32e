"""Turn bookkeeping in the database: the lease that serialises a conversation's turns, and the
turn rows. Each function is one short transaction; none is held while the model thinks."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints
from sqlalchemy import case, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent.errors import ConversationBusy
from agent.events import Usage
from agent.failures import TurnErrorCode, TurnFailure
from agent.memory import load_history
from db.limits import MESSAGE_MAX
from db.models import ChatTurn, Conversation, ConversationItem, TurnStatus
from db.types import utcnow
from tools.errors import NotFound, UnknownUser
from tools.schemas import no_nul

TITLE_CHARS = 80
# What a user may send as one chat message, whichever route or transcript it comes by.
UserMessage = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MESSAGE_MAX),
    AfterValidator(no_nul),
]


@dataclass(frozen=True)
class StartedTurn:
    conversation_id: uuid.UUID
    turn_id: uuid.UUID  # also the user message's id
    assistant_message_id: uuid.UUID
    seq: int
    lease_token: uuid.UUID
    history: list[dict[str, Any]]  # the newest items before this turn, in the SDK's format


async def start_turn(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    conversation_id: uuid.UUID | None,
    message: str,
    lease_s: float,
    history_limit: int | None,
) -> StartedTurn:
    """Take the conversation's lease (creating the conversation if none is given), store the
    user's message and load the history, in one transaction. Raises NotFound for an unknown or
    foreign conversation, ConversationBusy while another turn holds an unexpired lease."""
    now, token = utcnow(), uuid.uuid4()
    expires = now + timedelta(seconds=lease_s)
    if conversation_id is None:
        conversation = Conversation(
            user_id=user_id,
            title=title_of(message),
            turn_count=1,
            message_count=1,
            lease_token=token,
            lease_expires_at=expires,
            created_at=now,
            updated_at=now,
        )
        session.add(conversation)
        try:
            await session.flush()  # no ORM relationship orders the two inserts: the parent goes first
        except IntegrityError as exc:  # the foreign key says it: the token's user is gone
            await session.rollback()
            raise UnknownUser("invalid or expired token") from exc
        conversation_id, seq, history = conversation.id, 1, []
    else:
        seq = await _take_lease(session, user_id, conversation_id, token, now, expires)
        history = await load_history(
            session, user_id=user_id, conversation_id=conversation_id, limit=history_limit
        )
    turn = ChatTurn(
        conversation_id=conversation_id, user_id=user_id, seq=seq, user_message=message, created_at=now
    )
    session.add(turn)
    await session.commit()
    return StartedTurn(conversation_id, turn.id, turn.assistant_message_id, seq, token, history)


async def _take_lease(
    session: AsyncSession,
    user_id: uuid.UUID,
    conversation_id: uuid.UUID,
    token: uuid.UUID,
    now: datetime,
    expires: datetime,
) -> int:
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
        .returning(col(Conversation.turn_count))
    )
    seq = (await session.exec(stmt)).scalar_one_or_none()
    if seq is not None:
        # A turn whose instance died holding an expired lease never finished: say so.
        await session.exec(
            update(ChatTurn)
            .where(
                col(ChatTurn.conversation_id) == conversation_id, col(ChatTurn.status) == TurnStatus.running
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


async def renew_lease(session: AsyncSession, turn: StartedTurn, lease_s: float) -> bool:
    """Extend our lease; False when it is no longer ours (it expired and another turn took it)."""
    stmt = (
        update(Conversation)
        .where(
            col(Conversation.id) == turn.conversation_id, col(Conversation.lease_token) == turn.lease_token
        )
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s))
    )
    renewed = (await session.exec(stmt)).rowcount == 1
    await session.commit()
    return renewed


async def finish_turn(
    session: AsyncSession,
    turn: StartedTurn,
    *,
    reply: str | None,
    usage: Usage,
    model: str | None,
    items: list[ConversationItem],
    error: TurnFailure | None = None,
) -> None:
    """Store the turn's history items and outcome, add the usage to the conversation's totals and
    release the lease: one transaction."""
    now = utcnow()
    session.add_all(items)
    await session.exec(
        update(ChatTurn)
        .where(col(ChatTurn.id) == turn.turn_id)
        .values(
            status=TurnStatus.failed if error else TurnStatus.completed,
            assistant_message=reply,
            error_code=error.code if error else None,
            error_message=error.message if error else None,
            model=model,
            completed_at=now,
            **usage.model_dump(),
        )
    )
    await session.exec(
        update(Conversation)
        .where(col(Conversation.id) == turn.conversation_id)
        .values(
            input_tokens=Conversation.input_tokens + usage.input_tokens,
            output_tokens=Conversation.output_tokens + usage.output_tokens,
            total_tokens=Conversation.total_tokens + usage.total_tokens,
            message_count=Conversation.message_count + (1 if reply is not None else 0),
            updated_at=now,
            # Only our own lease is released: a lease that expired and was taken over stays.
            lease_token=func.nullif(Conversation.lease_token, turn.lease_token),
            lease_expires_at=_keep_unless_ours(turn.lease_token),
        )
    )
    await session.commit()


def _keep_unless_ours(token: uuid.UUID) -> Any:
    return case((col(Conversation.lease_token) == token, None), else_=Conversation.lease_expires_at)


def title_of(message: str) -> str:
    """A conversation's title: its first message, on one line, cut to TITLE_CHARS."""
    text = " ".join(message.split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"
