"""MCP: the five task operations as MCP tools, at `/mcp` on the same app.

Streamable HTTP, stateless, with JSON responses, so any instance answers any request. The tools
are the registry's, published with the names, descriptions and schemas the agent gets, and each
call goes through `tools.registry.invoke` like the agent's: validated, one transaction, audited
with source `mcp`. The user is the verified bearer token's (the REST API's own verification),
never an argument.
"""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import jwt
from fastapi import FastAPI
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, TextContent
from mcp_types import Tool as McpTool
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.routing import BaseRoute, Route

from agent.config import CommaSeparated
from backend.observability import request_id_var
from backend.security import ExternalIdentity, TokenService
from db.models import ActionSource
from tools.accounts import UserPublic, get_or_create_external_user, get_user
from tools.audit import INTERNAL_ERROR, Origin
from tools.errors import DomainError
from tools.registry import OPERATIONS, invoke, json_schema

log = logging.getLogger(__name__)
Sessions = Callable[[], async_sessionmaker[AsyncSession]]  # the app's, once its lifespan made it

INSTRUCTIONS = (
    "The signed-in user's task list. Find a task's id with list_tasks (search by words of its "
    "title) before reading, changing or deleting it."
)


class McpSettings(BaseModel):
    """`MCP_*`: the MCP endpoint."""

    # Its public URL: the resource its tokens are for, and where clients find the metadata.
    resource_url: str = "http://localhost:8000/mcp"
    # DNS-rebinding protection: the Host and Origin headers accepted, besides the resource URL's.
    allowed_hosts: CommaSeparated = Field(
        default_factory=lambda: [
            "localhost",
            "localhost:*",
            "127.0.0.1",
            "127.0.0.1:*",
            "[::1]:*",
            "testserver",
        ],
    )
    allowed_origins: CommaSeparated = Field(
        default_factory=lambda: ["http://localhost", "http://localhost:*", "http://127.0.0.1:*"]
    )

    def transport_security(self) -> TransportSecuritySettings:
        own = urlsplit(self.resource_url)
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=[*self.allowed_hosts, own.netloc],
            allowed_origins=[*self.allowed_origins, f"{own.scheme}://{own.netloc}"],
        )


class BearerUsers(TokenVerifier):
    """A bearer token as the REST API checks it; the MCP user is the token's local user id."""

    def __init__(self, tokens: TokenService, sessions: Sessions) -> None:
        self._tokens, self._sessions = tokens, sessions

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            identity = await self._tokens.verify(token)
        except jwt.PyJWTError:
            return None  # the transport answers 401 with the metadata's address
        async with self._sessions()() as session:
            if isinstance(identity, ExternalIdentity):
                user: UserPublic | None = await get_or_create_external_user(
                    session, subject=identity.subject, email=identity.email, name=identity.name
                )
            else:  # a token can outlive its user, as for the REST API's CurrentUser
                user = await get_user(session, identity.user_id)
        if user is None:
            return None
        return AccessToken(token=token, client_id=str(user.id), scopes=[], subject=str(user.id))


class TaskServer(MCPServer):
    """The registry's operations as tools; nothing is registered by decorator."""

    def __init__(self, sessions: Sessions, *, verifier: TokenVerifier, auth: AuthSettings) -> None:
        super().__init__("todo-tasks", instructions=INSTRUCTIONS, token_verifier=verifier, auth=auth)
        self._sessions = sessions

    async def list_tools(self) -> list[McpTool]:
        return [
            McpTool(name=op.name, description=op.description, input_schema=json_schema(op.arguments))
            for op in OPERATIONS.values()
        ]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult:
        token = get_access_token()
        assert token is not None and token.subject, "the transport lets no unauthenticated call through"
        origin = Origin(source=ActionSource.mcp, request_id=request_id_var.get())
        try:
            async with self._sessions()() as session:
                invocation = await invoke(
                    session, name, arguments, user_id=uuid.UUID(token.subject), origin=origin
                )
        except Exception:  # not even the failure could be recorded: the database is in trouble
            log.exception("MCP tool %s failed", name)
            return _failure("internal_error", INTERNAL_ERROR)
        error = invocation.error
        if isinstance(error, DomainError):
            return _failure(error.code, error.message, error.details)
        if error is not None:
            log.error("MCP tool %s failed", name, exc_info=error)
            return _failure("internal_error", INTERNAL_ERROR)
        value = invocation.unwrap()
        return CallToolResult(
            content=[TextContent(type="text", text=value.model_dump_json())],
            structured_content=value.model_dump(mode="json"),
        )


def _failure(code: str, message: str, details: list[dict[str, Any]] | None = None) -> CallToolResult:
    """A tool error: the message for the model or person reading it, the REST error body beside it."""
    body: dict[str, Any] = {"code": code, "message": message} | ({"details": details} if details else {})
    return CallToolResult(
        content=[TextContent(type="text", text=message)], structured_content={"error": body}, is_error=True
    )


def install(app: FastAPI, settings: McpSettings, tokens: TokenService, issuer: str | None) -> TaskServer:
    """Serve MCP at `/mcp` and its protected-resource metadata (RFC 9728) where the 401 points.

    The SDK's app is routed to, not mounted: a mount answers `/mcp` with a redirect to `/mcp/`,
    and puts the metadata under the mount, where clients that follow the 401 do not look. The
    caller runs `server.session_manager.run()` in the app's lifespan."""
    own = urlsplit(settings.resource_url)
    auth = AuthSettings(
        # Who issues the tokens: the identity provider's issuer, or this service itself.
        issuer_url=issuer or f"{own.scheme}://{own.netloc}",  # type: ignore[arg-type]
        resource_server_url=settings.resource_url,  # type: ignore[arg-type]
        # The token's audience is checked by TokenService where one is configured.
        validate_token_resource=False,
    )

    def sessions() -> async_sessionmaker[AsyncSession]:
        maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
        return maker

    server = TaskServer(sessions, verifier=BearerUsers(tokens, sessions), auth=auth)
    asgi = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=True,
        json_response=True,
        transport_security=settings.transport_security(),
    )
    inner: list[BaseRoute] = asgi.routes
    for route in inner:
        assert isinstance(route, Route)
        app.router.routes.append(Route(route.path, asgi, include_in_schema=False))
    return server


@asynccontextmanager
async def running(server: MCPServer) -> AsyncIterator[None]:
    """Run the server's session manager for the duration of the block.

    Its anyio task group must be left by the task that entered it, and whoever drives the app's
    lifespan (a server, a test fixture) may end it from another task: so it gets a task of its
    own."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with server.session_manager.run():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run(), name="mcp-session-manager")
    waiter = asyncio.ensure_future(started.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():  # it could not start: say why
        task.result()
    try:
        yield
    finally:
        stop.set()
        await task
