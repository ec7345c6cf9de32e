"""`make bench`: the chat service against a fake OpenAI-compatible model on loopback.

Reports, in one run: server overhead per turn (turn time minus model time) beside the same turn
through a bare Agents SDK loop; time to the first SSE byte; concurrent streaming chats with a
small pool and a slow model; and the overhead of a short versus a very long conversation.
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
from agents import Agent, FunctionTool, OpenAIResponsesModel, RunConfig, Runner, Tool
from openai import AsyncOpenAI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select

from agent.instructions import RULES
from db.engine import create_engine, create_sessionmaker, normalize_url
from db.migrate import upgrade
from db.models import ChatTurn, ConversationItem
from tools.registry import OPERATIONS, json_schema
from wire.server import free_port

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


@dataclass
class Turn:
    total: float
    first_byte: float
    model: float
    ok: bool


@contextmanager
def process(args: list[str], env: dict[str, str] | None = None) -> Iterator[None]:
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})})  # noqa: S603 (our own argv)
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def wait_up(url: str) -> None:
    async with httpx2.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(url)).status_code < 500:
                    return
            except httpx2.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def fake_model(call_delay: float, token_delay: float) -> Iterator[str]:
    port = free_port()
    with process(
        [
            sys.executable,
            "-m",
            "bench.fake_openai",
            "--port",
            str(port),
            "--call-delay",
            str(call_delay),
            "--token-delay",
            str(token_delay),
        ]
    ):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def service(database_url: str, model_url: str, pool_size: int, pool_timeout: float = 30) -> Iterator[str]:
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "LLM_PROVIDER": "openai",
        "OPENAI_BASE_URL": f"{model_url}/v1",
        "OPENAI_API_KEY": "bench",
        "LLM_MODEL": "gpt-bench",
        "LLM_MAX_RETRIES": "0",
        "DB_POOL_SIZE": str(pool_size),
        "DB_MAX_OVERFLOW": "0",
        "DB_POOL_TIMEOUT_S": str(pool_timeout),
        "JWT_SECRET": "b" * 48,
        "LOG_LEVEL": "ERROR",
        "ENVIRONMENT": "production",
        "LLM_TIMEOUT_S": "120",
        # The benchmark is five users sending hundreds of messages at once, on purpose.
        "RATE_CHAT_PER_USER": "1000000/minute",
        "RATE_RUNNING_TURNS_PER_USER": "100000",
    }
    with process(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "backend.main:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--backlog",
            "4096",
        ],
        env,
    ):
        yield f"http://127.0.0.1:{port}"


async def model_time(model_url: str) -> float:
    async with httpx2.AsyncClient() as client:
        durations: list[float] = (await client.get(f"{model_url}/stats")).json()
        return sum(durations)


async def chat_turn(
    client: httpx2.AsyncClient, token: str, conversation_id: str | None = None
) -> tuple[Turn, str]:
    body = {"message": "add a benchmark task"} | (
        {"conversation_id": conversation_id} if conversation_id else {}
    )
    started = time.perf_counter()
    first_byte, ok, conversation = 0.0, False, ""
    async with client.stream(
        "POST", "/api/chat", json=body, headers={"Authorization": f"Bearer {token}"}
    ) as r:
        async for line in r.aiter_lines():
            if not first_byte:
                first_byte = time.perf_counter() - started
            if line.startswith("data: ") and not conversation:
                conversation = json.loads(line[6:])["conversation_id"]
            if line == "event: done":
                ok = True
            if line == "event: error":
                ok = False
    return Turn(time.perf_counter() - started, first_byte, 0.0, ok and r.status_code == 200), conversation


async def register(client: httpx2.AsyncClient) -> str:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post("/api/auth/register", json={"email": email, "password": "benchmark-pw"})
    token: str = response.json()["access_token"]
    return token


async def sequential(
    base: str, model_url: str, token: str, turns: int, conversation: str | None = None
) -> list[Turn]:
    results = []
    async with httpx2.AsyncClient(base_url=base, timeout=60) as client:
        await chat_turn(client, token, conversation)  # warm-up
        await model_time(model_url)
        for _ in range(turns):
            turn, _ = await chat_turn(client, token, conversation)
            turn.model = await model_time(model_url)
            results.append(turn)
    return results


async def bare_loop(model_url: str, turns: int) -> list[Turn]:
    """The same turn with nothing of ours around it: the same five tool schemas and instructions
    go to the same fake model, but the tools do no I/O and there is no HTTP and no database."""

    async def no_op(_ctx: object, arguments: str) -> str:
        return json.dumps({"id": str(uuid.uuid4()), **json.loads(arguments)})

    tools: list[Tool] = [
        FunctionTool(
            name=op.name,
            description=op.description,
            params_json_schema=json_schema(op.arguments),
            on_invoke_tool=no_op,
            strict_json_schema=False,
        )
        for op in OPERATIONS.values()
    ]
    client = AsyncOpenAI(api_key="bench", base_url=f"{model_url}/v1", max_retries=0)
    agent = Agent(
        name="bare",
        instructions=RULES,
        tools=tools,
        model=OpenAIResponsesModel(model="gpt-bench", openai_client=client),
    )
    config = RunConfig(tracing_disabled=True)
    results = []
    for n in range(turns + 1):
        started = time.perf_counter()
        run = Runner.run_streamed(agent, "add a benchmark task", run_config=config)
        first = 0.0
        async for _ in run.stream_events():
            first = first or time.perf_counter() - started
        total = time.perf_counter() - started
        spent = await model_time(model_url)
        if n:  # the first is a warm-up
            results.append(Turn(total, first, spent, run.final_output is not None))
    return results


async def concurrent(base: str, tokens: list[str], count: int) -> tuple[list[Turn], float]:
    limits = httpx2.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
    async with httpx2.AsyncClient(base_url=base, timeout=300, limits=limits) as client:
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(chat_turn(client, tokens[n % len(tokens)]) for n in range(count)), return_exceptions=True
        )
        elapsed = time.perf_counter() - started
    turns = [o[0] if not isinstance(o, BaseException) else Turn(0, 0, 0, False) for o in outcomes]
    return turns, elapsed


async def grow(database_url: str, conversation_id: str, items: int) -> None:
    """Pad a conversation's history directly in the database (what a long chat would have left)."""
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as session:
        stmt = select(ChatTurn.id).where(ChatTurn.conversation_id == uuid.UUID(conversation_id)).limit(1)
        turn_id = (await session.exec(stmt)).one()
        session.add_all(
            ConversationItem(
                conversation_id=uuid.UUID(conversation_id),
                turn_id=turn_id,
                item={"role": "user" if n % 2 else "assistant", "content": f"filler {n}"},
            )
            for n in range(items)
        )
        await session.commit()
    await engine.dispose()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def row(name: str, values: list[float]) -> str:
    return f"| {name} | {pct(values, 0.5):.1f} | {pct(values, 0.95):.1f} |"


