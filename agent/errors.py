"""Errors of the chat layer."""

from tools.errors import Conflict, InvalidInput


class ConversationBusy(Conflict):
    """Another turn of this conversation is still running (on this or any other instance)."""

    code = "conversation_busy"


class NoRunningTurn(Conflict):
    """A stop was asked of a conversation that is not answering anything."""

    code = "no_running_turn"


class IdempotencyKeyReused(InvalidInput):
    """The client's key for a message came again with a different message."""

    code = "idempotency_key_reused"


class TooManyTurns(Exception):
    """A cap on running turns is reached: the user's own (`running-turns`) or the service's
    (`running-turns-total`). The caller may try again once a turn has finished."""

    def __init__(self, policy: str, quota: int, message: str) -> None:
        super().__init__(message)
        self.policy, self.quota, self.message = policy, quota, message


class LeaseLost(Exception):
    """The turn no longer holds its conversation's lease: another instance took it over."""


class ShuttingDown(Exception):
    """This instance is shutting down (a deploy): it takes no new turn; another instance will."""
