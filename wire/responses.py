"""The Responses API: a reply as its full streamed event sequence, or as one `Response`."""

from collections.abc import Iterator
from itertools import count

from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputText,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseUsage,
)
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails

from wire.fragments import Fragments, words
from wire.reply import OutputItem, Reply, text_of


def response(reply: Reply, *, finished: bool = True) -> Response:
    return Response(
        id=reply.id,
        object="response",
        created_at=reply.created,
        model=reply.model,
        status="completed" if finished else "in_progress",
        output=list(reply.items) if finished else [],
        parallel_tool_calls=True,
        tool_choice="auto",
        tools=[],
        top_p=1.0,
        temperature=1.0,
        usage=_usage(reply) if finished else None,
        **reply.extra,
    )


def stream(reply: Reply, fragments: Fragments = words, *, complete: bool = True) -> list[ResponseStreamEvent]:
    """Every event a provider sends for `reply`, deltas cut by `fragments`; without `complete`,
    the stream breaks off before `response.completed` (a connection lost mid-way)."""
    seq = count()
    events: list[ResponseStreamEvent] = [
        ResponseCreatedEvent(
            type="response.created", sequence_number=next(seq), response=response(reply, finished=False)
        ),
        ResponseInProgressEvent(
            type="response.in_progress", sequence_number=next(seq), response=response(reply, finished=False)
        ),
    ]
    for index, item in enumerate(reply.items):
        events += _item_events(index, item, fragments, seq)
    if complete:
        events.append(
            ResponseCompletedEvent(
                type="response.completed", sequence_number=next(seq), response=response(reply)
            )
        )
    return events


def _item_events(
    index: int, item: OutputItem, fragments: Fragments, seq: Iterator[int]
) -> list[ResponseStreamEvent]:
    if isinstance(item, ResponseFunctionToolCall):
        started: OutputItem = item.model_copy(update={"arguments": "", "status": "in_progress"})
    else:
        started = item.model_copy(update={"content": [], "status": "in_progress"})
    events: list[ResponseStreamEvent] = [
        ResponseOutputItemAddedEvent(
            type="response.output_item.added", sequence_number=next(seq), output_index=index, item=started
        )
    ]
    if isinstance(item, ResponseFunctionToolCall):
        events += _argument_events(index, item, fragments, seq)
    else:
        events += _text_events(index, item.id, text_of(item), fragments, seq)
    events.append(
        ResponseOutputItemDoneEvent(
            type="response.output_item.done", sequence_number=next(seq), output_index=index, item=item
        )
    )
    return events


def _argument_events(
    index: int, item: ResponseFunctionToolCall, fragments: Fragments, seq: Iterator[int]
) -> list[ResponseStreamEvent]:
    item_id = item.id or ""
    events: list[ResponseStreamEvent] = [
        ResponseFunctionCallArgumentsDeltaEvent(
            type="response.function_call_arguments.delta",
            sequence_number=next(seq),
            item_id=item_id,
            output_index=index,
            delta=piece,
        )
        for piece in fragments(item.arguments)
    ]
    # OpenAI also names the function in the `.done` event; the SDK's type does not declare the
    # field, and its models keep undeclared fields, so it is validated in rather than passed.
    done = {
        "type": "response.function_call_arguments.done",
        "sequence_number": next(seq),
        "item_id": item_id,
        "output_index": index,
        "arguments": item.arguments,
        "name": item.name,
    }
    events.append(ResponseFunctionCallArgumentsDoneEvent.model_validate(done))
    return events


def _text_events(
    index: int, item_id: str, text: str, fragments: Fragments, seq: Iterator[int]
) -> list[ResponseStreamEvent]:
    empty = ResponseOutputText(type="output_text", text="", annotations=[], logprobs=[])
    full = ResponseOutputText(type="output_text", text=text, annotations=[], logprobs=[])
    events: list[ResponseStreamEvent] = [
        ResponseContentPartAddedEvent(
            type="response.content_part.added",
            sequence_number=next(seq),
            item_id=item_id,
            output_index=index,
            content_index=0,
            part=empty,
        )
    ]
    events += [
        ResponseTextDeltaEvent(
            type="response.output_text.delta",
            sequence_number=next(seq),
            item_id=item_id,
            output_index=index,
            content_index=0,
            delta=piece,
            logprobs=[],
        )
        for piece in fragments(text)
    ]
    events.append(
        ResponseTextDoneEvent(
            type="response.output_text.done",
            sequence_number=next(seq),
            item_id=item_id,
            output_index=index,
            content_index=0,
            text=text,
            logprobs=[],
        )
    )
    events.append(
        ResponseContentPartDoneEvent(
            type="response.content_part.done",
            sequence_number=next(seq),
            item_id=item_id,
            output_index=index,
            content_index=0,
            part=full,
        )
    )
    return events


def _usage(reply: Reply) -> ResponseUsage:
    return ResponseUsage(
        input_tokens=reply.input_tokens,
        output_tokens=reply.output_tokens,
        total_tokens=reply.total_tokens,
        input_tokens_details=InputTokensDetails(cached_tokens=0, cache_write_tokens=0),
        output_tokens_details=OutputTokensDetails(reasoning_tokens=0),
    )
