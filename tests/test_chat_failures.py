"""When the model or a tool fails: a clean `error` event, nothing lost, and the next turn works."""

import json
import uuid

import httpx
import pytest

from tests.conftest import AuthedUser, asgi_client, register
from tests.fake_llm import (
    chat_app,
    chat_events,
    function_call,
    message,
    openai_model,
    responses_frames,
    router,
    sse,
)

CREATE = {"title": "Survives the failure"}


def broken_stream() -> httpx.Response:
    frames = responses_frames(message("This reply is cut off mid-way"), complete=False)
    return sse(frames[:5])  # the connection ends before response.completed


@pytest.mark.parametrize(
    ("failure", "attempts", "code"),
    [
        (
            httpx.Response(503, json={"error": {"message": "overloaded", "type": "server_error"}}),
            2,
            "model_unavailable",
        ),
        (
            httpx.Response(
                429,
                json={"error": {"message": "slow down", "type": "rate_limit_error"}},
                headers={"retry-after-ms": "1"},
            ),
            2,
            "model_unavailable",
        ),
        (httpx.ReadTimeout("model too slow"), 2, "model_timeout"),
        (httpx.ConnectError("connection refused"), 2, "model_unavailable"),
        (broken_stream(), 1, "model_invalid_response"),  # a 200 whose body breaks off is not retried
    ],
)
async def test_model_failure_after_a_tool_call(
    database_url: str, failure: object, attempts: int, code: str
) -> None:
    mock = router()
    route = mock.post("/responses").mock(
        side_effect=[
            sse(responses_frames(function_call("create_task", CREATE, call_id="call_ok"))),
            *[failure] * attempts,  # the client retries once, then gives up
            sse(responses_frames(message("Back again."))),
        ]
    )
    async with chat_app(database_url, openai_model(mock, max_retries=1)) as app:
        async with asgi_client(app) as client:
            user = await register(client)
        events = await chat_events(app, user.token, {"message": "add a task that survives"})
        assert [name for name, _, _ in events][:3] == ["conversation", "tool_call", "tool_result"]
        assert events[-1][0] == "error"
        assert events[-1][2]["code"] == code
        conversation_id = events[0][2]["conversation_id"]

        async with asgi_client(app) as client:
            detail = (await client.get(f"/api/conversations/{conversation_id}", headers=user.headers)).json()
            tasks = (await client.get("/api/tasks", headers=user.headers)).json()
        (turn,) = detail["turns"]
        assert turn["user_message"]["content"] == "add a task that survives", "the message stays"
        assert (turn["status"], turn["error"]["code"], turn["assistant_message"]) == ("failed", code, None)
        assert [a["tool"] for a in turn["actions"]] == ["create_task"], "the committed effect is audited"
        assert [t["title"] for t in tasks["items"]] == ["Survives the failure"]

        again = await chat_events(
            app, user.token, {"message": "still there?", "conversation_id": conversation_id}
        )
        assert again[-1][0] == "done"
    sent = json.loads(route.calls[-1].request.content)["input"]
    call_ids = [i["call_id"] for i in sent if i.get("type") in ("function_call", "function_call_output")]
    assert call_ids == ["call_ok", "call_ok"], "no tool call left without its output"


async def _one_turn(
    database_url: str, responses: list[httpx.Response], **overrides: object
) -> tuple[AuthedUser, list[tuple[str, int, dict]]]:
    mock = router()
    mock.post("/responses").mock(side_effect=responses)
    async with chat_app(database_url, openai_model(mock), **overrides) as app:
        async with asgi_client(app) as client:
            user = await register(client)
        return user, await chat_events(app, user.token, {"message": "go"})


async def test_bad_tool_arguments_go_back_to_the_model(database_url: str) -> None:
    _, events = await _one_turn(
        database_url,
        [
            sse(
                responses_frames(
                    function_call("create_task", {"title": "", "due_date": "Friday"}, call_id="c1")
                )
            ),
            sse(responses_frames(message("Sorry, I need a title."))),
        ],
    )
    result = next(data for name, _, data in events if name == "tool_result")
    assert result["status"] == "error"
    assert "title" in result["error"] and "due_date" in result["error"]
    assert result["action_id"] is not None
    assert events[-1][0] == "done" and events[-1][2]["actions"][0]["status"] == "error"


