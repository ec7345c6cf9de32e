"""What a transcript import accepts: bounded, and only the history items the SDK itself stores.

An imported transcript becomes model history, sent to the model on every later turn of the
conversation, so nothing in it is taken on trust. Items are the shapes the Agents SDK produces in
a conversation (user and assistant messages, `function_call`, `function_call_output`, and
`reasoning` from reasoning models), each checked against its own schema; a `system` or
`developer` message, or any other type, is refused with the item's place. Every string must be
storable, every item small and shallow, every count within its column.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)

from db.limits import CLIENT_ID_MAX, TOOL_NAME_MAX
from tools.schemas import storable_text

# The limits of one import (README, "Transcripts"): plenty for any real conversation.
TURNS_MAX = 500
ITEMS_PER_TURN_MAX = 200
ITEMS_MAX = 5000
ITEM_BYTES_MAX = 256 * 1024  # a tool's output can be a page of 100 long tasks
DEPTH_MAX = 16  # nesting of objects and arrays in one item; the SDK's own go 5 deep
TEXT_MAX = 200_000  # characters of one text field (within ITEM_BYTES_MAX anyway)
TOKENS_MAX = 2**31 - 1  # a turn's token counts are 32-bit columns
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

Text = Annotated[str, StringConstraints(max_length=TEXT_MAX), AfterValidator(storable_text)]
Short = Annotated[str, StringConstraints(max_length=CLIENT_ID_MAX), AfterValidator(storable_text)]
ToolName = Annotated[
    str, StringConstraints(min_length=1, max_length=TOOL_NAME_MAX), AfterValidator(storable_text)
]
TokenCount = Annotated[int, Field(ge=0, le=TOKENS_MAX)]
Status = Literal["in_progress", "completed", "incomplete"]


def _in_range(moment: datetime) -> datetime:
    if not EARLIEST <= moment <= datetime.now(UTC) + timedelta(days=1):
        raise ValueError("must lie between 2000-01-01 and now")
    return moment


Timestamp = Annotated[AwareDatetime, AfterValidator(_in_range)]


def bounded(value: Any) -> Any:
    """`value`, if it nests at most DEPTH_MAX deep, encodes in ITEM_BYTES_MAX and holds only
    storable strings: checked without recursion, before anything else looks at it."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > DEPTH_MAX:
            raise ValueError(f"nested more than {DEPTH_MAX} deep")
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
            stack.extend((key, depth) for key in node)
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
        elif isinstance(node, str):
            storable_text(node)
    if len(json.dumps(value)) > ITEM_BYTES_MAX:
        raise ValueError(f"larger than {ITEM_BYTES_MAX} bytes")
    return value


Json = Annotated[Any, BeforeValidator(bounded)]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Short | None = None
    provider_data: dict[str, Json] | None = None  # what the SDK keeps of a Chat Completions call


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputText(_Part):
    type: Literal["input_text"]
    text: Text


class OutputText(_Part):
    type: Literal["output_text"]
    text: Text
    annotations: list[dict[str, Json]] = Field(default_factory=list, max_length=100)
    logprobs: list[dict[str, Json]] = Field(default_factory=list, max_length=100)


class Refusal(_Part):
    type: Literal["refusal"]
    refusal: Text


class SummaryText(_Part):
    type: Literal["summary_text"]
    text: Text


class ReasoningText(_Part):
    type: Literal["reasoning_text"]
    text: Text


Parts = Annotated[list[InputText], Field(max_length=100)]
OutputParts = Annotated[list[OutputText | Refusal], Field(max_length=100)]


class UserItem(_Item):
    type: Literal["message"] = "message"
    role: Literal["user"]
    content: Text | Parts
    status: Status | None = None


class AssistantItem(_Item):
    type: Literal["message"] = "message"
    role: Literal["assistant"]
    content: Text | OutputParts
    status: Status | None = None


class FunctionCallItem(_Item):
    type: Literal["function_call"]
    call_id: Short
    name: ToolName
    arguments: Text
    status: Status | None = None


class FunctionCallOutputItem(_Item):
    type: Literal["function_call_output"]
    call_id: Short
    output: Text
    status: Status | None = None


class ReasoningItem(_Item):
    type: Literal["reasoning"]
    summary: Annotated[list[SummaryText], Field(max_length=100)]
    content: Annotated[list[ReasoningText], Field(max_length=100)] | None = None
    encrypted_content: Text | None = None
    status: Status | None = None


KINDS = "user and assistant messages, function_call, function_call_output and reasoning items"


def _kind(item: Any) -> str | None:
    if isinstance(item, BaseModel):
        item = item.model_dump()
    if not isinstance(item, dict):
        return None
    kind = item.get("type", "message")
    return f"message:{item.get('role')}" if kind == "message" else str(kind)


_Items = Annotated[
    Annotated[UserItem, Tag("message:user")]
    | Annotated[AssistantItem, Tag("message:assistant")]
    | Annotated[FunctionCallItem, Tag("function_call")]
    | Annotated[FunctionCallOutputItem, Tag("function_call_output")]
    | Annotated[ReasoningItem, Tag("reasoning")],
    Discriminator(
        _kind,
        custom_error_type="unsupported_item",
        custom_error_message=f"only {KINDS} may be imported (no system or developer messages)",
    ),
]
# Bounded first: a deep or huge item is refused before any schema walks it.
HistoryItem = Annotated[_Items, BeforeValidator(bounded)]
