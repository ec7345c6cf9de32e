"""When the model or a tool fails: a clean `error` event, nothing lost, and the next turn works."""

import asyncio
import json
import uuid

import httpx2
import pytest
from agents.testing import ModelCall, ModelStep, ScriptedModel, assistant_message
from agents.testing.model import ModelStepResult

from tests.chat import chat_app
from tests.provider import Step, broken, call, failure, text

CREATE = {"title": "Survives the failure"}


@pytest.mark.parametrize(
    ("failed", "attempts", "code"),
    [
        (failure(503, "overloaded"), 2, "model_unavailable"),
        (failure(429, "slow down", headers={"retry-after-ms": "1"}), 2, "model_unavailable"),
        (httpx2.ReadTimeout("model too slow"), 2, "model_timeout"),
        (httpx2.ConnectError("connection refused"), 2, "model_unavailable"),
        (failure(401, "bad key"), 1, "model_auth_failed"),  # not retried: it will not get better
        (failure(400, "bad request"), 1, "model_error"),
        (broken(text("This reply is cut off mid-way")), 1, "model_invalid_response"),  # not retried
    ],
)
async def test_model_failure_after_a_tool_call(
    database_url: str, failed: Step, attempts: int, code: str
) -> None:
    steps = (call("create_task", CREATE, call_id="call_ok"), *[failed] * attempts, text("Back again."))
    async with chat_app(database_url, *steps, llm={"max_retries": 1}) as chat:
        events = await chat.events("add a task that survives")
        assert [name for name, _, _ in events][:3] == ["conversation", "tool_call", "tool_result"]
        assert events[-1][0] == "error"
        assert events[-1][2]["code"] == code
        conversation_id = events[0][2]["conversation_id"]

        detail = await chat.get(f"/api/conversations/{conversation_id}")
        tasks = await chat.get("/api/tasks")
        (turn,) = detail["turns"]
        assert turn["user_message"]["content"] == "add a task that survives", "the message stays"
        assert (turn["status"], turn["error"]["code"], turn["assistant_message"]) == ("failed", code, None)
        assert [a["tool"] for a in turn["actions"]] == ["create_task"], "the committed effect is audited"
        assert [t["title"] for t in tasks["items"]] == ["Survives the failure"]

        again = await chat.events("still there?", conversation_id)
        assert again[-1][0] == "done"
    assert len(chat.provider.requests) == 1 + attempts + 1
    sent = chat.provider.bodies[-1]["input"]
    call_ids = [i["call_id"] for i in sent if i.get("type") in ("function_call", "function_call_output")]
    assert call_ids == ["call_ok", "call_ok"], "no tool call left without its output"


async def test_bad_tool_arguments_go_back_to_the_model(database_url: str) -> None:
    steps = (
        call("create_task", {"title": "", "due_date": "Friday"}, call_id="c1"),
        text("Sorry, I need a title."),
    )
    async with chat_app(database_url, *steps) as chat:
        events = await chat.events("go")
    result = next(data for name, _, data in events if name == "tool_result")
    assert result["status"] == "error"
    assert "title" in result["error"] and "due_date" in result["error"]
    assert result["action_id"] is not None
    assert events[-1][0] == "done" and events[-1][2]["actions"][0]["status"] == "error"
    output = json.loads(chat.provider.bodies[1]["input"][-1]["output"])
    assert output == {"error": result["error"]}, "the model reads why, to correct itself"


