"""What went wrong in a turn: a stable code for clients and a message safe to show."""

import enum
import logging

import httpx2
import openai
from agents.exceptions import MaxTurnsExceeded, ModelBehaviorError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from agent.errors import LeaseLost

log = logging.getLogger(__name__)


class TurnErrorCode(enum.StrEnum):
    model_unavailable = "model_unavailable"  # 5xx, 429 or no connection, after the client's retries
    model_timeout = "model_timeout"
    model_invalid_response = "model_invalid_response"  # a stream cut mid-way, or malformed
    model_auth_failed = "model_auth_failed"
    model_error = "model_error"  # any other refusal of the provider
    max_turns_exceeded = "max_turns_exceeded"  # more model calls than AGENT_MAX_TURNS
    turn_timeout = "turn_timeout"  # the turn ran past CHAT_TURN_TIMEOUT_S
    interrupted = "interrupted"  # the turn's instance died, or another one took the conversation over
    server_shutdown = "server_shutdown"  # the instance was shut down (a deploy) before the turn ended
    storage_unavailable = "storage_unavailable"  # the outcome could not be stored: no `done` is sent
    internal_error = "internal_error"
    # Raised by the model's transport when it replays a recording (the `replay` package).
    replay_error = "replay_error"
    replay_mismatch = "replay_mismatch"
    replay_exhausted = "replay_exhausted"


class TurnFailure(Exception):
    """Why a turn failed: its code and a message safe to show. Kept as the turn's outcome, and
    raised to a caller that waited for the reply (JSON mode)."""

    def __init__(self, code: TurnErrorCode, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def __repr__(self) -> str:
        return f"TurnFailure({self.code.value!r}, {self.message!r})"


class CodedError(Exception):
    """An error that knows its turn error code, wherever it is raised (a transport, a tool...)."""

    code: TurnErrorCode = TurnErrorCode.internal_error


def classify(exc: BaseException, *, deadline_expired: bool = False) -> TurnFailure:
    """`deadline_expired`: the turn's own deadline fired, as opposed to any other timeout."""
    if deadline_expired:
        return TurnFailure(TurnErrorCode.turn_timeout, "the reply took too long and was stopped")
    coded = _coded(exc)
    if coded is not None:  # raised inside the transport, wrapped by the openai client
        return TurnFailure(coded.code, str(coded))
    match exc:
        case openai.APITimeoutError() | httpx2.TimeoutException():
            return TurnFailure(TurnErrorCode.model_timeout, "the model did not answer in time")
        case openai.RateLimitError():
            return TurnFailure(
                TurnErrorCode.model_unavailable, "the model is rate limited; try again shortly"
            )
        case openai.AuthenticationError() | openai.PermissionDeniedError():
            return TurnFailure(TurnErrorCode.model_auth_failed, "the model provider refused our credentials")
        case openai.InternalServerError() | openai.APIConnectionError() | httpx2.TransportError():
            return TurnFailure(TurnErrorCode.model_unavailable, "the model is unavailable; try again shortly")
        case openai.APIStatusError():
            return TurnFailure(TurnErrorCode.model_error, f"the model provider answered {exc.status_code}")
        case ModelBehaviorError():
            return TurnFailure(
                TurnErrorCode.model_invalid_response, "the model's reply was cut off or malformed"
            )
        case LeaseLost():
            return TurnFailure(TurnErrorCode.interrupted, "another instance took this conversation over")
        case DBAPIError() | PoolTimeout() | OSError():
            return TurnFailure(TurnErrorCode.storage_unavailable, "the reply could not be stored; try again")
        case MaxTurnsExceeded():
            return TurnFailure(TurnErrorCode.max_turns_exceeded, "the request needed more steps than allowed")
    log.error("chat turn failed", exc_info=exc)
    return TurnFailure(TurnErrorCode.internal_error, "something went wrong while answering")


def _coded(exc: BaseException | None) -> CodedError | None:
    seen: set[int] = set()  # libraries re-raise an exception from its own wrapper: chains can loop
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, CodedError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
