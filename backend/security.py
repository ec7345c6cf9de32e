"""Access tokens: issuing our own HMAC-signed tokens and verifying them (and, optionally, an IdP's)."""

import asyncio
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import jwt
from jwt import PyJWKClient
from pydantic import BaseModel, Field, SecretStr, model_validator

from agent.config import CommaSeparated
from db.limits import NAME_MAX, SUBJECT_MAX
from db.types import utcnow
from tools.emails import email_or_none
from tools.schemas import storable_text

log = logging.getLogger(__name__)
_REQUIRED = ["exp", "sub", "iat"]
MIN_SECRET_BYTES = 32
# Our own tokens verified lately, each with its expiry: a client sends the same token on every
# request, and checking its signature and claims again cost more than a tenth of a task read.
VERIFIED_KEPT = 4096


class WeakSecretError(ValueError):
    pass


class JwtSettings(BaseModel):
    """`JWT_*`: how tokens are signed and which external ones are trusted."""

    secret: SecretStr | None = None
    algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    # Optional: also accept tokens of an external identity provider (Better Auth, Auth0, ...).
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    jwks_algorithms: CommaSeparated = Field(default_factory=lambda: ["RS256", "ES256"])

    @model_validator(mode="after")
    def _issuer_with_jwks(self) -> "JwtSettings":
        # Without an issuer to check, a token of any tenant or provider whose keys share the JWKS
        # (a multi-tenant IdP) would be accepted.
        if self.jwks_url and not self.issuer:
            raise ValueError("JWT_ISSUER is required when JWT_JWKS_URL is set")
        return self

    def secret_problem(self) -> str | None:
        secret = self.secret.get_secret_value() if self.secret else ""
        if not secret:
            return "JWT_SECRET is not set"
        if len(secret.encode()) < MIN_SECRET_BYTES:
            return f"JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes"
        return None


@dataclass(frozen=True)
class LocalIdentity:
    user_id: uuid.UUID


@dataclass(frozen=True)
class ExternalIdentity:
    subject: str
    email: str | None
    name: str | None


class TokenService:
    def __init__(self, settings: JwtSettings, lifetime_minutes: int) -> None:
        self._secret = _signing_secret(settings)
        self._algorithm = settings.algorithm
        self._lifetime = timedelta(minutes=lifetime_minutes)
        self._issuer = settings.issuer
        self._audience = settings.audience
        self._external_algorithms = settings.jwks_algorithms
        self._jwks = (
            PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=300, timeout=5)
            if settings.jwks_url
            else None
        )
        self._verified: dict[str, tuple[LocalIdentity, float]] = {}

    @property
    def lifetime_s(self) -> int:
        return int(self._lifetime.total_seconds())

    def issue(self, user_id: uuid.UUID) -> str:
        now = utcnow()
        claims = {"sub": str(user_id), "iat": now, "exp": now + self._lifetime}
        return jwt.encode(claims, self._secret, algorithm=self._algorithm)

    async def verify(self, token: str) -> LocalIdentity | ExternalIdentity:
        """Raise `jwt.PyJWTError` for anything but a valid, unexpired token of a trusted issuer."""
        verified = self._verified.get(token)
        if verified is not None and time.time() < verified[1]:
            return verified[0]  # the very same bytes passed every check below, and have not expired
        algorithm = jwt.get_unverified_header(token).get("alg")
        if self._jwks is not None and algorithm in self._external_algorithms:
            return await self._verify_external(token)
        # The algorithm list is pinned: "none" and public-key algorithms are refused here.
        claims = jwt.decode(token, self._secret, algorithms=[self._algorithm], options={"require": _REQUIRED})
        try:
            identity = LocalIdentity(uuid.UUID(claims["sub"]))
        except ValueError as exc:
            raise jwt.InvalidTokenError("sub is not a user id") from exc
        self._remember(token, identity, float(claims["exp"]))
        return identity

    def _remember(self, token: str, identity: LocalIdentity, expires: float) -> None:
        if len(self._verified) >= VERIFIED_KEPT:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = (identity, expires)

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
        return external_identity(claims)


def external_identity(claims: dict[str, object]) -> ExternalIdentity:
    """The identity an external token's claims describe, bounded and typed: the subject must be a
    storable string that fits its column (else the token is refused); a name is cut to fit, and
    an email that is not a string address is ignored rather than trusted."""
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject or len(subject) > SUBJECT_MAX or _unstorable(subject):
        raise jwt.InvalidTokenError("sub is not a usable subject")
    name = claims.get("name")
    if not isinstance(name, str) or _unstorable(name) or not name.strip():
        name = None
    return ExternalIdentity(
        subject=subject,
        email=email_or_none(claims.get("email")),
        name=name.strip()[:NAME_MAX] if name else None,
    )


def _unstorable(text: str) -> bool:
    try:
        storable_text(text)
    except ValueError:
        return True
    return False


def _signing_secret(settings: JwtSettings) -> str:
    """The configured secret; without one (outside production) a random one for this process only.

    Nothing published ever signs a token: a missing secret means tokens that end with a restart
    and that other instances reject, said loudly, never tokens anyone could forge."""
    problem = settings.secret_problem()
    if problem:
        log.warning(
            "\n%s\n  INSECURE: %s. Signing tokens with a random secret for this process only:\n"
            "  they end with a restart and other instances reject them.\n"
            "  Set JWT_SECRET (e.g. `openssl rand -hex 32`) before exposing this service.\n%s",
            "!" * 78,
            problem,
            "!" * 78,
        )
    if settings.secret and settings.secret.get_secret_value():
        return settings.secret.get_secret_value()
    return secrets.token_hex(32)
