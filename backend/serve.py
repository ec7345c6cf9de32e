"""`python -m backend.serve`: the API under uvicorn, with the edge's limits and a shutdown hook.

What `make run`, the Dockerfile and the deployments start. Beyond `uvicorn backend.main:app`:
the request head is capped and must arrive in time (`backend.edge`), idle connections close,
open connections are capped, there is no access log (the app logs each request with its id),
and the client address is left to the app (it applies `FORWARDED_ALLOW_IPS` itself, so the same
rule holds however it is served).

Shutdown: on the first SIGTERM or SIGINT the server awaits the app's `before_shutdown` (an async
callable at `app.state.before_shutdown`, if set) while it still accepts and serves requests, then
stops accepting, lets requests in flight finish for up to SHUTDOWN_GRACE_S and runs the app's
lifespan shutdown. A second signal stops at once, as uvicorn does. (The hook ends the event
streams: a turn's when the turn ends, a resumed one's once the turns are drained.)
"""

import argparse
import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

import uvicorn

from backend.edge import ServerSettings, edge_protocol

log = logging.getLogger(__name__)
APP = "backend.main:app"
# Beyond SHUTDOWN_GRACE_S, for the lifespan's own shutdown (storing interrupted turns).
GRACE_MARGIN_S = 5


class GracefulServer(uvicorn.Server):
    """A uvicorn server whose first exit signal runs the app's `before_shutdown` hook before
    uvicorn begins to shut down."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._hook: asyncio.Task[None] | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        hook = self._before_shutdown()
        if self._hook is not None or self.should_exit or hook is None:
            super().handle_exit(sig, frame)  # no hook, or a second signal: uvicorn's own way
            return
        log.info("signal %s: running before_shutdown, still serving", sig)
        self._hook = asyncio.get_running_loop().create_task(self._run_hook(hook, sig, frame))

    async def _run_hook(self, hook: Callable[[], Awaitable[None]], sig: int, frame: FrameType | None) -> None:
        try:
            await hook()
        except Exception:
            log.exception("before_shutdown failed; shutting down anyway")
        super().handle_exit(sig, frame)

    def _before_shutdown(self) -> Callable[[], Awaitable[None]] | None:
        app: Any = self.config.loaded_app
        while app is not None and not hasattr(app, "state"):
            app = getattr(app, "app", None)  # uvicorn wraps the app in its own middleware
        hook = getattr(getattr(app, "state", None), "before_shutdown", None)
        return hook if callable(hook) else None


def config(
    app: Any = APP, *, host: str, port: int, server: ServerSettings, shutdown_grace_s: float
) -> uvicorn.Config:
    """uvicorn's configuration for `app` (the API's import string, or an ASGI app in a test)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=edge_protocol(server),
        timeout_keep_alive=int(server.keepalive_s),
        limit_concurrency=server.max_connections,
        timeout_graceful_shutdown=int(shutdown_grace_s + GRACE_MARGIN_S),
        proxy_headers=False,  # the app applies FORWARDED_ALLOW_IPS (backend.app)
        access_log=False,
        server_header=False,
        log_config=None,  # the app configures logging
    )


def main(argv: list[str] | None = None) -> None:
    from backend.settings import Settings

    parser = argparse.ArgumentParser(description="Serve the API (backend.main:app) under uvicorn.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    settings = Settings()
    server = GracefulServer(
        config(
            host=args.host, port=args.port, server=settings.server, shutdown_grace_s=settings.shutdown_grace_s
        )
    )
    server.run()


if __name__ == "__main__":
    main()
