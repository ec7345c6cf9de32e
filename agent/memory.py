"""The conversation's memory: the Agents SDK `Session` over our `conversation_items` table, scoped
to one user's conversation. (The SDK calls it a session; here "session" is a database session.)

The SDK keeps history in its own item format (Responses input items, also for Chat Completions),
so tool calls and their outputs go back to the model exactly as they happened.

A turn's database work is kept to a few short transactions: the history is loaded with the
lease (see `agent.turns`), and the items the SDK adds during the turn are held here and written
with the turn's outcome, success or failure, in one transaction (`pending`).
"""

import uuid
from typing import Any, cast

from agents.items import TResponseInputItem
from agents.memory import SessionSettings
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Conversation, ConversationItem


def _owned(user_id: uuid.UUID, conversation_id: uuid.UUID) -> Any:
    # The join keeps the scope in SQL: a conversation of another user yields nothing.
    return (
        select(ConversationItem)
        .join(Conversation, col(Conversation.id) == ConversationItem.conversation_id)
        .where(Conversation.owned(conversation_id, user_id))
    )


async def load_history(
    session: AsyncSession, *, user_id: uuid.UUID, conversation_id: uuid.UUID, limit: int | None
) -> list[dict[str, Any]]:
    """The newest `limit` items, oldest first: one indexed query, whatever the history's length."""
    stmt = _owned(user_id, conversation_id).order_by(col(ConversationItem.id).desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = (await session.exec(stmt)).all()
    return [row.item for row in reversed(rows)]


class ConversationMemory:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        user_id: uuid.UUID,
        conversation_id: uuid.UUID,
        turn_id: uuid.UUID,
        limit: int | None,
        history: list[dict[str, Any]] | None = None,
    ) -> None:
        self.session_id = str(conversation_id)
        self.session_settings: SessionSettings | None = SessionSettings(limit=limit)
        self._limit = limit
        self._sessionmaker = sessionmaker
        self._user_id = user_id
        self._conversation_id = conversation_id
        self._turn_id = turn_id
        self._history = history  # preloaded; None reads the database
        self.pending: list[dict[str, Any]] = []  # added this turn, not yet written

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        limit = limit if limit is not None else self._limit
        if self._history is None:
            async with self._sessionmaker() as session:
                self._history = await load_history(
                    session, user_id=self._user_id, conversation_id=self._conversation_id, limit=limit
                )
        items = self._history + self.pending
        # Stored as the SDK gave them: JSON objects of the Responses input item shapes.
        return cast(list[TResponseInputItem], paired(items[-limit:] if limit is not None else items))

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        self.pending.extend(cast(list[dict[str, Any]], items))

    def rows(self) -> list[ConversationItem]:
        """The pending items as rows of this turn, to be written with its outcome."""
        return [
            ConversationItem(conversation_id=self._conversation_id, turn_id=self._turn_id, item=item)
            for item in self.pending
        ]

    async def pop_item(self) -> TResponseInputItem | None:
        if self.pending:
            return cast(TResponseInputItem, self.pending.pop())
        async with self._sessionmaker() as session:
            stmt = (
                _owned(self._user_id, self._conversation_id)
                .order_by(col(ConversationItem.id).desc())
                .limit(1)
            )
            row = (await session.exec(stmt)).first()
            if row is None:
                return None
            await session.delete(row)
            await session.commit()
        self._history = None
        return cast(TResponseInputItem, row.item)

    async def clear_session(self) -> None:
        self.pending.clear()
        self._history = []
        async with self._sessionmaker() as session:
            owned = select(Conversation.id).where(Conversation.owned(self._conversation_id, self._user_id))
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
