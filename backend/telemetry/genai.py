"""The Agents SDK's spans as OpenTelemetry GenAI spans and metrics.

One trace processor, installed for the whole process in place of the SDK's default exporter (so
nothing is ever sent to OpenAI's trace ingestion), maps each run to the GenAI conventions under
the HTTP request that started the turn: `invoke_agent {agent}` with the conversation id, `chat
{model}` with its usage for each model call, `execute_tool {tool}` with the call id for each tool
call. The SDK's own run and loop-step spans have no counterpart: their children move up. Model
calls also feed `gen_ai.client.operation.duration` and `gen_ai.client.token.usage`. Message and
tool content go on the spans only with `OTEL_GENAI_CAPTURE_CONTENT=true`.
"""

import json
import logging
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import agents
from agents.tracing import Span as SdkSpan
from agents.tracing import Trace, TracingProcessor
from agents.tracing.span_data import AgentSpanData, FunctionSpanData, GenerationSpanData, ResponseSpanData
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, StatusCode

from agent.context import current_turn
from agent.function_tools import ToolOutcome
from backend.telemetry.providers import Telemetry, current

log = logging.getLogger(__name__)
PROVIDER = "openai"  # the wire protocol the model is spoken to in, whoever serves it
ModelCall = ResponseSpanData | GenerationSpanData
MODEL_ERROR = "model_error"  # the turn's error event says which; a span only that the call failed


@dataclass
class _Open:
    """An SDK span under way: where its children hang, and its GenAI span if it has one."""

    telemetry: Telemetry
    context: Context
    span: Span | None
    started: float


class GenAiProcessor(TracingProcessor):
    def __init__(self) -> None:
        self._open: dict[str, _Open] = {}

    def on_span_start(self, span: SdkSpan[Any]) -> None:
        telemetry = current.get()
        if telemetry is None:  # a run outside any app's request (a script, a benchmark)
            return
        parent = self._open.get(span.parent_id) if span.parent_id else None
        # The run's first span hangs under the HTTP request's, current in the turn's task.
        context = parent.context if parent else otel_context.get_current()
        tracer, opening = telemetry.tracer, _opening(span.span_data)
        genai = None
        if tracer is not None and opening is not None:
            name, kind, attributes = opening
            genai = tracer.start_span(name, context, kind, attributes)
        children = trace.set_span_in_context(genai, context) if genai else context
        self._open[span.span_id] = _Open(telemetry, children, genai, perf_counter())

    def on_span_end(self, span: SdkSpan[Any]) -> None:
        opened = self._open.pop(span.span_id, None)
        if opened is None:
            return
        data, error = span.span_data, span.error
        if isinstance(data, ModelCall):
            _measure(opened, data, error is not None)
        if opened.span is None:
            return
        _close(opened.span, data, opened.telemetry.capture_content)
        if error is not None:  # the SDK's message is generic ("Error getting response") and safe
            kind = MODEL_ERROR if isinstance(data, ModelCall) else "agent_error"
            opened.span.set_attribute("error.type", kind)
            opened.span.set_status(StatusCode.ERROR, error["message"])
        opened.span.end()

    def on_trace_start(self, trace: Trace) -> None:
        pass

    def on_trace_end(self, trace: Trace) -> None:
        pass

    def shutdown(self) -> None:
        self._open.clear()

    def force_flush(self) -> None:
        pass


PROCESSOR = GenAiProcessor()


def install() -> None:
    """Make ours the SDK's only trace processor: its default one exports to OpenAI."""
    agents.set_trace_processors([PROCESSOR])


def _opening(data: Any) -> tuple[str, SpanKind, dict[str, Any]] | None:
    if isinstance(data, AgentSpanData):
        attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": data.name}
        turn = current_turn.get()
        if turn is not None:
            attributes["gen_ai.conversation.id"] = str(turn.conversation_id)
        return f"invoke_agent {data.name}", SpanKind.INTERNAL, attributes | {"gen_ai.provider.name": PROVIDER}
    if isinstance(data, ModelCall):
        attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": PROVIDER}
        if isinstance(data, GenerationSpanData) and data.model:
            attributes["gen_ai.request.model"] = data.model
        return "chat", SpanKind.CLIENT, attributes
    if isinstance(data, FunctionSpanData):
        attributes = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": data.name}
        return f"execute_tool {data.name}", SpanKind.INTERNAL, attributes | {"gen_ai.tool.type": "function"}
    return None


def _close(span: Span, data: Any, capture_content: bool) -> None:
    """What is known once the SDK's span ends: the model and usage, the tool call's id."""
    if isinstance(data, ModelCall):
        model = _model(data)
        if model:
            span.update_name(f"chat {model}")
            span.set_attribute("gen_ai.response.model", model)
        if isinstance(data, ResponseSpanData) and data.response is not None:
            span.set_attribute("gen_ai.response.id", data.response.id)
        usage = data.usage or {}
        for kind in ("input", "output"):
            if f"{kind}_tokens" in usage:
                span.set_attribute(f"gen_ai.usage.{kind}_tokens", usage[f"{kind}_tokens"])
        if capture_content:
            span.set_attributes(_messages(data))
    elif isinstance(data, FunctionSpanData):
        if isinstance(data.output, ToolOutcome):  # our tools; the output is only there when the
            outcome = data.output  # run keeps sensitive data, as ChatService's runs do
            span.set_attribute("gen_ai.tool.call.id", outcome.call_id)
            if outcome.action is None or outcome.action.status == "error":
                span.set_attribute("error.type", "tool_error")
                span.set_status(StatusCode.ERROR)
        if capture_content:
            span.set_attribute("gen_ai.tool.call.arguments", data.input or "")
            span.set_attribute("gen_ai.tool.call.result", str(data.output) if data.output is not None else "")


def _measure(opened: _Open, data: ModelCall, failed: bool) -> None:
    instruments = opened.telemetry.instruments
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": PROVIDER}
    model = _model(data)
    if model:
        attributes["gen_ai.response.model"] = model
    if failed:
        attributes["error.type"] = MODEL_ERROR
    instruments.model_duration.record(perf_counter() - opened.started, attributes)
    usage = data.usage or {}
    for kind in ("input", "output"):
        if f"{kind}_tokens" in usage:
            instruments.model_tokens.record(usage[f"{kind}_tokens"], attributes | {"gen_ai.token.type": kind})


def _model(data: ModelCall) -> str | None:
    if isinstance(data, ResponseSpanData):
        return data.response.model if data.response is not None else None
    return data.model


def _messages(data: ModelCall) -> dict[str, str]:
    """The call's input and output, as the provider's JSON items (opt-in: they are user content)."""
    content: dict[str, Any]
    if isinstance(data, ResponseSpanData):
        response = data.response
        output = [item.model_dump(mode="json") for item in response.output] if response else []
        content = {"gen_ai.input.messages": data.input, "gen_ai.output.messages": output}
    else:
        content = {"gen_ai.input.messages": data.input, "gen_ai.output.messages": data.output}
    return {
        key: json.dumps(value, default=str, ensure_ascii=False) for key, value in content.items() if value
    }
