"""Admission: the rate limits and caps each route applies, as dependencies (or, where the key is
in the body, a call at the top of the handler).

The client address is the connection's peer, which `ProxyHeadersMiddleware` (installed by the
app for `FORWARDED_ALLOW_IPS`) has replaced with the `X-Forwarded-For` client only when that peer
is a trusted proxy. IPv6 addresses are counted by their /64 network: one subscriber usually holds
a whole /64, so counting single addresses would let them pick a fresh one for every request.
"""

import hashlib
import ipaddress
import uuid
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import bindparam, func, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.deps import CurrentUserId, SessionDep, SettingsDep
from backend.ratelimit import RateLimited, RateStore, enforce
from db.models import Conversation
from db.types import UTCDateTime, utcnow

# pg_advisory_xact_lock's first key: what the lock is about (the second is the user).
_RUNNING_TURNS_LOCK = 0x7475726E  # "turn"
RUNNING_TURNS_RETRY_S = 5
RATE_LIMITED = "Over a rate limit or a cap on running turns: see Retry-After."
# Built once (a turn's start runs them): the counts of running turns, and the lock around them.
_LOCK = text("SELECT pg_advisory_xact_lock(:scope, :user_key)")
_RUNNING = select(func.count()).where(~Conversation.lease_free(bindparam("now", type_=UTCDateTime)))
_RUNNING_OF_USER = _RUNNING.where(col(Conversation.user_id) == bindparam("user_id"))


async def _store(request: Request) -> RateStore:
    store: RateStore = request.app.state.rate_store
    return store


RateStoreDep = Annotated[RateStore, Depends(_store)]


async def _client_address(request: Request) -> str:
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64] or "unknown"  # not an IP (a test client, a proxy's odd value): as given
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


ClientAddress = Annotated[str, Depends(_client_address)]


async def admit_login(store: RateStore, settings: SettingsDep, address: str, email: str) -> None:
    """A login (or token) attempt: counted per client address first, then per account. Checked
    before the password is verified, so a refused guess costs no hashing either."""
    rates = settings.rate
    await enforce(
        store,
        policy="login-address",
        key=address,
        rate=rates.login_per_address,
        message="too many login attempts from this address",
    )
    account = hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()  # no address in the table
    await enforce(
        store,
        policy="login-account",
        key=account,
        rate=rates.login_per_account,
        message="too many login attempts for this account",
    )


async def _admit_registration(store: RateStoreDep, settings: SettingsDep, address: ClientAddress) -> None:
    await enforce(
        store,
        policy="register",
        key=address,
        rate=settings.rate.register_per_address,
        message="too many sign-ups from this address",
    )


async def _admit_import(store: RateStoreDep, settings: SettingsDep, user_id: CurrentUserId) -> None:
    await enforce(
        store,
        policy="import",
        key=str(user_id),
        rate=settings.rate.import_per_user,
        message="too many transcript imports",
    )


async def _admit_turn(
    store: RateStoreDep, settings: SettingsDep, session: SessionDep, user_id: CurrentUserId
) -> None:
    """A new chat turn: within the user's message rate, and under the caps on running turns."""
    await enforce(
        store,
        policy="chat",
        key=str(user_id),
        rate=settings.rate.chat_per_user,
        message="too many chat messages",
    )
    await check_running_turns(
        session,
        user_id=user_id,
        per_user=settings.rate.running_turns_per_user,
        total=settings.rate.running_turns_total,
    )


async def check_running_turns(
    session: AsyncSession, *, user_id: uuid.UUID, per_user: int, total: int
) -> None:
    """429 if the user already has `per_user` turns running (or everyone `total`, if set).

    A running turn is a conversation under an unexpired lease. On PostgreSQL the count is taken
    under a transaction-level advisory lock per user, in the request's own transaction, which
    starting the turn commits: two simultaneous messages of one user are counted one after the
    other, so the cap holds exactly. The total cap takes no lock (it would serialise every turn
    start of the service): a burst of simultaneous starts may pass it by their number."""
    if (await session.connection()).dialect.name == "postgresql":
        user_key = int.from_bytes(user_id.bytes[:4], "big", signed=True)
        # Its own statement: the count below must take its snapshot after the lock is held (one
        # statement would count from a snapshot taken before it waited for the lock).
        await session.exec(_LOCK, params={"scope": _RUNNING_TURNS_LOCK, "user_key": user_key})  # type: ignore[call-overload]
    now = utcnow()
    mine = (await session.exec(_RUNNING_OF_USER, params={"now": now, "user_id": user_id})).one()
    if mine >= per_user:
        raise _busy("running-turns", per_user, f"you already have {per_user} replies being written")
    if total and (await session.exec(_RUNNING, params={"now": now})).one() >= total:
        raise _busy("running-turns-total", total, "the service is answering as many messages as it can")


def _busy(policy: str, quota: int, message: str) -> RateLimited:
    return RateLimited(
        message, policy=policy, retry_after_s=RUNNING_TURNS_RETRY_S, quota=quota, window_s=None
    )


# Dependencies for the routes: `dependencies=[AdmitTurn]`, or a parameter of the same type.
AdmitRegistration = Depends(_admit_registration)
AdmitImport = Depends(_admit_import)
AdmitTurn = Depends(_admit_turn)
