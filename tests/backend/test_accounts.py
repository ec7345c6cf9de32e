"""Accounts: one normal form for emails (register, login, token), and the password policy."""

import asyncio
import unicodedata
import uuid

import httpx2
import pytest
from sqlalchemy import text

from db.engine import create_engine
from db.migrate import upgrade
from tests.conftest import create_database, drop_database, url_string

PASSPHRASE = "purple elephant umbrella"


def fullwidth(address: str) -> str:
    """The address in fullwidth forms (U+FF01-FF5E): a lookalike that NFKC folds back."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in address)


async def register(client: httpx2.AsyncClient, email: str, password: str = PASSPHRASE) -> httpx2.Response:
    return await client.post("/api/auth/register", json={"email": email, "password": password})


async def test_what_was_registered_in_nfd_logs_in_as_typed_in_nfc(client: httpx2.AsyncClient) -> None:
    local = f"josé.{uuid.uuid4().hex[:6]}"
    nfd = unicodedata.normalize("NFD", f"{local}@example.com")
    nfc = unicodedata.normalize("NFC", f"{local.upper()}@Example.com")
    assert nfd != nfc.lower()
    created = await register(client, nfd)
    assert created.status_code == 201, created.text
    assert created.json()["user"]["email"] == unicodedata.normalize("NFC", f"{local}@example.com")
    for email in (nfc, nfd, f"  {nfc} "):
        login = await client.post("/api/auth/login", json={"email": email, "password": PASSPHRASE})
        assert login.status_code == 200, (email, login.text)
    token = await client.post("/api/auth/token", data={"username": nfc, "password": PASSPHRASE})
    assert token.status_code == 200


async def test_lookalikes_do_not_make_a_second_account(client: httpx2.AsyncClient) -> None:
    email = f"ada.{uuid.uuid4().hex[:6]}@example.com"
    assert (await register(client, email)).status_code == 201
    for lookalike in (fullwidth(email), email.upper(), fullwidth(email.upper())):
        assert lookalike != email
        response = await register(client, lookalike, "another fine passphrase")
        assert response.status_code == 409, lookalike
    login = await client.post("/api/auth/login", json={"email": fullwidth(email), "password": PASSPHRASE})
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("12345678", "too easy to guess"),
        (" " * 8, "too easy to guess"),
        ("password1", "too easy to guess"),
        ("qwertyuiop", "too easy to guess"),
        ("aaaaaaaaaaaaaaaaaaaa", "too easy to guess"),
        ("short", "at least 8"),
        ("x" * 129, "at most 128"),
    ],
)
async def test_weak_passwords_are_refused(client: httpx2.AsyncClient, password: str, why: str) -> None:
    response = await register(client, f"weak-{uuid.uuid4().hex[:8]}@example.com", password)
    assert response.status_code == 422, response.text
    (detail,) = response.json()["error"]["details"]
    assert detail["field"] == "password" and why in detail["message"]


async def test_the_accounts_own_email_is_not_a_password(client: httpx2.AsyncClient) -> None:
    email = f"Grace.Hopper.{uuid.uuid4().hex[:6]}@example.com"
    for password in (email, email.upper(), email.split("@")[0]):
        response = await register(client, email, password)
        assert response.status_code == 422, password
        assert "email" in response.json()["error"]["details"][0]["message"]


async def test_a_strong_password_of_128_characters_is_fine(client: httpx2.AsyncClient) -> None:
    password = ("correct horse battery staple " * 5)[:128]
    assert (await register(client, f"long-{uuid.uuid4().hex[:8]}@example.com", password)).status_code == 201


async def test_migration_0004_normalises_stored_emails() -> None:
    """Rows written before one normal form existed: rewritten to it, unless that would take the
    address of another account (an older lookalike), which is left alone."""
    url = await create_database("todo_migrate")
    try:
        await asyncio.to_thread(upgrade, url_string(url), "0003")
        nfd = unicodedata.normalize("NFD", "rené@example.com")
        rows = {"nfd": nfd, "fullwidth": fullwidth("zoe@example.com"), "plain": "zoe@example.com"}
        engine = create_engine(url_string(url))
        async with engine.begin() as conn:
            for n, email in enumerate(rows.values()):
                await conn.execute(
                    text("INSERT INTO users (id, email, created_at) VALUES (:id, :email, now())"),
                    {"id": uuid.UUID(int=n + 1), "email": email},
                )
        await asyncio.to_thread(upgrade, url_string(url))
        async with engine.connect() as conn:
            after: dict[uuid.UUID, str] = dict(
                (await conn.execute(text("SELECT id, email FROM users ORDER BY id"))).all()
            )
        await engine.dispose()
    finally:
        await drop_database(url)
    assert after[uuid.UUID(int=1)] == "rené@example.com" == unicodedata.normalize("NFC", "rené@example.com")
    # The plain row already holds the normal form: the fullwidth lookalike cannot take it.
    assert after[uuid.UUID(int=3)] == "zoe@example.com"
    assert after[uuid.UUID(int=2)] == fullwidth("zoe@example.com"), "a collision is left alone"
