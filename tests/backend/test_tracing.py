"""Traces: one chat turn is one trace under its HTTP request, read like the turn went, with the
GenAI conventions; content only on request; nothing ever for OpenAI's trace ingestion."""

import json
from typing import Any

import pytest
from agents import add_trace_processor
from agents.tracing import TracingProcessor
from agents.tracing.processors import BackendSpanExporter, default_processor
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from backend.telemetry import genai
from tests.chat import Chat, chat_app
from tests.provider import call, failure, text

CONTENT = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
)


def finished(chat: Chat, exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    chat.app.state.telemetry.tracer_provider.force_flush()
    return list(exporter.get_finished_spans())


def named(spans: list[ReadableSpan], prefix: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name.startswith(prefix)]


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


async def a_turn(database_url: str, **settings: Any) -> tuple[list[ReadableSpan], list[Any]]:
    exporter = InMemorySpanExporter()
    steps = (call("create_task", {"title": "Milk"}, call_id="call_milk", usage=(30, 7)), text("Added."))
    async with chat_app(database_url, *steps, span_exporter=exporter, **settings) as chat:
        events = await chat.events("add milk")
        return finished(chat, exporter), events


async def test_a_turn_is_one_trace_under_its_request(database_url: str) -> None:
    spans, events = await a_turn(database_url)
    (request,) = [s for s in spans if s.kind == SpanKind.SERVER]
    (agent,) = named(spans, "invoke_agent")
    model_calls = named(spans, "chat ")
    (tool,) = named(spans, "execute_tool")

    assert request.name == "POST /api/chat" and attributes(request)["http.route"] == "/api/chat"
    assert {span.context.trace_id for span in spans} == {request.context.trace_id}
    assert parent_of(agent) == request.context.span_id
    assert [parent_of(s) for s in [*model_calls, tool]] == [agent.context.span_id] * 3
    assert [s.name for s in sorted([*model_calls, tool], key=lambda s: s.start_time or 0)] == [
        "chat gpt-test",
        "execute_tool create_task",
        "chat gpt-test",
    ]

    conversation = events[0][2]["conversation_id"]
    assert agent.name == "invoke_agent todo-assistant"
    assert attributes(agent) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "todo-assistant",
        "gen_ai.conversation.id": conversation,
        "gen_ai.provider.name": "openai",
    }
    first = attributes(model_calls[0])
    assert model_calls[0].kind == SpanKind.CLIENT
    assert (first["gen_ai.operation.name"], first["gen_ai.response.model"]) == ("chat", "gpt-test")
    assert (first["gen_ai.usage.input_tokens"], first["gen_ai.usage.output_tokens"]) == (30, 7)
    assert first["gen_ai.response.id"]
    assert attributes(tool) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "create_task",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.id": "call_milk",
    }
    assert not [key for span in spans for key in attributes(span) if key in CONTENT]


async def test_content_only_when_asked_for(database_url: str) -> None:
    spans, _ = await a_turn(database_url, otel={"genai_capture_content": True})
    (tool,) = named(spans, "execute_tool")
    assert json.loads(attributes(tool)["gen_ai.tool.call.arguments"]) == {"title": "Milk"}
    assert json.loads(attributes(tool)["gen_ai.tool.call.result"])["title"] == "Milk"
    first = attributes(named(spans, "chat ")[0])
    assert "add milk" in first["gen_ai.input.messages"]
    assert "create_task" in first["gen_ai.output.messages"]


async def test_a_failed_model_call_is_an_error_span(database_url: str) -> None:
    exporter = InMemorySpanExporter()
    async with chat_app(database_url, failure(500), span_exporter=exporter) as chat:
        await chat.events("hi")
        spans = finished(chat, exporter)
    (model_call,) = named(spans, "chat")
    assert model_call.status.status_code == StatusCode.ERROR
    assert attributes(model_call)["error.type"] == "model_error"
    assert model_call.status.description == "Error streaming response"


async def test_without_an_endpoint_there_are_no_traces(database_url: str) -> None:
    async with chat_app(database_url, text("hi")) as chat:
        await chat.events("hello")
        assert chat.app.state.telemetry.tracer_provider is None


async def test_nothing_goes_to_openais_trace_ingestion(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    exported: list[object] = []
    monkeypatch.setattr(BackendSpanExporter, "export", lambda _, items: exported.extend(items))
    await a_turn(database_url)
    default_processor().force_flush()  # type: ignore[no-untyped-call]  # the SDK's default exporter would send what it was given
    assert exported == []


class Spy(TracingProcessor):
    def __init__(self) -> None:
        self.seen: list[object] = []

    def on_trace_start(self, trace: object) -> None:
        self.seen.append(trace)

    def on_trace_end(self, trace: object) -> None:
        self.seen.append(trace)

    def on_span_start(self, span: object) -> None:
        self.seen.append(span)

    def on_span_end(self, span: object) -> None:
        self.seen.append(span)

    def shutdown(self) -> None:
        pass

    def force_flush(self) -> None:
        pass


@pytest.mark.parametrize("tracing", [True, False])
async def test_agent_tracing_off_records_no_sdk_spans(database_url: str, tracing: bool) -> None:
    spy = Spy()
    async with chat_app(database_url, text("ok"), agent={"tracing": tracing}) as chat:
        add_trace_processor(spy)  # beside ours, which the app installed in place of the SDK's default
        try:
            await chat.events("hi")
        finally:
            genai.install()  # the processors are process-wide: leave them as the app set them
    assert bool(spy.seen) is tracing
