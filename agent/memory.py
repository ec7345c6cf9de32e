"""The conversation's memory: the Agents SDK `Session` over our `conversation_items` table, scoped
to one user's conversation. (The SDK calls it a session; here "session" is a database session.)

The SDK keeps history in its own item format (Responses input items, also for Chat Completions),
so tool calls and their outputs go back to the model exactly as they happened.

History is written step by step: the user's message with the turn's start, then each tool call
with its output as soon as it ran, then the reply with the turn's outcome. Each is committed at
once: if the instance dies mid-turn, the next turn's model still sees what was done. Riding on the
turn's start and end saves two transactions a turn; nothing is committed later than before, since
the reply only counts once the turn is stored. A write is refused once the turn no longer holds
its conversation's lease (another instance took over), so a stale turn never adds to a history
that has moved on.
"""

import json
import uuid
from typing import Any, cast

from agents.items import ItemHelpers, TResponseInputItem
from agents.memory import SessionSettings
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent.errors import LeaseLost
from agent.retry import retrying
from db.driver import Compiled, fetch_row, postgresql_engine
from db.models import Conversation, ConversationItem, table_of
from db.types import utcnow

Item = dict[str, Any]
# A step that holds none of these is the model's last: the SDK runs tools until there are none.
TOOL_ITEM_TYPES = frozenset({"function_call", "function_call_output"})


def _owned(user_id: uuid.UUID, conversation_id: uuid.UUID, what: Any = ConversationItem) -> Any:
    # The join keeps the scope in SQL: a conversation of another user yields nothing.
    return (
        select(what)
        .join(Conversation, col(Conversation.id) == ConversationItem.conversation_id)
        .where(Conversation.owned(conversation_id, user_id))
    )


