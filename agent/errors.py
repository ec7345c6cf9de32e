"""Errors of the chat layer."""

from tools.errors import Conflict


class ConversationBusy(Conflict):
    """Another turn of this conversation is still running (on this or any other instance)."""

    code = "conversation_busy"
