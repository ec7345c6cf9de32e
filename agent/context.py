"""The run context: what each tool call needs, never shown to the model."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import ActionSource
from tools.audit import Origin
from tools.schemas import ActionPublic


@dataclass
class ChatContext:
    user_id: uuid.UUID
    sessionmaker: async_sessionmaker[AsyncSession]
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    request_id: str | None
    timezone: ZoneInfo
    now: datetime
    # The audit row of each tool call of this turn, by the model's call id, in call order.
    actions: dict[str, ActionPublic] = field(default_factory=dict)

    def origin(self) -> Origin:
        return Origin(
            source=ActionSource.chat,
            conversation_id=self.conversation_id,
            message_id=self.message_id,
            request_id=self.request_id,
        )
