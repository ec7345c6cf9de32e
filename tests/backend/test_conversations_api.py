"""`/api/conversations`: list, read with each turn's actions, the audit trail, delete; owner only."""

import uuid

from tests.chat import chat_app
from tests.provider import Step, call, text


def turn_with_tool(title: str, reply: str, usage: tuple[int, int] = (10, 2)) -> list[Step]:
    return [call("create_task", {"title": title}, usage=usage), text(reply, usage=usage)]


async def test_list_read_actions_delete(database_url: str) -> None:
    steps = [
        *turn_with_tool("Milk", "Added milk."),
        text("Hello!", usage=(5, 1)),
        *turn_with_tool("Eggs", "Added eggs."),
    ]
    async with chat_app(database_url, *steps) as chat:
        client, alice, bob = chat.client, chat.user, await chat.another_user()

        async def say(text: str, conversation_id: str | None = None) -> dict:
            body = {"message": text, "stream": False} | (
                {"conversation_id": conversation_id} if conversation_id else {}
            )
            response = await client.post("/api/chat", json=body, headers=alice.headers)
            assert response.status_code == 200, response.text
            return response.json()

        first = await say(
            "Please add milk to my list, and make it quick   because I am in a hurry today, thanks a lot"
        )
        conversation_id = first["conversation_id"]
        await say("hi", conversation_id)
        other = await say("add eggs")

        listing = (await client.get("/api/conversations", headers=alice.headers)).json()
        assert [c["id"] for c in listing["items"]] == [other["conversation_id"], conversation_id]
        summary = listing["items"][1]
        assert summary["title"].startswith("Please add milk to my list, and make it quick because")
        assert len(summary["title"]) <= 80 and summary["title"].endswith("…")
        assert summary["message_count"] == 4
        assert summary["usage"] == {"input_tokens": 25, "output_tokens": 5, "total_tokens": 30}
        paged = await client.get(
            "/api/conversations", params={"limit": 1, "offset": 1}, headers=alice.headers
        )
        assert [c["id"] for c in paged.json()["items"]] == [conversation_id] and paged.json()["total"] == 2

        detail = (await client.get(f"/api/conversations/{conversation_id}", headers=alice.headers)).json()
        assert [
            (t["user_message"]["content"][:14], t["assistant_message"]["content"]) for t in detail["turns"]
        ] == [("Please add mil", "Added milk."), ("hi", "Hello!")]
        assert [[a["tool"] for a in t["actions"]] for t in detail["turns"]] == [["create_task"], []]
        assert detail["turns"][0]["assistant_message"]["id"] == first["message"]["id"]
        assert detail["turns"][0]["model"] == "gpt-test"

        trail = (
            await client.get(f"/api/conversations/{conversation_id}/actions", headers=alice.headers)
        ).json()
        assert [(a["tool"], a["source"], a["conversation_id"]) for a in trail["items"]] == [
            ("create_task", "chat", conversation_id)
        ]

        for path in (
            f"/api/conversations/{conversation_id}",
            f"/api/conversations/{conversation_id}/actions",
        ):
            assert (await client.get(path, headers=bob.headers)).status_code == 404
        assert (await client.get("/api/conversations", headers=bob.headers)).json()["total"] == 0
        assert (
            await client.delete(f"/api/conversations/{conversation_id}", headers=bob.headers)
        ).status_code == 404
        as_bob = await client.post(
            "/api/chat", json={"message": "hi", "conversation_id": conversation_id}, headers=bob.headers
        )
        assert as_bob.status_code == 404

        assert (
            await client.delete(f"/api/conversations/{conversation_id}", headers=alice.headers)
        ).status_code == 204
        assert (
            await client.get(f"/api/conversations/{conversation_id}", headers=alice.headers)
        ).status_code == 404
        kept = (
            await client.get(
                "/api/actions", params={"conversation_id": conversation_id}, headers=alice.headers
            )
        ).json()
        assert kept["total"] == 1, "the audit rows outlive the conversation"
        missing = await client.delete(f"/api/conversations/{uuid.uuid4()}", headers=alice.headers)
        assert missing.status_code == 404
