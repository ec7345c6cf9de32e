"""A client that goes away mid-stream does not cut the turn short: it completes and is stored."""

import asyncio
import json

import httpx2

from tests.chat import chat_app
from tests.provider import Step, call, text
from wire.server import serving


async def test_disconnected_client_finds_the_turn_completed(database_url: str) -> None:
    release = asyncio.Event()

    async def late(_: httpx2.Request) -> Step:
        await asyncio.wait_for(release.wait(), 10)  # the client leaves while the model is still writing
        return text("Added it, even though you left.")

    steps = (call("create_task", {"title": "Finished anyway"}, call_id="c1"), late)
    async with chat_app(database_url, *steps) as chat, serving(chat.app) as base:
        async with httpx2.AsyncClient(base_url=base) as client:
            seen: list[str] = []
            conversation_id = ""
            async with client.stream(
                "POST", "/api/chat", json={"message": "add it"}, headers=chat.user.headers
            ) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                async for line in response.aiter_lines():  # the first events arrive before the reply
                    if line.startswith("event: "):
                        seen.append(line.removeprefix("event: "))
                    if line.startswith("data: ") and seen[-1] == "conversation":
                        conversation_id = json.loads(line.removeprefix("data: "))["conversation_id"]
                    if seen[-2:] == ["tool_call", "tool_result"]:
                        break  # hang up mid-turn
            release.set()

            detail: dict = {}
            for _ in range(200):
                detail = (
                    await client.get(f"/api/conversations/{conversation_id}", headers=chat.user.headers)
                ).json()
                if detail["turns"][0]["status"] != "running":
                    break
                await asyncio.sleep(0.05)
        turn = detail["turns"][0]
        assert turn["status"] == "completed"
        assert turn["assistant_message"]["content"] == "Added it, even though you left."
        assert [a["tool"] for a in turn["actions"]] == ["create_task"]
