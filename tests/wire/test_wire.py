"""What `wire` builds is what the real openai client and the Agents SDK understand, on both APIs,
streamed (in fragments) or not, and its server streams the way real providers do."""

import json

import httpx2
import pytest
from agents import (
    Agent,
    FunctionTool,
    ModelSettings,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    RunConfig,
    Runner,
)
from openai import AsyncOpenAI

from wire.fragments import uneven, whole, words
from wire.reply import Reply, function_call, message
from wire.server import ModelRequest, create_app

SCRIPT = [
    Reply(
        [function_call("create_task", {"title": "Dentist", "due_date": "2026-11-27"}, call_id="call_1")],
        30,
        7,
    ),
    Reply([message("Added “Dentist” for Friday — high priority.")], 40, 9),
]


def model(api: str, brain_calls: list[ModelRequest], fragments: object = uneven()) -> object:
    async def brain(request: ModelRequest) -> Reply:
        brain_calls.append(request)
        return SCRIPT[len(brain_calls) - 1]

    app = create_app(brain, fragments=fragments)  # type: ignore[arg-type]
    client = AsyncOpenAI(
        api_key="k",
        base_url="http://fake/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)),
    )
    if api == "chat_completions":
        return OpenAIChatCompletionsModel(model="m", openai_client=client)
    return OpenAIResponsesModel(model="m", openai_client=client)


async def _create(_ctx: object, arguments: str) -> str:
    return json.dumps({"created": json.loads(arguments)})


TOOL = FunctionTool(
    name="create_task",
    description="Create a task.",
    params_json_schema={
        "type": "object",
        "properties": {"title": {"type": "string"}, "due_date": {"type": "string"}},
    },
    on_invoke_tool=_create,
    strict_json_schema=False,
)


@pytest.mark.parametrize("api", ["responses", "chat_completions"])
@pytest.mark.parametrize(
    "fragments", [whole, words, uneven(seed=3, largest=2)], ids=["whole", "words", "tiny"]
)
async def test_the_sdk_reads_every_stream_the_same(api: str, fragments: object) -> None:
    seen: list[ModelRequest] = []
    agent = Agent(name="t", instructions="Be brief.", tools=[TOOL], model=model(api, seen, fragments))  # type: ignore[arg-type]
    run = Runner.run_streamed(
        agent,
        "add the dentist",
        run_config=RunConfig(tracing_disabled=True, model_settings=ModelSettings(include_usage=True)),
    )
    deltas = [
        e.data.delta
        async for e in run.stream_events()
        if e.type == "raw_response_event" and e.data.type == "response.output_text.delta"
    ]
    assert run.final_output == "Added “Dentist” for Friday — high priority."
    assert "".join(deltas) == run.final_output
    assert (run.context_wrapper.usage.input_tokens, run.context_wrapper.usage.output_tokens) == (70, 16)
    outputs = [
        i for i in run.to_input_list() if isinstance(i, dict) and i.get("type") == "function_call_output"
    ]
    assert json.loads(str(outputs[0]["output"])) == {
        "created": {"title": "Dentist", "due_date": "2026-11-27"}
    }
    # The server read both APIs' requests into the same items and instructions.
    assert [r.api for r in seen] == [api, api]
    assert seen[0].instructions == "Be brief." and seen[0].items[-1]["content"] == "add the dentist"
    assert [i.get("type") for i in seen[1].items][-2:] == ["function_call", "function_call_output"]


@pytest.mark.parametrize("api", ["responses", "chat_completions"])
async def test_not_streamed(api: str) -> None:
    agent = Agent(name="t", tools=[TOOL], model=model(api, []))  # type: ignore[arg-type]
    result = await Runner.run(agent, "add the dentist", run_config=RunConfig(tracing_disabled=True))
    assert result.final_output == "Added “Dentist” for Friday — high priority."


async def test_chat_completions_stream_like_real_providers() -> None:
    async def brain(_: ModelRequest) -> Reply:
        return SCRIPT[0]

    app = create_app(brain, fragments=uneven(seed=1, largest=4))
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://fake") as client:
        body = {
            "model": "m",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "hi"}],
        }
        text = (await client.post("/v1/chat/completions", json=body)).text
    frames = [line[6:] for line in text.split("\n") if line.startswith("data: ")]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(f) for f in frames[:-1]]
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"] and c["choices"][0]["delta"].get("tool_calls")
    ]
    assert calls[0]["id"] == "call_1" and calls[0]["function"] == {"name": "create_task", "arguments": ""}
    assert all(set(c) == {"index", "function"} and set(c["function"]) == {"arguments"} for c in calls[1:])
    assert len(calls) > 5, "the arguments arrive in many small pieces"
    assert "".join(c["function"]["arguments"] for c in calls) == SCRIPT[0].items[0].arguments
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 37, (
        "usage comes alone, last"
    )


async def test_responses_stream_every_event() -> None:
    async def brain(_: ModelRequest) -> Reply:
        return SCRIPT[0]

    app = create_app(brain)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://fake") as client:
        text = (await client.post("/v1/responses", json={"model": "m", "stream": True, "input": "hi"})).text
    kinds = [line[7:] for line in text.split("\n") if line.startswith("event: ")]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds.count("response.function_call_arguments.delta") > 3
    assert kinds[-3:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
