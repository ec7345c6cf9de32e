"""Portable transcripts: a conversation exported as JSON, and re-created from one.

An import gives the caller a new conversation with new ids; its history (the SDK items, so the
model sees the same context) is restored and can be continued. Nothing is executed and no audit
row is written: the tool calls in a transcript happened somewhere else. What an import accepts
is bounded and checked field by field (`TranscriptImport`, `agent.transcript_items`), and it is
stored in small chunks, so a large one never holds the event loop for long.
"""

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent.conversations import get_conversation
from agent.events import Usage
from agent.memory import assistant_item
from agent.transcript_items import (
    ITEMS_MAX,
    ITEMS_PER_TURN_MAX,
    TURNS_MAX,
    HistoryItem,
    Json,
    Short,
    Text,
    Timestamp,
    TokenCount,
    ToolName,
    bounded,
)
from agent.turns import TITLE_CHARS, UserMessage, title_of
from db.limits import ERROR_CODE_MAX, MODEL_NAME_MAX, TITLE_MAX
from db.models import ActionStatus, ChatTurn, Conversation, ConversationItem, TurnStatus
from db.types import utcnow
from tools.schemas import ToolCall, storable_text

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


def _bounded_text(limit: int) -> Any:
    return Annotated[str, StringConstraints(max_length=limit), AfterValidator(storable_text)]


class ImportedUsage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_tokens: TokenCount = 0
    output_tokens: TokenCount = 0
    total_tokens: TokenCount = 0


class ImportedToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ToolName
    arguments: Annotated[dict[str, Any], BeforeValidator(bounded)] = Field(default_factory=dict)
    status: ActionStatus
    result: Json = None
    error: Text | None = None


class ImportedTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_message: UserMessage
    status: Literal[TurnStatus.completed, TurnStatus.failed, TurnStatus.stopped] = TurnStatus.completed
    error: _bounded_text(ERROR_CODE_MAX) | None = None  # type: ignore[valid-type]
    tool_calls: list[ImportedToolCall] = Field(default_factory=list, max_length=ITEMS_PER_TURN_MAX // 2)
    reply: Text | None = None
    usage: ImportedUsage = Field(default_factory=ImportedUsage)
    model: _bounded_text(MODEL_NAME_MAX) | None = None  # type: ignore[valid-type]
    created_at: Timestamp | None = None
    items: list[HistoryItem] | None = Field(
        None, max_length=ITEMS_PER_TURN_MAX, description="The turn's model history, SDK item format."
    )

    def history(self, seq: int) -> list[dict[str, Any]]:
        if self.items is None:
            return _items(self, seq)
        return [item.model_dump(mode="json", exclude_unset=True) for item in self.items]


class TranscriptImport(BaseModel):
    """A transcript to import: what export gives, within the limits of an import (README)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["todo-chat-transcript"] = "todo-chat-transcript"
    version: Literal[1] = 1
    title: _bounded_text(TITLE_MAX) | None = None  # type: ignore[valid-type]
    provider: Short | None = None
    model: _bounded_text(MODEL_NAME_MAX) | None = None  # type: ignore[valid-type]
    exported_at: Timestamp | None = None
    turns: list[ImportedTurn] = Field(min_length=1, max_length=TURNS_MAX)

    @model_validator(mode="after")
    def _items_in_total(self) -> "TranscriptImport":
        total = sum(len(t.items) if t.items is not None else 2 + 2 * len(t.tool_calls) for t in self.turns)
        if total > ITEMS_MAX:
            raise ValueError(f"{total} history items; at most {ITEMS_MAX} may be imported")
        return self


CHUNK_ROWS, CHUNK_BYTES = 200, 256 * 1024  # one insert's worth: a few ms of encoding each


async def import_transcript(
    session: AsyncSession, *, user_id: uuid.UUID, transcript: TranscriptImport
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
    turn_rows: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    for seq, turn in enumerate(turns, 1):
        created, turn_id = turn.created_at or now, uuid.uuid4()
        turn_rows.append(
            {
                "id": turn_id,
                "conversation_id": conversation.id,
                "user_id": user_id,
                "seq": seq,
                "user_message": turn.user_message,
                "assistant_message_id": uuid.uuid4(),
                "assistant_message": turn.reply,
                "status": turn.status,
                "error_code": turn.error,
                "model": turn.model,
                "created_at": created,
                "completed_at": created,
                **turn.usage.model_dump(),
            }
        )
        item_rows += [
            {"conversation_id": conversation.id, "turn_id": turn_id, "item": item, "created_at": created}
            for item in turn.history(seq)
        ]
    for table, rows in ((ChatTurn, turn_rows), (ConversationItem, item_rows)):
        for chunk in _chunks(rows):
            await session.exec(insert(table), params=chunk)
            await asyncio.sleep(0)  # other requests run between two chunks
    await session.commit()
    return conversation.id


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Rows in insert-sized chunks, by count and by the size of their history item."""
    chunk: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        row_size = len(json.dumps(row["item"])) if "item" in row else 0
        if chunk and (len(chunk) >= CHUNK_ROWS or size + row_size > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(row)
        size += row_size
    if chunk:
        yield chunk


def _items(turn: ImportedTurn, seq: int) -> list[dict[str, Any]]:
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
