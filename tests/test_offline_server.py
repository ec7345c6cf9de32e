"""The offline model over the OpenAI wire protocols, driving the service as any model server would."""

import httpx2
import pytest

from agent.offline.server import app as offline_server
from backend.app import create_app
from tests.conftest import asgi_client, make_settings, register
from tests.fake_llm import chat_events


@pytest.mark.parametrize("api", ["responses", "chat_completions"])
async def test_the_service_on_the_offline_server(database_url: str, api: str) -> None:
    settings = make_settings(
        database_url,
        llm_provider="openai",
        openai_base_url="http://offline.test/v1",
        llm_api=api,
        llm_max_retries=0,
        llm_model="offline-rules",
    )
    app = create_app(settings, llm_transport=httpx2.ASGITransport(app=offline_server))
    async with app.router.lifespan_context(app):
        async with asgi_client(app) as client:
            user = await register(client)
        first = await chat_events(
            app, user.token, {"message": "add a high priority task to call the dentist"}
        )
        conversation = first[0][2]["conversation_id"]
        second = await chat_events(
            app, user.token, {"message": "mark the dentist task done", "conversation_id": conversation}
        )
        async with asgi_client(app) as client:
            tasks = (await client.get("/api/tasks", headers=user.headers)).json()["items"]
    assert [e[2]["name"] for e in first if e[0] == "tool_call"] == ["create_task"]
    assert [e[2]["name"] for e in second if e[0] == "tool_call"] == ["list_tasks", "update_task"]
    assert (
        "".join(e[2]["delta"] for e in second if e[0] == "text_delta").strip()
        == second[-2][2]["content"].strip()
    )
    assert second[-1][0] == "done" and second[-1][2]["usage"]["total_tokens"] > 0
    assert [(t["title"], t["priority"], t["completed"]) for t in tasks] == [
        ("Call the dentist", "high", True)
    ]
