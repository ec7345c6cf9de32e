"""Domain errors. The HTTP layer maps each class to one status code; the agent shows the message."""

from collections.abc import Iterable
from typing import Any


class DomainError(Exception):
    """An expected failure whose message is safe to show to the caller (and to a model)."""

    code = "error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "validation_error"

    @classmethod
    def from_errors(cls, errors: Iterable[Any], skip: tuple[str, ...] = ()) -> "InvalidInput":
        """From pydantic's error list: each bad field as `{field, message, type}`, named in the message.

        `skip` drops location prefixes that are not field names (FastAPI's "body", "query", ...)."""
        details = []
        for err in errors:
            loc = [str(part) for part in err.get("loc", ()) if part not in skip]
            details.append(
                {
                    "field": ".".join(loc) or None,
                    "message": err.get("msg", "invalid"),
                    "type": err.get("type"),
                }
            )
        message = "; ".join(f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details)
        return cls(message, details)


class Conflict(DomainError):
    code = "conflict"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"


class UnknownUser(DomainError):
    """The acting user has no account (any more): their token outlived it."""

    code = "unauthorized"
