"""`POST /api/{user_id}/chat`: the shape existing hackathon frontends call."""

import uuid

from tests.chat import chat_app
from tests.provider import call, text


async def test_compat_chat(database_url: str) -> None:
    steps = (
        call("create_task", {"title": "Bread"}, call_id="c1"),
        text("Added Bread."),
        text("You're welcome."),
    )
    async with chat_app(database_url, *steps) as chat:
        client, alice, bob = chat.client, chat.user, await chat.another_user()
        first = await client.post(
            f"/api/{alice.id}/chat", json={"message": "add bread"}, headers=alice.headers
        )
        assert first.status_code == 200, first.text
        body = first.json()
        assert set(body) == {"conversation_id", "response", "tool_calls"}
        assert body["response"] == "Added Bread."
        (tool_call,) = body["tool_calls"]
        assert (
            tool_call["name"],
            tool_call["arguments"]["title"],
            tool_call["status"],
            tool_call["result"]["title"],
        ) == (
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
