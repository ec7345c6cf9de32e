"""What one message asks for: the offline model's reading of it, before any tool is called."""

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["create", "list", "complete", "reopen", "delete", "update", "details", "help"]
FIND_THEN_ACT: frozenset[str] = frozenset({"complete", "reopen", "delete", "update", "details"})


@dataclass
class Intent:
    kind: Kind
    title: str | None = None  # create: the new task's title
    target: str | None = None  # find-then-act: how the user named the task
    changes: dict[str, Any] = field(default_factory=dict)  # update_task fields (create: extra fields)
    filters: dict[str, Any] = field(default_factory=dict)  # list_tasks arguments
