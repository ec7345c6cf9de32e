"""Log lines: as text for a terminal, or one JSON object per line for a log pipeline.

Every line carries the request id and, inside a trace, the trace and span ids, so a line leads to
its request and its trace. They are added by a filter on our handler, not by replacing the
process-wide record factory: other libraries' handlers and factories stay as they were.
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

from opentelemetry import trace
from pydantic import BaseModel

from backend.observability import request_id_var

HANDLER_NAME = "todo-app"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# One line per model call is noise; their warnings still show.
_CHATTY = ("httpx", "httpx2", "httpcore", "httpcore2")


class LogSettings(BaseModel):
    """`LOG_*`: how much the process logs, and in which format."""

    level: str = "INFO"
    format: Literal["text", "json"] = "text"


class RequestContext(logging.Filter):
    """Stamps each record with the request id and the current trace, where there is one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        span = trace.get_current_span().get_span_context()
        record.trace_id = format(span.trace_id, "032x") if span.is_valid else None
        record.span_id = format(span.span_id, "016x") if span.is_valid else None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        trace_id = getattr(record, "trace_id", None)
        if trace_id:
            line["trace_id"], line["span_id"] = trace_id, getattr(record, "span_id", None)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(settings: LogSettings) -> None:
    """Print the process's records through our handler; safe to call again (a test's next app)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.name == HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.name = HANDLER_NAME
        handler.addFilter(RequestContext())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else logging.Formatter(TEXT_FORMAT))
    root.setLevel(settings.level.upper())
    for chatty in _CHATTY:
        logging.getLogger(chatty).setLevel(logging.WARNING)
