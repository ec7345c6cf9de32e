"""The model API, mocked at the HTTP layer: realistic Responses and Chat Completions streams,
served by a respx router through an httpx2 transport (the openai 3.x client sends via httpx2)."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from itertools import count
from typing import Any, Literal

import httpx
import httpx2
import respx
from agents import Model
from fastapi import FastAPI

from agent.config import AgentConfig
from agent.providers import build_model
from backend.app import create_app
from tests.conftest import make_settings

BASE_URL = "https://api.openai.com/v1"
Api = Literal["responses", "chat_completions"]


def bridge(router: respx.Router) -> httpx2.MockTransport:
    async def handler(request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        legacy = httpx.Request(
            request.method, str(request.url), headers=list(request.headers.multi_items()), content=body
        )
        try:
            response = await router.async_handler(legacy)
        except httpx.TimeoutException as exc:  # what a slow provider looks like to the openai client
            raise httpx2.ReadTimeout(str(exc), request=request) from exc
        except httpx.TransportError as exc:
            raise httpx2.ConnectError(str(exc), request=request) from exc
        content = await response.aread()
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx2.Response(response.status_code, headers=headers, content=content, request=request)

    return httpx2.MockTransport(handler)


def openai_model(router: respx.Router, api: Api = "responses", **config: Any) -> Model:
    config = {"max_retries": 0, **config}
    settings = AgentConfig(
        provider="openai", api_key="sk-test", base_url=BASE_URL, model="gpt-test", api=api, **config
    )
    return build_model(settings, transport=bridge(router))


def router() -> respx.Router:
    return respx.Router(base_url=BASE_URL, assert_all_mocked=True, assert_all_called=False)


@asynccontextmanager
async def chat_app(database_url: str, model: Model, **overrides: Any) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(database_url, **overrides), model=model)
    async with app.router.lifespan_context(app):
        yield app


def sse(frames: list[dict[str, Any]]) -> httpx.Response:
    body = "".join(f"event: {f['type']}\ndata: {json.dumps(f)}\n\n" for f in frames)
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, text=body)


# --- Responses API -------------------------------------------------------------------------------

_ids = count(1)


def function_call(name: str, arguments: dict[str, Any], call_id: str | None = None) -> dict[str, Any]:
    n = next(_ids)
    return {
        "type": "function_call",
        "id": f"fc_{n}",
        "call_id": call_id or f"call_{n}",
        "name": name,
        "arguments": json.dumps(arguments),
        "status": "completed",
    }


def message(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"msg_{next(_ids)}",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


def _response(output: list[dict[str, Any]], status: str, usage: tuple[int, int] | None) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1700000000,
        "model": "gpt-test",
        "status": status,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
        "usage": None
        if usage is None
        else {
            "input_tokens": usage[0],
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": usage[1],
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": sum(usage),
        },
    }


def responses_frames(
    *items: dict[str, Any], usage: tuple[int, int] = (20, 5), chunk: int = 6, complete: bool = True
) -> list[dict[str, Any]]:
    """The event sequence of one streamed Responses API call producing `items`."""
    seq = count()
    frames = [
        {
            "type": "response.created",
            "sequence_number": next(seq),
            "response": _response([], "in_progress", None),
        }
    ]
    for index, item in enumerate(items):
        started = {**item, "status": "in_progress"}
        if item["type"] == "message":
            started["content"] = []
        frames.append(
            {
                "type": "response.output_item.added",
                "sequence_number": next(seq),
                "output_index": index,
                "item": started,
            }
        )
        if item["type"] == "function_call":
            args = item["arguments"]
            for i in range(0, len(args), chunk * 3):
                frames.append(
                    {
                        "type": "response.function_call_arguments.delta",
                        "sequence_number": next(seq),
                        "item_id": item["id"],
                        "output_index": index,
                        "delta": args[i : i + chunk * 3],
                    }
                )
            frames.append(
                {
                    "type": "response.function_call_arguments.done",
                    "sequence_number": next(seq),
                    "item_id": item["id"],
                    "output_index": index,
                    "arguments": args,
                    "name": item["name"],
                }
            )
        else:
            text = item["content"][0]["text"]
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            frames.append(
                {
                    "type": "response.content_part.added",
                    "sequence_number": next(seq),
                    "item_id": item["id"],
                    "output_index": index,
                    "content_index": 0,
                    "part": part,
                }
            )
            for i in range(0, len(text), chunk):
                frames.append(
                    {
                        "type": "response.output_text.delta",
                        "sequence_number": next(seq),
                        "item_id": item["id"],
                        "output_index": index,
                        "content_index": 0,
                        "delta": text[i : i + chunk],
                        "logprobs": [],
                    }
                )
            frames.append(
                {
                    "type": "response.output_text.done",
                    "sequence_number": next(seq),
                    "item_id": item["id"],
                    "output_index": index,
                    "content_index": 0,
                    "text": text,
                    "logprobs": [],
                }
            )
        frames.append(
            {
                "type": "response.output_item.done",
                "sequence_number": next(seq),
                "output_index": index,
                "item": item,
            }
        )
    if complete:
        frames.append(
            {
                "type": "response.completed",
                "sequence_number": next(seq),
                "response": _response(list(items), "completed", usage),
            }
        )
    return frames


# --- Chat Completions ----------------------------------------------------------------------------


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-test",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def chat_sse(chunks: list[dict[str, Any]], usage: tuple[int, int] = (20, 5)) -> httpx.Response:
    tail = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-test",
        "choices": [],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
    }
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in [*chunks, tail]) + "data: [DONE]\n\n"
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, text=body)


def chat_tool_call(name: str, arguments: dict[str, Any], call_id: str = "call_1") -> list[dict[str, Any]]:
    args = json.dumps(arguments)
    half = len(args) // 2
    return [
        _chunk(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "index": 0,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": name, "arguments": ""},
                    }
                ],
            }
        ),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": args[:half]}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": args[half:]}}]}),
        _chunk({}, "tool_calls"),
    ]


def chat_text(text: str, chunk: int = 6) -> list[dict[str, Any]]:
    parts = [text[i : i + chunk] for i in range(0, len(text), chunk)]
    return [
        _chunk({"role": "assistant", "content": ""}),
        *(_chunk({"content": p}) for p in parts),
        _chunk({}, "stop"),
    ]


# --- reading the chat stream ---------------------------------------------------------------------


async def chat_events(
    app: FastAPI, token: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> list[tuple[str, int, dict[str, Any]]]:
    """POST /api/chat and parse the SSE stream as a client does: (event, id, data) triples."""
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
        request_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        async with client.sse("/api/chat", method="POST", json=body, headers=request_headers) as source:
            return [(e.event, int(e.id), e.json()) async for e in source]
