"""The agent as the model sees it: instructions with the user's date and the five tool schemas
(where its traces go is `tests/backend/test_tracing.py`'s business)."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent.function_tools import task_tools
from backend.app import create_app
from tests.chat import chat_app
from tests.conftest import asgi_client, make_settings
from tests.factories import make_user
from tests.provider import text
from tools.registry import OPERATIONS, json_schema


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", None])
async def test_instructions_carry_the_users_date(database_url: str, zone: str | None) -> None:
    async with chat_app(database_url, text("ok")) as chat:
        before = datetime.now(ZoneInfo(zone or "UTC")).date()
        await chat.events("hi", headers={"X-Timezone": zone} if zone else {})
        after = datetime.now(ZoneInfo(zone or "UTC")).date()
    instructions = chat.provider.bodies[0]["instructions"]
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


async def test_the_offline_model_is_told_the_users_today(database_url: str) -> None:
    """The built-in model gets the date from the turn, not by reading the prompt back."""
    fridays: list[object] = []

    def clock(zone: ZoneInfo) -> datetime:
        return datetime(2026, 11, 20, 23, 30, tzinfo=ZoneInfo("UTC")).astimezone(zone)

    config = make_settings(database_url, llm={"provider": "offline"})
    app = create_app(config, clock=clock)
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        user = await make_user(app)
        for zone in ("Pacific/Auckland", "America/New_York"):
            response = await client.post(
                "/api/chat",
                json={"message": "add pay rent on friday", "stream": False},
                headers={**user.headers, "X-Timezone": zone},
            )
            fridays.append(response.json()["actions"][0]["arguments"]["due_date"])
    # 23:30 UTC on Friday the 20th: already Saturday in Auckland, so its Friday is the 27th.
    assert fridays == ["2026-11-27", "2026-11-20"]
