"""The model API, faked at the HTTP layer: a scripted OpenAI-compatible provider.

It sits under the real openai client as its httpx2 transport and answers each model call with
the next scripted step, on whichever wire API the call uses, streamed as real providers stream
(`wire`: text and arguments in small uneven fragments). So one script serves both APIs, and the
requests the SDK sent are kept for assertions.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2

from wire import chat_completions, responses
from wire.fragments import Fragments, uneven
from wire.reply import Reply, function_call, message
from wire.sse import chat_body, responses_body

BASE_URL = "https://api.openai.test/v1"
Step = Reply | httpx2.Response | Exception | Callable[[httpx2.Request], Awaitable["Step"]]

__all__ = ["BASE_URL", "ScriptedProvider", "broken", "call", "failure", "text"]


def call(
    name: str, arguments: dict[str, Any], call_id: str = "call_1", usage: tuple[int, int] = (20, 5)
) -> Reply:
    """A model response that calls one tool."""
    return Reply([function_call(name, arguments, call_id=call_id)], *usage)


def text(reply: str, usage: tuple[int, int] = (20, 5)) -> Reply:
    """A model response that answers in words."""
    return Reply([message(reply)], *usage)


def failure(status: int, reason: str = "failed", headers: dict[str, str] | None = None) -> Step:
    """A provider's error answer (a fresh response each time the step is used)."""

    async def answer(_: httpx2.Request) -> Step:
        return httpx2.Response(
            status, json={"error": {"message": reason, "type": "server_error"}}, headers=headers
        )

    return answer


def broken(reply: Reply) -> Step:
    """A 200 on the Responses API whose stream breaks off before the response is complete."""

    async def answer(_: httpx2.Request) -> Step:
        body = responses_body(responses.stream(reply, complete=False)[:5])
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    return answer


class ScriptedProvider:
    def __init__(self, *steps: Step, fragments: Fragments | None = None) -> None:
        self.steps = list(steps)
        self.requests: list[httpx2.Request] = []
        self._fragments = fragments or uneven()

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self._answer)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The JSON body of every model call made, in order."""
        return [json.loads(request.content) for request in self.requests]

    def script(self, *steps: Step) -> None:
        self.steps.extend(steps)

    async def _answer(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        self.requests.append(request)
        if not self.steps:
            raise AssertionError(f"model call {len(self.requests)} was not scripted")
        step = self.steps.pop(0)
        while callable(step):
            step = await step(request)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx2.Response):
            return step
        return self._encode(step, request)

    def _encode(self, reply: Reply, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        chat = request.url.path.endswith("/chat/completions")
        if not body.get("stream"):
            document = chat_completions.completion(reply) if chat else responses.response(reply)
            return httpx2.Response(200, json=document.model_dump(mode="json", exclude_unset=True))
        if chat:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            sent = chat_body(chat_completions.chunks(reply, self._fragments, include_usage=include_usage))
        else:
            sent = responses_body(responses.stream(reply, self._fragments))
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=sent)
