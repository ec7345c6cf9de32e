"""Reading and deleting conversations, always scoped to their owner."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent.errors import ConversationBusy
from agent.events import Usage
from db.models import Action, ChatTurn, Conversation, TurnStatus
from db.types import utcnow
from tools.errors import NotFound
from tools.paging import Page, fetch_page
from tools.schemas import ActionPublic


class ConversationSummary(BaseModel):
    id: uuid.UUID
    title: str
    message_count: int
    usage: Usage
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, conversation: Conversation) -> "ConversationSummary":
        return cls(
            id=conversation.id,
            title=conversation.title,
            message_count=conversation.message_count,
            usage=Usage.model_validate(conversation, from_attributes=True),
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
        )


ConversationPage = Page[ConversationSummary]


class Message(BaseModel):
    id: uuid.UUID
    role: str
    content: str
    created_at: datetime


class ErrorSummary(BaseModel):
    code: str
    message: str | None


class TurnView(BaseModel):
    """One exchange: the user's message, the reply (if the turn succeeded) and the actions taken."""

    id: uuid.UUID
    status: TurnStatus
    user_message: Message
    assistant_message: Message | None
    error: ErrorSummary | None
    actions: list[ActionPublic]
    usage: Usage
    model: str | None

    @classmethod
    def of(cls, turn: ChatTurn, actions: list[ActionPublic]) -> "TurnView":
        reply = None
        if turn.assistant_message is not None:
            reply = Message(
                id=turn.assistant_message_id,
                role="assistant",
                content=turn.assistant_message,
                created_at=turn.completed_at or turn.created_at,
            )
        return cls(
            id=turn.id,
            status=turn.status,
            user_message=Message(
                id=turn.id, role="user", content=turn.user_message, created_at=turn.created_at
            ),
            assistant_message=reply,
            error=ErrorSummary(code=turn.error_code, message=turn.error_message) if turn.error_code else None,
            actions=actions,
            usage=Usage.model_validate(turn, from_attributes=True),
            model=turn.model,
        )


class ConversationDetail(ConversationSummary):
    turns: list[TurnView] = Field(description="In order; each with its user and assistant message.")


async def list_conversations(
    session: AsyncSession, *, user_id: uuid.UUID, limit: int, offset: int
) -> ConversationPage:
    return await fetch_page(
        session,
        Conversation,
        ConversationSummary.of,
        where=[col(Conversation.user_id) == user_id],
        order_by=[col(Conversation.updated_at).desc(), col(Conversation.id).desc()],
        limit=limit,
        offset=offset,
    )


async def owned_conversation(
    session: AsyncSession, *, user_id: uuid.UUID, conversation_id: uuid.UUID
) -> Conversation:
    stmt = select(Conversation).where(Conversation.owned(conversation_id, user_id))
    conversation = (await session.exec(stmt)).one_or_none()
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} not found")
    return conversation


async def get_conversation(
    session: AsyncSession, *, user_id: uuid.UUID, conversation_id: uuid.UUID
) -> ConversationDetail:
    conversation = await owned_conversation(session, user_id=user_id, conversation_id=conversation_id)
    turns = (
        await session.exec(
            select(ChatTurn).where(ChatTurn.conversation_id == conversation_id).order_by(col(ChatTurn.seq))
        )
    ).all()
    actions = (
        await session.exec(
            select(Action)
            .where(Action.conversation_id == conversation_id, Action.user_id == user_id)
            .order_by(col(Action.created_at))
        )
    ).all()
    by_turn: dict[uuid.UUID | None, list[ActionPublic]] = {}
    for action in actions:
        by_turn.setdefault(action.message_id, []).append(ActionPublic.model_validate(action))
    views = [TurnView.of(turn, by_turn.get(turn.id, [])) for turn in turns]
    return ConversationDetail(**ConversationSummary.of(conversation).model_dump(), turns=views)


async def delete_conversation(
    session: AsyncSession, *, user_id: uuid.UUID, conversation_id: uuid.UUID
) -> None:
    """Delete the conversation and its history; its audit rows stay. Refused while a turn runs.

    One conditional statement, so a turn that starts meanwhile either keeps its conversation or
    never finds it."""
    result = await session.exec(
        delete(Conversation).where(
            Conversation.owned(conversation_id, user_id), Conversation.lease_free(utcnow())
        )
    )
    await session.commit()
    if result.rowcount == 0:
        await owned_conversation(session, user_id=user_id, conversation_id=conversation_id)  # NotFound
        raise ConversationBusy("this conversation is still answering; delete it once the reply is done")
