"""Request dependencies: the database session, the authenticated user and the audit origin."""

from collections.abc import AsyncIterator
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.errors import unauthorized
from backend.security import ExternalIdentity, TokenService
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


async def _current_user(
    session: SessionDep, tokens: TokensDep, token: Annotated[str | None, Depends(_bearer)]
) -> UserPublic:
    if not token:
        raise unauthorized("missing bearer token")
    try:
        identity = await tokens.verify(token)
    except jwt.PyJWTError as exc:
        raise unauthorized("invalid or expired token") from exc
    if isinstance(identity, ExternalIdentity):
        return await get_or_create_external_user(
            session, subject=identity.subject, email=identity.email, name=identity.name
        )
    user = await get_user(session, identity.user_id)
    if user is None:
        raise unauthorized("invalid or expired token")
    return user


CurrentUser = Annotated[UserPublic, Depends(_current_user)]


def _origin(source: ActionSource):
    def origin(request: Request) -> Origin:
        return Origin(source=source, request_id=request.state.request_id)

    return origin


RestOrigin = Annotated[Origin, Depends(_origin(ActionSource.rest))]
AgentApiOrigin = Annotated[Origin, Depends(_origin(ActionSource.agent_api))]
