"""Telling other instances that something happened to a turn, through PostgreSQL alone.

Two kinds of news: a turn wrote new events (readers resuming its stream on any instance should
read them now) and a turn was asked to stop (the instance running it should stop it). They go out
as `NOTIFY` in the same transaction as the change, so they arrive only once it is committed, and
they come in on one `LISTEN` connection per process (`LISTEN_DATABASE_URL`: a direct connection,
since a transaction-mode pooler such as PgBouncer accepts LISTEN and delivers nothing).

Notifications are an accelerator, never the only way: whether they arrive is probed when the
listener connects, and readers poll as well — often while notifications do not arrive, rarely
while they do — so news is at most a poll interval late whatever the network does. On SQLite
(one process, the zero-setup default) everything is local and polling covers the rest.
"""

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent.background import cancel_and_wait

log = logging.getLogger(__name__)

EVENTS = "todo_chat_events"  # payload: the conversation id
STOPS = "todo_chat_stop"  # payload: the turn id
PROBE = "todo_chat_probe"
RECONNECT_S = 5.0
KEEPALIVE_S = 30.0


async def notify(session: AsyncSession, channel: str, payload: uuid.UUID) -> None:
    """Queue a notification in the session's transaction: it is sent if and when that commits."""
    if session.get_bind().dialect.name == "postgresql":
        await session.exec(select(func.pg_notify(channel, str(payload))))


class Notifier:
    """The process's listener: wakes local readers of a conversation and hands over stop requests."""

    def __init__(self, dsn: str | None, on_stop: Callable[[uuid.UUID], None]) -> None:
        self._dsn = dsn  # None: no LISTEN (SQLite)
        self._on_stop = on_stop
        self._waiters: dict[uuid.UUID, set[asyncio.Event]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self.delivering = False  # notifications are known to arrive
        self.closed = False  # the instance is going away: readers stop watching

    async def start(self) -> None:
        if self._dsn is not None:
            self._task = asyncio.create_task(self._listen(), name="chat-notifier")

    async def close(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])

    def wake(self, conversation_id: uuid.UUID) -> None:
        """New events for this conversation (written here, or announced by another instance)."""
        for waiter in self._waiters.get(conversation_id, ()):
            waiter.set()

    def close_watchers(self) -> None:
        """Tell every reader, now and from now on, that the instance is going away."""
        self.closed = True
        for waiters in self._waiters.values():
            for waiter in waiters:
                waiter.set()

    @contextlib.asynccontextmanager
    async def watching(self, conversation_id: uuid.UUID) -> AsyncIterator[asyncio.Event]:
        """An event set whenever this conversation has news; the reader clears it after reading."""
        waiter = asyncio.Event()
        self._waiters[conversation_id].add(waiter)
        try:
            yield waiter
        finally:
            self._waiters[conversation_id].discard(waiter)
            if not self._waiters[conversation_id]:
                del self._waiters[conversation_id]

    async def _listen(self) -> None:
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(self._dsn)
                probed = asyncio.Event()
                await connection.add_listener(EVENTS, self._on_event)
                await connection.add_listener(STOPS, self._on_stop_request)
                await connection.add_listener(PROBE, _setter(probed))
                # The probe goes out on a connection of its own, as the app's notifications do.
                await self._send_probe()
                try:
                    await asyncio.wait_for(probed.wait(), 2.0)
                    self.delivering = True
                except TimeoutError:
                    log.warning("LISTEN/NOTIFY does not deliver here (a pooler?): polling only")
                await _while_alive(connection)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("chat notifications unavailable (%s); polling until they are back", exc)
            finally:
                self.delivering = False
                if connection is not None and not connection.is_closed():
                    await connection.close()
            await asyncio.sleep(RECONNECT_S)

    async def _send_probe(self) -> None:
        sender = await asyncpg.connect(self._dsn)
        try:
            await sender.execute("SELECT pg_notify($1, 'probe')", PROBE)
        finally:
            await sender.close()

    def _on_event(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self.wake(uuid.UUID(payload))

    def _on_stop_request(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self._on_stop(uuid.UUID(payload))


def _setter(event: asyncio.Event) -> Callable[..., None]:
    return lambda *_: event.set()


async def _while_alive(connection: asyncpg.Connection) -> None:
    """Return when the listening connection is gone: closed by the server, or silently dead (a
    cut network does not always close a socket, so it is pinged now and then)."""
    closed = asyncio.Event()
    connection.add_termination_listener(lambda _: closed.set())
    while not closed.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(closed.wait(), KEEPALIVE_S)
        if not closed.is_set():
            await asyncio.wait_for(connection.execute("SELECT 1"), KEEPALIVE_S)
