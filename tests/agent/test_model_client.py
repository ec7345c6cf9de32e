"""The model client (`agent.model_client`, wired in by `build_model`) sends what the stock openai
client sends, byte for byte, on both wire APIs — and its cost no longer grows with the history.

Both guard an assumption a new openai or Agents SDK could break: that the client's request
transform leaves the SDK's JSON-ready lists unchanged (else the bytes differ here), and that the
models pass those lists to `responses.create` / `chat.completions.create` where our client can
take them (else the per-item cost comes back)."""

import cProfile
import json
import pstats
import uuid
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import httpx2
import pytest
from agents import (
    Agent,
    FunctionTool,
    Model,
    ModelRetrySettings,
    ModelSettings,
    ModelTracing,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    RunConfig,
    Runner,
    SQLiteSession,
    Tool,
)
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import ResponseStreamEvent
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from agent import model_client
from agent.context import ChatContext
from agent.function_tools import task_tools
from agent.instructions import RULES
from agent.model_client import ModelClient
from agent.providers import LlmSettings, OpenAISettings, build_model
from tests.provider import ScriptedProvider, call, text
from wire import chat_completions as chat_wire
from wire import responses as responses_wire
from wire.fragments import uneven
from wire.reply import Reply, function_call

API = ["responses", "chat_completions"]
COMPATIBLE, OFFICIAL = "https://api.openai.test/v1", "https://api.openai.com/v1"
ODD = 'café ☕ — 日本語, "quotes", back\\slash, tab\t, line\u2028sep, 🦀'


