"""Chat event sequences for the UI message stream tests: Hypothesis strategies for realistic
turns and for any sequence at all, the stream the server makes of them, and what a client should
read from that stream."""

import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from agent.chat import Replay
from agent.events import (
    ChatEvent,
    ConversationStarted,
    MessageCompleted,
    TextDelta,
    ToolCalled,
    ToolResult,
    TurnDone,
    TurnEvent,
    TurnFailed,
    Usage,
)
from agent.failures import TurnErrorCode
from backend import ui_chunks as ui
from backend.ui_stream import UiMessageStream, frames
from db.models import ActionSource, ActionStatus
from tools.registry import OPERATIONS
from tools.schemas import ActionPublic

TOOLS = tuple(OPERATIONS)
CALL_IDS = ("call_1", "call_2", "call_3")

# codec="utf-8": no lone surrogates, which are not text.
texts = st.text(st.characters(codec="utf-8"), max_size=12)
# Keys as a model may send them, including those the AI SDK's parser refuses (see ui.js_safe).
keys = texts | st.sampled_from(["__proto__", "constructor", "prototype"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)
arguments = st.dictionaries(keys, json_values, max_size=3)


def action(tool: str, status: ActionStatus, result: Any) -> ActionPublic:
    return ActionPublic(
        id=uuid.uuid4(),
        tool=tool,
        arguments={"title": "Milk"},
        status=status,
        result=result if status == ActionStatus.ok else None,
        error=None if status == ActionStatus.ok else "not found",
        duration_ms=1.5,
        source=ActionSource.chat,
        conversation_id=None,
        message_id=None,
        request_id=None,
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


actions = st.builds(action, st.sampled_from(TOOLS), st.sampled_from(ActionStatus), json_values)
usages = st.builds(Usage, input_tokens=st.integers(0, 10**6), output_tokens=st.integers(0, 10**6))
conversations = st.builds(
    ConversationStarted,
    conversation_id=st.uuids(),
    user_message_id=st.uuids(),
    assistant_message_id=st.uuids(),
)
deltas = st.builds(TextDelta, delta=texts)


def calls(call_ids: st.SearchStrategy[str] = st.sampled_from(CALL_IDS)) -> st.SearchStrategy[ToolCalled]:
    return st.builds(ToolCalled, call_id=call_ids, name=st.sampled_from(TOOLS), arguments=arguments)


def results(call_id: st.SearchStrategy[str], name: st.SearchStrategy[str]) -> st.SearchStrategy[ToolResult]:
    return st.builds(
        ToolResult,
        call_id=call_id,
        name=name,
        status=st.sampled_from(["ok", "error"]),
        result=json_values,
        error=st.none() | texts,
        duration_ms=st.none() | st.floats(0, 1e4),
        action_id=st.none() | st.uuids(),
    )


messages = st.builds(MessageCompleted, message_id=st.uuids(), content=texts)
dones = st.builds(
    TurnDone,
    conversation_id=st.uuids(),
    usage=usages,
    actions=st.lists(actions, max_size=3),
    stopped=st.booleans(),
)
failures = st.builds(TurnFailed, code=st.sampled_from(TurnErrorCode), message=texts)
any_event: st.SearchStrategy[ChatEvent] = st.one_of(
    conversations,
    deltas,
    calls(),
    results(st.sampled_from(CALL_IDS), st.sampled_from(TOOLS)),
    messages,
    dones,
    failures,
)
# Anything at all, in any order: duplicates, results of calls never made, events after the end.
any_sequence = st.lists(any_event, max_size=25)


@st.composite
def turns(draw: st.DrawFn) -> list[ChatEvent]:
    """A turn as ChatService tells it: model calls that write text and call tools, the tools'
    results, then done, stopped, failed (possibly mid-step) or cut off with no last event."""
    events: list[ChatEvent] = [draw(conversations)]
    for step in range(draw(st.integers(0, 3))):
        events += draw(st.lists(deltas, max_size=3))
        made = draw(st.lists(calls(st.just(f"call_{step}")), max_size=1))
        made += draw(st.lists(calls(st.just(f"call_{step}b")), max_size=1))
        events += made
        answered = draw(st.permutations(made))[: draw(st.integers(0, len(made)))]
        events += [draw(results(st.just(c.call_id), st.just(c.name))) for c in answered]
    events += draw(st.lists(deltas, max_size=3))
    ending = draw(st.sampled_from(["done", "stopped", "failed", "cut"]))
    if ending in ("done", "stopped"):
        content = "".join(e.delta for e in events if isinstance(e, TextDelta))
        events.append(MessageCompleted(message_id=uuid.uuid4(), content=content or draw(texts)))
        events.append(draw(dones).model_copy(update={"stopped": ending == "stopped"}))
    elif ending == "failed":
        events.append(draw(failures))
    return events


def chunks_of(events: list[ChatEvent]) -> list[ui.Chunk]:
    stream = UiMessageStream()
    return [chunk for event in events for chunk in stream.feed(event)] + stream.end()


async def sse_of(events: list[ChatEvent]) -> str:
    """The response body the server sends for a turn told by these events."""
    numbered = [TurnEvent(n, event) for n, event in enumerate(events, 1)]
    return "".join([frame.decode() async for frame in frames(Replay(numbered))])


def expected_message(chunks: list[ui.Chunk]) -> dict[str, Any]:
    """What a client should read from these chunks, in the shape `summary` gives a UIMessage."""
    parts: list[dict[str, Any]] = []
    texts_by_id: dict[str, dict[str, Any]] = {}
    tools: dict[str, dict[str, Any]] = {}
    metadata: dict[str, Any] = {}
    message_id = None
    for chunk in chunks:
        if isinstance(chunk, ui.Start | ui.Finish):
            if isinstance(chunk, ui.Start) and chunk.message_id is not None:
                message_id = chunk.message_id
            if chunk.message_metadata is not None:
                metadata |= chunk.message_metadata.model_dump(mode="json")
        elif isinstance(chunk, ui.StartStep):
            parts.append({"type": "step-start"})
        elif isinstance(chunk, ui.TextStart):
            texts_by_id[chunk.id] = {"type": "text", "text": ""}
            parts.append(texts_by_id[chunk.id])
        elif isinstance(chunk, ui.TextDelta):
            texts_by_id[chunk.id]["text"] += chunk.delta
        elif isinstance(chunk, ui.ToolInputAvailable):
            tools[chunk.tool_call_id] = {
                "type": f"tool-{chunk.tool_name}",
                "toolCallId": chunk.tool_call_id,
                "state": "input-available",
            }
            parts.append(tools[chunk.tool_call_id])
        elif isinstance(chunk, ui.ToolOutputAvailable | ui.ToolOutputError):
            tools[chunk.tool_call_id]["state"] = (
                "output-available" if isinstance(chunk, ui.ToolOutputAvailable) else "output-error"
            )
        elif isinstance(chunk, ui.DataAction):
            parts.append({"type": "data-action", "id": chunk.id})
    return {"id": message_id, "metadata": metadata, "parts": parts}


def summary(message: dict[str, Any]) -> dict[str, Any]:
    """A UIMessage as the client library built it, cut to what `expected_message` predicts."""
    keep = {
        "step-start": (),
        "text": ("text",),
        "data-action": ("id",),
    }
    parts = []
    for part in message["parts"]:
        kind = part["type"]
        if kind.startswith("tool-"):
            parts.append({"type": kind, "toolCallId": part["toolCallId"], "state": part["state"]})
        else:
            parts.append({"type": kind, **{key: part[key] for key in keep[kind]}})
    return {"id": message["id"] or None, "metadata": message.get("metadata") or {}, "parts": parts}
