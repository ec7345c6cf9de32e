"""Turn overhead: one turn with one tool call through the service (HTTP, SSE, database) beside the
same turn through a bare Agents SDK loop, against the same fake model, measured turn about so
that the machine's noise (bursts of a second or two on a shared host) falls on both sides alike.

The bare loop is the same turn with nothing of ours around it: the same five tool schemas and
instructions go to the same fake model, but the tools do no I/O, and there is no HTTP and no
database. Run twice: with a zero-delay model (the ratio is all overhead), and with 2 ms a token.
"""

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
from agents import Agent, FunctionTool, OpenAIResponsesModel, RunConfig, Runner, Tool
from openai import AsyncOpenAI

from agent.instructions import RULES
from bench.client import Turn, bare_http_turn, chat_turn, pct, register
from bench.context import Bench
from bench.servers import fake_model, service
from tools.registry import OPERATIONS, json_schema

TURN_TARGET = 1.5
FIRST_BYTE_TARGET_MS = 5.0


def bench_tools(on_invoke: Callable[[Any, str], Awaitable[str]]) -> list[Tool]:
    """The service's five tools as the model sees them (names, descriptions, schemas), doing
    `on_invoke` instead of their work."""
    return [
        FunctionTool(
            name=op.name,
            description=op.description,
            params_json_schema=json_schema(op.arguments),
            on_invoke_tool=on_invoke,
            strict_json_schema=False,
        )
        for op in OPERATIONS.values()
    ]


def bare_agent(model_url: str) -> Agent[None]:
    async def no_op(_ctx: object, arguments: str) -> str:
        return json.dumps({"id": str(uuid.uuid4()), **json.loads(arguments)})

    tools = bench_tools(no_op)
    client = AsyncOpenAI(api_key="bench", base_url=f"{model_url}/v1", max_retries=0)
    model = OpenAIResponsesModel(model="gpt-bench", openai_client=client)
    return Agent(name="bare", instructions=RULES, tools=tools, model=model)


async def bare_turn(agent: Agent[None]) -> Turn:
    started = time.perf_counter()
    run = Runner.run_streamed(agent, "add a benchmark task", run_config=RunConfig(tracing_disabled=True))
    first = 0.0
    async for _ in run.stream_events():
        first = first or time.perf_counter() - started
    return Turn(time.perf_counter() - started, first, run.final_output is not None)


async def model_time(client: httpx2.AsyncClient) -> float:
    """The fake model's own time since the last call: what both sides wait for regardless."""
    durations: list[float] = (await client.get("/stats")).json()
    return sum(durations)


async def side_by_side(bench: Bench, token_delay: float, probe: bool) -> dict[str, list[Turn]]:
    """Turn about: a service turn, a bare turn, and so on (with `probe`, also a service turn from
    a plain HTTP/1.1 client, then another bare one: each service turn follows a bare turn)."""
    turns: dict[str, list[Turn]] = {"service": [], "bare": [], "model": [], "plain": []}
    async with (
        fake_model(bench.logs, 0.0, token_delay) as model,
        service(bench.logs, bench.database_url, model.url, 20) as svc,
        httpx2.AsyncClient(base_url=svc.url, timeout=60) as client,
        httpx2.AsyncClient(base_url=model.url) as stats,
    ):
        token = await register(client)
        agent = bare_agent(model.url)
        await chat_turn(client, token)  # warm-up: first imports, connections, caches on both sides
        await bare_turn(agent)
        await model_time(stats)
        while len(turns["service"]) < bench.args.turns:
            turns["service"].append(await chat_turn(client, token))
            turns["model"].append(Turn(await model_time(stats), 0.0, True))
            turns["bare"].append(await bare_turn(agent))
            if probe:  # the same turn from a plain HTTP/1.1 client, after a bare turn as well
                turns["plain"].append(await bare_http_turn(svc.url, token))
                turns["bare"].append(await bare_turn(agent))
            await model_time(stats)
    return turns


def ms(values: list[float], q: float) -> str:
    return f"{pct(values, q) * 1000:.1f}"


async def overhead_section(bench: Bench) -> list[str]:
    lines = [
        f"## Turn overhead: service vs bare SDK loop ({bench.args.turns} turns a side, one tool call each)",
        "",
        "| model | measure | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    summary = []
    for token_delay in (0.0, 0.002):
        turns = await side_by_side(bench, token_delay, probe=token_delay == 0)
        label = "zero delay" if token_delay == 0 else f"{token_delay * 1000:g} ms/token"
        failed = sum(not t.ok for side in ("service", "bare", "plain") for t in turns[side])
        service_total = [t.total for t in turns["service"] if t.ok]
        bare_total = [t.total for t in turns["bare"] if t.ok]
        rows = {
            "service: turn over HTTP/SSE": service_total,
            "bare SDK loop: turn": bare_total,
            "fake model's own time per turn": [t.total for t in turns["model"]],
            "service: first SSE byte": [t.first_byte for t in turns["service"] if t.ok],
        }
        if turns["plain"]:
            rows["service: first SSE byte, plain HTTP/1.1 client"] = [
                t.first_byte for t in turns["plain"] if t.ok
            ]
        lines += [f"| {label} | {name} | {ms(v, 0.5)} | {ms(v, 0.95)} |" for name, v in rows.items()]
        served, bare = pct(service_total, 0.5), pct(bare_total, 0.5)
        target = f" (target ≤ {TURN_TARGET}x)" if token_delay == 0 else ""
        summary.append(
            f"- {label}: service turn p50 {served * 1000:.1f} ms / bare loop p50 {bare * 1000:.1f} ms "
            f"= **{served / bare:.2f}x**{target}" + (f"; {failed} turns failed" if failed else "")
        )
        if token_delay == 0:
            plain = pct([t.first_byte for t in turns["plain"] if t.ok], 0.5) * 1000
            first = pct([t.first_byte for t in turns["service"] if t.ok], 0.5) * 1000
            summary.append(
                f"- first SSE byte p50 (zero delay), plain HTTP/1.1 client: **{plain:.1f} ms** "
                f"(target ≤ {FIRST_BYTE_TARGET_MS:g} ms); through httpx2 (the turns above): {first:.1f} ms"
            )
    return [*lines, "", *summary]
