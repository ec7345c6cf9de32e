"""What went wrong in a turn, as a stable error code for clients and a message safe to show."""

import logging

import httpx2
import openai
from agents.exceptions import MaxTurnsExceeded, ModelBehaviorError

from agent.replay.transport import ReplayError

log = logging.getLogger(__name__)


class TurnTimeout(Exception):
    pass


def classify(exc: BaseException) -> tuple[str, str]:
    replayed = _replay_error(exc)
    if replayed is not None:  # raised inside the transport, wrapped by the openai client
        return replayed.code, str(replayed)
    match exc:
        case openai.APITimeoutError() | httpx2.TimeoutException():
            return "model_timeout", "the model did not answer in time"
        case TurnTimeout():
            return "turn_timeout", "the reply took too long and was stopped"
        case openai.RateLimitError():
            return "model_unavailable", "the model is rate limited; try again shortly"
        case openai.AuthenticationError() | openai.PermissionDeniedError():
            return "model_auth_failed", "the model provider refused our credentials"
        case openai.InternalServerError() | openai.APIConnectionError() | httpx2.TransportError():
            return "model_unavailable", "the model is unavailable; try again shortly"
        case openai.APIStatusError():
            return "model_error", f"the model provider answered {exc.status_code}"
        case ModelBehaviorError():
            return "model_invalid_response", "the model's reply was cut off or malformed"
        case MaxTurnsExceeded():
            return "max_turns_exceeded", "the request needed more steps than allowed"
    log.error("chat turn failed", exc_info=exc)
    return "internal_error", "something went wrong while answering"


def _replay_error(exc: BaseException | None) -> ReplayError | None:
    while exc is not None:
        if isinstance(exc, ReplayError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None