def history(items: int) -> list[dict[str, Any]]:
    """The newest `items` of a long conversation, as the SDK stores it: messages, tool calls and
    outputs, a reasoning item, and items a Chat Completions model left (placeholder ids,
    provider data)."""
    out: list[dict[str, Any]] = []
    for n in range(items // 4 + 1):
        arguments = json.dumps({"title": f"{ODD} {n}", "priority": "high", "due_date": None})
        out += [
            {"role": "user", "content": f"add task {n}: {ODD}"}
            if n % 2
            else {"role": "user", "content": [{"type": "input_text", "text": f"add task {n}"}]},
            {"type": "function_call", "call_id": f"call_{n}", "name": "create_task", "arguments": arguments}
            | ({"id": f"fc_{n}", "status": "completed"} if n % 3 else {"id": "__fake_id__"}),
            {
                "type": "function_call_output",
                "call_id": f"call_{n}",
                "output": json.dumps({"id": n, "ok": True}),
            },
            {
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "id": f"msg_{n}" if n % 3 else "__fake_id__",
                "content": [{"type": "output_text", "text": f"Added {ODD} {n}.", "annotations": []}],
            }
            | ({} if n % 3 else {"provider_data": {"model": "gpt-test", "response_id": f"chatcmpl-{n}"}}),
        ]
    out.insert(len(out) // 2, {"type": "reasoning", "id": "rs_1", "summary": []})
    return out[-items:]


def tools() -> list[Tool]:
    """The service's five tools, schemas and all, answering without a database."""

    async def echo(_ctx: object, arguments: str) -> str:
        return json.dumps({"created": json.loads(arguments), "note": ODD}, ensure_ascii=False)

    return [
        FunctionTool(
            name=t.name,
            description=t.description,
            params_json_schema=t.params_json_schema,
            on_invoke_tool=echo,
            strict_json_schema=t.strict_json_schema,
        )
        for t in task_tools()
        if isinstance(t, FunctionTool)
    ]


SETTINGS = {
    "service": ModelSettings(include_usage=True),
    "tuned": ModelSettings(
        temperature=0.25,
        top_p=0.9,
        frequency_penalty=0.1,
        presence_penalty=0.2,
        tool_choice="required",
        parallel_tool_calls=False,
        truncation="auto",
        max_tokens=512,
        store=False,
        metadata={"conversation": ODD},
        verbosity="low",
        top_logprobs=2,
        prompt_cache_retention="24h",
        include_usage=True,
        extra_body={"safety": {"level": ODD, "flags": [1, 2.5, None, True]}},
        extra_args={"user": "user-1", "service_tier": "auto"},
        retry=ModelRetrySettings(max_retries=0),  # the SDK then calls through a copy of the client
    ),
}


def ours(api: str, base_url: str, transport: httpx2.MockTransport) -> Model:
    llm = LlmSettings(provider="openai", model="gpt-test", api=api, max_retries=0)  # type: ignore[arg-type]
    chat_model = build_model(llm, OpenAISettings(api_key=SecretStr("sk-test"), base_url=base_url), transport)
    ctx = ChatContext(
        uuid.uuid4(),
        async_sessionmaker(class_=AsyncSession),
        uuid.uuid4(),
        uuid.uuid4(),
        1,
        None,
        ZoneInfo("UTC"),
        datetime.now(UTC),
    )
    return chat_model.for_turn(ctx)


def stock(api: str, base_url: str, transport: httpx2.MockTransport) -> Model:
    client = AsyncOpenAI(
        api_key="sk-test",
        base_url=base_url,
        timeout=60.0,
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=transport),
    )
    if api == "chat_completions":
        return OpenAIChatCompletionsModel(model="gpt-test", openai_client=client)
    return OpenAIResponsesModel(model="gpt-test", openai_client=client)


async def requests_sent(
    model: Model, provider: ScriptedProvider, settings: ModelSettings, stream: bool
) -> list[httpx2.Request]:
    """Two model calls (a tool call, then a reply) after 50 items of history, from a session as
    in the service."""
    session = SQLiteSession("conversation-1")
    await session.add_items(history(50))  # type: ignore[arg-type]
    agent = Agent(name="todo", instructions=RULES, tools=tools(), model=model, model_settings=settings)
    config = RunConfig(tracing_disabled=True)
    message = f"and one more: {ODD}"
    if stream:
        run = Runner.run_streamed(agent, message, session=session, run_config=config)
        async for _ in run.stream_events():
            pass
    else:
        await Runner.run(agent, message, session=session, run_config=config)
    return provider.requests


def steps() -> list[Any]:
    return [
        call("create_task", {"title": ODD, "priority": "high"}, call_id="call_new"),
        text(f"Added {ODD}."),
    ]


@pytest.mark.parametrize("api", API)
@pytest.mark.parametrize("base_url", [COMPATIBLE, OFFICIAL], ids=["compatible", "official"])
@pytest.mark.parametrize("settings", list(SETTINGS))
@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
async def test_the_request_is_the_stock_clients_byte_for_byte(
    api: str, base_url: str, settings: str, stream: bool
) -> None:
    sent = {}
    for name, build in {"stock": stock, "ours": ours}.items():
        provider = ScriptedProvider(*steps())
        sent[name] = await requests_sent(
            build(api, base_url, provider.transport()), provider, SETTINGS[settings], stream
        )
    assert len(sent["ours"]) == len(sent["stock"]) == 2
    for theirs, mine in zip(sent["stock"], sent["ours"], strict=True):
        assert (mine.method, mine.url, mine.headers["content-type"]) == (
            theirs.method,
            theirs.url,
            theirs.headers["content-type"],
        )
        assert mine.content == theirs.content
    body = json.loads(sent["ours"][1].content)
    items = body["input"] if api == "responses" else body["messages"]
    assert len(items) >= 50, "the history was sent"
    assert {"role": "user", "content": f"and one more: {ODD}"} in items
    assert len(body["tools"]) == 5


async def python_calls(model: Model, items: int) -> int:
    """Python function calls made to send one model call with `items` of history: a count, so
    the same on a loaded machine as on an idle one."""
    profile = cProfile.Profile()
    profile.enable()
    await model.get_response(
        RULES,
        history(items),  # type: ignore[arg-type]
        ModelSettings(),
        tools(),
        None,
        [],
        ModelTracing.DISABLED,
        previous_response_id=None,
        conversation_id=None,
        prompt=None,
    )
    profile.disable()
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


def copied(api: str, base_url: str, transport: httpx2.MockTransport) -> Model:
    """Our client as the SDK uses it under its own retries: a `with_options` copy."""
    client = ModelClient(api_key="k", base_url=base_url, http_client=httpx2.AsyncClient(transport=transport))
    copy = client.with_options(max_retries=0)
    if api == "chat_completions":
        return OpenAIChatCompletionsModel(model="gpt-test", openai_client=copy)
    return OpenAIResponsesModel(model="gpt-test", openai_client=copy)


@pytest.mark.parametrize("api", API)
@pytest.mark.parametrize("build", [ours, copied], ids=["built", "copied"])
async def test_a_long_history_adds_little_work_per_item(api: str, build: Any) -> None:
    provider = ScriptedProvider(*[text("ok")] * 3)
    model = build(api, COMPATIBLE, provider.transport())
    await python_calls(model, 4)  # warm: first-use imports and caches
    per_item = (await python_calls(model, 201) - await python_calls(model, 1)) / 200
    # Measured: ~100 calls an item on Responses, ~60 on Chat Completions (the SDK's own
    # conversion); the stock client's transform adds ~5,700 and ~1,500.
    assert per_item < 400, f"{per_item:.0f} Python calls per history item"


# Streams as providers send them: the fake provider's own (text, tool calls in fragments, usage),
# then shapes it does not make — reasoning, refusals, failures, provider extras, an event whose
# `type` no member has, values of the wrong JSON type, and events that leave out fields the
# types require (neither passes validation: both clients build them unvalidated).
def replies() -> list[Reply]:
    return [
        text(f"Added {ODD}.", usage=(1200, 37)),
        call("create_task", {"title": ODD, "priority": "high"}, call_id="call_x"),
        Reply(
            [
                function_call("list_tasks", {"status": "open"}, call_id="call_a"),
                function_call("read_task", {"task_id": str(uuid.uuid4())}, call_id="call_b"),
            ],
            30,
            12,
        ),
    ]


def json_of(event: Any) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(event.model_dump_json(exclude_unset=True)))


