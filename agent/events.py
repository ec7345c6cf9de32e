"""The chat stream's protocol: one small model per event, told apart by its `type`.

On the wire (Server-Sent Events) `type` is the SSE `event:` name and the rest of the model is the
`data:` JSON; the `id:` is the event's number in its conversation (see `TurnEvent`). The OpenAPI
description of the chat routes is generated from these types.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from agent.failures import TurnErrorCode
from tools.schemas import ActionPublic

# Event ids: the turn's number in its conversation times this, plus the event's position in the
# turn, so ids are unique and increasing across a conversation's turns.
EVENTS_PER_TURN = 1_000_000


class Usage(BaseModel):
    """Tokens the model read and wrote (summed over a turn's model calls, or a conversation's turns)."""

    input_tokens: int = Field(0, ge=0)
    output_tokens: int = Field(0, ge=0)
    total_tokens: int = Field(0, ge=0)

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class ConversationStarted(BaseModel):
    """First, before the model is called: where this turn is stored, and the id its reply will have."""

    type: Literal["conversation"] = Field("conversation", exclude=True)
    conversation_id: uuid.UUID
    user_message_id: uuid.UUID
    assistant_message_id: uuid.UUID


class TextDelta(BaseModel):
    """Reply text, as the model writes it."""

    type: Literal["text_delta"] = Field("text_delta", exclude=True)
    delta: str


class ToolCalled(BaseModel):
    """The model called a tool (arguments as a JSON object; `{"raw": text}` if they were not one)."""

    type: Literal["tool_call"] = Field("tool_call", exclude=True)
    call_id: str
    name: str
    arguments: dict[str, Any]


class ToolResult(BaseModel):
    """The tool finished: its audit row, as the model's call id and the row's fields."""

    type: Literal["tool_result"] = Field("tool_result", exclude=True)
    call_id: str
    name: str
    status: Literal["ok", "error"]
    result: Any | None
    error: str | None
    duration_ms: float | None
    action_id: uuid.UUID | None

    @classmethod
    def of(cls, call_id: str, name: str, action: ActionPublic | None, error: str) -> "ToolResult":
        """From the call's audit row; without one (it could not be recorded), failed with `error`."""
        if action is None:
            return cls(
                call_id=call_id,
                name=name,
                status="error",
                result=None,
                error=error,
                duration_ms=None,
                action_id=None,
            )
        return cls(
            call_id=call_id,
            name=action.tool,
            status=action.status.value,
            result=action.result,
            error=action.error,
            duration_ms=action.duration_ms,
            action_id=action.id,
        )


class MessageCompleted(BaseModel):
    """The complete reply."""

    type: Literal["message"] = Field("message", exclude=True)
    message_id: uuid.UUID
    content: str


class TurnDone(BaseModel):
    """Last event of a turn that succeeded (or was stopped: `stopped`): its usage and every audit
    row it wrote."""

    type: Literal["done"] = Field("done", exclude=True)
    conversation_id: uuid.UUID
    usage: Usage
    actions: list[ActionPublic]
    stopped: bool = False


class TurnFailed(BaseModel):
    """Last event of a turn that failed, with a stable code (see `agent.failures.TurnErrorCode`)."""

    type: Literal["error"] = Field("error", exclude=True)
    code: TurnErrorCode
    message: str


ChatEvent = Annotated[
    ConversationStarted | TextDelta | ToolCalled | ToolResult | MessageCompleted | TurnDone | TurnFailed,
    Field(discriminator="type"),
]
CHAT_EVENTS: tuple[type[BaseModel], ...] = (
    ConversationStarted,
    TextDelta,
    ToolCalled,
    ToolResult,
    MessageCompleted,
    TurnDone,
    TurnFailed,
)
chat_event_adapter: TypeAdapter[ChatEvent] = TypeAdapter(ChatEvent)


@dataclass(frozen=True)
class TurnEvent:
    """An event with its id: unique and increasing within its conversation."""

    id: int
    event: ChatEvent

    @property
    def name(self) -> str:
        return self.event.type
