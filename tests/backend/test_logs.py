"""Log lines: JSON on request, with the request id and, inside a trace, the trace id; stamped by
a filter on our handler, with the process's record factory left alone."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from backend.logs import HANDLER_NAME
from tests.chat import chat_app


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What our handler prints, once an app configured it (the next app configures it again)."""
    handler = next(h for h in logging.getLogger().handlers if h.name == HANDLER_NAME)
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(io.StringIO())
    try:
        yield handler.stream
    finally:
        handler.setStream(previous)


@pytest.mark.usefixtures("app")  # an app configured the handler
async def test_json_lines_carry_the_request_and_trace_ids(database_url: str, log_lines: io.StringIO) -> None:
    exporter = InMemorySpanExporter()
    async with chat_app(
        database_url, log={"level": "INFO", "format": "json"}, span_exporter=exporter
    ) as chat:
        response = await chat.client.get(
            "/api/tasks", headers={**chat.user.headers, "X-Request-ID": "req-42"}
        )
        assert response.status_code == 200
        chat.app.state.telemetry.tracer_provider.force_flush()
    (request_span,) = exporter.get_finished_spans()
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    access = next(line for line in lines if line["logger"] == "backend.access")
    assert access["message"].startswith("GET /api/tasks 200")
    assert access["request_id"] == "req-42"
    assert access["trace_id"] == format(request_span.context.trace_id, "032x")
    assert access["level"] == "INFO" and access["time"].endswith("+00:00")


@pytest.mark.usefixtures("app")
async def test_text_lines_and_the_record_factory(database_url: str, log_lines: io.StringIO) -> None:
    async with chat_app(database_url, log={"level": "INFO"}) as chat:
        await chat.client.get("/api/tasks", headers={**chat.user.headers, "X-Request-ID": "req-43"})
    assert " INFO backend.access [req-43] GET /api/tasks 200" in log_lines.getvalue()
    assert logging.getLogRecordFactory() is logging.LogRecord
