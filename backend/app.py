"""The application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from backend.errors import install_error_handlers
from backend.observability import RequestContextMiddleware, configure_logging
from backend.routes import actions, agent_tasks, auth, health, tasks
from backend.security import TokenService
from backend.settings import Settings
from db.engine import create_engine, create_sessionmaker

DESCRIPTION = """
Chat-agent backend for a todo app. Every endpoint under `/api` except `/api/auth/register`,
`/api/auth/login` and `/api/auth/token` needs `Authorization: Bearer <token>`.

Errors always have the body `{"error": {"code", "message", "details"?}}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, settings.pool)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        try:
            yield
        finally:
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
    for module in (health, auth, tasks, agent_tasks, actions):
        app.include_router(module.router)
    return app
