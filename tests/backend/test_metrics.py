"""`GET /metrics` after real traffic: HTTP requests by route, chat turns by outcome with their
latency, open streams, tool invocations by source, model calls and tokens, refusals, the pool."""

import asyncio
import uuid

import httpx2
from prometheus_client.parser import text_string_to_metric_families

from tests.chat import Chat, chat_app
from tests.provider import Step, call, failure, text
from wire.reply import Reply


def samples(exposition: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Every sample by its full name (`..._bucket`, `..._total`), with its labels."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def value(exposition: str, name: str, **labels: str) -> float:
    """The one sample of `name` whose labels include `labels`."""
    matching = [v for have, v in samples(exposition).get(name, []) if labels.items() <= have.items()]
    assert len(matching) == 1, f"{name}{labels}: {matching}"
    return matching[0]


async def scrape(chat: Chat, **headers: str) -> str:
    response = await chat.client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


def held(reply: Reply) -> tuple[Step, asyncio.Event, asyncio.Event]:
    """A model answer that waits for `release` (once the model was `asked`)."""
    asked, release = asyncio.Event(), asyncio.Event()

    async def answer(_: httpx2.Request) -> Step:
        asked.set()
        await release.wait()
        return reply

    return answer, asked, release


async def test_a_chat_turn_and_rest_calls_move_the_counters(database_url: str) -> None:
    async with chat_app(
        database_url, call("create_task", {"title": "Milk"}, usage=(30, 7)), text("Done.", usage=(50, 3))
    ) as chat:
        events = await chat.events("add milk")
        assert events[-1][0] == "done"
        created = await chat.client.post("/api/tasks", json={"title": "Bread"}, headers=chat.user.headers)
        assert created.status_code == 201
        missing = await chat.client.get(f"/api/tasks/{uuid.uuid4()}", headers=chat.user.headers)
        assert missing.status_code == 404
        await chat.client.get("/health")
        await scrape(chat)
        metrics = await scrape(chat)

    duration = "http_server_request_duration_seconds_count"
    assert value(metrics, duration, http_route="/api/tasks", http_response_status_code="201") == 1
    assert value(metrics, duration, http_route="/api/tasks/{task_id}", http_response_status_code="404") == 1
    assert value(metrics, duration, http_route="/api/chat", http_request_method="POST") == 1
    routes = {labels.get("http_route") for labels, _ in samples(metrics)[duration]}
    assert not routes & {"/health", "/metrics"}, "probes and scrapes are not measured"

    assert value(metrics, "chat_turns_total", outcome="completed") == 1
    assert value(metrics, "chat_turn_duration_seconds_count", outcome="completed") == 1
    assert value(metrics, "chat_turn_time_to_first_token_seconds_count") == 1
    assert value(metrics, "http_server_open_streams", http_route="/api/chat") == 0

    invocations = "tool_invocations_total"
    assert value(metrics, invocations, tool="create_task", source="chat", status="ok") == 1
    assert value(metrics, invocations, tool="create_task", source="rest", status="ok") == 1
    assert value(metrics, invocations, tool="read_task", source="rest", status="error") == 1

    model = {"gen_ai_operation_name": "chat", "gen_ai_response_model": "gpt-test"}
    assert value(metrics, "gen_ai_client_operation_duration_seconds_count", **model) == 2
    assert value(metrics, "gen_ai_client_token_usage_sum", gen_ai_token_type="input", **model) == 80
    assert value(metrics, "gen_ai_client_token_usage_sum", gen_ai_token_type="output", **model) == 10

    assert value(metrics, "db_client_connection_max") == 20  # DB_POOL_SIZE + DB_MAX_OVERFLOW
    pooled = value(metrics, "db_client_connection_count", db_client_connection_state="idle")
    assert pooled + value(metrics, "db_client_connection_count", db_client_connection_state="used") >= 1


async def test_failed_turns_are_counted_by_their_code(database_url: str) -> None:
    async with chat_app(database_url, failure(500), failure(401), text("fine")) as chat:
        assert (await chat.events("one"))[-1][2]["code"] == "model_unavailable"
        assert (await chat.reply("two")).status_code == 502  # JSON mode: the failure is the answer
        assert (await chat.reply("three")).status_code == 200
        metrics = await scrape(chat)
    for outcome in ("model_unavailable", "model_auth_failed", "completed"):
        assert value(metrics, "chat_turns_total", outcome=outcome) == 1
        assert value(metrics, "chat_turn_duration_seconds_count", outcome=outcome) == 1
    assert "chat_turn_time_to_first_token_seconds_count" not in samples(metrics), "JSON has no first token"
    errors = value(metrics, "gen_ai_client_operation_duration_seconds_count", error_type="model_error")
    assert errors == 2


async def test_an_open_stream_and_a_busy_conversation(database_url: str) -> None:
    answer, asked, release = held(text("Hello."))
    async with chat_app(database_url, text("First."), answer) as chat:
        first = await chat.events("hi")
        conversation = first[0][2]["conversation_id"]
        streaming = asyncio.create_task(chat.events("and again", conversation))
        await asyncio.wait_for(asked.wait(), 10)
        during = await scrape(chat)
        busy = await chat.reply("me too", conversation)
        release.set()
        await streaming
        after = await scrape(chat)

    assert value(during, "http_server_open_streams", http_route="/api/chat") == 1
    assert value(during, "http_server_active_requests", http_request_method="POST") == 1
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "conversation_busy"
    assert value(after, "http_server_rejections_total", reason="conversation_busy") == 1
    assert value(after, "http_server_rejections_total", reason="overloaded") == 0
    assert value(after, "http_server_open_streams", http_route="/api/chat") == 0
    assert value(after, "chat_turns_total", outcome="completed") == 2


async def test_the_metrics_token_guards_the_endpoint(database_url: str) -> None:
    async with chat_app(database_url, metrics={"token": "scrape-me"}) as chat:
        assert (await chat.client.get("/metrics")).status_code == 401
        wrong = await chat.client.get("/metrics", headers={"Authorization": "Bearer scrape-you"})
        assert wrong.status_code == 401
        assert "http_server_rejections_total" in await scrape(chat, Authorization="Bearer scrape-me")


async def test_an_empty_token_is_no_token(database_url: str) -> None:
    async with chat_app(database_url, metrics={"token": ""}) as chat:
        assert "http_server_rejections_total" in await scrape(chat)


async def test_metrics_can_be_switched_off(database_url: str) -> None:
    async with chat_app(database_url, metrics={"enabled": False}) as chat:
        assert (await chat.client.get("/metrics")).status_code == 404


async def test_requests_waiting_for_a_connection_are_seen(database_url: str) -> None:
    """With the pool's one connection taken, a request queues: the scrape shows it waiting, and
    then how long it waited."""
    async with chat_app(database_url, db={"pool_size": 1, "max_overflow": 0}) as chat:
        await chat.client.get("/api/tasks", headers=chat.user.headers)  # the connection exists
        async with chat.app.state.engine.connect() as taken:
            await taken.exec_driver_sql("SELECT 1")
            queued = asyncio.create_task(chat.client.get("/api/tasks", headers=chat.user.headers))
            await asyncio.sleep(0.4)
            during = await scrape(chat)
        assert (await queued).status_code == 200
        after = await scrape(chat)

    assert value(during, "db_client_connection_pending_requests") == 1
    assert value(after, "db_client_connection_pending_requests") == 0
    waits = "db_client_connection_wait_time_seconds"
    assert value(after, f"{waits}_count") >= 3  # the first request, the taken one, the queued one
    assert value(after, f"{waits}_bucket", le="0.25") == value(after, f"{waits}_count") - 1, "one waited"
    assert value(after, f"{waits}_sum") >= 0.4


async def test_every_chat_route_is_measured(database_url: str) -> None:
    """The AI SDK stream and the compatibility route count as chat turns too, failed ones by code."""
    async with chat_app(database_url, text("Hello there."), failure(500), text("fine")) as chat:
        message = {"id": "m1", "role": "user", "parts": [{"type": "text", "text": "hi"}]}
        for chat_id in ("ui-1", "ui-2"):
            ui = await chat.client.post(
                "/api/chat/ui", json={"id": chat_id, "messages": [message]}, headers=chat.user.headers
            )
            assert ui.status_code == 200
        compat = await chat.client.post(
            f"/api/{chat.user.id}/chat", json={"message": "hi"}, headers=chat.user.headers
        )
        assert compat.status_code == 200
        metrics = await scrape(chat)
    assert value(metrics, "chat_turn_duration_seconds_count", outcome="completed") == 2
    assert value(metrics, "chat_turn_duration_seconds_count", outcome="model_unavailable") == 1
    assert value(metrics, "chat_turn_time_to_first_token_seconds_count") == 1, "the UI stream's text"
