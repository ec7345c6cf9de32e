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

`python -m bench.history --turns 20` runs both on their own, in a throw-away database.
"""

import argparse
import asyncio
import json
import math
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx2
from agents import (
    FunctionTool,
    Model,
    ModelSettings,
    ModelTracing,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
)
from openai import AsyncOpenAI
from sqlalchemy import func, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select

from agent.instructions import RULES
from agent.model_client import ModelClient
from bench.run import ADMIN_URL, Turn, chat_turn, fake_model, model_time, process, register, wait_up
from db.engine import create_engine, create_sessionmaker, normalize_url
from db.migrate import upgrade
from db.models import ConversationItem
from tools.registry import OPERATIONS, json_schema
from wire import chat_completions, responses
from wire.reply import Reply, message
from wire.server import free_port

WINDOW = 50  # HISTORY_MAX_ITEMS's default, which the service runs with here
ITEMS_PER_TURN = 4
APIS = {"responses": "Responses", "chat_completions": "Chat Completions"}


@contextmanager
def _service(database_url: str, model_url: str, api: str) -> Iterator[str]:
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "LLM_PROVIDER": "openai",
        "LLM_API": api,
        "OPENAI_BASE_URL": f"{model_url}/v1",
        "OPENAI_API_KEY": "bench",
        "LLM_MODEL": "gpt-bench",
        "LLM_MAX_RETRIES": "0",
        "HISTORY_MAX_ITEMS": str(WINDOW),
        "JWT_SECRET": "b" * 48,
        "LOG_LEVEL": "ERROR",
        "ENVIRONMENT": "production",
        "RATE_CHAT_PER_USER": "1000000/minute",  # one user sends all the turns, back to back
    }
    argv = [sys.executable, "-m", "uvicorn", "backend.main:app", "--port", str(port)]
    with process([*argv, "--no-access-log", "--log-level", "warning"], env):
        yield f"http://127.0.0.1:{port}"


async def _stored_items(database_url: str, conversation_id: str) -> int:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            stmt = select(func.count()).where(ConversationItem.conversation_id == uuid.UUID(conversation_id))
            return int((await session.exec(stmt)).one())
    finally:
        await engine.dispose()


async def _measure(
    client: httpx2.AsyncClient, model_url: str, token: str, turns: int, database_url: str
) -> tuple[list[Turn], list[Turn], list[Turn], int]:
    """Turns of three kinds, interleaved: in a new conversation, the second turn of one (its
    history: the first turn's four items) and a turn with a full window."""
    _, full = await chat_turn(client, token)
    for _ in range(math.ceil(WINDOW / ITEMS_PER_TURN)):  # also the warm-up
        await chat_turn(client, token, full)
    stored = await _stored_items(database_url, full)
    if stored < WINDOW:
        raise RuntimeError(f"the long conversation holds {stored} items, fewer than a window")
    new: list[Turn] = []
    second: list[Turn] = []
    window: list[Turn] = []
    for _ in range(turns):
        _, short = await chat_turn(client, token)
        await model_time(model_url)  # clears the model's timings
        for conversation, into in ((None, new), (short, second), (full, window)):
            turn, _ = await chat_turn(client, token, conversation)
            turn.model = await model_time(model_url)
            into.append(turn)
    return new, second, window, stored


async def history_section(database_url: str, turns: int) -> list[str]:
    """Markdown lines: per wire API, the overhead p50 of a new conversation's turn, of its second
    turn (a conversation carried on, short) and of a turn with a full window, and full / new.
    `database_url` is a migrated database."""
    rows, stored = [], 0
    for api, label in APIS.items():
        with fake_model(0.0, 0.0) as model_url, _service(database_url, model_url, api) as base:
            await wait_up(f"{base}/health")
            async with httpx2.AsyncClient(base_url=base, timeout=60) as client:
                token = await register(client)
                new, second, window, stored = await _measure(client, model_url, token, turns, database_url)
        if not all(t.ok for t in new + second + window):
            raise RuntimeError(f"{label}: {sum(not t.ok for t in new + second + window)} turns failed")
        new_o, second_o, full_o = (
            statistics.median(t.total - t.model for t in kind) * 1000 for kind in (new, second, window)
        )
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

    tools = [
        FunctionTool(
            name=op.name,
            description=op.description,
            params_json_schema=json_schema(op.arguments),
            on_invoke_tool=echo,
            strict_json_schema=False,
        )
        for op in OPERATIONS.values()
    ]
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


@asynccontextmanager
async def _throwaway_database() -> AsyncIterator[str]:
    name = f"todo_bench_history_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(normalize_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalize_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _main(turns: int) -> None:
    print("\n".join(await preparation_section()), end="\n\n")
    async with _throwaway_database() as url:
        print("\n".join(await history_section(url, turns)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=20)
    asyncio.run(_main(parser.parse_args().turns))
