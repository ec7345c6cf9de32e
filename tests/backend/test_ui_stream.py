"""Chat events -> AI SDK UI message chunks: the order the protocol demands, whatever the events;
optional fields left out, never null; the ids; how a turn ends. (`tests/ui_conformance/` runs
the client library itself over the same streams.)"""

import json
import uuid
from typing import Any

from hypothesis import given, settings
from pydantic import TypeAdapter

from agent.events import (
    ChatEvent,
    ConversationStarted,
    MessageCompleted,
    TextDelta,
    ToolCalled,
    ToolResult,
    TurnDone,
    TurnFailed,
    Usage,
)
from agent.failures import TurnErrorCode
from backend import ui_chunks as ui
from backend.ui_stream import UNFINISHED_CALL, UiMessageStream
from db.models import ActionStatus
from tests.ui_events import action, any_sequence, chunks_of, sse_of, turns

CONVERSATION, USER_MESSAGE, REPLY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
STARTED = ConversationStarted(
    conversation_id=CONVERSATION, user_message_id=USER_MESSAGE, assistant_message_id=REPLY
)
USAGE = Usage(input_tokens=30, output_tokens=7, total_tokens=37)
chunk_adapter: TypeAdapter[ui.Chunk] = TypeAdapter(ui.Chunk)


def called(call_id: str, name: str = "create_task") -> ToolCalled:
    return ToolCalled(call_id=call_id, name=name, arguments={"title": "Milk"})


def answered(call_id: str, status: str = "ok", result: Any = None, error: str | None = None) -> ToolResult:
    return ToolResult(
        call_id=call_id,
        name="create_task",
        status=status,  # type: ignore[arg-type]
        result=result,
        error=error,
        duration_ms=2.0,
        action_id=None,
    )


def done(stopped: bool = False, actions: list[Any] | None = None) -> TurnDone:
    return TurnDone(conversation_id=CONVERSATION, usage=USAGE, actions=actions or [], stopped=stopped)


def wire(events: list[ChatEvent]) -> list[dict[str, Any]]:
    return [json.loads(chunk.model_dump_json()) for chunk in chunks_of(events)]


def kinds(events: list[ChatEvent]) -> list[str]:
    return [chunk["type"] for chunk in wire(events)]


def test_a_turn_with_a_tool_call_and_a_reply() -> None:
    task = {"id": "t1", "title": "Milk", "description": None}
    row = action("create_task", ActionStatus.ok, task)
    events: list[ChatEvent] = [
        STARTED,
        called("call_1"),
        answered("call_1", result=task),
        TextDelta(delta="Added "),
        TextDelta(delta="Milk."),
        MessageCompleted(message_id=REPLY, content="Added Milk."),
        done(actions=[row]),
    ]
    metadata = {"conversationId": str(CONVERSATION)}
    assert wire(events) == [
        {"type": "start", "messageId": str(REPLY), "messageMetadata": metadata},
        {"type": "start-step"},
        {"type": "tool-input-start", "toolCallId": "call_1", "toolName": "create_task"},
        {
            "type": "tool-input-available",
            "toolCallId": "call_1",
            "toolName": "create_task",
            "input": {"title": "Milk"},
        },
        {"type": "tool-output-available", "toolCallId": "call_1", "output": task},
        {"type": "finish-step"},
        {"type": "start-step"},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Added "},
        {"type": "text-delta", "id": "text-1", "delta": "Milk."},
        {"type": "text-end", "id": "text-1"},
        {"type": "finish-step"},
        {"type": "data-action", "id": str(row.id), "data": row.model_dump(mode="json")},
        {
            "type": "finish",
            "finishReason": "stop",
            "messageMetadata": {
                **metadata,
                "usage": {"inputTokens": 30, "outputTokens": 7, "totalTokens": 37},
            },
        },
    ]


def test_a_null_output_is_kept_but_absent_optionals_are_left_out() -> None:
    chunks = wire([called("call_1"), answered("call_1", result=None), done()])
    assert chunks[0] == {"type": "start"}, "no messageId, no metadata: absent, not null"
    assert {"type": "tool-output-available", "toolCallId": "call_1", "output": None} in chunks
    for chunk in chunks:
        for key, value in chunk.items():
            assert value is not None or key == "output", chunk


