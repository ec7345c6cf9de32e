"""The Agents SDK `Session` over our `conversation_items` table, scoped to one user's conversation.

The SDK keeps history in its own item format (Responses input items, also for Chat Completions),
so tool calls and their outputs go back to the model exactly as they happened.
"""

import uuid
from typing import Any

from agents.memory import SessionSettings
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Conversation, ConversationItem


class ConversationSession:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        user_id: uuid.UUID,
        conversation_id: uuid.UUID,
        turn_id: uuid.UUID,
        limit: int | None,
    ) -> None:
        self.session_id = str(conversation_id)
        self.session_settings = SessionSettings(limit=limit)
        self._sessionmaker = sessionmaker
        self._user_id = user_id
        self._conversation_id = conversation_id
        self._turn_id = turn_id

    def _owned(self) -> Any:
        # The join keeps the scope in SQL: a conversation of another user yields nothing.
        return (
            select(ConversationItem)
            .join(Conversation, col(Conversation.id) == ConversationItem.conversation_id)
            .where(Conversation.id == self._conversation_id, Conversation.user_id == self._user_id)
        )

    async def get_items(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The newest `limit` items, oldest first: one indexed query, whatever the history's length."""
        limit = limit if limit is not None else self.session_settings.limit
        stmt = self._owned().order_by(col(ConversationItem.id).desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        async with self._sessionmaker() as session:
            rows = (await session.exec(stmt)).all()
        return paired([row.item for row in reversed(rows)])

    async def add_items(self, items: list[Any]) -> None:
        if not items:
            return
        async with self._sessionmaker() as session:
            session.add_all(
                ConversationItem(conversation_id=self._conversation_id, turn_id=self._turn_id, item=item)
                for item in items
            )
            await session.commit()

    async def pop_item(self) -> dict[str, Any] | None:
        async with self._sessionmaker() as session:
            row = (
                await session.exec(self._owned().order_by(col(ConversationItem.id).desc()).limit(1))
            ).first()
            if row is None:
                return None
            await session.delete(row)
            await session.commit()
            return row.item

    async def clear_session(self) -> None:
        async with self._sessionmaker() as session:
            owned = select(Conversation.id).where(
                Conversation.id == self._conversation_id, Conversation.user_id == self._user_id
            )
            await session.exec(
                delete(ConversationItem).where(col(ConversationItem.conversation_id).in_(owned))
            )
            await session.commit()


def paired(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop tool calls and tool outputs whose partner is not in the window.

    A window cut can separate an output from its call, and a turn that failed mid-way can leave a
    call without its output; providers reject either, so neither reaches the model."""
    calls = {i.get("call_id") for i in items if i.get("type") == "function_call"}
    outputs = {i.get("call_id") for i in items if i.get("type") == "function_call_output"}
    return [
        item
        for item in items
        if not (item.get("type") == "function_call" and item.get("call_id") not in outputs)
        and not (item.get("type") == "function_call_output" and item.get("call_id") not in calls)
    ]
