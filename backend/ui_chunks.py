"""The Vercel AI SDK's UI message stream protocol, as types: one small model per chunk, told apart
by its `type`, spelled as the protocol spells it (camelCase).

The chunk schemas of the `ai` package (versions 5 to 7) accept extra keys but refuse `null` for
an optional field, so an optional field that has no value is left out of the JSON, never sent as
`null`; a required field keeps its value, `null` included (a tool's output may be `null`). Only
what this backend sends is modelled; `tests/ui_conformance/` runs the real library over it.
"""

import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    field_serializer,
    model_serializer,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from agent.failures import TurnErrorCode
from tools.schemas import ActionPublic

# An optional field's "no value": left out of the JSON and out of the JSON schema.
Absent = SkipJsonSchema[None]
# The finish reasons every supported client version accepts (version 7 adds "interrupted",
# which version 5 refuses).
FinishReason = Literal["stop", "length", "content-filter", "tool-calls", "error", "other"]


def _as_sent(schema: dict[str, Any]) -> None:
    """The JSON schema of what is sent: `type` always there, an absent field without a default."""
    properties = schema.get("properties", {})
    for field in properties.values():
        if "default" in field and field["default"] is None:
            del field["default"]
    if "type" in properties:
        schema["required"] = ["type", *schema.get("required", [])]


def js_safe(value: Any) -> Any:
    """JSON the AI SDK will parse. Its parser (secure-json-parse) refuses, as a prototype-pollution
    attempt, a whole chunk holding a `__proto__` key, or a `constructor` object with a `prototype`
    key, anywhere: tool arguments come from the model, so such a key would end the user's
    stream. This view drops those keys; the audit trail (`GET /api/actions`) keeps them."""
    if isinstance(value, dict):
        return {
            key: _without_prototype(item) if key == "constructor" else js_safe(item)
            for key, item in value.items()
            if key != "__proto__"
        }
    if isinstance(value, list):
        return [js_safe(item) for item in value]
    return value


def _without_prototype(value: Any) -> Any:
    if isinstance(value, dict):
        return js_safe({key: item for key, item in value.items() if key != "prototype"})
    return js_safe(value)


# Model-made JSON (arguments, results): sent as the AI SDK can parse it (see `js_safe`).
JsJson = Annotated[Any, PlainSerializer(js_safe)]


class Wire(BaseModel):
    """A protocol object: camelCase on the wire, optional fields without a value left out."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        serialize_by_alias=True,
        frozen=True,
        extra="forbid",
        json_schema_extra=_as_sent,
    )

    @model_serializer(mode="wrap")
    def _leave_out_absent(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        for name, field in type(self).model_fields.items():
            if not field.is_required() and getattr(self, name) is None:
                data.pop(field.alias or name, None)
        return data


class UsageMetadata(Wire):
    """Tokens, named as the AI SDK names a model's usage."""

    input_tokens: int
    output_tokens: int
    total_tokens: int


class MessageMetadata(Wire):
    """Our metadata of the assistant message (merged over the stream by the client)."""

    conversation_id: uuid.UUID | Absent = None
    usage: UsageMetadata | Absent = None
    stopped: Literal[True] | Absent = None
    error_code: TurnErrorCode | Absent = None


class Start(Wire):
    """First: `messageId`, the reply's id in our history, and the metadata `{conversationId}`."""

    type: Literal["start"] = "start"
    message_id: str | Absent = None
    message_metadata: MessageMetadata | Absent = None


class StartStep(Wire):
    """A model call begins."""

    type: Literal["start-step"] = "start-step"


class FinishStep(Wire):
    """A model call and the tool calls it made are done."""

    type: Literal["finish-step"] = "finish-step"


class TextStart(Wire):
    """A text part begins (its id is unique within the message)."""

    type: Literal["text-start"] = "text-start"
    id: str


class TextDelta(Wire):
    """Reply text, as the model writes it."""

    type: Literal["text-delta"] = "text-delta"
    id: str
    delta: str


class TextEnd(Wire):
    """The text part is complete."""

    type: Literal["text-end"] = "text-end"
    id: str


class ToolInputStart(Wire):
    """The model calls a tool."""

    type: Literal["tool-input-start"] = "tool-input-start"
    tool_call_id: str
    tool_name: str


class ToolInputAvailable(Wire):
    """The call's arguments (a JSON object)."""

    type: Literal["tool-input-available"] = "tool-input-available"
    tool_call_id: str
    tool_name: str
    input: JsJson


class ToolOutputAvailable(Wire):
    """The tool succeeded: its result, as the REST API returns it."""

    type: Literal["tool-output-available"] = "tool-output-available"
    tool_call_id: str
    output: JsJson


class ToolOutputError(Wire):
    """The tool failed: why, in words."""

    type: Literal["tool-output-error"] = "tool-output-error"
    tool_call_id: str
    error_text: str


class DataAction(Wire):
    """An audit row the turn wrote, as `GET /api/actions` shows it (`id`: the row's id)."""

    type: Literal["data-action"] = "data-action"
    id: str
    data: ActionPublic

    @field_serializer("data", mode="wrap")
    def _js_safe(self, data: ActionPublic, handler: SerializerFunctionWrapHandler) -> Any:
        return js_safe(handler(data))


class Error(Wire):
    """The turn failed: why, in words (its stable code is in the `finish` metadata)."""

    type: Literal["error"] = "error"
    error_text: str


class Abort(Wire):
    """The turn was stopped (`POST /api/conversations/{id}/stop`): its `finish` follows."""

    type: Literal["abort"] = "abort"
    reason: str | Absent = None


class Finish(Wire):
    """Last: `finishReason` `stop`, `other` when stopped, `error` when failed; the metadata
    `{conversationId, usage: {inputTokens, outputTokens, totalTokens}}` (`stopped: true` when
    stopped), or `{conversationId, errorCode}` when failed."""

    type: Literal["finish"] = "finish"
    finish_reason: FinishReason | Absent = None
    message_metadata: MessageMetadata | Absent = None


Chunk = Annotated[
    Start
    | StartStep
    | FinishStep
    | TextStart
    | TextDelta
    | TextEnd
    | ToolInputStart
    | ToolInputAvailable
    | ToolOutputAvailable
    | ToolOutputError
    | DataAction
    | Error
    | Abort
    | Finish,
    Field(discriminator="type"),
]
CHUNKS: tuple[type[Wire], ...] = (
    Start,
    StartStep,
    TextStart,
    TextDelta,
    TextEnd,
    ToolInputStart,
    ToolInputAvailable,
    ToolOutputAvailable,
    ToolOutputError,
    FinishStep,
    DataAction,
    Error,
    Abort,
    Finish,
)
