"""The application factory."""

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx2
from agents import Model
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from opentelemetry.sdk.trace.export import SpanExporter
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from agent.chat import ChatService, TurnObserver
from agent.errors import TooManyTurns
from agent.providers import ChatModel, build_model
from backend import guards, mcp, openapi
from backend.errors import install_error_handlers
from backend.headers import DefaultHeadersMiddleware
from backend.limits import BodyLimitMiddleware
from backend.logs import configure_logging
from backend.observability import RequestContextMiddleware
from backend.ratelimit import rate_store
from backend.routes import (
    actions,
    agent_tasks,
    auth,
    chat,
    chat_ui,
    compat,
    conversations,
    health,
    tasks,
    web,
)
from backend.security import TokenService
from backend.settings import Settings
from backend.telemetry import genai
from backend.telemetry import observers as telemetry_observers
from backend.telemetry import routes as metrics
from backend.telemetry.middleware import TelemetryMiddleware
from backend.telemetry.providers import Telemetry, current
from db.engine import create_engine, create_sessionmaker, fill_pool, is_sqlite, listen_dsn

DESCRIPTION = """
Chat-agent backend for a todo app. Every endpoint under `/api` except `/api/auth/register`,
`/api/auth/login` and `/api/auth/token` needs `Authorization: Bearer <token>`.

Errors always have the body `{"error": {"code", "message", "details"?}}`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    model: Model | ChatModel | None = None,
    llm_transport: httpx2.AsyncBaseTransport | None = None,
    observers: Sequence[TurnObserver] = (),
    clock: Callable[[ZoneInfo], datetime] = datetime.now,
    span_exporter: SpanExporter | None = None,
) -> FastAPI:
    """`model` replaces the configured model (a `ChatModel` to pick one per turn);
    `llm_transport` carries the configured model's
    HTTP traffic (tests put mocks there, the entry point a recorder or a replay); `observers` are
    told of every finished turn; `clock` gives the users' "now"; `span_exporter` receives the
    traces (by default: OTLP to OTEL_EXPORTER_OTLP_ENDPOINT if set, else there are none)."""
    settings = settings or Settings()
    configure_logging(settings.log)
    if isinstance(model, ChatModel):
        chat_model = model
    elif model is not None:
        chat_model = ChatModel.fixed(model)
    else:
        chat_model = build_model(settings.llm, settings.openai, llm_transport)
    telemetry = Telemetry(settings.metrics, settings.otel, span_exporter=span_exporter)
    genai.install()
    telemetry_observers.count_invocations()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        telemetry_token = current.set(telemetry)  # for work the lifespan starts, like requests do
        engine = create_engine(settings.database_url, settings.db)
        limit = None if is_sqlite(engine.url) else settings.db.pool_size + settings.db.max_overflow
        telemetry.watch_pool(engine, limit)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.rate_store = rate_store(engine)
        # What is loaded by now lives as long as the process: frozen, a full collection walks only
        # what requests create (unfrozen, one took 200 ms in a large transcript import).
        gc.freeze()
        app.state.chat = ChatService(
            app.state.sessionmaker,
            chat_model,
            agent=settings.agent,
            chat=settings.chat,
            history_max_items=settings.history_max_items,
            caps=guards.turn_caps(settings.rate),
            listen_dsn=listen_dsn(settings.listen_database_url or settings.database_url),
            clock=clock,
            observers=[*observers, telemetry_observers.TurnMetrics(telemetry.instruments)],
        )
        await app.state.chat.open()
        # Called by the server on SIGTERM, before it stops taking connections (`backend.serve`).
        app.state.before_shutdown = lambda: app.state.chat.drain(settings.shutdown_grace_s)
        # The pool's connections opened now, not by the first requests, each waiting for one.
        filling = asyncio.create_task(fill_pool(engine, settings.db.pool_size), name="db-fill-pool")
        try:
            async with mcp.running(app.state.mcp):
                yield
        finally:
            await app.state.chat.close(settings.shutdown_grace_s)
            await chat_model.aclose()
            filling.cancel()
            await asyncio.gather(filling, return_exceptions=True)
            await engine.dispose()
            telemetry.shutdown()
            current.reset(telemetry_token)

    app = FastAPI(
        title="Todo chat agent",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        telemetry=telemetry.fastapi(),
        # Off in production unless DOCS_ENABLED: the schema is a map of the attack surface.
        docs_url="/docs" if settings.docs else None,
        redoc_url="/redoc" if settings.docs else None,
        openapi_url="/openapi.json" if settings.docs else None,
    )
    app.state.settings = settings
    app.state.telemetry = telemetry
    app.state.tokens = TokenService(settings.jwt, settings.access_token_expire_minutes)
    app.state.mcp = mcp.install(app, settings.mcp, app.state.tokens, settings.jwt.issuer)
    install_error_handlers(app)
    app.add_exception_handler(TooManyTurns, guards.refuse_turn)
    openapi.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Location"],
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(DefaultHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(TelemetryMiddleware, telemetry=telemetry)
    # Outermost: the client address is settled before anything logs, measures or limits by it.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    # The hottest routes first: FastAPI tries a request's path against each route in this order
    # (a fifth of a chat request's CPU was matching it past the twenty routes listed before it).
    for module in (chat, tasks, chat_ui, conversations, health, auth, agent_tasks, actions, compat, web):
        app.include_router(module.router)
    if settings.metrics.enabled:
        app.include_router(metrics.router)
    return app


def _operation_id(route: APIRoute) -> str:
    # The handler's name is the contract's name: `list_tasks`, not `list_tasks_api_tasks_get`.
    return route.name
