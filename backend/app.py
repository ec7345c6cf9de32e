"""The application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from agents import Model
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agent.chat import ChatService
from agent.config import AgentConfig
from agent.providers import build_model
from backend.errors import install_error_handlers
from backend.observability import RequestContextMiddleware, configure_logging
from backend.routes import actions, agent_tasks, auth, chat, conversations, health, tasks
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
    )


def create_app(settings: Settings | None = None, *, model: Model | None = None) -> FastAPI:
    """`model` replaces the configured one (tests pass a model on a mock transport)."""
    settings = settings or Settings()
    configure_logging(settings.log_level)
    config = agent_config(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, settings.pool)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.chat = ChatService(app.state.sessionmaker, model or build_model(config), config)
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
    app.add_middleware(RequestContextMiddleware)
    for module in (health, auth, tasks, agent_tasks, actions, chat, conversations):
        app.include_router(module.router)
    return app
