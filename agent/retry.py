"""Riding out a short database outage: retry a write for a bounded time, with backoff."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT = (DBAPIError, PoolTimeout, OSError)  # the connection, not the statement, failed
WITHIN_S = 10.0


async def retrying(attempt: Callable[[], Awaitable[T]], what: str, within: float | None = None) -> T:
    """`attempt()` until it succeeds or `within` seconds have passed (then its error is raised)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (WITHIN_S if within is None else within)
    delay = 0.1
    while True:
        try:
            return await attempt()
        except TRANSIENT:
            if loop.time() + delay > deadline:
                raise
            log.warning("%s failed; retrying in %.1f s", what, delay, exc_info=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