async def test_a_tool_that_raises_is_an_error_output(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database exploded: password=hunter2")

    monkeypatch.setattr("tools.tasks.fetch_page", broken)
    mock = router()
    route = mock.post("/responses").mock(
        side_effect=[
            sse(responses_frames(function_call("list_tasks", {}, call_id="c1"))),
            sse(responses_frames(message("Something went wrong listing your tasks."))),
        ]
    )
    async with chat_app(database_url, openai_model(mock)) as app:
        async with asgi_client(app) as client:
            user = await register(client)
        events = await chat_events(app, user.token, {"message": "list"})
    result = next(data for name, _, data in events if name == "tool_result")
    assert (result["status"], result["error"]) == ("error", "internal error")
    output = json.loads(route.calls[1].request.content)["input"][-1]
    assert output["type"] == "function_call_output" and json.loads(output["output"]) == {
        "error": "internal error"
    }
    assert "hunter2" not in route.calls[1].request.content.decode()
    assert events[-1][0] == "done"


async def test_tools_cannot_reach_another_users_task(database_url: str) -> None:
    mock = router()
    async with chat_app(database_url, openai_model(mock)) as app:
        async with asgi_client(app) as client:
            alice, bob = await register(client), await register(client)
            bobs = (await client.post("/api/tasks", json={"title": "bob's"}, headers=bob.headers)).json()
        mock.post("/responses").mock(
            side_effect=[
                sse(
                    responses_frames(
                        function_call("delete_task", {"task_id": bobs["id"], "user_id": bob.id}, call_id="c1")
                    )
                ),
                sse(responses_frames(message("I could not find it."))),
            ]
        )
        events = await chat_events(app, alice.token, {"message": "delete bob's task"})
        async with asgi_client(app) as client:
            still_there = await client.get(f"/api/tasks/{bobs['id']}", headers=bob.headers)
    result = next(data for name, _, data in events if name == "tool_result")
    assert result["status"] == "error" and "user_id" in result["error"]
    assert still_there.status_code == 200

    mock = router()
    mock.post("/responses").mock(
        side_effect=[
            sse(responses_frames(function_call("delete_task", {"task_id": bobs["id"]}, call_id="c2"))),
            sse(responses_frames(message("Not found."))),
        ]
    )
    async with chat_app(database_url, openai_model(mock)) as app:
        events = await chat_events(app, alice.token, {"message": "delete it"})
        async with asgi_client(app) as client:
            assert (await client.get(f"/api/tasks/{bobs['id']}", headers=bob.headers)).status_code == 200
    result = next(data for name, _, data in events if name == "tool_result")
    assert (result["status"], result["error"]) == ("error", f"task {bobs['id']} not found")


async def test_too_many_steps_end_the_turn_cleanly(database_url: str) -> None:
    loop = [sse(responses_frames(function_call("list_tasks", {}, call_id=f"c{n}"))) for n in range(3)]
    _, events = await _one_turn(database_url, loop, agent_max_turns=2)
    assert events[-1] == (
        "error",
        events[-1][1],
        {"code": "max_turns_exceeded", "message": "the request needed more steps than allowed"},
    )


async def test_json_mode(database_url: str) -> None:
    mock = router()
    mock.post("/responses").mock(
        side_effect=[
            sse(
                responses_frames(function_call("create_task", {"title": "Json"}, call_id="c1"), usage=(10, 2))
            ),
            sse(responses_frames(message("Added Json."), usage=(15, 3))),
            httpx.Response(500, json={"error": {"message": "boom"}}),
        ]
    )
    async with chat_app(database_url, openai_model(mock)) as app, asgi_client(app) as client:
        user = await register(client)
        ok = await client.post(
            "/api/chat", json={"message": "add json", "stream": False}, headers=user.headers
        )
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
        body = ok.json()
        assert set(body) == {"conversation_id", "message", "actions", "usage"}
        assert body["message"]["content"] == "Added Json."
        assert [a["tool"] for a in body["actions"]] == ["create_task"]
        assert body["usage"] == {"input_tokens": 25, "output_tokens": 5, "total_tokens": 30}
        failed = await client.post(
            "/api/chat",
            json={"message": "again", "stream": False, "conversation_id": body["conversation_id"]},
            headers=user.headers,
        )
        assert failed.status_code == 502
        assert failed.json()["error"]["code"] == "model_unavailable"


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
    mock = router()
    async with chat_app(database_url, openai_model(mock)) as app, asgi_client(app) as client:
        user = await register(client)
        response = await client.post("/api/chat", json=body, headers={**user.headers, **headers})
        unauthenticated = await client.post("/api/chat", json={"message": "hi"})
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert unauthenticated.status_code == 401
    assert not mock.calls, "the model is never called for a rejected request"
