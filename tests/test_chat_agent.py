"""The agent as the model sees it: instructions with the user's date, the five tool schemas, and
nothing sent anywhere else (tracing stays off unless configured)."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from agents import add_trace_processor
from agents.tracing import TracingProcessor

from agent.function_tools import json_schema, task_tools
from tests.conftest import asgi_client, register
from tests.fake_llm import chat_app, chat_events, message, openai_model, responses_frames, router, sse
from tools.registry import OPERATIONS


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", None])
async def test_instructions_carry_the_users_date(database_url: str, zone: str | None) -> None:
    mock = router()
    route = mock.post("/responses").mock(return_value=sse(responses_frames(message("ok"))))
    async with chat_app(database_url, openai_model(mock)) as app:
        async with asgi_client(app) as client:
            user = await register(client)
        before = datetime.now(ZoneInfo(zone or "UTC")).date()
        await chat_events(app, user.token, {"message": "hi"}, headers={"X-Timezone": zone} if zone else {})
        after = datetime.now(ZoneInfo(zone or "UTC")).date()
    instructions = json.loads(route.calls[0].request.content)["instructions"]
    assert any(
        f"Current date: {day.isoformat()} ({day:%A}). Time zone: {zone or 'UTC'}." in instructions
        for day in {before, after}
    )
    assert f"{before + timedelta(days=1):%A} {before + timedelta(days=1)}" in instructions or before != after
    assert "list_tasks" in instructions, "it is told to find ids before acting by name"


def test_the_five_tools_and_their_contract() -> None:
    tools = task_tools()
    assert [t.name for t in tools] == ["create_task", "read_task", "update_task", "delete_task", "list_tasks"]
    fields = {name: list(json_schema(op.arguments)["properties"]) for name, op in OPERATIONS.items()}
    assert fields == {
        "create_task": ["title", "description", "priority", "due_date"],
        "read_task": ["task_id"],
        "update_task": ["task_id", "title", "description", "priority", "due_date", "completed"],
        "delete_task": ["task_id"],
        "list_tasks": [
            "status",
            "priority",
            "search",
            "due_before",
            "due_after",
            "sort_by",
            "order",
            "limit",
            "offset",
        ],
    }
    for tool in tools:
        schema = json.dumps(tool.params_json_schema)
        assert "user_id" not in schema and "$ref" not in schema
        assert tool.params_json_schema["additionalProperties"] is False
        assert tool.description
    create = tools[0].params_json_schema
    assert create["required"] == ["title"]
    assert create["properties"]["priority"] == {
        "enum": ["low", "medium", "high"],
        "type": "string",
        "default": "medium",
        "description": "low, medium or high.",
    }


class Spy(TracingProcessor):
    def __init__(self) -> None:
        self.seen: list[object] = []

    def on_trace_start(self, trace: object) -> None:
        self.seen.append(trace)

    def on_trace_end(self, trace: object) -> None:
        self.seen.append(trace)

    def on_span_start(self, span: object) -> None:
        self.seen.append(span)

    def on_span_end(self, span: object) -> None:
        self.seen.append(span)

    def shutdown(self) -> None:
        pass

    def force_flush(self) -> None:
        pass


async def test_no_traces_unless_configured(database_url: str) -> None:
    spy = Spy()
    add_trace_processor(spy)
    mock = router()
    mock.post("/responses").mock(return_value=sse(responses_frames(message("ok"))))
    async with chat_app(database_url, openai_model(mock)) as app:
        async with asgi_client(app) as client:
            user = await register(client)
        await chat_events(app, user.token, {"message": "hi"})
    assert spy.seen == []
