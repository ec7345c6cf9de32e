"""What a turn costs the database: a fixed number of short transactions, whatever the history.
A turn with one tool call commits its start (lease, message, history read), the tool's effect
with its audit row, the step's history, the events so far (at the tool result) and its outcome
with the reply — five. A sixth would be a round trip, a pooled connection and ORM work per turn.
On PostgreSQL all but the tool's are one statement each (`db/driver.py`), its own transaction,
outside SQLAlchemy's view: one round trip where BEGIN, the statements and COMMIT were each one."""

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from agent import event_log, memory, turns
from db.driver import fetch_row
from tests.chat import chat_app
from tests.provider import call, text


async def test_a_turn_with_one_tool_call_commits_five_transactions(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_log, "FLUSH_S", 60.0)  # a slow machine's timer flush is not the turn's cost
    steps = (call("create_task", {"title": "Count me"}, call_id="c1"), text("Added."))
    async with chat_app(database_url, *steps, *steps) as chat:
        first = await chat.events("add it")  # the first turn also creates the conversation
        sessions: list[object] = []
        statements: list[str] = []

        def committed(connection: object) -> None:
            sessions.append(connection)

        async def statement(engine: AsyncEngine, sql: str, args: Sequence[Any]) -> Mapping[Any, Any] | None:
            statements.append(sql)
            return await fetch_row(engine, sql, args)

        for module in (turns, memory, event_log):
            monkeypatch.setattr(module, "fetch_row", statement)
        engine = chat.app.state.engine.sync_engine
        event.listen(engine, "commit", committed)
        try:
            events = await chat.events("add it again", first[0][2]["conversation_id"])
        finally:
            event.remove(engine, "commit", committed)
    assert [name for name, _, _ in events][-1] == "done"
    assert len(sessions) == 1, "the tool's effect and its audit row: the one session transaction"
    kinds = ("start_turn", "FOR UPDATE", "pg_notify", "released")
    assert sorted(next(kind for kind in kinds if kind in sql) for sql in statements) == sorted(
        [
            "start_turn",  # the lease, the message, the history
            "FOR UPDATE",  # the step's history, under the lease (while the events below are written)
            "pg_notify",  # the events up to the tool result
            "released",  # the outcome, the reply, the last events; the lease let go
        ]
    )
