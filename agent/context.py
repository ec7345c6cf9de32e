"""The run context: what each tool call of a turn needs, never shown to the model."""

import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import ActionSource
from tools.audit import Origin


@dataclass(frozen=True)
class ChatContext:
    user_id: uuid.UUID
    sessionmaker: async_sessionmaker[AsyncSession]
    conversation_id: uuid.UUID
    turn_id: uuid.UUID  # also the id of the user's message
    seq: int  # the turn's number in its conversation, from 1
    request_id: str | None
    timezone: ZoneInfo
    now: datetime  # the user's "now", in their time zone

    def origin(self) -> Origin:
        return Origin(
            source=ActionSource.chat,
            conversation_id=self.conversation_id,
            message_id=self.turn_id,
            request_id=self.request_id,
        )


# The turn whose work is under way in this task: what is done on its behalf (a model call, a log
# line) can say which conversation and turn it belongs to.
current_turn: ContextVar[ChatContext | None] = ContextVar("current_turn", default=None)