async def load_history(
    session: AsyncSession, *, user_id: uuid.UUID, conversation_id: uuid.UUID, limit: int | None
) -> list[Item]:
    """The newest `limit` items, oldest first: one indexed query, whatever the history's length.
    Only the items are read: a full row object each would cost a third more (every turn, per item)."""
    stmt = _owned(user_id, conversation_id, ConversationItem.item).order_by(col(ConversationItem.id).desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    items: list[Item] = list((await session.exec(stmt)).all())
    items.reverse()
    return items


# append_items on PostgreSQL: the lease's row lock and the inserts in one statement.
_APPEND = Compiled.named(
    """
    WITH held AS (
        SELECT c.id FROM conversations c
        WHERE c.id = :conversation_id AND c.lease_token = :lease_token
        FOR UPDATE
    ), added AS (
        INSERT INTO conversation_items (conversation_id, turn_id, item, created_at)
        SELECT h.id, :turn_id, e.item, :now
        FROM held h, jsonb_array_elements(CAST(:items AS jsonb)) WITH ORDINALITY AS e(item, n)
        ORDER BY e.n
    )
    SELECT count(*) AS held FROM held
    """
)


async def append_items(
    session: AsyncSession,
    *,
    conversation_id: uuid.UUID,
    turn_id: uuid.UUID,
    lease_token: uuid.UUID,
    items: list[Item],
) -> None:
    """Add a turn's items to the history, in the caller's transaction, if the turn still holds
    the conversation's lease (the row lock keeps a takeover from slipping in between). On
    PostgreSQL, one statement of its own (`_APPEND`), not the caller's transaction."""
    engine = postgresql_engine(session.bind)
    if engine is not None:
        values = {
            "conversation_id": conversation_id,
            "lease_token": lease_token,
            "turn_id": turn_id,
            "now": utcnow(),
            "items": json.dumps(items),
        }
        row = await fetch_row(engine, _APPEND.sql, _APPEND.args(values))
        if row is None or not row["held"]:
            raise LeaseLost("another turn took this conversation over")
        return
    held = (
        select(Conversation.id)
        .where(col(Conversation.id) == conversation_id, col(Conversation.lease_token) == lease_token)
        .with_for_update()
    )
    if (await session.exec(held)).first() is None:
        raise LeaseLost("another turn took this conversation over")
    await insert_items(session, conversation_id=conversation_id, turn_id=turn_id, items=items)


async def insert_items(
    session: AsyncSession, *, conversation_id: uuid.UUID, turn_id: uuid.UUID, items: list[Item]
) -> None:
    # One INSERT of plain rows: the ORM's unit of work would cost more than the write itself.
    if items:
        now = utcnow()
        rows = [
            {"conversation_id": conversation_id, "turn_id": turn_id, "item": item, "created_at": now}
            for item in items
        ]
        await session.exec(insert(table_of(ConversationItem)), params=rows)


class ConversationMemory:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        user_id: uuid.UUID,
        conversation_id: uuid.UUID,
        turn_id: uuid.UUID,
        lease_token: uuid.UUID,
        limit: int | None,
        history: list[Item] | None = None,
        stored_input: list[Item] | None = None,
    ) -> None:
        self.session_id = str(conversation_id)
        self.session_settings: SessionSettings | None = SessionSettings(limit=limit)
        self._limit = limit
        self._sessionmaker = sessionmaker
        self._user_id = user_id
        self._conversation_id = conversation_id
        self._turn_id = turn_id
        self._lease_token = lease_token
        self._history = history  # preloaded with the lease; None reads the database
        self.added: list[Item] = []  # this turn's items, as written
        self._stored_input = stored_input  # the turn's input, written with its start
        self.held: list[Item] = []  # the reply, for the turn's outcome to write

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        limit = limit if limit is not None else self._limit
        if self._history is None:
            async with self._sessionmaker() as session:
                self._history = await load_history(
                    session, user_id=self._user_id, conversation_id=self._conversation_id, limit=limit
                )
        items = self._history + self.added
        # Stored as the SDK gave them: JSON objects of the Responses input item shapes.
        return cast(list[TResponseInputItem], paired(items[-limit:] if limit is not None else items))

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        await self.write(cast(list[Item], items))

    async def write(self, items: list[Item]) -> None:
        """Commit `items` to the history now, riding out a short database outage (raises
        LeaseLost when the turn lost its lease) — unless the turn's start wrote them already (its
        input), or they end the turn (no tool call: the reply), which its outcome writes."""
        if not items:
            return
        if items == self._stored_input:
            self._stored_input = None
            self.added.extend(items)
            return
        if not any(item.get("type") in TOOL_ITEM_TYPES for item in items):
            self.held.extend(items)
            self.added.extend(items)
            return
        # Not the last step after all: what was held goes first, in the order the SDK gave it.
        batch = self.held + items

        async def attempt() -> None:
            async with self._sessionmaker() as session:
                await append_items(
                    session,
                    conversation_id=self._conversation_id,
                    turn_id=self._turn_id,
                    lease_token=self._lease_token,
                    items=batch,
                )
                await session.commit()

        await retrying(attempt, f"writing the history of turn {self._turn_id}")
        self.held = []
        self.added.extend(items)

    async def pop_item(self) -> TResponseInputItem | None:
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
        self._history, self.added = None, []
        return cast(TResponseInputItem, row.item)

    async def clear_session(self) -> None:
        self._history, self.added = [], []
        async with self._sessionmaker() as session:
            owned = select(Conversation.id).where(Conversation.owned(self._conversation_id, self._user_id))
            await session.exec(
                delete(ConversationItem).where(col(ConversationItem.conversation_id).in_(owned))
            )
            await session.commit()


def input_items(message: str) -> list[Item]:
    """A user's message as history items: what the SDK writes for a run's text input."""
    return cast(list[Item], ItemHelpers.input_to_new_input_list(message))


def assistant_item(text: str) -> Item:
    """A reply as a history item, in the shape the SDK stores the model's messages."""
    return {
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def paired(items: list[Item]) -> list[Item]:
    """What can be sent to a model: no tool call without its output, no output without its call,
    and no reasoning item without the item it preceded.

    A window cut can separate an output from its call, and a turn that was stopped or failed
    mid-way can leave a call without its output; reasoning models (the gpt-5 family) return
    reasoning items before their calls and messages, and the Responses API rejects a reasoning
    item sent back alone. Providers reject each of these, so none reaches the model."""
    calls = {i.get("call_id") for i in items if i.get("type") == "function_call"}
    outputs = {i.get("call_id") for i in items if i.get("type") == "function_call_output"}
    keep = [
        not (item.get("type") == "function_call" and item.get("call_id") not in outputs)
        and not (item.get("type") == "function_call_output" and item.get("call_id") not in calls)
        for item in items
    ]
    # From the end, so that a reasoning item sees whether the item after it stays.
    for index in reversed(range(len(items))):
        if items[index].get("type") == "reasoning":
            after = index + 1
            keep[index] = after < len(items) and keep[after] and items[after].get("type") != "reasoning"
    return [item for item, kept in zip(items, keep, strict=True) if kept]
