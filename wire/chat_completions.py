"""Chat Completions: a reply as streamed chunks or as one completion, and requests read back.

Streamed as real providers do: the first delta of a tool call carries its index, id, type and
name with empty arguments, and every later delta only the index and a piece of the arguments;
`finish_reason` closes the choice; with `stream_options.include_usage` a last chunk carries only
the usage; then `data: [DONE]`.
"""

from typing import Any, Literal

from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice as CompletionChoice
from openai.types.chat.chat_completion_chunk import (
    Choice,
    ChoiceDelta,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
)
from openai.types.chat.chat_completion_message_function_tool_call import (
    ChatCompletionMessageFunctionToolCall,
    Function,
)
from openai.types.completion_usage import CompletionUsage
from openai.types.responses import ResponseFunctionToolCall

from wire.fragments import Fragments, words
from wire.reply import Reply, text_of


def completion(reply: Reply) -> ChatCompletion:
    calls = [item for item in reply.items if isinstance(item, ResponseFunctionToolCall)]
    text = "".join(text_of(item) for item in reply.items if not isinstance(item, ResponseFunctionToolCall))
    message = ChatCompletionMessage(
        role="assistant",
        content=text or None,
        tool_calls=[
            ChatCompletionMessageFunctionToolCall(
                id=call.call_id, type="function", function=Function(name=call.name, arguments=call.arguments)
            )
            for call in calls
        ]
        or None,
    )
    return ChatCompletion(
        id=_id(reply),
        object="chat.completion",
        created=reply.created,
        model=reply.model,
        choices=[CompletionChoice(index=0, message=message, finish_reason="tool_calls" if calls else "stop")],
        usage=_usage(reply),
    )


def chunks(
    reply: Reply, fragments: Fragments = words, *, include_usage: bool = True
) -> list[ChatCompletionChunk]:
    calls = [item for item in reply.items if isinstance(item, ResponseFunctionToolCall)]
    text = "".join(text_of(item) for item in reply.items if not isinstance(item, ResponseFunctionToolCall))
    deltas: list[ChoiceDelta] = [ChoiceDelta(role="assistant", content="" if not calls else None)]
    deltas += [ChoiceDelta(content=piece) for piece in fragments(text)]
    for index, call in enumerate(calls):
        deltas.append(
            ChoiceDelta(
                tool_calls=[
                    ChoiceDeltaToolCall(
                        index=index,
                        id=call.call_id,
                        type="function",
                        function=ChoiceDeltaToolCallFunction(name=call.name, arguments=""),
                    )
                ]
            )
        )
        deltas += [
            ChoiceDelta(
                tool_calls=[
                    ChoiceDeltaToolCall(index=index, function=ChoiceDeltaToolCallFunction(arguments=piece))
                ]
            )
            for piece in fragments(call.arguments)
        ]
    out = [_chunk(reply, [Choice(index=0, delta=delta)]) for delta in deltas]
    finish: Literal["tool_calls", "stop"] = "tool_calls" if calls else "stop"
    out.append(_chunk(reply, [Choice(index=0, delta=ChoiceDelta(), finish_reason=finish)]))
    if include_usage:
        out.append(_chunk(reply, [], usage=_usage(reply)))
    return out


def request_items(body: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """A Chat Completions request's messages as the instructions and the Responses input items
    they stand for (what a model implemented once for both APIs reads)."""
    instructions, items = None, []
    for message in body.get("messages", []):
        role = message.get("role")
        if role in ("system", "developer"):
            instructions = _text(message.get("content"))
        elif role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message["tool_call_id"],
                    "output": _text(message.get("content")),
                }
            )
        elif role == "assistant" and message.get("tool_calls"):
            items += [
                {
                    "type": "function_call",
                    "call_id": call["id"],
                    "name": call["function"]["name"],
                    "arguments": call["function"]["arguments"],
                }
                for call in message["tool_calls"]
            ]
        else:
            items.append({"role": role, "content": _text(message.get("content"))})
    return instructions, items


def _chunk(reply: Reply, choices: list[Choice], usage: CompletionUsage | None = None) -> ChatCompletionChunk:
    return ChatCompletionChunk(
        id=_id(reply),
        object="chat.completion.chunk",
        created=reply.created,
        model=reply.model,
        choices=choices,
        usage=usage,
    )


def _usage(reply: Reply) -> CompletionUsage:
    return CompletionUsage(
        prompt_tokens=reply.input_tokens,
        completion_tokens=reply.output_tokens,
        total_tokens=reply.total_tokens,
    )


def _id(reply: Reply) -> str:
    return f"chatcmpl-{reply.id.removeprefix('resp_')}"


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""
