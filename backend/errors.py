"""The one JSON error shape, `{"error": {"code", "message", "details"?}}`, for every failure."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from tools.errors import Conflict, InvalidCredentials, InvalidInput, NotFound, ToolError

log = logging.getLogger(__name__)

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_STATUS = {NotFound: 404, InvalidInput: 422, Conflict: 409, InvalidCredentials: 401}
_HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    """Every non-2xx response has this body."""

    error: ErrorBody


class ApiError(Exception):
    """A failure that belongs to the HTTP layer (authentication, readiness), not to the domain."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, BEARER_CHALLENGE)


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


async def _tool_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ToolError)
    status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 400)
    headers = BEARER_CHALLENGE if status == 401 else None
    return error_response(status, exc.code, exc.message, exc.details, headers)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers)


async def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    error = InvalidInput.from_errors(exc.errors(), skip=("body", "query", "path", "header"))
    return error_response(422, error.code, error.message, error.details)


async def _http_exception(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _pool_exhausted(_: Request, exc: Exception) -> JSONResponse:
    # Every connection stayed busy for DB_POOL_TIMEOUT_S: the service is overloaded, not broken.
    log.warning("no database connection within the pool timeout: %s", exc)
    return error_response(
        503, "overloaded", "the service is busy; try again shortly", headers={"Retry-After": "5"}
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PoolTimeout, _pool_exhausted)
    app.add_exception_handler(ToolError, _tool_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
