"""Memory: the service's resident memory per open, idle chat stream.

A thousand chats are opened and parked: the fake model waits far longer than the measurement
before its first byte, so each stream has sent its first event and then waits. The service's
RSS (VmRSS of the uvicorn process) is read before and after they are all open, and the growth is
divided by their number. A few streams are opened and closed first, so that one-time costs
(imports, first connections, caches) fall outside the difference.

The client is raw asyncio sockets (a thousand HTTP clients' worth of state would be the client's
memory, not the service's; it is not measured, but it shares the machine's two cores).
"""

import asyncio
import json
from urllib.parse import urlsplit

import httpx2

from bench.client import register
from bench.context import Bench
from bench.servers import fake_model, rss_kib, service

TARGET_KB = 50
WARM_UP = 20
USERS = 10
PARKED_S = 3600.0  # the model's delay: longer than any measurement
CONNECTING = 50  # streams being opened at once


class Stream:
    """One chat request on its own connection, read up to its first SSE event, then left open."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str, token: str) -> "Stream":
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        body = json.dumps({"message": "add a benchmark task"}).encode()
        writer.write(
            b"POST /api/chat HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
            b"Content-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: %d\r\n\r\n%s"
            % (parts.netloc.encode(), token.encode(), len(body), body)
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1].decode()
        if status != "200":
            writer.close()
            raise RuntimeError(f"HTTP {status}: {(await reader.read(300)).decode(errors='replace')}")
        received = b""
        while b"data:" not in received:  # the first event (`conversation`), chunked
            chunk = await reader.read(4096)
            if not chunk:
                raise RuntimeError("the stream ended before its first event")
            received += chunk
        return cls(reader, writer)

    async def parked(self) -> bool:
        """Still open, and no error event since the first: what the service sent meanwhile."""
        try:
            received = await asyncio.wait_for(self.reader.read(65536), 0.5)
        except TimeoutError:
            return True
        return bool(received) and b"event: error" not in received and b"event: done" not in received

    def close(self) -> None:
        self.writer.close()


async def open_many(url: str, tokens: list[str], count: int) -> tuple[list[Stream], list[str]]:
    gate = asyncio.Semaphore(CONNECTING)

    async def one(n: int) -> Stream:
        async with gate:
            return await asyncio.wait_for(Stream.open(url, tokens[n % len(tokens)]), 120)

    outcomes = await asyncio.gather(*(one(n) for n in range(count)), return_exceptions=True)
    streams = [o for o in outcomes if isinstance(o, Stream)]
    errors = [f"{type(o).__name__}: {o}"[:160] for o in outcomes if isinstance(o, BaseException)]
    return streams, errors


async def memory_section(bench: Bench) -> list[str]:
    count = bench.args.streams
    # uvicorn answers 503 once its connections reach SERVER_MAX_CONNECTIONS (default 1000).
    extra = {
        "SERVER_MAX_CONNECTIONS": str(count + 100),
        "LLM_TIMEOUT_S": str(PARKED_S * 2),
    }
    async with (
        fake_model(bench.logs, PARKED_S, 0.0) as model,
        service(bench.logs, bench.database_url, model.url, 20, **extra) as svc,  # the default pool
    ):
        async with httpx2.AsyncClient(base_url=svc.url, timeout=60) as client:
            tokens = [await register(client) for _ in range(USERS)]
        warm, _ = await open_many(svc.url, tokens, WARM_UP)
        for stream in warm:
            stream.close()
        await asyncio.sleep(2)  # the service cancels those turns
        before = rss_kib(svc.pid)
        streams, errors = await open_many(svc.url, tokens, count)
        await asyncio.sleep(2)  # what the turns do right after their first event (the model call)
        after = rss_kib(svc.pid)
        parked = sum(await asyncio.gather(*(s.parked() for s in streams)))
        for stream in streams:
            stream.close()
    per_stream = (after - before) * 1024 / 1000 / max(len(streams), 1)  # KB, as the target is
    lines = [
        f"## Memory: RSS per open, idle chat stream ({count:,} streams parked on a model that waits)",
        "",
        "| service RSS before | after | streams opened | still parked after | per stream |",
        "|---|---|---|---|---|",
        f"| {before / 1024:.1f} MiB | {after / 1024:.1f} MiB | {len(streams):,} | {parked:,} "
        f"| {per_stream:.1f} KB |",
        "",
        f"RSS growth / streams opened: {(after - before) * 1.024:,.0f} KB / {len(streams):,} "
        f"= **{per_stream:.1f} KB** a stream (target ≤ {TARGET_KB} KB); settings lifted for it: "
        f"SERVER_MAX_CONNECTIONS={count + 100}, the RATE_* limits and caps.",
    ]
    if errors:
        lines.append(f"- {len(errors)} streams did not open; first: `{errors[0]}`")
    return lines
