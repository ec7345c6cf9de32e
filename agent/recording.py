"""Recording model traffic into cassettes (`LLM_RECORD_DIR`).

The openai client's httpx2 transport is wrapped: each exchange (request, and the response as
received — for streams, the SSE bytes, passed through untouched as they arrive) is appended as
one JSON line to the conversation's cassette, `<dir>/<conversation_id>.jsonl`. After each turn a
`turn` line records what the replay runner checks: the message, the user's time zone and "now",
the tool calls, the reply and the task list afterwards. No request header is ever written, and
of the response headers only a few harmless ones, so keys, tokens and cookies never reach a file.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent.context import ChatContext
from db.models import Task

CASSETTE_VERSION = 1
KEPT_RESPONSE_HEADERS = ("content-type", "openai-model", "x-request-id")


@dataclass(frozen=True)
class TurnKey:
    conversation_id: uuid.UUID
    seq: int


_current: ContextVar[TurnKey | None] = ContextVar("recording_turn", default=None)


class Recorder:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = asyncio.Lock()

    @contextmanager
    def turn(self, conversation_id: uuid.UUID, seq: int) -> Iterator[None]:
        """Model calls made inside this block belong to this turn of this conversation."""
        token = _current.set(TurnKey(conversation_id, seq))
        try:
            yield
        finally:
            _current.reset(token)

    def path(self, conversation_id: uuid.UUID) -> Path:
        return self.directory / f"{conversation_id}.jsonl"

    async def append(self, conversation_id: uuid.UUID, record: dict[str, Any]) -> None:
        line = json.dumps({"version": CASSETTE_VERSION, **record}, ensure_ascii=False) + "\n"
        async with self._lock:  # lines of concurrent turns never interleave
            await asyncio.to_thread(_append, self.path(conversation_id), line)


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(line)


class RecordingTransport(httpx2.AsyncBaseTransport):
    def __init__(self, recorder: Recorder, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self._recorder = recorder
        self._inner = inner or httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        key = _current.get()
        body = await request.aread()
        response = await self._inner.handle_async_request(request)
        if key is None:  # not a chat turn (nothing to file it under)
            return response
        exchange = {
            "kind": "exchange",
            "conversation_id": str(key.conversation_id),
            "turn": key.seq,
            "request": {"method": request.method, "path": request.url.path, "body": _json(body)},
        }
        headers = {k: v for k, v in response.headers.items() if k.lower() in KEPT_RESPONSE_HEADERS}

        async def tee() -> AsyncIterator[bytes]:
            received = bytearray()
            try:
                # The raw byte stream itself: also fine for responses a transport built in memory.
                async for chunk in response.stream:  # type: ignore[union-attr]
                    received.extend(chunk)
                    yield chunk
            finally:
                await response.aclose()
                # Decoded as the client saw it, whatever content-encoding the provider used.
                seen = httpx2.Response(
                    response.status_code, headers=response.headers, content=bytes(received)
                )
                exchange["response"] = {"status": response.status_code, "headers": headers, "body": seen.text}
                await self._recorder.append(key.conversation_id, exchange)

        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_Stream(tee()),
            request=request,
            extensions=response.extensions,
        )


class _Stream(httpx2.AsyncByteStream):
    def __init__(self, iterator: AsyncIterator[bytes]) -> None:
        self._iterator = iterator

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._iterator:
            yield chunk

    async def aclose(self) -> None:
        await self._iterator.aclose()  # type: ignore[attr-defined]


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return body.decode("utf-8", errors="replace")


async def record_turn(
    recorder: Recorder,
    sessionmaker: async_sessionmaker[AsyncSession],
    ctx: ChatContext,
    seq: int,
    message: str,
    *,
    reply: str | None,
    error: tuple[str, str] | None,
) -> None:
    """The `turn` line: what the replay runner checks a replay against."""
    async with sessionmaker() as session:
        stmt = select(Task).where(Task.user_id == ctx.user_id).order_by(col(Task.created_at), col(Task.id))
        tasks = [_task(task) for task in (await session.exec(stmt)).all()]
    calls = [
        {
            "call_id": call_id,
            "name": a.tool,
            "arguments": a.arguments,
            "status": a.status.value,
            "result": a.result,
            "error": a.error,
        }
        for call_id, a in ctx.actions.items()
    ]
    await recorder.append(
        ctx.conversation_id,
        {
            "kind": "turn",
            "conversation_id": str(ctx.conversation_id),
            "turn": seq,
            "message": message,
            "timezone": ctx.timezone.key,
            "now": ctx.now.isoformat(),
            "status": "failed" if error else "completed",
            "error": error[0] if error else None,
            "reply": reply,
            "tool_calls": calls,
            "tasks": tasks,
        },
    )


def _task(task: Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "description": task.description,
        "priority": task.priority.value,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "completed": task.completed,
    }
