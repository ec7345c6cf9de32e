"""`POST /api/{user_id}/chat`: the shape existing hackathon frontends call."""

import uuid

from tests.conftest import asgi_client, register
from tests.fake_llm import chat_app, function_call, message, openai_model, responses_frames, router, sse


async def test_compat_chat(database_url: str) -> None:
    mock = router()
    mock.post("/responses").mock(
        side_effect=[
            sse(responses_frames(function_call("create_task", {"title": "Bread"}, call_id="c1"))),
            sse(responses_frames(message("Added Bread."))),
            sse(responses_frames(message("You're welcome."))),
        ]
    )
    async with chat_app(database_url, openai_model(mock)) as app, asgi_client(app) as client:
        alice, bob = await register(client), await register(client)
        first = await client.post(
            f"/api/{alice.id}/chat", json={"message": "add bread"}, headers=alice.headers
        )
        assert first.status_code == 200, first.text
        body = first.json()
        assert set(body) == {"conversation_id", "response", "tool_calls"}
        assert body["response"] == "Added Bread."
        (call,) = body["tool_calls"]
        assert (call["name"], call["arguments"]["title"], call["status"], call["result"]["title"]) == (
            "create_task",
            "Bread",
            "ok",
            "Bread",
        )
        second = await client.post(
            f"/api/{alice.id}/chat",
            headers=alice.headers,
            json={"message": "thanks", "conversation_id": body["conversation_id"]},
        )
        assert (second.json()["conversation_id"], second.json()["tool_calls"]) == (
            body["conversation_id"],
            [],
        )
        turns = (
            await client.get(f"/api/conversations/{body['conversation_id']}", headers=alice.headers)
        ).json()
        assert len(turns["turns"]) == 2, "the same storage as /api/chat"

        for path_user in (bob.id, str(uuid.uuid4()), "not-a-uuid"):
            forbidden = await client.post(
                f"/api/{path_user}/chat", json={"message": "hi"}, headers=alice.headers
            )
            assert forbidden.status_code == 403
            assert forbidden.json()["error"]["code"] == "forbidden"
        assert (await client.post(f"/api/{alice.id}/chat", json={"message": "hi"})).status_code == 401
        foreign = await client.post(
            f"/api/{bob.id}/chat",
            headers=bob.headers,
            json={"message": "hi", "conversation_id": body["conversation_id"]},
        )
        assert foreign.status_code == 404
