"""Edges of the chat loop, with the model scripted by `agents.testing` where HTTP is not the point."""

import asyncio

import pytest
from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call

from tests.chat import chat_app


async def test_parallel_tool_calls_in_one_response(database_url: str) -> None:
    model = ScriptedModel(
        [
            [
                function_call("create_task", {"title": "First"}, call_id="p1"),
                function_call("create_task", {"title": "Second", "priority": "high"}, call_id="p2"),
            ],
            [assistant_message("Added both.")],
        ]
    )
    async with chat_app(database_url, model=model) as chat:
        events = await chat.events("add first and second")
        titles = [t["title"] for t in (await chat.get("/api/tasks"))["items"]]
    results = {data["call_id"]: data for name, _, data in events if name == "tool_result"}
    assert set(results) == {"p1", "p2"} and all(r["status"] == "ok" for r in results.values())
    assert sorted(titles) == ["First", "Second"]
    done = events[-1][2]
    assert sorted(a["id"] for a in done["actions"]) == sorted(r["action_id"] for r in results.values())
    second_call_input = model.calls[1].input
    assert [i["call_id"] for i in second_call_input if i.get("type") == "function_call_output"] == [
        "p1",
        "p2",
    ]
    model.assert_complete()


async def test_keepalive_comments_while_the_model_is_quiet(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("backend.sse.KEEPALIVE_S", 0.05)

    async def slow(_call: object) -> list:
        await asyncio.sleep(0.3)
        return [assistant_message("Finally.")]

    model = ScriptedModel([ModelStep.respond(slow)])
    async with chat_app(database_url, model=model) as chat:
        response = await chat.client.post("/api/chat", json={"message": "hi"}, headers=chat.user.headers)
    body = response.text
    assert ": ping" in body, "comments keep the connection alive while nothing else is sent"
    assert body.index(": ping") < body.index("event: message") < body.index("event: done")
