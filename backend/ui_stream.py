"""A turn's chat events as the Vercel AI SDK's UI message stream (`backend.ui_chunks`).

`UiMessageStream` turns our events into chunks in an order the protocol accepts, whatever order
the events come in: `start` comes first; every `text-delta` sits between its part's
`text-start` and `text-end`; a tool's output follows its announced input, and only once; a
`start-step`/`finish-step` pair wraps each model call — what the model wrote (text, tool calls)
and the results of the tools it called, the last of which ends the step; everything open is closed before
the one `finish`, and nothing follows it. So no sequence of chat events can produce a stream the
client library refuses (`tests/ui_conformance/` feeds it generated sequences to prove it).
"""

import uuid
from collections.abc import AsyncGenerator

from agent.chat import TurnStream
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
from backend import sse
from backend import ui_chunks as ui

HEADERS = {"X-Vercel-AI-UI-Message-Stream": "v1"}
UNFINISHED_CALL = "the turn ended before this tool call finished"
CUT_SHORT = "the reply broke off before the turn ended"


class UiMessageStream:
    """One turn's events in, its UI message chunks out."""

    def __init__(self) -> None:
        self._started = False
        self._ended = False
        self._conversation_id: uuid.UUID | None = None
        self._step_open = False
        self._text_id: str | None = None
        self._texts = 0
        self._wrote_text = False
        self._calls: set[str] = set()  # announced
        self._unanswered: list[str] = []  # announced, no output yet (in order)

    def feed(self, event: ChatEvent) -> list[ui.Chunk]:
        """The chunks that say `event` (none once the stream has finished)."""
        if self._ended:
            return []
        if isinstance(event, ConversationStarted):
            return self._start(event)
        chunks = self._begin()
        if isinstance(event, TextDelta):
            chunks += self._text(event.delta)
        elif isinstance(event, ToolCalled):
            chunks += self._call(event)
        elif isinstance(event, ToolResult):
            chunks += self._result(event)
        elif isinstance(event, MessageCompleted):
            chunks += self._message(event)
        elif isinstance(event, TurnDone):
            chunks += self._done(event)
        else:
            chunks += self._failed(event)
        return chunks

    def end(self) -> list[ui.Chunk]:
        """What closes the stream if the events stopped before the turn's last one."""
        if self._ended:
            return []
        return self._begin() + self._failed(TurnFailed(code=TurnErrorCode.interrupted, message=CUT_SHORT))

    def _start(self, event: ConversationStarted) -> list[ui.Chunk]:
        self._conversation_id = event.conversation_id
        if self._started:
            return []
        self._started = True
        metadata = ui.MessageMetadata(conversation_id=event.conversation_id)
        return [ui.Start(message_id=str(event.assistant_message_id), message_metadata=metadata)]

    def _begin(self) -> list[ui.Chunk]:
        if self._started:
            return []
        self._started = True
        return [ui.Start()]

    def _model_writes(self) -> list[ui.Chunk]:
        """The model is writing: within its step, or in a new one once its tools have answered."""
        if self._step_open:
            return []
        self._step_open = True
        return [ui.StartStep()]

    def _text(self, delta: str) -> list[ui.Chunk]:
        if not delta:
            return []
        chunks = self._model_writes()
        if self._text_id is None:
            self._texts += 1
            self._text_id = f"text-{self._texts}"
            chunks.append(ui.TextStart(id=self._text_id))
        self._wrote_text = True
        return [*chunks, ui.TextDelta(id=self._text_id, delta=delta)]

    def _end_text(self) -> list[ui.Chunk]:
        if self._text_id is None:
            return []
        chunk, self._text_id = ui.TextEnd(id=self._text_id), None
        return [chunk]

    def _call(self, event: ToolCalled) -> list[ui.Chunk]:
        if event.call_id in self._calls:
            return []
        self._calls.add(event.call_id)
        self._unanswered.append(event.call_id)
        return [
            *self._model_writes(),
            *self._end_text(),
            ui.ToolInputStart(tool_call_id=event.call_id, tool_name=event.name),
            ui.ToolInputAvailable(tool_call_id=event.call_id, tool_name=event.name, input=event.arguments),
        ]

    def _result(self, event: ToolResult) -> list[ui.Chunk]:
        chunks: list[ui.Chunk] = []
        if event.call_id not in self._calls:  # never announced: announce it, arguments unknown
            chunks += self._call(ToolCalled(call_id=event.call_id, name=event.name, arguments={}))
        elif event.call_id not in self._unanswered:  # answered already
            return []
        self._unanswered.remove(event.call_id)
        if event.status == "ok":
            output: ui.Chunk = ui.ToolOutputAvailable(tool_call_id=event.call_id, output=event.result)
        else:
            output = ui.ToolOutputError(
                tool_call_id=event.call_id, error_text=event.error or "the tool failed"
            )
        chunks += [*self._end_text(), output]
        # The last call answered ends the model call's step: what the model writes next is another.
        return chunks if self._unanswered else chunks + self._finish_step()

    def _message(self, event: MessageCompleted) -> list[ui.Chunk]:
        # A stream rebuilt from storage has the reply only here, not as deltas before it.
        return [] if self._wrote_text else self._text(event.content)

    def _finish_step(self) -> list[ui.Chunk]:
        chunks = self._end_text()
        if self._step_open:
            chunks.append(ui.FinishStep())
        self._step_open = False
        return chunks

    def _finish(self) -> list[ui.Chunk]:
        """Close everything still open: the text, the calls never answered, the step."""
        self._ended = True
        chunks = self._end_text()
        chunks += [
            ui.ToolOutputError(tool_call_id=call_id, error_text=UNFINISHED_CALL)
            for call_id in self._unanswered
        ]
        self._unanswered = []
        return chunks + self._finish_step()

    def _done(self, event: TurnDone) -> list[ui.Chunk]:
        chunks = self._finish()
        chunks += [ui.DataAction(id=str(action.id), data=action) for action in event.actions]
        metadata = ui.MessageMetadata(
            conversation_id=event.conversation_id,
            usage=_usage(event.usage),
            stopped=True if event.stopped else None,
        )
        if event.stopped:
            return [
                *chunks,
                ui.Abort(reason="stopped"),
                ui.Finish(finish_reason="other", message_metadata=metadata),
            ]
        return [*chunks, ui.Finish(finish_reason="stop", message_metadata=metadata)]

    def _failed(self, event: TurnFailed) -> list[ui.Chunk]:
        metadata = ui.MessageMetadata(conversation_id=self._conversation_id, error_code=event.code)
        return [
            *self._finish(),
            ui.Error(error_text=event.message),
            ui.Finish(finish_reason="error", message_metadata=metadata),
        ]


def _usage(usage: Usage) -> ui.UsageMetadata:
    return ui.UsageMetadata(
        input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, total_tokens=usage.total_tokens
    )


def ui_message_stream(turn: TurnStream) -> sse.EventStreamResponse:
    """The turn as a UI message stream response: `data: <chunk>` frames, then `data: [DONE]`."""
    return sse.EventStreamResponse(frames(turn), headers=HEADERS)


async def frames(turn: TurnStream) -> AsyncGenerator[bytes]:
    """The turn's chunks as SSE frames, the last one `[DONE]`; the chunks of events that were
    ready at once go out in one write."""
    stream = UiMessageStream()
    async for batch in turn.batches(idle_s=sse.KEEPALIVE_S):
        if not batch:
            yield sse.ping(sep="\n")
            continue
        chunks = [chunk for numbered in batch for chunk in stream.feed(numbered.event)]
        if chunks:
            yield b"".join(_frame(chunk.model_dump_json()) for chunk in chunks)
    yield b"".join(_frame(chunk.model_dump_json()) for chunk in stream.end()) + _frame("[DONE]")


def _frame(data: str) -> bytes:
    return sse.frame(data, sep="\n")
