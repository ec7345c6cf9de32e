"""Recording model traffic into cassettes (`LLM_RECORD_DIR`).

The openai client's httpx2 transport is wrapped: each exchange (the request, and the response as
received — for streams, the SSE bytes, passed through untouched as they arrive) is appended as
one JSON line to its conversation's cassette, `<dir>/<conversation_id>.jsonl`; the conversation
and turn come from the turn running in the task (`agent.context.current_turn`). After each turn,
as an observer of the chat service, a `turn` line records what the replay runner checks. See
`replay.cassette` for the format.

No request header is written, and of the response headers only a few harmless ones. Whatever
is written is scrubbed of credentials first — the configured API key, bearer tokens and strings
shaped like API keys — because a provider may echo them in a body (an error message, say) and
cassettes are meant to be committed.
"""

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
from sqlmodel import col, select

from agent.chat import FinishedTurn
from agent.context import current_turn
from db.models import Task
from replay.cassette import CASSETTE_VERSION, task_view
from tools.schemas import TaskPublic

KEPT_RESPONSE_HEADERS = ("content-type", "openai-model", "x-request-id")
REDACTED = "[redacted]"
# Bearer tokens and the shapes of the common providers' keys (sk-..., sk-proj-..., sk-ant-...,
# AIza... for Google, gsk_ for Groq, hf_ for Hugging Face, xai- ...).
_CREDENTIALS = re.compile(
    r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|\b(?:sk|rk|pk)-[A-Za-z0-9_-]{16,}"
    r"|\bAIza[0-9A-Za-z_-]{30,}"
    r"|\b(?:gsk|hf|xai|glpat)[_-][A-Za-z0-9_-]{16,}"
)


class Recorder:
    """Appends cassette lines, whole and never interleaved, with credentials scrubbed."""

    def __init__(self, directory: str | Path, secrets: tuple[str, ...] = ()) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._secrets = tuple(s for s in secrets if s)
        self._lock = asyncio.Lock()

    def path(self, conversation_id: uuid.UUID) -> Path:
        return self.directory / f"{conversation_id}.jsonl"

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _CREDENTIALS.sub(REDACTED, text)

    async def append(self, conversation_id: uuid.UUID, record: dict[str, Any]) -> None:
        line = self.scrub(json.dumps({"version": CASSETTE_VERSION, **record}, ensure_ascii=False)) + "\n"
        async with self._lock:  # lines of concurrent turns never interleave
            await asyncio.to_thread(_append, self.path(conversation_id), line)

    async def turn_finished(self, turn: FinishedTurn) -> None:
        """The `turn` line: what the replay runner checks a replay against."""
        ctx = turn.context
        async with ctx.sessionmaker() as session:
            stmt = (
                select(Task).where(Task.user_id == ctx.user_id).order_by(col(Task.created_at), col(Task.id))
            )
            rows = (await session.exec(stmt)).all()
        tasks = [task_view(TaskPublic.model_validate(row).model_dump(mode="json")) for row in rows]
        calls = [
            {"call_id": tool.call_id, **tool.action.tool_call().model_dump(mode="json")}
            for tool in turn.tools
            if tool.action is not None
        ]
        await self.append(
            ctx.conversation_id,
            {
                "kind": "turn",
                "conversation_id": str(ctx.conversation_id),
                "turn": ctx.seq,
                "message": turn.message,
                "timezone": ctx.timezone.key,
                "now": ctx.now.isoformat(),
                "status": "failed" if turn.error else "completed",
                "error": turn.error.code.value if turn.error else None,
                "reply": turn.reply,
                "tool_calls": calls,
                "tasks": tasks,
            },
        )


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(line)


class RecordingTransport(httpx2.AsyncBaseTransport):
    def __init__(self, recorder: Recorder, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self._recorder = recorder
        self._inner = inner or httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        turn = current_turn.get()
        body = await request.aread()
        response = await self._inner.handle_async_request(request)
        if turn is None:  # not a chat turn (nothing to file it under)
            return response
        exchange: dict[str, Any] = {
            "kind": "exchange",
            "conversation_id": str(turn.conversation_id),
            "turn": turn.seq,
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
                await self._recorder.append(turn.conversation_id, exchange)

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
