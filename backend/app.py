"""The application factory."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx2
from agents import Model
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agent.chat import ChatService
from agent.config import AgentConfig
from agent.providers import build_model
from agent.recording import Recorder
from backend.errors import install_error_handlers
from backend.limits import BodyLimitMiddleware
from backend.observability import RequestContextMiddleware, configure_logging
from backend.routes import actions, agent_tasks, auth, chat, compat, conversations, health, tasks, web
from backend.security import TokenService
from backend.settings import Settings
from db.engine import create_engine, create_sessionmaker

DESCRIPTION = """
Chat-agent backend for a todo app. Every endpoint under `/api` except `/api/auth/register`,
`/api/auth/login` and `/api/auth/token` needs `Authorization: Bearer <token>`.

Errors always have the body `{"error": {"code", "message", "details"?}}`.
"""


def agent_config(settings: Settings) -> AgentConfig:
    return AgentConfig(
        provider=settings.provider,
        api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else None,
        base_url=settings.openai_base_url,
        model=settings.llm_model,
        api=settings.llm_api,
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        max_turns=settings.agent_max_turns,
        history_max_items=settings.history_max_items,
        lease_s=settings.chat_lease_s,
        turn_timeout_s=settings.chat_turn_timeout_s,
        tracing=settings.agent_tracing,
        record_dir=settings.llm_record_dir,
        cassettes=tuple(settings.llm_cassette),
        replay_mode=settings.llm_replay_mode,
    )


def create_app(
    settings: Settings | None = None,
    *,
    model: Model | None = None,
    llm_transport: httpx2.AsyncBaseTransport | None = None,
    clock: Callable[[ZoneInfo], datetime] = datetime.now,
) -> FastAPI:
    """`model` replaces the configured model; `llm_transport` carries the configured model's
    HTTP traffic (tests and the replay runner put mocks there); `clock` gives the users' "now"."""
    settings = settings or Settings()
    configure_logging(settings.log_level)
    config = agent_config(settings)
    recorder = Recorder(config.record_dir) if config.record_dir else None
    chat_model = model or build_model(config, transport=llm_transport, recorder=recorder)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, settings.pool)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.chat = ChatService(
            app.state.sessionmaker, chat_model, config, clock=clock, recorder=recorder
        )
        try:
            yield
        finally:
            await app.state.chat.shutdown()
            await engine.dispose()

    app = FastAPI(title="Todo chat agent", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.tokens = TokenService(settings)
    install_error_handlers(app)
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
    app.add_middleware(RequestContextMiddleware)
    for module in (health, auth, tasks, agent_tasks, actions, chat, conversations, compat, web):
        app.include_router(module.router)
    return app
