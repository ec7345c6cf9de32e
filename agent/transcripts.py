"""Portable transcripts: a conversation exported as JSON, and re-created from one.

An import gives the caller a new conversation with new ids; its history (the SDK items, so the
model sees the same context) is restored and can be continued. Nothing is executed and no audit
row is written: the tool calls in a transcript happened somewhere else.
"""

import json
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent.conversations import get_conversation
from agent.events import Usage
from agent.memory import assistant_item
from agent.turns import TITLE_CHARS, UserMessage, title_of
from db.models import ActionStatus, ChatTurn, Conversation, ConversationItem, TurnStatus
from db.types import utcnow
from tools.schemas import ToolCall

FORMAT = "todo-chat-transcript"


class TranscriptTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_message: UserMessage
    status: TurnStatus = TurnStatus.completed
    error: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    reply: str | None = None
    usage: Usage = Field(default_factory=Usage)
    model: str | None = None
    created_at: datetime | None = None
    items: list[dict[str, Any]] | None = Field(None, description="The turn's model history, SDK item format.")


class Transcript(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["todo-chat-transcript"] = "todo-chat-transcript"
    version: Literal[1] = 1
    title: str | None = None
    provider: str | None = None
    model: str | None = None
    exported_at: datetime | None = None
    turns: list[TranscriptTurn] = Field(min_length=1, max_length=1000)


async def export_transcript(
    session: AsyncSession, *, user_id: uuid.UUID, conversation_id: uuid.UUID, provider: str
) -> Transcript:
    detail = await get_conversation(session, user_id=user_id, conversation_id=conversation_id)
    rows = (
        await session.exec(
            select(ConversationItem)
            .where(ConversationItem.conversation_id == conversation_id)
            .order_by(col(ConversationItem.id))
        )
    ).all()
    items: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in rows:
        items.setdefault(row.turn_id, []).append(row.item)
    turns = [
        TranscriptTurn(
            user_message=turn.user_message.content,
            status=turn.status,
            error=turn.error.code if turn.error else None,
            tool_calls=[action.tool_call() for action in turn.actions],
            reply=turn.assistant_message.content if turn.assistant_message else None,
            usage=turn.usage,
            model=turn.model,
            created_at=turn.user_message.created_at,
            items=items.get(turn.id, []),
        )
        for turn in detail.turns
    ]
    model = next((t.model for t in reversed(turns) if t.model), None)
    return Transcript(title=detail.title, provider=provider, model=model, exported_at=utcnow(), turns=turns)


async def import_transcript(
    session: AsyncSession, *, user_id: uuid.UUID, transcript: Transcript
) -> uuid.UUID:
    now = utcnow()
    turns = transcript.turns
    replies = sum(t.reply is not None for t in turns)
    conversation = Conversation(
        user_id=user_id,
        title=(transcript.title or title_of(turns[0].user_message))[:TITLE_CHARS],
        turn_count=len(turns),
        message_count=len(turns) + replies,
        created_at=now,
        updated_at=now,
        input_tokens=sum(t.usage.input_tokens for t in turns),
        output_tokens=sum(t.usage.output_tokens for t in turns),
        total_tokens=sum(t.usage.total_tokens for t in turns),
    )
    session.add(conversation)
    await session.flush()  # the parent row first (no ORM relationship orders the inserts)
    rows: list[ConversationItem] = []
    for seq, turn in enumerate(turns, 1):
        created = turn.created_at or now
        row = ChatTurn(
            conversation_id=conversation.id,
            user_id=user_id,
            seq=seq,
            user_message=turn.user_message,
            assistant_message=turn.reply,
            status=turn.status,
            error_code=turn.error,
            model=turn.model,
            created_at=created,
            completed_at=created,
            **turn.usage.model_dump(),
        )
        session.add(row)
        history = turn.items if turn.items is not None else _items(turn, seq)
        rows.extend(
            ConversationItem(conversation_id=conversation.id, turn_id=row.id, item=i) for i in history
        )
    await session.flush()
    session.add_all(rows)
    await session.commit()
    return conversation.id


def _items(turn: TranscriptTurn, seq: int) -> list[dict[str, Any]]:
    """History in the SDK's item format, for a transcript that carries none."""
    items: list[dict[str, Any]] = [{"role": "user", "content": turn.user_message}]
    for n, call in enumerate(turn.tool_calls, 1):
        call_id = f"call_imported_{seq}_{n}"
        output = call.result if call.status == ActionStatus.ok else {"error": call.error}
        items += [
            {
                "type": "function_call",
                "call_id": call_id,
                "name": call.name,
                "arguments": json.dumps(call.arguments),
            },
            {"type": "function_call_output", "call_id": call_id, "output": json.dumps(output)},
        ]
    if turn.reply is not None:
        items.append(assistant_item(turn.reply))
    return items
