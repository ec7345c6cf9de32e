"""A TCP proxy between the app and PostgreSQL that can cut every connection: how tests simulate
database trouble, never by restarting the server."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.engine import make_url


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
