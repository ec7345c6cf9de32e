"""Replay on real streams: whatever the provider's fragmentation of text and tool-call arguments,
a replay of an unchanged backend passes, and a changed argument fails naming it."""

import json
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.responses import ResponseFunctionToolCall

from replay.cassette import Cassette, load
from replay.runner import replay
from replay.streams import rewrite
from tests.replay.reassemble import frames, reassemble
from wire import chat_completions, responses
from wire.fragments import Fragments, uneven, whole
from wire.reply import Reply, function_call, message
from wire.sse import chat_body, responses_body

LIBRARY = Path(__file__).resolve().parents[1] / "conversations"
# Both wire APIs, each with later turns that act on a task by its id.
BY_ID = ["03-find-then-complete.responses.jsonl", "04-find-then-delete.chat-completions.jsonl"]


def one_character(text: str) -> list[str]:
    return list(text)


def recut(cassette: Cassette, cut: Fragments) -> Cassette:
    """The same answers, streamed cut by `cut`."""
    exchanges = []
    for exchange in cassette.exchanges:
        chat = exchange.api == "chat_completions"
        reply = reassemble(exchange.response, exchange.headers.get("content-type", ""), chat)
        if reply is not None:
            if chat:
                body = chat_body(chat_completions.chunks(reply, cut, include_usage=True))
            else:
                body = responses_body(responses.stream(reply, cut))
            exchange = replace(exchange, response=body.decode())
        exchanges.append(exchange)
    return replace(cassette, exchanges=exchanges)


@pytest.mark.parametrize("name", BY_ID)
@pytest.mark.parametrize(
    "cut",
    [whole, one_character, uneven(seed=7), uneven(seed=11, largest=3)],
    ids=["whole", "1", "uneven", "tiny"],
)
async def test_any_fragmentation_replays_clean(database_url: str, name: str, cut: Fragments) -> None:
    cassette = load(LIBRARY / name)
    report = await replay(recut(cassette, cut), database_url=database_url)
    assert report.passed, report.describe()
    assert len(report.turns) == len(cassette.turns) >= 3


@pytest.mark.parametrize("name", BY_ID)
async def test_a_changed_argument_fails_naming_it(database_url: str, name: str) -> None:
    cassette = load(LIBRARY / name)
    answers = [
        reassemble(e.response, "text/event-stream", e.api == "chat_completions") for e in cassette.exchanges
    ]
    # The first answer that acts on a task by its id (its arguments arrived in pieces).
    target, task_id = next(
        (n, json.loads(item.arguments)["task_id"])
        for n, answer in enumerate(answers)
        for item in (answer.items if answer else [])
        if isinstance(item, ResponseFunctionToolCall) and "task_id" in item.arguments
    )
    recorded = cassette.exchanges[target]
    if recorded.api == "chat_completions":  # (the Responses API repeats the whole arguments at the end)
        assert task_id not in recorded.response, "the recorded id is split across deltas"
    other = str(uuid.uuid4())
    # The model now names another task: a change made on the whole arguments, fragments and all.
    changed = rewrite(recorded.response, "text/event-stream", lambda s: s.replace(task_id, other))
    assert (
        other
        in reassemble(changed, "text/event-stream", recorded.api == "chat_completions").items[0].arguments
    )
    exchanges = list(cassette.exchanges)
    exchanges[target] = replace(recorded, response=changed)
    report = await replay(replace(cassette, exchanges=exchanges), database_url=database_url)
    assert not report.passed
    failed = next(t for t in report.turns if not t.passed)
    assert failed.seq == recorded.turn
    assert any("task_id" in difference for difference in failed.differences), report.describe()


ids = st.uuids().map(str)


@settings(max_examples=200, deadline=None)
@given(
    recorded=st.lists(ids, min_size=1, max_size=3, unique=True),
    text=st.text(alphabet='abc {}":,é', max_size=30),
    chat=st.booleans(),
    seed=st.integers(0, 10_000),
    largest=st.integers(1, 12),
)
def test_ids_are_rewritten_whatever_the_cut(
    recorded: list[str], text: str, chat: bool, seed: int, largest: int
) -> None:
    now = {old: str(uuid.uuid4()) for old in recorded}
    arguments = json.dumps({"task_id": recorded[0], "others": recorded[1:], "note": text})
    reply = Reply(
        [message(f"{text} {' '.join(recorded)}"), function_call("update_task", arguments, call_id="c1")]
    )
    cut = uneven(seed, largest=largest)
    body = (
        chat_body(chat_completions.chunks(reply, cut))
        if chat
        else responses_body(responses.stream(reply, cut))
    ).decode()

    def swap(value: str) -> str:
        for old, new in now.items():
            value = value.replace(old, new)
        return value

    content_type = "text/event-stream"
    rewritten = rewrite(body, content_type, swap)
    again = reassemble(rewritten, content_type, chat)
    before = reassemble(body, content_type, chat)
    assert again is not None and before is not None
    assert [i.model_dump() for i in again.items] == [
        json.loads(swap(json.dumps(i.model_dump()))) for i in before.items
    ], "the content is the original's, ids swapped"
    assert len(frames(rewritten)) == len(frames(body)), "and the fragmentation is the recorded one"
    assert not any(old in rewritten for old in recorded)
