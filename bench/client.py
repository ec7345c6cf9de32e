"""The benchmark's chat client, and the figures it reports.

The service and the naive comparator speak the same protocol here: `POST /api/auth/register`
answers `{access_token}`; `POST /api/chat` streams SSE, the first `data:` holding the
`conversation_id`, ending with `event: done` or `event: error` (whose data has a `code`).
"""

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import httpx2


@dataclass
class Turn:
    total: float  # request sent to the stream's end, seconds
    first_byte: float  # request sent to the first line of the response body
    ok: bool
    failure: str = ""  # when not ok: "HTTP 503 overloaded", "SSE model_timeout", an exception's name
    conversation_id: str = ""


MESSAGE = "add a benchmark task"


async def chat_turn(client: httpx2.AsyncClient, token: str, conversation_id: str | None = None) -> Turn:
    body = {"message": MESSAGE} | ({"conversation_id": conversation_id} if conversation_id else {})
    started = time.perf_counter()
    try:
        async with client.stream(
            "POST", "/api/chat", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as r:
            if r.status_code != 200:
                return Turn(
                    time.perf_counter() - started,
                    0.0,
                    False,
                    f"HTTP {r.status_code} {_code(await r.aread())}",
                )
            return await _read_stream(r, started)
    except httpx2.HTTPError as exc:
        return Turn(time.perf_counter() - started, 0.0, False, type(exc).__name__)


async def bare_http_turn(url: str, token: str) -> Turn:
    """One chat turn over a plain HTTP/1.1 connection (asyncio streams, no client library), timed
    from the request's first byte written to the stream's first line read: the first byte as a
    browser's or curl's network stack sees it. An HTTP client in Python spends about a
    millisecond of its own CPU on a streamed request on this machine (httpx2: first byte 4.35 ms
    against 3.13 ms this way, the same server in one run), which `chat_turn`'s figure includes.
    The connection is opened before the clock starts, as a kept-alive one would be."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    body = json.dumps({"message": MESSAGE}).encode()
    head = (
        f"POST /api/chat HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        started = time.perf_counter()
        writer.write(head.encode() + body)
        status = await reader.readline()
        while await reader.readline() not in (b"\r\n", b""):  # the response's headers
            pass
        await reader.readline()  # the first chunk's size
        await reader.readline()  # its first line: the first event's `id:`
        first_byte = time.perf_counter() - started
        rest = await reader.read()  # to the end: the server closes the connection after the stream
    finally:
        writer.close()
    total = time.perf_counter() - started
    if b" 200 " not in status:
        return Turn(total, 0.0, False, status.decode(errors="replace").strip())
    ok = b"event: done" in rest
    return Turn(total, first_byte, ok, "" if ok else "SSE ended without done")


async def _read_stream(r: httpx2.Response, started: float) -> Turn:
    first_byte, event, conversation, outcome = 0.0, "", "", "SSE ended without done"
    async for line in r.aiter_lines():
        first_byte = first_byte or time.perf_counter() - started
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            if not conversation:
                conversation = json.loads(line[6:]).get("conversation_id", "")
            if event == "done":
                outcome = ""
            elif event == "error":
                outcome = f"SSE {_code(line[6:].encode())}"
    return Turn(time.perf_counter() - started, first_byte, not outcome, outcome, conversation)


def _code(body: bytes) -> str:
    """The error code of an `{"error": {"code"}}` body or an SSE error's `{"code"}`, if any."""
    try:
        value = json.loads(body)
    except ValueError:
        return body[:60].decode(errors="replace")
    error = value.get("error", value) if isinstance(value, dict) else {}
    return str(error.get("code", "")) if isinstance(error, dict) else str(error)


async def register(client: httpx2.AsyncClient) -> str:
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    response = await client.post(
        "/api/auth/register", json={"email": email, "password": "a slow benchmark horse"}
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


async def burst(base: str, tokens: list[str], count: int) -> tuple[list[Turn], float]:
    """`count` chats at once, one new conversation each, spread over the users; and the wall time."""
    limits = httpx2.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
    async with httpx2.AsyncClient(base_url=base, timeout=300, limits=limits) as client:
        started = time.perf_counter()
        turns = await asyncio.gather(*(chat_turn(client, tokens[n % len(tokens)]) for n in range(count)))
        return list(turns), time.perf_counter() - started


def failures(turns: list[Turn]) -> str:
    """Each kind of failure with its count: `12x HTTP 503 overloaded`, or `none`."""
    counts = Counter(t.failure for t in turns if not t.ok)
    return ", ".join(f"{n}x {kind}" for kind, n in counts.most_common()) or "none"


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`, in the values' unit."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")
