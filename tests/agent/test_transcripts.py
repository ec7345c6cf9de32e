"""Export a conversation as a transcript, import it (as anyone), and continue it."""

from tests.chat import chat_app
from tests.provider import call, text


async def test_export_import_continue(database_url: str) -> None:
    steps = (
        call("create_task", {"title": "Milk"}, call_id="c1", usage=(10, 2)),
        text("Added Milk.", usage=(12, 3)),
    )
    async with chat_app(database_url, *steps) as chat:
        client, alice, bob = chat.client, chat.user, await chat.another_user()
        events = await chat.events("add milk")
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

    async with chat_app(database_url, text("Earlier I added Milk for you.")) as other_instance:
        more = await other_instance.events("what did you add?", copy["id"], user=bob)
    assert more[-2][2]["content"] == "Earlier I added Milk for you."
    history = other_instance.provider.bodies[0]["input"]
    assert [i.get("type", "message") for i in history] == [
        "message",
        "function_call",
        "function_call_output",
        "message",
        "message",
    ]


async def test_import_without_items_rebuilds_the_history(database_url: str) -> None:
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
    async with chat_app(database_url, text("Noted.")) as chat:
        imported = await chat.client.post(
            "/api/conversations/import", json=transcript, headers=chat.user.headers
        )
        assert imported.status_code == 201
        await chat.events("thanks", imported.json()["id"])
        bad = await chat.client.post(
            "/api/conversations/import", json={"format": "other", "turns": []}, headers=chat.user.headers
        )
    assert bad.status_code == 422
    sent = chat.provider.bodies[0]["input"]
    assert [i.get("call_id") for i in sent if i.get("type")] == [
        "call_imported_1_1",
        "call_imported_1_1",
        None,
    ]
    assert sent[0]["content"] == "add eggs" and sent[-1]["content"] == "thanks"
