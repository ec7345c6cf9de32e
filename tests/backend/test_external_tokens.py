"""Optional JWKS: RS256/ES256 tokens of an external identity provider, users created on first sight."""

import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr, ValidationError

from backend.app import create_app
from backend.security import JwtSettings
from tests.conftest import asgi_client, make_settings
from tests.factories import make_user

ISSUER, AUDIENCE = "https://idp.example", "todo-api"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def _jwk(public_jwk: str, kid: str, alg: str) -> dict:
    return {**json.loads(public_jwk), "kid": kid, "alg": alg, "use": "sig"}


JWKS = {
    "keys": [
        _jwk(RSAAlgorithm.to_jwk(RSA_KEY.public_key()), "rsa-1", "RS256"),
        _jwk(ECAlgorithm.to_jwk(EC_KEY.public_key()), "ec-1", "ES256"),
    ]
}


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(JWKS).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


@pytest.fixture
async def idp_app(database_url: str, jwks_url: str) -> AsyncIterator[FastAPI]:
    app = create_app(
        make_settings(database_url, jwt={"jwks_url": jwks_url, "issuer": ISSUER, "audience": AUDIENCE})
    )
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def idp_client(idp_app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    async with asgi_client(idp_app) as client:
        yield client


def idp_token(
    sub: str, *, key: Any = RSA_KEY, alg: str = "RS256", kid: str = "rsa-1", **changes: object
) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": sub,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "email": f"{sub}@idp.example",
        "name": "Ext User",
        **changes,
    }
    return jwt.encode(
        {k: v for k, v in claims.items() if v is not None}, key, algorithm=alg, headers={"kid": kid}
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_new_subject_becomes_a_user_once(idp_client: httpx2.AsyncClient) -> None:
    sub = f"user_{uuid.uuid4().hex[:8]}"
    first = await idp_client.get("/api/auth/me", headers=bearer(idp_token(sub)))
    assert first.status_code == 200
    assert first.json()["email"] == f"{sub}@idp.example"
    again = await idp_client.get(
        "/api/auth/me", headers=bearer(idp_token(sub, alg="ES256", key=EC_KEY, kid="ec-1"))
    )
    assert again.json()["id"] == first.json()["id"]
    created = await idp_client.post(
        "/api/tasks", json={"title": "from the IdP"}, headers=bearer(idp_token(sub))
    )
    assert created.status_code == 201
    chat = await idp_client.post(
        "/api/chat", json={"message": "show my tasks", "stream": False}, headers=bearer(idp_token(sub))
    )
    assert chat.status_code == 200, chat.text
    assert "from the IdP" in chat.json()["message"]["content"]


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
        {"iss": None},
        {"exp": datetime.now(UTC) - timedelta(minutes=1)},
        {"kid": "unknown"},
    ],
)
async def test_bad_external_tokens_are_401(idp_client: httpx2.AsyncClient, changes: dict) -> None:
    kid = changes.pop("kid", "rsa-1")
    response = await idp_client.get("/api/auth/me", headers=bearer(idp_token("mallory", kid=kid, **changes)))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_token_signed_by_another_key_is_401(idp_client: httpx2.AsyncClient) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = await idp_client.get("/api/auth/me", headers=bearer(idp_token("mallory", key=other)))
    assert response.status_code == 401


async def test_local_tokens_still_work(idp_app: FastAPI, idp_client: httpx2.AsyncClient) -> None:
    user = await make_user(idp_app)
    assert (await idp_client.get("/api/auth/me", headers=user.headers)).json()["id"] == user.id


async def test_without_jwks_external_tokens_are_refused(client: httpx2.AsyncClient) -> None:
    response = await client.get("/api/auth/me", headers=bearer(idp_token("someone")))
    assert response.status_code == 401


async def test_an_external_identity_over_mcp(idp_app: FastAPI, idp_client: httpx2.AsyncClient) -> None:
    """The MCP server takes the same tokens: the subject's local user acts, created on first sight."""
    sub = f"user_{uuid.uuid4().hex[:8]}"
    headers = bearer(idp_token(sub))
    transport = httpx2.ASGITransport(app=idp_app)
    async with (
        httpx2.AsyncClient(transport=transport, headers=headers) as http,
        Client(streamable_http_client("http://testserver/mcp", http_client=http)) as mcp,
    ):
        result = await mcp.call_tool("create_task", {"title": "via MCP"})
    assert not result.is_error, result.content
    tasks = (await idp_client.get("/api/tasks", headers=headers)).json()
    assert [t["title"] for t in tasks["items"]] == ["via MCP"]
    metadata = await idp_client.get("/.well-known/oauth-protected-resource/mcp")
    assert metadata.json()["authorization_servers"] == [ISSUER]


async def test_claims_are_bounded_and_typed(idp_client: httpx2.AsyncClient) -> None:
    """A long name is cut, an email that is not a string address is ignored: neither is a 500
    that locks the user out."""
    sub = f"user_{uuid.uuid4().hex[:8]}"
    long_name = idp_token(sub, name="N" * 5000, email=["a@example.com", "b@example.com"])
    response = await idp_client.get("/api/auth/me", headers=bearer(long_name))
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "N" * 100 and response.json()["email"] is None
    for claims in ({"name": {"first": "Ada"}, "email": 42}, {"name": "bad\x00name", "email": "not an email"}):
        again = await idp_client.get("/api/auth/me", headers=bearer(idp_token(sub, **claims)))
        assert again.status_code == 200 and again.json()["id"] == response.json()["id"]


async def test_external_emails_are_normalised(idp_client: httpx2.AsyncClient) -> None:
    sub = f"user_{uuid.uuid4().hex[:8]}"
    response = await idp_client.get(
        "/api/auth/me", headers=bearer(idp_token(sub, email=f"{sub.upper()}@IDP.example"))
    )
    assert response.json()["email"] == f"{sub}@idp.example"


@pytest.mark.parametrize("sub", ["s" * 256, "bad\x00sub", 12345, ["a", "b"]])
async def test_an_unusable_subject_is_401(idp_client: httpx2.AsyncClient, sub: object) -> None:
    response = await idp_client.get("/api/auth/me", headers=bearer(idp_token(sub)))  # type: ignore[arg-type]
    assert response.status_code == 401


def test_jwks_without_an_issuer_is_refused(jwks_url: str) -> None:
    with pytest.raises(ValidationError, match="JWT_ISSUER is required when JWT_JWKS_URL is set"):
        JwtSettings(jwks_url=jwks_url, secret=SecretStr("s" * 48))
