"""Registration, login and every way a bearer token can be bad."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx2
import jwt
import pytest

from tests.conftest import JWT_SECRET
from tests.factories import PASSWORD, AuthedUser


async def test_register_returns_token_and_user(client: httpx2.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"email": "Ada@Example.com", "password": "analytical engine", "name": "Ada"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["name"] == "Ada"
    assert "password" not in response.text and "hash" not in response.text
    claims = jwt.decode(body["access_token"], JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == body["user"]["id"]
    assert claims["exp"] - claims["iat"] == 3600


async def test_token_works_for_me(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    response = await client.get("/api/auth/me", headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["id"] == alice.id


async def test_duplicate_email_is_409_whatever_the_case(
    client: httpx2.AsyncClient, alice: AuthedUser
) -> None:
    response = await client.post(
        "/api/auth/register", json={"email": alice.email.upper(), "password": "another-password"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": "long-enough"}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"password": "long-enough"}, "email"),
    ],
)
async def test_register_validation(client: httpx2.AsyncClient, payload: dict, field: str) -> None:
    response = await client.post("/api/auth/register", json=payload)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]


async def test_login(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    response = await client.post("/api/auth/login", json={"email": alice.email.upper(), "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["user"]["id"] == alice.id
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["id"] == alice.id


async def test_wrong_password_and_unknown_email_are_indistinguishable(
    client: httpx2.AsyncClient, alice: AuthedUser
) -> None:
    wrong = await client.post("/api/auth/login", json={"email": alice.email, "password": "wrong password"})
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "whatever1"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"] == "Bearer"


async def test_oauth2_token_form(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    response = await client.post("/api/auth/token", data={"username": alice.email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
    bad = await client.post("/api/auth/token", data={"username": alice.email, "password": "nope-nope"})
    assert bad.status_code == 401


def _token(claims: dict, key: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _claims(user_id: str, **changes: object) -> dict:
    now = datetime.now(UTC)
    claims = {"sub": user_id, "iat": now, "exp": now + timedelta(minutes=5), **changes}
    return {k: v for k, v in claims.items() if v is not None}


def _bad_tokens(user: AuthedUser) -> dict[str, str]:
    now = datetime.now(UTC)
    head, _, signature = user.token.split(".")
    return {
        "malformed": "not-a-jwt",
        "tampered payload": f"{head}.{_token(_claims(str(uuid.uuid4()))).split('.')[1]}.{signature}",
        "wrong key": _token(_claims(user.id), key="another-secret-that-is-long-enough-for-hs256-0123456789"),
        "expired": _token(_claims(user.id, iat=now - timedelta(hours=2), exp=now - timedelta(hours=1))),
        "alg none": jwt.encode(_claims(user.id), None, algorithm="none"),  # type: ignore[arg-type]
        "other HMAC alg": _token(_claims(user.id), algorithm="HS512"),
        "no exp": _token(_claims(user.id, exp=None)),
        "no sub": _token(_claims(user.id, sub=None)),
        "no iat": _token(_claims(user.id, iat=None)),
        "sub not a user id": _token(_claims("admin")),
        "unknown user": _token(_claims(str(uuid.uuid4()))),
    }


async def test_every_bad_token_is_401_with_challenge(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    for name, token in _bad_tokens(alice).items():
        headers = {"Authorization": f"Bearer {token}"}
        # The chat authenticates from the token alone; its own insert catches a user that is gone.
        for response in (
            await client.get("/api/tasks", headers=headers),
            await client.post("/api/chat", json={"message": "hi", "stream": False}, headers=headers),
        ):
            assert response.status_code == 401, name
            assert response.headers["www-authenticate"] == "Bearer", name
            assert response.json()["error"]["code"] == "unauthorized", name


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}])
async def test_missing_token_is_401(client: httpx2.AsyncClient, headers: dict) -> None:
    response = await client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_registration_survives_concurrent_duplicates(client: httpx2.AsyncClient) -> None:
    email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    results = await asyncio.gather(
        *(
            client.post("/api/auth/register", json={"email": email, "password": "race to the finish"})
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]


async def test_a_token_that_worked_is_refused_once_it_expires(
    client: httpx2.AsyncClient, alice: AuthedUser
) -> None:
    """Verified tokens are remembered (a client sends the same one every time): not past their expiry."""
    now = datetime.now(UTC)
    expires = now.replace(microsecond=0) + timedelta(seconds=2)
    headers = {"Authorization": f"Bearer {_token(_claims(alice.id, iat=now, exp=expires))}"}
    assert (await client.get("/api/tasks", headers=headers)).status_code == 200
    assert (await client.get("/api/tasks", headers=headers)).status_code == 200
    await asyncio.sleep((expires - datetime.now(UTC)).total_seconds() + 0.05)
    response = await client.get("/api/tasks", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
