"""History length: a turn in a conversation whose history window is full, against a new
conversation's turn, through the service, on both wire APIs (issue 13's target: ≤ 1.2x); and
what one model call's request preparation costs with a full window, with the stock openai
client and with ours (`agent.model_client`).

The full conversation is grown by real turns (each leaves the user's message, a `create_task`
call, its output and the reply: four items) until it holds more than `HISTORY_MAX_ITEMS` (50,
the default), so every later turn sends the model a full window of the SDK's own items. A
conversation's second turn is measured too: it carries a conversation on (lease, history query)
with almost no history, which tells what the window costs from what carrying on costs. The kinds
of turn are interleaved, so a busy machine slows them alike. The model is the zero-delay fake
(`bench.fake_openai`, which serves both APIs); a turn's overhead is its time minus the model's.

`make bench BENCH_ARGS="--only history"` runs them on their own.
"""

import json
import math
import statistics
import time
import uuid
from typing import Any

import httpx2
from agents import (
    Model,
    ModelSettings,
    ModelTracing,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
)
from openai import AsyncOpenAI
from sqlalchemy import func
from sqlmodel import select

from agent.instructions import RULES
from agent.model_client import ModelClient
from bench.client import chat_turn, register
from bench.context import Bench
from bench.overhead import bench_tools, model_time
from bench.servers import fake_model, service
from db.engine import create_engine, create_sessionmaker
from db.models import ConversationItem
from wire import chat_completions, responses
from wire.reply import Reply, message

WINDOW = 50  # HISTORY_MAX_ITEMS's default, which the service runs with here
ITEMS_PER_TURN = 4
APIS = {"responses": "Responses", "chat_completions": "Chat Completions"}


async def _stored_items(database_url: str, conversation_id: str) -> int:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            stmt = select(func.count()).where(ConversationItem.conversation_id == uuid.UUID(conversation_id))
            return int((await session.exec(stmt)).one())
    finally:
        await engine.dispose()


async def _measure(
    client: httpx2.AsyncClient, stats: httpx2.AsyncClient, token: str, turns: int, database_url: str
) -> tuple[list[float], list[float], list[float], int]:
    """Overheads (turn - model time) of turns of three kinds, interleaved: in a new conversation,
    the second turn of one (its history: the first turn's four items) and with a full window."""
    full = (await chat_turn(client, token)).conversation_id
    for _ in range(math.ceil(WINDOW / ITEMS_PER_TURN)):  # also the warm-up
        await chat_turn(client, token, full)
    stored = await _stored_items(database_url, full)
    if stored < WINDOW:
        raise RuntimeError(f"the long conversation holds {stored} items, fewer than a window")
    new: list[float] = []
    second: list[float] = []
    window: list[float] = []
    for _ in range(turns):
        short = (await chat_turn(client, token)).conversation_id
        await model_time(stats)  # clears the model's timings
        for conversation, into in ((None, new), (short, second), (full, window)):
            turn = await chat_turn(client, token, conversation)
            if not turn.ok:
                raise RuntimeError(f"a turn failed: {turn.failure}")
            into.append(turn.total - await model_time(stats))
    return new, second, window, stored


async def history_section(bench: Bench, turns: int) -> list[str]:
    """Markdown lines: per wire API, the overhead p50 of a new conversation's turn, of its second
    turn (a conversation carried on, short) and of a turn with a full window, and full / new."""
    rows, stored = [], 0
    for api, label in APIS.items():
        extra = {"LLM_API": api, "HISTORY_MAX_ITEMS": str(WINDOW)}
        async with (
            fake_model(bench.logs, 0.0, 0.0) as model,
            service(bench.logs, bench.database_url, model.url, 20, **extra) as server,
            httpx2.AsyncClient(base_url=server.url, timeout=60) as client,
            httpx2.AsyncClient(base_url=model.url) as stats,
        ):
            token = await register(client)
            new, second, window, stored = await _measure(client, stats, token, turns, bench.database_url)
        new_o, second_o, full_o = (statistics.median(kind) * 1000 for kind in (new, second, window))
        rows.append(f"| {label} | {new_o:.1f} | {second_o:.1f} | {full_o:.1f} | **{full_o / new_o:.2f}x** |")
    return [
        f"## History length ({turns} turns of each kind, interleaved; zero-delay model)",
        "",
        f"A new conversation's turn against one whose window is full (`HISTORY_MAX_ITEMS={WINDOW}`: "
        f"the model gets the newest {WINDOW} of the conversation's {stored} or more items on every call).",
        "",
        "| wire API | new conversation: overhead p50 ms | its second turn (4 items) "
        "| full window | full / new |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "Target: full / new ≤ 1.2x on both APIs.",
    ]


