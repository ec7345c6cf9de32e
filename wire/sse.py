"""Both wire APIs' streams as Server-Sent Events bytes, as providers send them."""

from collections.abc import Iterable

from openai.types.chat import ChatCompletionChunk
from openai.types.responses import ResponseStreamEvent
from sse_starlette import ServerSentEvent

DONE = b"data: [DONE]\n\n"


def responses_body(events: Iterable[ResponseStreamEvent]) -> bytes:
    return b"".join(responses_frame(event) for event in events)


def responses_frame(event: ResponseStreamEvent) -> bytes:
    return ServerSentEvent(event.model_dump_json(exclude_unset=True), event=event.type, sep="\n").encode()


def chat_body(chunks: Iterable[ChatCompletionChunk]) -> bytes:
    return b"".join(chat_frame(chunk) for chunk in chunks) + DONE


def chat_frame(chunk: ChatCompletionChunk) -> bytes:
    return ServerSentEvent(chunk.model_dump_json(exclude_unset=True), sep="\n").encode()
