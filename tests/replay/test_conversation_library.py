"""The recorded conversations in tests/conversations replay as recorded, on PostgreSQL."""

from pathlib import Path

import pytest

from replay.cassette import load
from replay.runner import replay

LIBRARY = sorted((Path(__file__).resolve().parents[1] / "conversations").glob("*.jsonl"))


def test_the_library_covers_what_it_should() -> None:
    cassettes = [load(path) for path in LIBRARY]
    assert len(cassettes) >= 12
    assert {c.api for c in cassettes} == {"responses", "chat_completions"}
    tools = {call["name"] for c in cassettes for t in c.turns for call in t.tool_calls}
    assert tools == {"create_task", "read_task", "update_task", "delete_task", "list_tasks"}
    statuses = {call["status"] for c in cassettes for t in c.turns for call in t.tool_calls}
    assert statuses == {"ok", "error"}, "a tool error is in the library"
    assert any(not t.tool_calls for c in cassettes for t in c.turns), "and a reply without a tool"
    assert {t.timezone for c in cassettes for t in c.turns} - {"UTC"}, "and a time zone other than UTC"
    longest = max(len(e.body["input"]) for c in cassettes for e in c.exchanges if "input" in e.body)
    assert longest > 50, "a conversation long enough to be trimmed"


@pytest.mark.parametrize("path", LIBRARY, ids=[p.name.removesuffix(".jsonl") for p in LIBRARY])
async def test_recorded_conversation_replays(path: Path, database_url: str) -> None:
    report = await replay(load(path), database_url=database_url)
    assert report.passed, report.describe()
