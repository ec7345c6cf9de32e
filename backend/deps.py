"""Request dependencies: the database session, the authenticated user, the audit origin and the
app's services. All `async def`: a plain `def` dependency costs a thread hand-off per request."""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jwt
from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from agent.chat import ChatService
from backend.errors import unauthorized
from backend.query_models import QueryModel
from backend.security import ExternalIdentity, LocalIdentity, TokenService
from backend.settings import Settings
from db.models import ActionSource
from tools.accounts import UserPublic, get_or_create_external_user, get_user
from tools.audit import Origin
from tools.errors import InvalidInput
from tools.schemas import ActionQuery, TaskQuery

# auto_error=False: a missing token gets our own 401 body rather than FastAPI's.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    # The tools commit their own work; closing rolls back anything left uncommitted.
    async with request.app.state.sessionmaker() as session:
        yield session


# scope="function": the session is closed (its connection back in the pool) before the response is sent.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


async def _engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


# For a route whose one statement needs no session (a plain read): see `tools.task_queries`.
EngineDep = Annotated[AsyncEngine, Depends(_engine)]


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _tokens(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


async def _chat(request: Request) -> ChatService:
    chat: ChatService = request.app.state.chat
    return chat


SettingsDep = Annotated[Settings, Depends(_settings)]
TokensDep = Annotated[TokenService, Depends(_tokens)]
ChatDep = Annotated[ChatService, Depends(_chat)]


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


async def _current_user_id(request: Request, identity: IdentityDep) -> uuid.UUID:
    """The user id of a valid token, without a query for our own tokens: for routes whose own
    statements are scoped by the user id and find the user's row, or whose inserts prove, by
    foreign key, that the user exists (`tools.errors.UnknownUser` otherwise). The request then
    takes a connection only for its real work, and needs no session of its own for it."""
    if isinstance(identity, LocalIdentity):
        return identity.user_id
    async with request.app.state.sessionmaker() as session:
        return (await _current_user(session, identity)).id


CurrentUserId = Annotated[uuid.UUID, Depends(_current_user_id)]


async def _request_id(request: Request) -> str | None:
    request_id: str | None = request.state.request_id
    return request_id


RequestIdDep = Annotated[str | None, Depends(_request_id)]


async def _rest_origin(request_id: RequestIdDep) -> Origin:
    return Origin(source=ActionSource.rest, request_id=request_id)


async def _agent_api_origin(request_id: RequestIdDep) -> Origin:
    return Origin(source=ActionSource.agent_api, request_id=request_id)


RestOrigin = Annotated[Origin, Depends(_rest_origin)]
AgentApiOrigin = Annotated[Origin, Depends(_agent_api_origin)]


async def _timezone(x_timezone: Annotated[str | None, Header()] = None) -> ZoneInfo:
    """The user's time zone (`X-Timezone`, an IANA name): what "today" and "Friday" mean."""
    try:
        return ZoneInfo(x_timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        message = f"unknown time zone {x_timezone!r}; use an IANA name such as Europe/Paris"
        raise InvalidInput(f"X-Timezone: {message}", [{"field": "X-Timezone", "message": message}]) from exc


TimezoneDep = Annotated[ZoneInfo, Depends(_timezone)]


# The query-string models; a route taking one also puts its `.openapi` in `openapi_extra`.
TASK_QUERY = QueryModel(TaskQuery)
ACTION_QUERY = QueryModel(ActionQuery)
TaskQueryDep = Annotated[TaskQuery, Depends(TASK_QUERY)]
ActionQueryDep = Annotated[ActionQuery, Depends(ACTION_QUERY)]
