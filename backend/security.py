"""Access tokens: issuing our own HS256 tokens and verifying them (and, optionally, an IdP's)."""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt
from jwt import PyJWKClient

from backend.settings import Settings
from db.types import utcnow

_REQUIRED = ["exp", "sub", "iat"]


@dataclass(frozen=True)
class LocalIdentity:
    user_id: uuid.UUID


@dataclass(frozen=True)
class ExternalIdentity:
    subject: str
    email: str | None
    name: str | None


class TokenService:
    def __init__(self, settings: Settings) -> None:
        self._secret = settings.signing_secret()
        self._algorithm = settings.jwt_algorithm
        self._lifetime = timedelta(minutes=settings.access_token_expire_minutes)
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._external_algorithms = settings.jwt_jwks_algorithms
        self._jwks = (
            PyJWKClient(settings.jwt_jwks_url, cache_keys=True, lifespan=300, timeout=5)
            if settings.jwt_jwks_url
            else None
        )

    @property
    def lifetime_s(self) -> int:
        return int(self._lifetime.total_seconds())

    def issue(self, user_id: uuid.UUID) -> str:
        now = utcnow()
        claims = {"sub": str(user_id), "iat": now, "exp": now + self._lifetime}
        return jwt.encode(claims, self._secret, algorithm=self._algorithm)

    async def verify(self, token: str) -> LocalIdentity | ExternalIdentity:
        """Raise `jwt.PyJWTError` for anything but a valid, unexpired token of a trusted issuer."""
        algorithm = jwt.get_unverified_header(token).get("alg")
        if self._jwks is not None and algorithm in self._external_algorithms:
            return await self._verify_external(token)
        # The algorithm list is pinned: "none" and public-key algorithms are refused here.
        claims = jwt.decode(token, self._secret, algorithms=[self._algorithm], options={"require": _REQUIRED})
        try:
            return LocalIdentity(uuid.UUID(claims["sub"]))
        except ValueError as exc:
            raise jwt.InvalidTokenError("sub is not a user id") from exc

    async def _verify_external(self, token: str) -> ExternalIdentity:
        assert self._jwks is not None
        # PyJWKClient fetches with blocking urllib; keep it off the event loop.
        key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        claims = jwt.decode(
            token,
            key,
            algorithms=self._external_algorithms,
            issuer=self._issuer,
            audience=self._audience,
            options={"require": _REQUIRED + (["iss"] if self._issuer else [])},
        )
        return ExternalIdentity(
            subject=str(claims["sub"]), email=claims.get("email"), name=claims.get("name")
        )
