"""The one JSON error shape, `{"error": {"code", "message", "details"?}}`, for every failure,
and every mapping of an error to its HTTP status, side by side."""

import http
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent.errors import ShuttingDown
from agent.failures import TurnErrorCode, TurnFailure
from tools.errors import Conflict, DomainError, InvalidCredentials, InvalidInput, NotFound, UnknownUser

log = logging.getLogger(__name__)

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    InvalidInput: 422,
    Conflict: 409,
    InvalidCredentials: 401,
    UnknownUser: 401,
}
# A turn that failed, answered as JSON: the model's failures are a bad gateway, its slowness a
# gateway timeout, ours a server error. Every code has its status: none falls through to a default.
TURN_STATUS: dict[TurnErrorCode, int] = {
    TurnErrorCode.model_unavailable: 502,
    TurnErrorCode.model_timeout: 504,
    TurnErrorCode.model_invalid_response: 502,
    TurnErrorCode.model_auth_failed: 502,
    TurnErrorCode.model_error: 502,
    TurnErrorCode.max_turns_exceeded: 500,
    TurnErrorCode.turn_timeout: 504,
    TurnErrorCode.interrupted: 503,
    TurnErrorCode.server_shutdown: 503,
    TurnErrorCode.storage_unavailable: 503,
    TurnErrorCode.internal_error: 500,
    TurnErrorCode.replay_error: 502,
    TurnErrorCode.replay_mismatch: 502,
    TurnErrorCode.replay_exhausted: 502,
}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    """Every non-2xx response has this body."""

    error: ErrorBody


# On every route that takes a body: one that cannot even be read (not UTF-8, a broken form) is a
# 400 from FastAPI; one that reads but does not fit is a 422.
UNREADABLE_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body could not be read (not UTF-8, or a broken form)."}
}


class ApiError(StarletteHTTPException):
    """A failure that belongs to the HTTP layer (authentication, readiness, limits), not to the
    domain. An HTTP exception, so that FastAPI lets it through even while it reads a body."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message, headers)
        self.status, self.code, self.message = status, code, message


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, BEARER_CHALLENGE)


def status_code(status: int) -> str:
    """The error code of a plain HTTP status: its reason phrase in snake case (404 -> not_found)."""
    try:
        return http.HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "http_error"


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = next((code for cls, code in DOMAIN_STATUS.items() if isinstance(exc, cls)), 400)
    headers = BEARER_CHALLENGE if status == 401 else None
    return error_response(status, exc.code, exc.message, exc.details, headers)


async def _turn_failure(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TurnFailure)
    return error_response(TURN_STATUS[exc.code], exc.code, exc.message)


async def _shutting_down(_: Request, exc: Exception) -> JSONResponse:
    # Another instance takes the request: the client retries shortly, the balancer routes it away.
    return error_response(503, "shutting_down", str(exc), headers={"Retry-After": "2"})


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers)


async def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    error = InvalidInput.from_errors(exc.errors(), skip=("body", "query", "path", "header"))
    return error_response(422, error.code, error.message, error.details)


async def _http_exception(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, status_code(exc.status_code), str(exc.detail), headers=exc.headers)


async def _pool_exhausted(_: Request, exc: Exception) -> JSONResponse:
    # Every connection stayed busy for DB_POOL_TIMEOUT_S: the service is overloaded, not broken.
    log.warning("no database connection within the pool timeout: %s", exc)
    return error_response(
        503, "overloaded", "the service is busy; try again shortly", headers={"Retry-After": "5"}
    )


async def _database_unreachable(request: Request, exc: Exception) -> JSONResponse:
    # The connection failed, not the statement: an outage to ride out, not a bug to hide.
    if isinstance(exc, DBAPIError) and not exc.connection_invalidated:
        raise exc
    log.warning("the database is unreachable: %s", exc)
    return error_response(
        503,
        "database_unavailable",
        "the database is not reachable; try again shortly",
        headers={"Retry-After": "5"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PoolTimeout, _pool_exhausted)
    app.add_exception_handler(DBAPIError, _database_unreachable)
    app.add_exception_handler(ConnectionError, _database_unreachable)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(TurnFailure, _turn_failure)
    app.add_exception_handler(ShuttingDown, _shutting_down)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