def test_one_text_part_per_run_of_text_with_its_own_id() -> None:
    events: list[ChatEvent] = [
        STARTED,
        TextDelta(delta="Let me look."),
        called("call_1"),
        TextDelta(delta=""),  # nothing to say: no empty part
        answered("call_1"),
        TextDelta(delta="Found "),
        TextDelta(delta="it."),
        done(),
    ]
    chunks = wire(events)
    starts = [c["id"] for c in chunks if c["type"] == "text-start"]
    assert starts == ["text-1", "text-2"]
    assert [c["delta"] for c in chunks if c["type"] == "text-delta"] == ["Let me look.", "Found ", "it."]
    assert [c["id"] for c in chunks if c["type"] == "text-delta"] == ["text-1", "text-2", "text-2"]
    assert kinds(events)[2:7] == [
        "text-start",
        "text-delta",
        "text-end",
        "tool-input-start",
        "tool-input-available",
    ]


def test_a_step_per_model_call() -> None:
    # One model call asks for two tools; both answer; the next call writes the reply.
    events: list[ChatEvent] = [
        STARTED,
        called("a"),
        called("b", "list_tasks"),
        answered("a"),
        answered("b"),
        TextDelta(delta="Both done."),
        done(),
    ]
    assert kinds(events) == [
        "start",
        "start-step",
        "tool-input-start",
        "tool-input-available",
        "tool-input-start",
        "tool-input-available",
        "tool-output-available",
        "tool-output-available",
        "finish-step",
        "start-step",
        "text-start",
        "text-delta",
        "text-end",
        "finish-step",
        "finish",
    ]


def test_the_last_answer_ends_the_step_at_once() -> None:
    stream = UiMessageStream()
    stream.feed(STARTED)
    stream.feed(called("a"))
    stream.feed(called("b"))
    assert [type(c) for c in stream.feed(answered("a"))] == [ui.ToolOutputAvailable], "b still runs"
    assert [type(c) for c in stream.feed(answered("b"))] == [ui.ToolOutputAvailable, ui.FinishStep]


def test_a_failed_tool_says_why() -> None:
    chunks = wire([STARTED, called("call_1"), answered("call_1", "error", error="task not found"), done()])
    assert {"type": "tool-output-error", "toolCallId": "call_1", "errorText": "task not found"} in chunks


def test_a_failed_turn_closes_what_is_open_then_errors_then_finishes() -> None:
    failed = TurnFailed(code=TurnErrorCode.model_unavailable, message="the model is unavailable")
    chunks = wire([STARTED, TextDelta(delta="Work"), called("call_1"), failed])
    assert chunks[-4:] == [
        {"type": "tool-output-error", "toolCallId": "call_1", "errorText": UNFINISHED_CALL},
        {"type": "finish-step"},
        {"type": "error", "errorText": "the model is unavailable"},
        {
            "type": "finish",
            "finishReason": "error",
            "messageMetadata": {"conversationId": str(CONVERSATION), "errorCode": "model_unavailable"},
        },
    ]
    assert {"type": "text-end", "id": "text-1"} in chunks


def test_a_stopped_turn_aborts_and_finishes() -> None:
    chunks = wire(
        [STARTED, TextDelta(delta="Half"), MessageCompleted(message_id=REPLY, content="Half"), done(True)]
    )
    assert [c["type"] for c in chunks] == [
        "start",
        "start-step",
        "text-start",
        "text-delta",
        "text-end",
        "finish-step",
        "abort",
        "finish",
    ]
    assert chunks[-2] == {"type": "abort", "reason": "stopped"}
    assert chunks[-1]["finishReason"] == "other" and chunks[-1]["messageMetadata"]["stopped"] is True


def test_a_turn_rebuilt_from_storage_tells_its_reply_from_the_message() -> None:
    # After its events are purged a turn is replayed from its row: no deltas, the whole reply.
    chunks = wire([STARTED, MessageCompleted(message_id=REPLY, content="All done."), done()])
    assert [c.get("delta") for c in chunks if c["type"] == "text-delta"] == ["All done."]
    streamed = wire(
        [
            STARTED,
            TextDelta(delta="All done."),
            MessageCompleted(message_id=REPLY, content="All done."),
            done(),
        ]
    )
    assert [c.get("delta") for c in streamed if c["type"] == "text-delta"] == ["All done."], "not twice"


def test_nothing_follows_the_finish() -> None:
    stream = UiMessageStream()
    for event in (STARTED, done()):
        stream.feed(event)
    assert stream.feed(TextDelta(delta="late")) == [] and stream.feed(done()) == [] and stream.end() == []


