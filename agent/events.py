"""The SSE protocol of POST /api/chat: one small model per event, named by `event`."""

import uuid
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

from tools.schemas import ActionPublic


class ChatEvent(BaseModel):
    event: ClassVar[str]


class ConversationStarted(ChatEvent):
    event: ClassVar[str] = "conversation"
    conversation_id: uuid.UUID
    user_message_id: uuid.UUID


class TextDelta(ChatEvent):
    event: ClassVar[str] = "text_delta"
    delta: str


class ToolCalled(ChatEvent):
    event: ClassVar[str] = "tool_call"
    call_id: str
    name: str
    arguments: dict[str, Any]


class ToolResult(ChatEvent):
    event: ClassVar[str] = "tool_result"
    call_id: str
    name: str
    status: Literal["ok", "error"]
    result: Any | None
    error: str | None
    duration_ms: float | None
    action_id: uuid.UUID | None


class MessageCompleted(ChatEvent):
    event: ClassVar[str] = "message"
    message_id: uuid.UUID
    content: str


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0


class TurnDone(ChatEvent):
    event: ClassVar[str] = "done"
    conversation_id: uuid.UUID
    usage: Usage
    actions: list[ActionPublic]


class TurnFailed(ChatEvent):
    event: ClassVar[str] = "error"
    code: str
    message: str
