"""Export a conversation as a transcript, import it (as anyone), and continue it."""

import json

from tests.conftest import asgi_client, register
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


async def test_export_import_continue(database_url: str) -> None:
    mock = router()
    route = mock.post("/responses").mock(
        side_effect=[
            sse(
                responses_frames(function_call("create_task", {"title": "Milk"}, call_id="c1"), usage=(10, 2))
            ),
            sse(responses_frames(message("Added Milk."), usage=(12, 3))),
            sse(responses_frames(message("Earlier I added Milk for you."))),
        ]
    )
    async with chat_app(database_url, openai_model(mock)) as app, asgi_client(app) as client:
        alice, bob = await register(client), await register(client)
        events = await chat_events(app, alice.token, {"message": "add milk"})
        conversation_id = events[0][2]["conversation_id"]

        exported = await client.get(f"/api/conversations/{conversation_id}/export", headers=alice.headers)
        assert exported.status_code == 200
        transcript = exported.json()
        assert (transcript["format"], transcript["version"], transcript["model"]) == (
            "todo-chat-transcript",
            1,
            "gpt-test",
        )
        (turn,) = transcript["turns"]
        assert (turn["user_message"], turn["reply"], turn["status"]) == (
            "add milk",
            "Added Milk.",
            "completed",
        )
        assert [(c["name"], c["arguments"]["title"], c["status"]) for c in turn["tool_calls"]] == [
            ("create_task", "Milk", "ok")
        ]
        assert turn["usage"] == {"input_tokens": 22, "output_tokens": 5, "total_tokens": 27}
        assert [i.get("type", "message") for i in turn["items"]] == [
            "message",
            "function_call",
            "function_call_output",
            "message",
        ]
        assert (
            await client.get(f"/api/conversations/{conversation_id}/export", headers=bob.headers)
        ).status_code == 404

        imported = await client.post("/api/conversations/import", json=transcript, headers=bob.headers)
        assert imported.status_code == 201, imported.text
        copy = imported.json()
        assert (
            copy["id"] != conversation_id
            and imported.headers["location"] == f"/api/conversations/{copy['id']}"
        )
        assert copy["turns"][0]["user_message"]["content"] == "add milk"
        assert copy["turns"][0]["assistant_message"]["content"] == "Added Milk."
        assert copy["turns"][0]["actions"] == [], "nothing was executed on import"
        assert copy["usage"]["total_tokens"] == 27 and copy["message_count"] == 2
        assert (await client.get("/api/tasks", headers=bob.headers)).json()["total"] == 0
        assert (
            await client.get(f"/api/conversations/{copy['id']}", headers=alice.headers)
        ).status_code == 404

    async with chat_app(database_url, openai_model(mock)) as app:
        more = await chat_events(
            app, bob.token, {"message": "what did you add?", "conversation_id": copy["id"]}
        )
    assert more[-2][2]["content"] == "Earlier I added Milk for you."
    history = json.loads(route.calls[2].request.content)["input"]
    assert [i.get("type", "message") for i in history] == [
        "message",
        "function_call",
        "function_call_output",
        "message",
        "message",
    ]


async def test_import_without_items_rebuilds_the_history(database_url: str) -> None:
    mock = router()
    route = mock.post("/responses").mock(return_value=sse(responses_frames(message("Noted."))))
    transcript = {
        "format": "todo-chat-transcript",
        "version": 1,
        "turns": [
            {
                "user_message": "add eggs",
                "reply": "Added eggs.",
                "tool_calls": [
                    {
                        "name": "create_task",
                        "arguments": {"title": "Eggs"},
                        "status": "ok",
                        "result": {"title": "Eggs"},
                    }
                ],
            }
        ],
    }
    async with chat_app(database_url, openai_model(mock)) as app, asgi_client(app) as client:
        user = await register(client)
        imported = await client.post("/api/conversations/import", json=transcript, headers=user.headers)
        assert imported.status_code == 201
        await chat_events(app, user.token, {"message": "thanks", "conversation_id": imported.json()["id"]})
        bad = await client.post(
            "/api/conversations/import", json={"format": "other", "turns": []}, headers=user.headers
        )
    assert bad.status_code == 422
    sent = json.loads(route.calls[0].request.content)["input"]
    assert [i.get("call_id") for i in sent if i.get("type")] == [
        "call_imported_1_1",
        "call_imported_1_1",
        None,
    ]
    assert sent[0]["content"] == "add eggs" and sent[-1]["content"] == "thanks"
