"""What the HTTP exchange itself tells: chat latency as its client sees it, open event streams,
and requests refused before any work.

Chat latency is read from what each chat route sends: `POST /api/chat` (our events, or the JSON
reply), `POST /api/chat/ui` (the AI SDK's chunks) and `POST /api/{user_id}/chat` (JSON).

A pure ASGI middleware, so streams pass through untouched; it only reads what goes by. It also
makes the app's telemetry `current` for everything the request does, including the chat turn it
starts (a task inherits the request's context).
"""

import json
from time import perf_counter
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.events import TextDelta, TurnDone, TurnFailed
from backend.telemetry.instruments import REJECTIONS
from backend.telemetry.providers import Telemetry, current

# The chat routes (by their templates) and what they answer: our events, AI SDK chunks, or JSON.
CHAT_ROUTES = {"/api/chat": "events", "/api/chat/ui": "ui", "/api/{user_id}/chat": "json"}
_REJECTING = frozenset({409, 429, 503})
_MAX_ERROR_BODY = 64 * 1024
TEXT_DELTA = TextDelta.model_fields["type"].default
DONE = TurnDone.model_fields["type"].default
FAILED = TurnFailed.model_fields["type"].default


class TelemetryMiddleware:
    def __init__(self, app: ASGIApp, telemetry: Telemetry) -> None:
        self.app, self.telemetry = app, telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = current.set(self.telemetry)
        exchange = _Exchange(self.telemetry, scope)

        async def watched(message: Message) -> None:
            exchange.saw(message)
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            exchange.close()
            current.reset(token)


class _Exchange:
    """One request's response, as it goes out."""

    def __init__(self, telemetry: Telemetry, scope: Scope) -> None:
        self.instruments = telemetry.instruments
        self.scope = scope
        self.chat: str | None = None  # which kind of chat response, once the route is known
        self.started = perf_counter()
        self.status = 0
        self.stream: dict[str, str] | None = None  # the attributes of an open event stream
        self.body: bytearray | None = None  # an error body, kept to read its code
        self.events = _EventReader()
        self.first_token_seen = self.turn_seen = False

    def saw(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            if self.scope["method"] == "POST":
                self.chat = CHAT_ROUTES.get(self.route())
            headers = Headers(raw=message.get("headers", []))
            if headers.get("content-type", "").startswith("text/event-stream"):
                self.stream = {"http.route": self.route()}
                self.instruments.open_streams.add(1, self.stream)
            elif self.status >= 400:
                self.body = bytearray()
        elif message["type"] == "http.response.body":
            chunk: bytes = message.get("body", b"")
            if self.stream is not None and self.chat == "events":
                for event, data in self.events.feed(chunk):
                    self.on_event(event, data)
            elif self.stream is not None and self.chat == "ui":
                for _, data in self.events.feed(chunk):
                    self.on_chunk(data)
            elif self.body is not None and len(self.body) < _MAX_ERROR_BODY:
                self.body += chunk
            if not message.get("more_body", False):
                self.ended()

    def route(self) -> str:
        """The route's template (`/api/conversations/{id}/stream`), never the raw path."""
        return str(getattr(self.scope.get("route"), "path", "_OTHER"))

    def on_event(self, event: str, data: str) -> None:
        if event == TEXT_DELTA and not self.first_token_seen:
            self.first_token_seen = True
            self.instruments.first_token.record(self.elapsed())
        elif event == DONE:
            self.turn_ended("completed")
        elif event == FAILED:
            self.turn_ended(_code(data) or "unknown")

    def on_chunk(self, data: str) -> None:
        """An AI SDK chunk: `text-delta`, and `finish` (`finishReason` `error` with the code in its
        metadata when the turn failed)."""
        if data.startswith('{"type":"text-delta"') and not self.first_token_seen:
            self.first_token_seen = True
            self.instruments.first_token.record(self.elapsed())
        elif data.startswith('{"type":"finish"'):
            finish = json.loads(data)
            failed = finish.get("finishReason") == "error"
            self.turn_ended(
                (finish.get("messageMetadata") or {}).get("errorCode", "unknown") if failed else "completed"
            )

    def turn_ended(self, outcome: str) -> None:
        if not self.turn_seen:
            self.turn_seen = True
            self.instruments.turn_duration.record(self.elapsed(), {"outcome": outcome})

    def ended(self) -> None:
        if self.stream is not None:
            self.close()
            return
        code = _code(bytes(self.body)) if self.body is not None else None
        if code in REJECTIONS and self.status in _REJECTING:
            self.instruments.rejections.add(1, {"reason": code})
        elif self.chat and self.status == 200:
            self.turn_ended("completed")  # the JSON reply: the turn ended when it was sent
        elif self.chat and self.status >= 500 and code:
            self.turn_ended(code)  # a failed turn, answered as an HTTP error with its code

    def close(self) -> None:
        """The response ended, or the client went away: an open stream is open no more."""
        if self.stream is not None:
            self.instruments.open_streams.add(-1, self.stream)
            self.stream = None

    def elapsed(self) -> float:
        return perf_counter() - self.started


class _EventReader:
    """Server-Sent Events out of the body's chunks, which need not align with them."""

    def __init__(self) -> None:
        self.pending = ""

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        self.pending += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        *frames, self.pending = self.pending.split("\n\n")
        events = []
        for frame in frames:
            lines = [line for line in frame.split("\n") if ": " in line and not line.startswith(":")]
            fields = dict(line.split(": ", 1) for line in lines)
            if "event" in fields or "data" in fields:  # (an AI SDK frame is `data:` alone)
                events.append((fields.get("event", "message"), fields.get("data", "")))
        return events


def _code(data: str | bytes) -> str | None:
    """The code of an error event's data or of an error body, if it is one."""
    try:
        value: Any = json.loads(data)
    except ValueError:
        return None
    if isinstance(value, dict) and isinstance(value.get("error"), dict):
        value = value["error"]
    code = value.get("code") if isinstance(value, dict) else None
    return code if isinstance(code, str) else None