def responses_events() -> list[dict[str, Any]]:
    events = [json_of(event) for reply in replies() for event in responses_wire.stream(reply, uneven())]
    reasoning = {"id": "rs_1", "type": "reasoning", "summary": [], "status": "in_progress"}
    at = {"item_id": "rs_1", "output_index": 0, "summary_index": 0}
    usage = {"input_tokens": 10, "output_tokens": 2, "total_tokens": 12}
    partial = {
        "id": "resp_9",
        "object": "response",
        "created_at": 1,
        "model": "m",
        "output": [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "status": "completed",
        "usage": {**usage, "input_tokens_details": {"cached_tokens": 0}},
    }
    failed = {**partial, "status": "failed", "error": {"code": "server_error", "message": "boom"}}
    cut = {**partial, "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}
    delta = {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0}
    others: list[dict[str, Any]] = [
        {"type": "response.output_item.added", "output_index": 0, "item": reasoning},
        {"type": "response.reasoning_summary_part.added", **at, "part": {"type": "summary_text", "text": ""}},
        {"type": "response.reasoning_summary_text.delta", **at, "delta": "Thinking"},
        {
            "type": "response.refusal.delta",
            "item_id": "msg_1",
            "output_index": 1,
            "content_index": 0,
            "delta": "No",
        },
        {"type": "error", "code": "server_error", "message": "boom", "param": None},
        {"type": "response.failed", "response": failed},
        {"type": "response.incomplete", "response": cut},
        {"type": "response.completed", "response": partial},
        {"type": "response.some_future_event", "detail": {"x": 1}},
        {**delta, "delta": "Hi", "logprobs": [], "obfuscation": "xq"},  # a field no type declares
        {**delta, "delta": "Hi", "logprobs": [], "output_index": "0"},  # a number as a string
        {"type": "response.output_text.delta", "item_id": "msg_1"},
    ]
    return [*events, *({**event, "sequence_number": n} for n, event in enumerate(others))]


def chat_chunks() -> list[dict[str, Any]]:
    chunks = [json_of(chunk) for reply in replies() for chunk in chat_wire.chunks(reply, uneven())]
    base = {"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "m"}
    logprobs = {"content": [{"token": "No", "logprob": -0.1, "bytes": [78, 111], "top_logprobs": []}]}
    return [
        *chunks,
        {**base, "choices": [{"index": 0, "delta": {"refusal": "No"}, "logprobs": logprobs}]},
        {**base, "choices": [{"index": 0, "delta": {"reasoning_content": "Thinking"}}]},  # a provider's own
        {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}],
            "service_tier": "default",
        },
        {**base, "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10}},
        {**base, "created": 1.7e9, "choices": []},  # a float where the type has an int
        {**base, "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": "unheard_of"}]},
        {"id": "chatcmpl-9", "choices": [{"delta": {"content": "x"}}]},
    ]


