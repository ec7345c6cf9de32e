"""When the database is in trouble mid-turn — simulated with a TCP proxy between the app and
PostgreSQL that can cut every connection, never by restarting the server."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx2
import pytest
from sqlalchemy.engine import make_url

from tests.chat import chat_app
from tests.provider import Step, call, text


class TcpProxy:
    """Forwards loopback connections to the database; `cut()` drops them all and refuses new ones
    until `restore()`."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._pipes: set[asyncio.StreamWriter] = set()
        self.refusing = False
        self.port = 0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["TcpProxy"]:
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            self.cut()
            server.close()
            await server.wait_closed()

    def cut(self) -> None:
        self.refusing = True
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    def restore(self) -> None:
        self.refusing = False

    async def _accept(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        if self.refusing:
            client_out.transport.abort()
            return
        server_in, server_out = await asyncio.open_connection(*self._target)
        self._pipes |= {client_out, server_out}
        await asyncio.gather(self._pipe(client_in, server_out), self._pipe(server_in, client_out))

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.transport.abort()
        self._pipes.discard(sink)


@contextlib.asynccontextmanager
async def through_proxy(database_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    url = make_url(database_url)
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432).running() as proxy:
        yield proxy, url.set(port=proxy.port).render_as_string(hide_password=False)


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
        proxy.restore()
        after = await chat.client.get("/api/tasks", headers=chat.user.headers)
    assert (during.status_code, during.json()["error"]["code"]) == (503, "database_unavailable")
    assert during.headers["retry-after"] and after.status_code == 200
