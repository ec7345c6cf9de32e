"""The offline model over the OpenAI wire protocols, driving the service as any model server would."""

import json

import httpx2
import pytest

from backend.app import create_app
from replay.offline_server import offline_server
from tests.conftest import asgi_client, make_settings
from tests.factories import make_user


@pytest.mark.parametrize("api", ["responses", "chat_completions"])
async def test_the_service_on_the_offline_server(database_url: str, api: str) -> None:
    llm = {"provider": "openai", "api": api, "max_retries": 0, "model": "offline-rules"}
    settings = make_settings(database_url, llm=llm, openai={"base_url": "http://offline.test/v1"})
    app = create_app(settings, llm_transport=httpx2.ASGITransport(app=offline_server()))
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        user = await make_user(app)

        async def say(message: str, conversation: str | None = None) -> list[tuple[str, dict]]:
            body = {"message": message} | ({"conversation_id": conversation} if conversation else {})
            async with client.sse("/api/chat", method="POST", json=body, headers=user.headers) as source:
                return [(e.event, json.loads(e.data)) async for e in source]

        first = await say("add a high priority task to call the dentist")
        second = await say("mark the dentist task done", first[0][1]["conversation_id"])
        tasks = (await client.get("/api/tasks", headers=user.headers)).json()["items"]
    assert [data["name"] for name, data in first if name == "tool_call"] == ["create_task"]
    assert [data["name"] for name, data in second if name == "tool_call"] == ["list_tasks", "update_task"]
    deltas = [data["delta"] for name, data in second if name == "text_delta"]
    assert len(deltas) > 3 and "".join(deltas) == second[-2][1]["content"], (
        "streamed in pieces, whole at the end"
    )
    assert second[-1][0] == "done" and second[-1][1]["usage"]["total_tokens"] > 0
    assert [(t["title"], t["priority"], t["completed"]) for t in tasks] == [
        ("Call the dentist", "high", True)
    ]
