"""When the database is in trouble mid-turn — simulated with a TCP proxy between the app and
PostgreSQL that can cut every connection, never by restarting the server."""

import asyncio

import httpx2
import pytest

from tests.chat import chat_app
from tests.dbproxy import through_proxy
from tests.provider import Step, call, text


def then(action: object, answer: Step) -> Step:
    """A model answer given after doing something to the database link (the model's own moment)."""

    async def step(_: httpx2.Request) -> Step:
        action()  # type: ignore[operator]
        return answer

    return step


async def test_a_tool_call_that_cannot_be_committed_is_reported_failed(database_url: str) -> None:
    async with through_proxy(database_url) as (proxy, proxied):

        def blip() -> None:  # the database goes away for the tool's transaction, back soon after
            proxy.cut()
            asyncio.get_running_loop().call_later(0.5, proxy.restore)

        steps = (
            then(blip, call("create_task", {"title": "Half done?"}, call_id="c1")),
            text("That did not work."),
        )
        async with chat_app(proxied, *steps) as chat:
            events = await chat.events("add it")
            tasks = await chat.get("/api/tasks")
    result = next(data for name, _, data in events if name == "tool_result")
    assert (result["status"], result["error"], result["action_id"]) == ("error", "internal error", None)
    told = chat.provider.bodies[1]["input"][-1]
    assert told["type"] == "function_call_output" and "internal error" in told["output"], "the model knows"
    assert tasks["total"] == 0, "nothing half-done remains"


async def test_an_outcome_that_cannot_be_stored_is_never_reported_done(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("agent.chat.STORE_RETRY_S", 1.0)
    async with (
        through_proxy(database_url) as (proxy, proxied),
        chat_app(proxied, then(proxy.cut, text("Stored?")), text("Back."), chat={"lease_s": 1.0}) as chat,
    ):
        events = await chat.events("hello")
        proxy.restore()
        await asyncio.sleep(1.2)  # the unstored turn's lease runs out by itself
        after = await chat.reply("again", events[0][2]["conversation_id"])
    assert [name for name, _, _ in events][-1] == "error", "no done for an outcome that is not stored"
    assert events[-1][2]["code"] == "storage_unavailable"
    assert after.status_code == 200 and after.json()["message"]["content"] == "Back.", "nothing stays locked"


async def test_rest_calls_during_an_outage_are_503_not_500(database_url: str) -> None:
    async with through_proxy(database_url) as (proxy, proxied), chat_app(proxied) as chat:
        proxy.cut()
        during = await chat.client.get("/api/tasks", headers=chat.user.headers)
        # A chat message's first statement is its rate check, on the driver like a plain read.
        message = {"message": "hello", "stream": False}
        chat_during = await chat.client.post("/api/chat", json=message, headers=chat.user.headers)
        proxy.restore()
        after = await chat.client.get("/api/tasks", headers=chat.user.headers)
    assert (during.status_code, during.json()["error"]["code"]) == (503, "database_unavailable")
    assert (chat_during.status_code, chat_during.json()["error"]["code"]) == (503, "database_unavailable")
    assert during.headers["retry-after"] and after.status_code == 200
