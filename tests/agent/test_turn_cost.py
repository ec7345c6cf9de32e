"""What a turn costs the database: a fixed number of short transactions, whatever the history.
A turn with one tool call commits its start (lease, message, history read), the tool's effect
with its audit row, the step's history, the events so far (at the tool result) and its outcome
with the reply — five. A sixth would be a round trip, a pooled connection and ORM work per turn.
On PostgreSQL the start is one statement, a transaction of its own outside SQLAlchemy's view."""

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from agent import event_log, turns
from tests.chat import chat_app
from tests.provider import call, text


async def test_a_turn_with_one_tool_call_commits_five_transactions(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_log, "FLUSH_S", 60.0)  # a slow machine's timer flush is not the turn's cost
    steps = (call("create_task", {"title": "Count me"}, call_id="c1"), text("Added."))
    async with chat_app(database_url, *steps, *steps) as chat:
        first = await chat.events("add it")  # the first turn also creates the conversation
        commits: list[object] = []

        def committed(connection: object) -> None:
            commits.append(connection)

        async def statement(engine: AsyncEngine, sql: str, args: Sequence[Any]) -> Mapping[Any, Any] | None:
            commits.append(sql)
            return await fetch_row(engine, sql, args)

        fetch_row = turns.fetch_row
        monkeypatch.setattr(turns, "fetch_row", statement)

        engine = chat.app.state.engine.sync_engine
        event.listen(engine, "commit", committed)
        try:
            events = await chat.events("add it again", first[0][2]["conversation_id"])
        finally:
            event.remove(engine, "commit", committed)
    assert [name for name, _, _ in events][-1] == "done"
    assert len(commits) == 5, f"{len(commits)} commits"
    assert sum(isinstance(c, str) and "start_turn" in c for c in commits) == 1, "the start: one statement"