def _window() -> list[dict[str, Any]]:
    """A full window as the SDK stores a conversation: a message, a tool call, its output and the
    reply, over and over."""
    items: list[dict[str, Any]] = []
    for n in range(math.ceil(WINDOW / ITEMS_PER_TURN)):
        task = {"title": f"Call the dentist about the crown, №{n}", "priority": "high", "due_date": None}
        items += [
            {"role": "user", "content": f"add a task to call the dentist (№{n}) — high priority"},
            {"type": "function_call", "call_id": f"call_{n}", "name": "create_task",
             "arguments": json.dumps(task), "id": f"fc_{n}", "status": "completed"},
            {"type": "function_call_output", "call_id": f"call_{n}",
             "output": json.dumps({"id": str(uuid.uuid4()), **task, "completed": False})},
            {"type": "message", "role": "assistant", "status": "completed", "id": f"msg_{n}",
             "content": [{"type": "output_text", "text": f"Added “{task['title']}”.", "annotations": []}]},
        ]  # fmt: skip
    return items[-WINDOW:]


async def _preparation_ms(model: Model, arrived: list[float], items: list[dict[str, Any]]) -> float:
    """CPU time from the model call until its request reaches the transport: the SDK's conversion,
    the client's preparation and the JSON."""

    async def echo(_ctx: object, arguments: str) -> str:
        return arguments

    tools = bench_tools(echo)
    started = time.process_time()
    await model.get_response(
        RULES, items, ModelSettings(), tools, None, [], ModelTracing.DISABLED,  # type: ignore[arg-type]
        previous_response_id=None, conversation_id=None, prompt=None,
    )  # fmt: skip
    return (arrived[-1] - started) * 1000


def _mock_model(api: str, client_class: type[AsyncOpenAI]) -> tuple[Model, list[float]]:
    arrived: list[float] = []

    async def answer(request: httpx2.Request) -> httpx2.Response:
        arrived.append(time.process_time())
        reply = Reply([message("Done.")])
        if api == "chat_completions":
            return httpx2.Response(200, json=chat_completions.completion(reply).model_dump(mode="json"))
        return httpx2.Response(200, json=responses.response(reply).model_dump(mode="json"))

    client = client_class(
        api_key="bench",
        base_url="http://model.test/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(answer)),
    )
    if api == "chat_completions":
        return OpenAIChatCompletionsModel(model="gpt-bench", openai_client=client), arrived
    return OpenAIResponsesModel(model="gpt-bench", openai_client=client), arrived


async def preparation_section(calls: int = 40) -> list[str]:
    """Markdown lines: the CPU cost of one model call's request preparation, a new conversation
    (one item) against a full window, with the stock client and ours; p50 of `calls` calls."""
    rows = []
    for api, label in APIS.items():
        cells = []
        for client_class in (AsyncOpenAI, ModelClient):
            model, arrived = _mock_model(api, client_class)
            for items in ([{"role": "user", "content": "add a task"}], _window()):
                await _preparation_ms(model, arrived, json.loads(json.dumps(items)))  # warm-up
                taken = [
                    await _preparation_ms(model, arrived, json.loads(json.dumps(items))) for _ in range(calls)
                ]
                cells.append(statistics.median(taken))
        stock_one, stock_full, ours_one, ours_full = cells
        rows.append(
            f"| {label} | {stock_one:.2f} | {stock_full:.2f} | {ours_one:.2f} | {ours_full:.2f} "
            f"| **{stock_full / ours_full:.1f}x** |"
        )
    return [
        f"## One model call's request preparation (CPU ms, p50 of {calls}; real client, mock transport)",
        "",
        "| wire API | stock client: 1 item | stock client: 50 items | ModelClient: 1 item "
        "| ModelClient: 50 items | stock / ModelClient at 50 |",
        "|---|---|---|---|---|---|",
        *rows,
    ]
