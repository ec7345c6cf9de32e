"""The HTTP edge as served by `python -m backend.serve`: limits on what a connection may send.

uvicorn's default HTTP implementation (httptools, when installed, as here) reads a request head of
any size into memory: a client could send 50 MB of headers, or open connections and send nothing
and hold them forever. uvicorn's own cap (`h11_max_incomplete_event_size`) applies only to its
slower pure-Python h11 implementation. So this protocol, the httptools one with two limits:

- the request head (request line and headers) is capped at `SERVER_MAX_HEADER_BYTES`: past it the
  connection gets `431 Request Header Fields Too Large` and is closed, whether the head is still
  arriving (nothing more is buffered) or arrived in one piece;
- a head must arrive within `SERVER_HEADER_TIMEOUT_S` of the connection opening, or of its first
  byte (between requests the keep-alive timeout covers the wait): a connection that sends
  nothing, or a byte at a time, is closed.

Idle keep-alive connections close after `SERVER_KEEPALIVE_S`, and past `SERVER_MAX_CONNECTIONS`
open connections uvicorn answers 503. In production nginx (deploy/) sits in front and enforces
its own header and body timeouts; these limits hold for an instance reached directly.
"""

import asyncio
from typing import Any

from pydantic import BaseModel, Field
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

TOO_LARGE = b'{"error":{"code":"headers_too_large","message":"the request headers are too large"}}'


class ServerSettings(BaseModel):
    """`SERVER_*`: what one connection may send, and how many may be open."""

    max_header_bytes: int = Field(16 * 1024, ge=1024, description="request line and headers, in bytes")
    header_timeout_s: float = Field(10.0, gt=0, description="to receive a request's head")
    keepalive_s: float = Field(5.0, gt=0, description="an idle connection stays open this long")
    max_connections: int = Field(1000, ge=1, description="open connections; beyond, 503")


class HeadersTooLarge(Exception):
    pass


class EdgeProtocol(HttpToolsProtocol):
    """httptools' HTTP/1.1 protocol with a cap on the request head and a deadline for it."""

    max_header_bytes = 16 * 1024
    header_timeout_s = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Bytes received while a head is awaited (-1 while a body or a response is under way):
        # this bounds a head that never ends. `_head_size` counts the parsed head exactly.
        self._received = 0
        self._head_size = 0
        self._too_large = False
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._received >= 0:
            self._received += len(data)
        super().data_received(data)
        if self._received > self.max_header_bytes and not self.transport.is_closing():
            self._refuse()  # no end of the head yet: stop before buffering more of it

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_size = 0
        if self._deadline is None:
            self._arm_deadline()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._count(len(name) + len(value) + 4)  # ": " and CRLF

    def on_headers_complete(self) -> None:
        self._received = -1
        self._disarm_deadline()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._received = 0  # whatever comes next is the next request's head

    def _count(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self.max_header_bytes:
            self._too_large = True
            raise HeadersTooLarge  # httptools stops parsing; uvicorn then answers a parser error

    def send_400_response(self, msg: str) -> None:
        if self._too_large:
            self._refuse()  # the parser error was ours: say what it was
        else:
            super().send_400_response(msg)

    def _arm_deadline(self) -> None:
        self._deadline = self.loop.call_later(self.header_timeout_s, self._head_overdue)

    def _disarm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_overdue(self) -> None:
        self._deadline = None
        if self._received >= 0 and not self.transport.is_closing():
            self.transport.close()

    def _refuse(self) -> None:
        self._disarm_deadline()
        self._received = -1
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(TOO_LARGE)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + TOO_LARGE
        )
        self.transport.close()


def edge_protocol(settings: ServerSettings) -> type[EdgeProtocol]:
    """The protocol class with these limits (uvicorn builds one instance per connection)."""
    return type(
        "ConfiguredEdgeProtocol",
        (EdgeProtocol,),
        {"max_header_bytes": settings.max_header_bytes, "header_timeout_s": settings.header_timeout_s},
    )
