"""Rate limits over HTTP: the 429 and its headers, whose address counts, and which key each limit
uses (address, account, user)."""

import ipaddress
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from fastapi import FastAPI

from backend.app import create_app
from tests.conftest import make_settings
from tests.factories import PASSWORD, AuthedUser, make_user


def an_address() -> str:
    """A client address no other test uses (the limits' state lives in the shared database)."""
    return str(ipaddress.IPv4Address(secrets.randbits(32)))


@asynccontextmanager
async def limited_app(database_url: str, **settings: Any) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(database_url, **settings))
    async with app.router.lifespan_context(app):
        yield app


def client_at(app: FastAPI, address: str) -> httpx2.AsyncClient:
    transport = httpx2.ASGITransport(app=app, client=(address, 40000))
    return httpx2.AsyncClient(transport=transport, base_url="http://testserver")


async def login(client: httpx2.AsyncClient, email: str, password: str) -> httpx2.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


def assert_limited(response: httpx2.Response, policy: str, quota: int, window_s: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    retry = int(response.headers["retry-after"])
    assert 1 <= retry <= window_s
    assert response.headers["ratelimit-policy"] == f'"{policy}";q={quota};w={window_s}'
    assert response.headers["ratelimit"] == f'"{policy}";r=0;t={retry}'


# Windows of an hour: a test on a loaded machine (password hashing runs at the lowest CPU
# priority) must not see a bucket refill between its requests.


async def test_brute_force_login_is_refused_and_another_address_is_not(database_url: str) -> None:
    async with limited_app(database_url, rate={"login_per_address": "5/hour"}) as app:
        alice, bob = await make_user(app), await make_user(app)
        async with client_at(app, an_address()) as attacker, client_at(app, an_address()) as office:
            for _ in range(5):
                assert (await login(attacker, alice.email, "not her password")).status_code == 401
            refused = await login(attacker, alice.email, "not her password either")
            assert_limited(refused, "login-address", 5, 3600)
            # Checked before the password: even the right one waits, and costs no hashing.
            assert_limited(await login(attacker, alice.email, PASSWORD), "login-address", 5, 3600)
            token = await attacker.post("/api/auth/token", data={"username": bob.email, "password": PASSWORD})
            assert_limited(token, "login-address", 5, 3600)

            assert (await login(office, bob.email, PASSWORD)).status_code == 200
            assert (await login(office, alice.email, PASSWORD)).status_code == 200


async def test_an_account_is_limited_across_addresses(database_url: str) -> None:
    async with limited_app(database_url, rate={"login_per_account": "3/15m"}) as app:
        alice, bob = await make_user(app), await make_user(app)
        for _ in range(3):
            async with client_at(app, an_address()) as client:
                assert (await login(client, alice.email.upper(), "guess")).status_code == 401
        async with client_at(app, an_address()) as client:
            assert_limited(await login(client, alice.email, "guess"), "login-account", 3, 900)
            assert (await login(client, bob.email, PASSWORD)).status_code == 200


async def test_sign_ups_are_limited_per_address(database_url: str) -> None:
    async with (
        limited_app(database_url, rate={"register_per_address": "2/hour"}) as app,
        client_at(app, an_address()) as client,
    ):
        for expected in (201, 201, 429):
            email = f"new-{uuid.uuid4().hex[:8]}@example.com"
            response = await client.post(
                "/api/auth/register", json={"email": email, "password": "a fine long passphrase"}
            )
            assert response.status_code == expected, response.text
        assert_limited(response, "register", 2, 3600)


async def test_forwarded_for_counts_only_from_a_trusted_proxy(database_url: str) -> None:
    settings = {"rate": {"login_per_address": "2/hour"}, "forwarded_allow_ips": ["10.0.0.0/8"]}
    async with limited_app(database_url, **settings) as app:
        user = await make_user(app)
        # A client that is not a proxy cannot choose its address: every header names it, it counts once.
        async with client_at(app, an_address()) as direct:
            codes = [
                (await direct.post(
                    "/api/auth/login",
                    json={"email": user.email, "password": "wrong"},
                    headers={"X-Forwarded-For": an_address()},
                )).status_code
                for _ in range(3)
            ]  # fmt: skip
        assert codes == [401, 401, 429]
        # Behind the trusted proxy, each client it names has its own budget.
        async with client_at(app, "10.20.30.40") as proxy:
            clients = [an_address() for _ in range(3)]
            for client in clients:
                response = await proxy.post(
                    "/api/auth/login",
                    json={"email": user.email, "password": "wrong"},
                    headers={"X-Forwarded-For": f"{an_address()}, {client}"},  # the proxy appends the peer
                )
                assert response.status_code == 401
            for expected in (401, 429):
                response = await proxy.post(
                    "/api/auth/login",
                    json={"email": user.email, "password": "wrong"},
                    headers={"X-Forwarded-For": clients[0]},
                )
                assert response.status_code == expected


async def test_ipv6_clients_count_by_their_64(database_url: str) -> None:
    prefix = f"2001:db8:{secrets.randbits(16):x}:{secrets.randbits(16):x}"
    async with limited_app(database_url, rate={"login_per_address": "2/hour"}) as app:
        user = await make_user(app)
        codes = []
        for host in ("::1", "::2", "::3"):  # three addresses of one subscriber's network
            async with client_at(app, f"{prefix}{host}") as client:
                codes.append((await login(client, user.email, "wrong")).status_code)
    assert codes == [401, 401, 429]


async def test_imports_are_limited_per_user(database_url: str) -> None:
    transcript = {"turns": [{"user_message": "hello", "reply": "hi"}]}
    async with limited_app(database_url, rate={"import_per_user": "1/hour"}) as app:
        alice, bob = await make_user(app), await make_user(app)
        async with client_at(app, an_address()) as client:
            imported = [
                (
                    await client.post("/api/conversations/import", json=transcript, headers=user.headers)
                ).status_code
                for user in (alice, alice, bob)
            ]
            assert imported == [201, 429, 201]


async def limited_chat(client: httpx2.AsyncClient, user: AuthedUser) -> httpx2.Response:
    return await client.post(
        "/api/chat", json={"message": "show my tasks", "stream": False}, headers=user.headers
    )


async def test_chat_messages_are_limited_per_user(database_url: str) -> None:
    settings = {"rate": {"chat_per_user": "2/hour"}, "llm": {"provider": "offline"}}
    async with limited_app(database_url, **settings) as app:
        alice, bob = await make_user(app), await make_user(app)
        async with client_at(app, an_address()) as client:
            assert [(await limited_chat(client, alice)).status_code for _ in range(2)] == [200, 200]
            refused = await limited_chat(client, alice)
            assert_limited(refused, "chat", 2, 3600)
            compat = await client.post(
                f"/api/{alice.id}/chat", json={"message": "show my tasks"}, headers=alice.headers
            )
            assert compat.status_code == 429
            ui_message = {"id": "m1", "role": "user", "parts": [{"type": "text", "text": "show my tasks"}]}
            ui = await client.post(
                "/api/chat/ui", json={"id": "ui-chat", "messages": [ui_message]}, headers=alice.headers
            )
            assert ui.status_code == 429 and ui.json()["error"]["code"] == "rate_limited"
            assert (await limited_chat(client, bob)).status_code == 200
