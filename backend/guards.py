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
from fastapi.responses import JSONResponse

from agent.errors import TooManyTurns
from agent.turns import TurnCaps
from backend.deps import CurrentUserId, SettingsDep
from backend.errors import error_response
from backend.ratelimit import RateLimited, RateSettings, RateStore, enforce
from backend.settings import Settings

RUNNING_TURNS_RETRY_S = 5
RATE_LIMITED = "Over a rate limit or a cap on running turns: see Retry-After."


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


async def _admit_turn(request: Request, user_id: CurrentUserId) -> uuid.UUID:
    """The user, admitted for a new chat turn: within their message rate. (The caps on running
    turns are checked as the turn starts, in its transaction: `agent.turns.start_turn`.) The
    store and settings come from the app's state, not as dependencies of their own: FastAPI
    solves every dependency on every request, and this is on the way to the chat's first byte."""
    settings: Settings = request.app.state.settings
    await enforce(
        request.app.state.rate_store,
        policy="chat",
        key=str(user_id),
        rate=settings.rate.chat_per_user,
        message="too many chat messages",
    )
    return user_id


def turn_caps(settings: RateSettings) -> TurnCaps:
    return TurnCaps(per_user=settings.running_turns_per_user, total=settings.running_turns_total)


async def refuse_turn(_: Request, exc: Exception) -> JSONResponse:
    """A cap on running turns is reached: 429 as for a rate limit, to try again shortly."""
    assert isinstance(exc, TooManyTurns)
    limited = RateLimited(
        exc.message, policy=exc.policy, retry_after_s=RUNNING_TURNS_RETRY_S, quota=exc.quota, window_s=None
    )
    return error_response(429, limited.code, limited.message, headers=limited.headers)


# Dependencies for the routes: `dependencies=[AdmitImport]`, or a parameter of the same type.
AdmitRegistration = Depends(_admit_registration)
AdmitImport = Depends(_admit_import)
# The authenticated user of a chat route, admitted for a new turn (or 401, or 429).
AdmittedUserId = Annotated[uuid.UUID, Depends(_admit_turn)]
