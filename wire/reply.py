"""What a model answers in one call: output items and token usage, before any wire format."""

import json
from dataclasses import dataclass, field
from typing import Any

from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

OutputItem = ResponseFunctionToolCall | ResponseOutputMessage


@dataclass(frozen=True)
class Reply:
    items: list[OutputItem]
    input_tokens: int = 20
    output_tokens: int = 5
    id: str = "resp_1"
    model: str = "gpt-test"
    created: int = 1_700_000_000
    extra: dict[str, Any] = field(default_factory=dict)  # other Response fields, e.g. "status"

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def function_call(
    name: str, arguments: dict[str, Any] | str, *, call_id: str, item_id: str | None = None
) -> ResponseFunctionToolCall:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return ResponseFunctionToolCall(
        type="function_call",
        id=item_id or f"fc_{call_id}",
        call_id=call_id,
        name=name,
        arguments=text,
        status="completed",
    )


def message(text: str, *, item_id: str = "msg_1") -> ResponseOutputMessage:
    return ResponseOutputMessage(
        type="message",
        id=item_id,
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=text, annotations=[], logprobs=[])],
    )


def text_of(item: ResponseOutputMessage) -> str:
    return "".join(part.text for part in item.content if isinstance(part, ResponseOutputText))
