"""Liveness and readiness probes."""

import asyncio

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text

from backend.errors import ApiError, ErrorResponse

router = APIRouter(tags=["operations"])
READY_TIMEOUT_S = 2.0


class Health(BaseModel):
    status: str


@router.get("/health")
async def health() -> Health:
    """The process is up. Does not touch the database."""
    return Health(status="healthy")


@router.get("/ready", responses={503: {"model": ErrorResponse}})
async def ready(request: Request) -> Health:
    """The database answers; 503 otherwise."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_S), request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise ApiError(503, "database_unavailable", "the database is not reachable") from exc
    return Health(status="ready")