def test_a_stream_cut_short_still_ends() -> None:
    chunks = wire([STARTED, TextDelta(delta="Hal")])
    assert [c["type"] for c in chunks][-4:] == ["text-end", "finish-step", "error", "finish"]
    assert chunks[-1]["messageMetadata"]["errorCode"] == "interrupted"


def test_calls_are_announced_once_and_answered_once() -> None:
    chunks = wire([STARTED, called("x"), called("x"), answered("y"), answered("y"), answered("x"), done()])
    announced = [c["toolCallId"] for c in chunks if c["type"] == "tool-input-available"]
    outputs = [c["toolCallId"] for c in chunks if c["type"].startswith("tool-output")]
    assert announced == ["x", "y"], "a result for a call never made is announced first"
    assert outputs == ["y", "x"]


async def test_the_frames_end_with_done() -> None:
    body = await sse_of([STARTED, TextDelta(delta="hi"), done()])
    frames = body.split("\n\n")
    assert frames[-2:] == ["data: [DONE]", ""]
    assert all(frame.startswith("data: {") for frame in frames[:-2])
    assert "\r" not in body


def check_protocol(chunks: list[ui.Chunk]) -> None:
    """The rules the client library enforces (and a few it trusts us with), in Python."""
    assert chunks and isinstance(chunks[0], ui.Start), "start first"
    assert isinstance(chunks[-1], ui.Finish), "finish last"
    open_texts: set[str] = set()
    seen_texts: set[str] = set()
    announced: set[str] = set()
    answered_calls: set[str] = set()
    step_open = False
    for chunk in chunks[1:-1]:
        assert not isinstance(chunk, ui.Start | ui.Finish), "one start, one finish"
        sent = chunk.model_dump_json()
        data = json.loads(sent)
        # (Compared as sent: the sent form leaves out keys the AI SDK refuses, see ui.js_safe.)
        assert chunk_adapter.validate_python(data).model_dump_json() == sent, (
            "what is sent reads back the same"
        )
        assert all(value is not None for key, value in data.items() if key != "output"), data
        if isinstance(chunk, ui.StartStep):
            assert not step_open, "steps do not nest"
            step_open = True
        elif isinstance(chunk, ui.FinishStep):
            assert step_open and not open_texts, "a step ends after its text"
            step_open = False
        elif isinstance(chunk, ui.TextStart):
            assert step_open and chunk.id not in seen_texts, "a new id for each text part"
            open_texts.add(chunk.id)
            seen_texts.add(chunk.id)
        elif isinstance(chunk, ui.TextDelta):
            assert chunk.id in open_texts, "a delta inside its part"
        elif isinstance(chunk, ui.TextEnd):
            open_texts.remove(chunk.id)
        elif isinstance(chunk, ui.ToolInputStart):
            assert step_open and chunk.tool_call_id not in announced
            announced.add(chunk.tool_call_id)
        elif isinstance(chunk, ui.ToolOutputAvailable | ui.ToolOutputError):
            assert chunk.tool_call_id in announced - answered_calls, "output once, for an announced call"
            answered_calls.add(chunk.tool_call_id)
    assert not step_open and not open_texts and announced == answered_calls, "all closed before finish"


@settings(max_examples=300)
@given(any_sequence)
def test_any_sequence_of_events_makes_a_valid_stream(events: list[ChatEvent]) -> None:
    check_protocol(chunks_of(events))


@settings(max_examples=200)
@given(turns())
def test_every_turn_makes_a_valid_stream_with_its_text(events: list[ChatEvent]) -> None:
    chunks = chunks_of(events)
    check_protocol(chunks)
    sent = "".join(e.delta for e in events if isinstance(e, TextDelta))
    read = "".join(c.delta for c in chunks if isinstance(c, ui.TextDelta))
    assert read == sent or (not sent and isinstance(events[-1], TurnDone))


def test_keys_the_ai_sdk_refuses_are_left_out() -> None:
    """The AI SDK's parser refuses a chunk holding `__proto__`, or `constructor.prototype`, anywhere;
    arguments come from the model, so the view leaves such keys out (the audit trail keeps them)."""
    arguments = {
        "title": "x",
        "__proto__": {"admin": True},
        "tags": [{"constructor": {"prototype": {"polluted": 1}, "name": "kept"}}],
    }
    chunk = ui.ToolInputAvailable(tool_call_id="call_1", tool_name="create_task", input=arguments)
    assert json.loads(chunk.model_dump_json())["input"] == {
        "title": "x",
        "tags": [{"constructor": {"name": "kept"}}],
    }
    assert arguments["__proto__"] == {"admin": True}, "the event itself is unchanged"
