"""Transcript import at its limits: a maximum-size one keeps the instance responsive, one past
a limit is refused quickly."""

import asyncio
import json
import statistics
from time import perf_counter
from typing import Any

import httpx2
from sqlmodel import col, func, select

from agent.transcript_items import ITEMS_MAX, TURNS_MAX
from db.models import ConversationItem
from tests.factories import AuthedUser

ITEMS_PER_TURN = ITEMS_MAX // TURNS_MAX  # 10: the total is reached with every turn full


def turn(n: int, items: int = ITEMS_PER_TURN) -> dict[str, Any]:
    """A turn as export writes it: a message, tool calls with their outputs, a reply."""
    history: list[dict[str, Any]] = [{"role": "user", "content": f"message {n} " + "u" * 300}]
    for k in range((items - 2) // 2):
        call_id = f"call_{n}_{k}"
        arguments = json.dumps({"search": "s" * 100})
        history += [
            {"type": "function_call", "call_id": call_id, "name": "list_tasks", "arguments": arguments},
            {"type": "function_call_output", "call_id": call_id, "output": json.dumps({"pad": "o" * 300})},
        ]
    history.append(
        {
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "r" * 300, "annotations": [], "logprobs": []}],
        }
    )
    return {
        "user_message": f"message {n}",
        "reply": "done",
        "items": history,
        "created_at": "2026-11-01T10:00:00Z",
    }


def encoded(turns: list[dict[str, Any]]) -> bytes:
    return json.dumps({"title": "big", "turns": turns}).encode()


class Probe:
    """Asks /health every few milliseconds, and measures how late the event loop wakes up."""

    def __init__(self, client: httpx2.AsyncClient) -> None:
        self.client, self.latencies, self.stalls = client, list[float](), list[float]()
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            started = perf_counter()
            assert (await self.client.get("/health")).status_code == 200
            self.latencies.append(perf_counter() - started)
            before = perf_counter()
            await asyncio.sleep(0.002)
            self.stalls.append(perf_counter() - before - 0.002)

    def p99(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98]

    async def around(self, work: Any) -> Any:
        task = asyncio.create_task(self.run())
        await asyncio.sleep(0.05)
        try:
            return await work
        finally:
            self._stop.set()
            await task


async def test_a_maximum_import_leaves_the_instance_responsive(
    client: httpx2.AsyncClient, alice: AuthedUser, app: Any
) -> None:
    body = encoded([turn(n) for n in range(TURNS_MAX)])
    assert len(body) < 5 * 1024 * 1024, "within the body limit"
    probe = Probe(client)
    started = perf_counter()
    response = await probe.around(
        client.post(
            "/api/conversations/import",
            content=body,
            headers={**alice.headers, "Content-Type": "application/json"},
            timeout=60,
        )
    )
    elapsed = perf_counter() - started
    assert response.status_code == 201, response.text[:500]
    print(f"import {elapsed:.2f}s, /health p99 {probe.p99() * 1000:.1f}ms over {len(probe.latencies)}, "
          f"longest stall {max(probe.stalls) * 1000:.1f}ms")  # fmt: skip
    assert len(probe.latencies) >= 50
    assert probe.p99() < 0.1
    # The event loop was never held for long (the aim is 50 ms; this machine is shared and noisy).
    assert max(probe.stalls) < 0.1
    async with app.state.sessionmaker() as session:
        stored = select(func.count()).where(col(ConversationItem.conversation_id) == response.json()["id"])
        assert (await session.exec(stored)).one() == ITEMS_MAX


async def test_past_a_limit_is_refused_quickly(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    over = {
        "turns": encoded([turn(n) for n in range(TURNS_MAX + 1)]),
        "items in total": encoded([turn(n, ITEMS_PER_TURN + 2) for n in range(TURNS_MAX)]),
        "items in a turn": json.dumps({"turns": [{"user_message": "hi", "items": [{}] * 200_000}]}).encode(),
    }
    for case, body in over.items():
        started = perf_counter()
        response = await client.post(
            "/api/conversations/import",
            content=body,
            headers={**alice.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, (case, response.text[:300])
        assert perf_counter() - started < 2, case
