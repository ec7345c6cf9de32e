"""Ending the service's background tasks (the listener, the stop poller, the purge loop, turns)."""

import asyncio
from collections.abc import Collection

RECANCEL_S = 1.0


async def cancel_and_wait(tasks: Collection[asyncio.Task[None]]) -> None:
    """Cancel the tasks and return once every one has ended.

    One `cancel()` is not always enough on Python 3.11: `asyncio.wait_for` (which asyncpg's
    `connect` and our own code use) drops a cancellation that arrives just as the awaited call
    completes, and the task carries on; a shutdown that awaited it once could hang for good. So
    each task still running is cancelled again until it ends."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_S)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # marked retrieved: a task's own failure is logged where it happens
