"""Domain errors. The HTTP layer maps each class to one status code; the agent shows the message."""

from typing import Any


class ToolError(Exception):
    """An expected failure whose message is safe to show to the caller (and to a model)."""

    code = "error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(ToolError):
    code = "not_found"


class InvalidInput(ToolError):
    code = "validation_error"

    @classmethod
    def field(cls, field: str, message: str) -> "InvalidInput":
        return cls(f"{field}: {message}", [{"field": field, "message": message}])


class Conflict(ToolError):
    code = "conflict"


class InvalidCredentials(ToolError):
    code = "invalid_credentials"