STREAMS = {
    "responses": (cast(Any, ResponseStreamEvent), responses_events),
    "chat_completions": (ChatCompletionChunk, chat_chunks),
}


@pytest.mark.parametrize("api", API)
def test_stream_events_are_the_stock_clients(api: str) -> None:
    """Every event parses to what the stock client makes of it: the same class, fields, values
    and nested types (the repr names them all), and the same fields set."""
    cast_to, corpus = STREAMS[api]
    stock_client, our_client = AsyncOpenAI(api_key="k"), ModelClient(api_key="k")
    response = httpx2.Response(200, request=httpx2.Request("POST", f"{OFFICIAL}/{api}"))
    events = corpus()
    assert len(events) >= 40
    for data in events:
        theirs, mine = (
            cast(Any, client._process_response_data(data=data, cast_to=cast_to, response=response))
            for client in (stock_client, our_client)
        )
        assert type(mine) is type(theirs), data
        assert repr(mine) == repr(theirs), data
        assert mine.model_dump_json(warnings=False) == theirs.model_dump_json(warnings=False), data
        assert mine.model_fields_set == theirs.model_fields_set, data


@pytest.mark.parametrize("api", API)
async def test_a_streamed_turn_parses_every_event_the_short_way(
    api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the SDK and our client, every event of a streamed turn is parsed by its own model:
    this fails if a new openai stops passing stream events through the client's hook."""
    cast_to, _ = STREAMS[api]
    parsed: list[Any] = []
    adapter = model_client.STREAM_EVENTS[cast_to]

    class Counting:
        def validate_python(self, data: Any, strict: bool) -> Any:
            parsed.append(adapter.validate_python(data, strict=strict))
            return parsed[-1]

    monkeypatch.setitem(model_client.STREAM_EVENTS, cast_to, Counting())
    provider, bodies = ScriptedProvider(*steps()), []
    scripted = provider.transport()

    async def kept(request: httpx2.Request) -> httpx2.Response:
        answer = await scripted.handle_async_request(request)
        bodies.append(await answer.aread())
        return httpx2.Response(answer.status_code, headers=answer.headers, content=bodies[-1])

    model = ours(api, COMPATIBLE, httpx2.MockTransport(kept))
    agent = Agent(name="todo", instructions=RULES, tools=tools(), model=model)
    run = Runner.run_streamed(agent, "add one", run_config=RunConfig(tracing_disabled=True))
    async for _ in run.stream_events():
        pass
    assert run.final_output == f"Added {ODD}."
    sent = [line for body in bodies for line in body.splitlines() if line.startswith(b"data: {")]
    assert len(bodies) == 2 and len(parsed) == len(sent) > 10
