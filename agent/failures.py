"""What went wrong in a turn, as a stable error code for clients and a message safe to show."""

import logging

import httpx2
import openai
from agents.exceptions import MaxTurnsExceeded, ModelBehaviorError

log = logging.getLogger(__name__)


class TurnTimeout(Exception):
    pass


def classify(exc: BaseException) -> tuple[str, str]:
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
