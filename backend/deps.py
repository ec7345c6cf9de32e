"""Request dependencies: the database session, the authenticated user and the audit origin."""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.errors import unauthorized
from backend.security import ExternalIdentity, LocalIdentity, TokenService
from db.models import ActionSource
from tools.accounts import UserPublic, get_or_create_external_user, get_user
from tools.audit import Origin

# auto_error=False: a missing token gets our own 401 body rather than FastAPI's.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    # The tools commit their own work; closing rolls back anything left uncommitted.
    async with request.app.state.sessionmaker() as session:
        yield session


# scope="function": the session is closed (its connection back in the pool) before the response is sent.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


def _tokens(request: Request) -> TokenService:
    return request.app.state.tokens


TokensDep = Annotated[TokenService, Depends(_tokens)]


async def _identity(
    tokens: TokensDep, token: Annotated[str | None, Depends(_bearer)]
) -> LocalIdentity | ExternalIdentity:
    if not token:
        raise unauthorized("missing bearer token")
    try:
        return await tokens.verify(token)
    except jwt.PyJWTError as exc:
        raise unauthorized("invalid or expired token") from exc


IdentityDep = Annotated[LocalIdentity | ExternalIdentity, Depends(_identity)]


async def _current_user(session: SessionDep, identity: IdentityDep) -> UserPublic:
    if isinstance(identity, ExternalIdentity):
        return await get_or_create_external_user(
            session, subject=identity.subject, email=identity.email, name=identity.name
        )
    user = await get_user(session, identity.user_id)
    if user is None:
        raise unauthorized("invalid or expired token")
    return user


CurrentUser = Annotated[UserPublic, Depends(_current_user)]


async def _current_user_id(session: SessionDep, identity: IdentityDep) -> uuid.UUID:
    """The user id of a valid token, without a query for our own tokens: for routes whose own
    statements are scoped by the user id and whose inserts prove, by foreign key, that the user
    exists (the chat turn). The request then takes a connection only for its real work."""
    if isinstance(identity, LocalIdentity):
        return identity.user_id
    return (await _current_user(session, identity)).id


CurrentUserId = Annotated[uuid.UUID, Depends(_current_user_id)]


def _origin(source: ActionSource):
    def origin(request: Request) -> Origin:
        return Origin(source=source, request_id=request.state.request_id)

    return origin


RestOrigin = Annotated[Origin, Depends(_origin(ActionSource.rest))]
AgentApiOrigin = Annotated[Origin, Depends(_origin(ActionSource.agent_api))]
