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
"""

from functools import cached_property
from typing import Any

from openai import AsyncOpenAI
from openai.resources.chat import AsyncChat, AsyncCompletions
from openai.resources.responses import AsyncResponses


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

    @cached_property
    def chat(self) -> AsyncChat:
        return _Chat(self)
