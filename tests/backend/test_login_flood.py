"""A flood of bad logins from many addresses (each one an argon2 verification) queues for the
password pool instead of taking the CPU from every other request."""

import asyncio
import ipaddress
import secrets
import statistics
import uuid
from time import perf_counter

import httpx2
from fastapi import FastAPI

from tests.factories import AuthedUser

FLOODERS = 12


def client_at(app: FastAPI, address: str) -> httpx2.AsyncClient:
    transport = httpx2.ASGITransport(app=app, client=(address, 40000))
    return httpx2.AsyncClient(transport=transport, base_url="http://testserver")


async def list_latencies(client: httpx2.AsyncClient, user: AuthedUser, count: int) -> list[float]:
    """How long GET /api/tasks takes, `count` times, in seconds."""
    times = []
    for _ in range(count):
        started = perf_counter()
        assert (await client.get("/api/tasks", headers=user.headers)).status_code == 200
        times.append(perf_counter() - started)
        await asyncio.sleep(0.01)
    return times


async def flood(app: FastAPI, stop: asyncio.Event, answered: list[int]) -> None:
    # A new address each time (a botnet, or a trusted proxy's clients): no rate limit applies.
    async with client_at(app, str(ipaddress.IPv4Address(secrets.randbits(32)))) as client:
        while not stop.is_set():
            email = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
            response = await client.post("/api/auth/login", json={"email": email, "password": "guess-guess"})
            answered.append(response.status_code)


async def test_a_login_flood_does_not_slow_other_requests(
    app: FastAPI, client: httpx2.AsyncClient, alice: AuthedUser
) -> None:
    """Quiet and flooded phases alternate, so the machine's own load weighs on both alike."""
    await list_latencies(client, alice, 5)  # warm up
    quiet, loaded, answered = list[float](), list[float](), list[int]()
    for _ in range(3):
        quiet += await list_latencies(client, alice, 8)
        stop = asyncio.Event()
        flooders = [asyncio.create_task(flood(app, stop, answered)) for _ in range(FLOODERS)]
        await asyncio.sleep(0.3)  # the queue fills
        try:
            loaded += await list_latencies(client, alice, 8)
        finally:
            stop.set()
            await asyncio.gather(*flooders)
    quiet_p50, loaded_p50 = statistics.median(quiet), statistics.median(loaded)
    print(f"GET /api/tasks p50: quiet {quiet_p50 * 1000:.1f} ms, under the flood {loaded_p50 * 1000:.1f} ms")
    assert answered and set(answered) == {401}
    assert loaded_p50 <= 3 * quiet_p50