async def test_a_tool_that_raises_is_an_error_output(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_page(*_: object, **__: object) -> None:
        raise RuntimeError("database exploded: password=hunter2")

    monkeypatch.setattr("tools.task_queries.list_tasks", broken_page)
    steps = (call("list_tasks", {}, call_id="c1"), text("Something went wrong listing your tasks."))
    async with chat_app(database_url, *steps) as chat:
        events = await chat.events("list")
    result = next(data for name, _, data in events if name == "tool_result")
    assert (result["status"], result["error"]) == ("error", "internal error")
    assert result["action_id"] is not None, "the failure is audited"
    output = chat.provider.bodies[1]["input"][-1]
    assert output["type"] == "function_call_output"
    assert json.loads(output["output"]) == {"error": "internal error"}
    assert "hunter2" not in chat.provider.requests[1].content.decode()
    assert events[-1][0] == "done"


async def test_tools_cannot_reach_another_users_task(database_url: str) -> None:
    async with chat_app(database_url) as chat:
        bob = await chat.another_user()
        bobs = (await chat.client.post("/api/tasks", json={"title": "bob's"}, headers=bob.headers)).json()
        chat.provider.script(
            call("delete_task", {"task_id": bobs["id"], "user_id": bob.id}, call_id="c1"),
            text("I could not find it."),
            call("delete_task", {"task_id": bobs["id"]}, call_id="c2"),
            text("Not found."),
        )
        smuggled = await chat.events("delete bob's task")
        plain = await chat.events("delete it")
        still_there = await chat.client.get(f"/api/tasks/{bobs['id']}", headers=bob.headers)
    first = next(data for name, _, data in smuggled if name == "tool_result")
    assert first["status"] == "error" and "user_id" in first["error"], "no argument names a user"
    second = next(data for name, _, data in plain if name == "tool_result")
    assert (second["status"], second["error"]) == ("error", f"task {bobs['id']} not found")
    assert still_there.status_code == 200


async def test_too_many_steps_end_the_turn_cleanly(database_url: str) -> None:
    steps = [call("list_tasks", {}, call_id=f"c{n}") for n in range(3)]
    async with chat_app(database_url, *steps, agent={"max_turns": 2}) as chat:
        events = await chat.events("go")
    assert events[-1][0] == "error"
    assert events[-1][2] == {
        "code": "max_turns_exceeded",
        "message": "the request needed more steps than allowed",
    }


async def _stuck(_: ModelCall) -> ModelStepResult:
    await asyncio.sleep(30)  # a model that hangs: only the turn's deadline ends it
    return [assistant_message("too late")]


async def test_the_turn_deadline_stops_a_slow_turn(database_url: str) -> None:
    model = ScriptedModel([ModelStep.respond(_stuck)])
    async with chat_app(database_url, model=model, chat={"turn_timeout_s": 0.3}) as chat:
        started = asyncio.get_running_loop().time()
        events = await chat.events("hello")
        elapsed = asyncio.get_running_loop().time() - started
    assert (events[-1][0], events[-1][2]["code"]) == ("error", "turn_timeout")
    assert elapsed < 5, "stopped at the deadline, not when the model finished"


async def test_json_mode(database_url: str) -> None:
    steps = (
        call("create_task", {"title": "Json"}, call_id="c1", usage=(10, 2)),
        text("Added Json.", usage=(15, 3)),
        failure(500, "boom"),
    )
    async with chat_app(database_url, *steps) as chat:
        ok = await chat.reply("add json")
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
        body = ok.json()
        assert set(body) == {"conversation_id", "message", "actions", "usage"}
        assert body["message"]["content"] == "Added Json."
        assert [a["tool"] for a in body["actions"]] == ["create_task"]
        assert body["usage"] == {"input_tokens": 25, "output_tokens": 5, "total_tokens": 30}
        failed = await chat.reply("again", body["conversation_id"])
    assert failed.status_code == 502
    assert failed.json()["error"] == {
        "code": "model_unavailable",
        "message": "the model is unavailable; try again shortly",
    }


@pytest.mark.parametrize(
    ("failed", "status", "code"),
    [(httpx2.ReadTimeout("slow"), 504, "model_timeout"), (failure(401, "no"), 502, "model_auth_failed")],
)
async def test_json_mode_statuses(database_url: str, failed: Step, status: int, code: str) -> None:
    async with chat_app(database_url, failed) as chat:
        response = await chat.reply("hi")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


async def test_json_mode_turn_deadline_is_a_gateway_timeout(database_url: str) -> None:
    model = ScriptedModel([ModelStep.respond(_stuck)])
    async with chat_app(database_url, model=model, chat={"turn_timeout_s": 0.2}) as chat:
        response = await chat.reply("hello")
    assert (response.status_code, response.json()["error"]["code"]) == (504, "turn_timeout")


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        ({"message": ""}, {}, 422, "validation_error"),
        ({"message": "x" * 4001}, {}, 422, "validation_error"),
        ({"message": "hi", "conversation_id": "nope"}, {}, 422, "validation_error"),
        ({"message": "hi", "user_id": "someone"}, {}, 422, "validation_error"),
        ({"message": "hi"}, {"X-Timezone": "Mars/Olympus_Mons"}, 422, "validation_error"),
        ({"message": "hi", "conversation_id": str(uuid.uuid4())}, {}, 404, "not_found"),
    ],
)
async def test_bad_requests(database_url: str, body: dict, headers: dict, status: int, code: str) -> None:
    async with chat_app(database_url) as chat:
        response = await chat.client.post("/api/chat", json=body, headers={**chat.user.headers, **headers})
        unauthenticated = await chat.client.post("/api/chat", json={"message": "hi"})
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert unauthenticated.status_code == 401
    assert not chat.provider.requests, "the model is never called for a rejected request"
