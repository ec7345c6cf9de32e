"""A turn's events folded into one reply, for callers that do not stream."""

import uuid

from pydantic import BaseModel

from agent.chat import TurnStream, events
from agent.events import MessageCompleted, TurnDone, TurnFailed, Usage
from agent.failures import TurnErrorCode, TurnFailure
from tools.schemas import ActionPublic


class ReplyMessage(BaseModel):
    id: uuid.UUID
    content: str


class ChatReply(BaseModel):
    conversation_id: uuid.UUID
    message: ReplyMessage
    actions: list[ActionPublic]
    usage: Usage


async def collect_reply(turn: TurnStream) -> ChatReply:
    """The turn's reply once it is done; raises TurnFailure if it failed."""
    message: MessageCompleted | None = None
    async for numbered in events(turn):
        match numbered.event:
            case MessageCompleted() as completed:
                message = completed
            case TurnDone() as done if message is not None:
                return ChatReply(
                    conversation_id=done.conversation_id,
                    message=ReplyMessage(id=message.message_id, content=message.content),
                    actions=done.actions,
                    usage=done.usage,
                )
            case TurnFailed() as failed:
                raise TurnFailure(failed.code, failed.message)
    raise TurnFailure(TurnErrorCode.internal_error, "the turn ended without a reply")
