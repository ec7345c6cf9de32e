"""Liveness and readiness probes."""

import asyncio
import logging

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text

from backend.deps import ChatDep
from backend.errors import ApiError, ErrorResponse

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])
READY_TIMEOUT_S = 2.0


class Health(BaseModel):
    status: str


@router.get("/health")
async def health() -> Health:
    """The process is up. Does not touch the database."""
    return Health(status="healthy")


@router.get("/ready", responses={503: {"model": ErrorResponse}})
async def ready(request: Request, chat: ChatDep) -> Health:
    """Ready for traffic: the database answers and the instance is not shutting down; 503
    otherwise (so a balancer stops sending it new requests while it drains)."""
    if chat.draining:
        raise ApiError(503, "shutting_down", "this instance is shutting down")
    try:
        async with asyncio.timeout(READY_TIMEOUT_S), request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("not ready: the database does not answer (%s)", exc)
        raise ApiError(503, "database_unavailable", "the database is not reachable") from exc
    return Health(status="ready")
