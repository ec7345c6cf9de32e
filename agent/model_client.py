"""The openai client the agent's models talk through: the stock `AsyncOpenAI`, except that the
lists of a model request (the history, the tools) go into the body as they are given.

Before each request the stock client walks its arguments through the API's request types
(`openai._utils._transform`), to rename keys and format dates where a type says so. No type of
the Responses or Chat Completions inputs does either, so for the plain JSON the Agents SDK hands
over (it dumps every item to dicts and lists first) the walk changes nothing — but it tries each
history item against every member of the item unions, about 0.6 ms an item on each model call,
so a turn's cost grew with the conversation's length.

Here each list argument goes to `extra_body` instead, which the client merges into the body
untouched (its documented use: JSON the typed arguments do not carry), and the typed argument
gets an empty list, so the key keeps its place and the JSON is byte for byte the stock client's.
`tests/agent/test_model_client.py` proves that on both APIs, and that the history is no longer
walked: it fails if a new openai or Agents SDK breaks either.

On the way back, each streamed event costs the stock client 70-350 µs of CPU: a Responses event
is validated against the union of its ~60 event types as pydantic's "smart" union does, trying
every member; a Chat Completions chunk is built by openai's pure-Python `construct`. That was
4-7 ms of an ordinary two-call turn, a sixth of the service's own cost. Here an event is
validated, in strict mode (no coercion: what passes is exactly what the stock client builds),
against the one model it is: the Responses union is discriminated by the event's `type`. Each
takes a few µs. An event that does not pass (a provider that leaves out fields, a type newer
than the package) takes the stock path unchanged. The test module checks that every event
comes out as the stock client's object, and that streams take this path event for event.
"""

from functools import cached_property
from typing import Annotated, Any, Union, get_args

import httpx2
from openai import AsyncOpenAI
from openai.resources.chat import AsyncChat, AsyncCompletions
from openai.resources.responses import AsyncResponses
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import ResponseStreamEvent
from pydantic import Field, TypeAdapter, ValidationError

# openai's alias is Annotated[Union[...], PropertyInfo(discriminator="type")]: openai's own
# metadata, which pydantic does not read. The same members with pydantic's discriminator:
_EVENT: Any = ResponseStreamEvent  # the `cast_to` the stream passes (a typing form, not a class)
_TAGGED_EVENT: Any = Annotated[Union[get_args(get_args(_EVENT)[0])], Field(discriminator="type")]  # noqa: UP007
# By the `cast_to` a stream passes for each event: the model that parses it.
STREAM_EVENTS: dict[Any, TypeAdapter[Any]] = {
    _EVENT: TypeAdapter(_TAGGED_EVENT),
    ChatCompletionChunk: TypeAdapter(ChatCompletionChunk),
}


def _lists_as_extra_body(params: dict[str, Any]) -> dict[str, Any]:
    lists = {key: value for key, value in params.items() if isinstance(value, list)}
    if not lists:
        return params
    # The caller's own extra_body still wins, as with the stock client.
    extra_body = {**lists, **(params.get("extra_body") or {})}
    return {**params, **{key: [] for key in lists}, "extra_body": extra_body}


class _Responses(AsyncResponses):
    async def create(self, **params: Any) -> Any:
        return await super().create(**_lists_as_extra_body(params))


class _Completions(AsyncCompletions):
    async def create(self, **params: Any) -> Any:
        return await super().create(**_lists_as_extra_body(params))


class _Chat(AsyncChat):
    @cached_property
    def completions(self) -> AsyncCompletions:
        return _Completions(self._client)


class ModelClient(AsyncOpenAI):
    """`AsyncOpenAI` for callers that pass JSON-ready lists (plain dicts, lists and scalars), as
    the Agents SDK's OpenAI models do. Copies (`with_options`) are of this class too."""

    @cached_property
    def responses(self) -> AsyncResponses:
        return _Responses(self)

    def _process_response_data(self, *, data: object, cast_to: type[Any], response: httpx2.Response) -> Any:
        # The hook every response and stream event passes through (`openai._streaming` calls it
        # for each event); the test module fails if a new openai stops calling it.
        event = STREAM_EVENTS.get(cast_to)
        if event is not None and not self._strict_response_validation:
            try:
                return event.validate_python(data, strict=True)
            except ValidationError:
                pass  # the stock client's way, then: it builds the event without validating it
        return super()._process_response_data(data=data, cast_to=cast_to, response=response)

    @cached_property
    def chat(self) -> AsyncChat:
        return _Chat(self)
