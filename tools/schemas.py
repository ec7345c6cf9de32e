"""Input and output models of the task operations: the public contract of every interface."""

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from db.limits import DESCRIPTION_MAX, SEARCH_MAX, TITLE_MAX, TOOL_NAME_MAX
from db.models import ActionSource, ActionStatus, Priority
from tools.paging import OFFSET_MAX, Page

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: str) -> str:
    """Text PostgreSQL can store: no NUL (text columns refuse it) and no lone surrogate (JSON may
    carry one, UTF-8 cannot encode it). Refused here as bad input, not later as a server error."""
    if _UNSTORABLE.search(value):
        raise ValueError("must not contain NUL characters or lone surrogates")
    return value


no_nul = storable_text  # the earlier, narrower name; agent/turns.py still imports it

# Stripped strings within their column's length, storable.
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX),
    AfterValidator(storable_text),
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=DESCRIPTION_MAX), AfterValidator(storable_text)
]
SearchText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=SEARCH_MAX), AfterValidator(storable_text)
]
ToolName = Annotated[str, StringConstraints(max_length=TOOL_NAME_MAX), AfterValidator(storable_text)]


class Arguments(BaseModel):
    """An operation's input: unknown fields are refused (a `user_id` among them)."""

    model_config = ConfigDict(extra="forbid")

    def audited(self) -> dict[str, Any]:
        """The arguments as the audit row keeps them: those the caller gave."""
        return self.model_dump(mode="json", exclude_unset=True)


class TaskCreate(Arguments):
    title: Title = Field(description=f"Short title, 1-{TITLE_MAX} characters.")
    description: Description | None = Field(
        None, description=f"Optional details, up to {DESCRIPTION_MAX} characters."
    )
    priority: Priority = Field(Priority.medium, description="low, medium or high.")
    due_date: date | None = Field(None, description="Calendar date, YYYY-MM-DD.")

    def audited(self) -> dict[str, Any]:
        # Every field of a new task is decided by the request, defaults included: keep them all.
        return self.model_dump(mode="json")


class TaskUpdate(Arguments):
    """A partial update: only the fields present change; null clears description or due_date."""

    title: Title | None = Field(None, description="New title.")
    description: Description | None = Field(None, description="New details; null clears them.")
    priority: Priority | None = Field(None, description="low, medium or high.")
    due_date: date | None = Field(None, description="New due date, YYYY-MM-DD; null clears it.")
    completed: bool | None = Field(None, description="true marks the task done, false reopens it.")

    @field_validator("title", "priority", "completed")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only for fields that were sent: omitting is fine, an explicit null is not.
        if value is None:
            raise ValueError("cannot be null")
        return value


class TaskRef(Arguments):
    task_id: uuid.UUID = Field(description="The task's id, as returned by list_tasks or create_task.")


class TaskChange(TaskRef, TaskUpdate):
    """update_task's arguments as one object: which task, and the fields to change."""

    @classmethod
    def of(cls, task_id: uuid.UUID, patch: TaskUpdate) -> "TaskChange":
        # Only the fields the patch set: "absent" must stay distinguishable from "null".
        return cls.model_validate({"task_id": task_id, **patch.model_dump(exclude_unset=True)})

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude={"task_id"}, exclude_unset=True)


class TaskQuery(Arguments):
    status: Literal["all", "pending", "completed"] = Field("all", description="pending = not done yet.")
    priority: Priority | None = Field(None, description="Only tasks of this priority.")
    search: SearchText | None = Field(None, description="Case-insensitive text in title or description.")
    due_before: date | None = Field(None, description="Only tasks due on or before this date.")
    due_after: date | None = Field(None, description="Only tasks due on or after this date.")
    sort_by: Literal["created_at", "due_date", "priority", "title"] = "created_at"
    order: Literal["asc", "desc"] = "asc"
    limit: int = Field(20, ge=1, le=100, description="Page size, 1-100.")
    offset: int = Field(0, ge=0, description="Tasks to skip, for the next page.")

    @field_validator("offset")
    @classmethod
    def _offset_in_range(cls, value: int) -> int:
        # Checked here rather than as a schema maximum: the tool schema the model sees (and every
        # recorded conversation compares) stays as it was.
        if value > OFFSET_MAX:
            raise ValueError(f"must be at most {OFFSET_MAX}")
        return value

    @field_validator("search")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("due_after")
    @classmethod
    def _range_is_ordered(cls, value: date | None, info: ValidationInfo) -> date | None:
        before = info.data.get("due_before")
        if value and before and value > before:
            raise ValueError("must be on or before due_before")
        return value


class TaskPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str | None
    priority: Priority
    due_date: date | None
    completed: bool
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


TaskPage = Page[TaskPublic]


class ActionQuery(Arguments):
    tool: ToolName | None = None
    status: ActionStatus | None = None
    source: ActionSource | None = None
    conversation_id: uuid.UUID | None = None
    limit: int = Field(50, ge=1, le=100)
    offset: int = Field(0, ge=0, le=OFFSET_MAX)


class ToolCall(BaseModel):
    """One invocation as a caller tells it: which tool, with what, and how it went."""

    name: str
    arguments: dict[str, Any]
    status: ActionStatus
    result: Any | None = None
    error: str | None = None


class ActionPublic(BaseModel):
    """An audit row: one invocation of a task operation, from any interface."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tool: str
    arguments: dict[str, Any]
    status: ActionStatus
    result: Any | None
    error: str | None
    duration_ms: float
    source: ActionSource
    conversation_id: uuid.UUID | None
    message_id: uuid.UUID | None
    request_id: str | None
    created_at: datetime

    def tool_call(self) -> ToolCall:
        return ToolCall(
            name=self.tool, arguments=self.arguments, status=self.status, result=self.result, error=self.error
        )


ActionPage = Page[ActionPublic]