async def run(args: argparse.Namespace) -> None:
    name = f"todo_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(normalize_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = normalize_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, database_url)
        print(
            f"# Benchmark — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, PostgreSQL at {normalize_url(ADMIN_URL).host}\n"
        )
        with fake_model(0.0, args.token_delay) as model_url, service(database_url, model_url, 20) as base:
            await wait_up(f"{base}/health")
            async with httpx2.AsyncClient(base_url=base) as client:
                token = await register(client)
            served = await sequential(base, model_url, token, args.turns)
            bare = await bare_loop(model_url, args.turns)
            async with httpx2.AsyncClient(base_url=base, timeout=60) as client:
                _, short_id = await chat_turn(client, token)
                _, long_id = await chat_turn(client, token)
            await model_time(model_url)
            await grow(database_url, long_id, args.long_items)
            short = await sequential(base, model_url, token, args.turns, short_id)
            long = await sequential(base, model_url, token, args.turns, long_id)

        overhead = [t.total - t.model for t in served]
        bare_overhead = [t.total - t.model for t in bare]
        print(
            f"## One turn with one tool call ({args.turns} turns, {args.token_delay * 1000:g} ms a token)\n"
        )
        print("| measure | p50 ms | p95 ms |\n|---|---|---|")
        print(row("service: turn, over HTTP/SSE", [t.total for t in served]))
        print(row("service: model time", [t.model for t in served]))
        print(row("service: overhead (turn - model)", overhead))
        print(row("bare SDK loop: turn", [t.total for t in bare]))
        print(row("bare SDK loop: overhead (turn - model)", bare_overhead))
        print(row("service: time to first SSE byte", [t.first_byte for t in served]))
        ratio = statistics.median(t.total for t in served) / statistics.median(t.total for t in bare)
        print(f"\nService turn / bare loop turn (p50): **{ratio:.2f}x** (target ≤ 1.25x)\n")
        short_o = statistics.median(t.total - t.model for t in short)
        long_o = statistics.median(t.total - t.model for t in long)
        print(f"## History length ({args.turns} turns each)\n")
        print("| conversation | overhead p50 ms |\n|---|---|")
        print(f"| ~10 items | {short_o * 1000:.1f} |\n| {args.long_items:,} items | {long_o * 1000:.1f} |")
        print(f"\nLong / short: **{long_o / short_o:.2f}x** (target ≤ 1.2x)\n")

        print(
            f"## Concurrent streaming chats (DB_POOL_SIZE=5, DB_POOL_TIMEOUT_S={args.pool_timeout:g}, "
            "model 1 s a call, 2 calls a turn)\n"
        )
        print("| chats at once | errors | wall s | turns/s | p50 turn s | p95 turn s |")
        print("|---|---|---|---|---|---|")
        with (
            fake_model(1.0, 0.0) as model_url,
            service(database_url, model_url, 5, args.pool_timeout) as base,
        ):
            await wait_up(f"{base}/health")
            async with httpx2.AsyncClient(base_url=base) as client:
                tokens = [await register(client) for _ in range(5)]
            for count in args.concurrency:
                turns, elapsed = await concurrent(base, tokens, count)
                errors = sum(not t.ok for t in turns)
                totals = [t.total for t in turns if t.ok] or [0.0]
                print(
                    f"| {count} | {errors} | {elapsed:.1f} | {count / elapsed:.1f} | "
                    f"{pct(totals, 0.5) / 1000:.2f} | {pct(totals, 0.95) / 1000:.2f} |"
                )
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--token-delay", type=float, default=0.002)
    parser.add_argument("--long-items", type=int, default=5000)
    parser.add_argument(
        "--pool-timeout", type=float, default=30.0, help="DB_POOL_TIMEOUT_S, concurrency runs"
    )
    parser.add_argument(
        "--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[100, 250, 500]
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
