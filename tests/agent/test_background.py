"""Shutdown ends background tasks even when one swallows a cancellation (as 3.11's wait_for can)."""

import asyncio

from agent.background import cancel_and_wait


async def test_a_task_that_swallows_a_cancellation_still_ends() -> None:
    cancellations = 0

    async def stubborn() -> None:
        nonlocal cancellations
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancellations += 1
                if cancellations == 2:
                    raise
                # the first one is lost, as when wait_for's inner call completes at that moment

    async def failing() -> None:
        raise RuntimeError("logged where it happened")

    tasks = {asyncio.create_task(stubborn()), asyncio.create_task(failing())}
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_and_wait(tasks), 5)
    assert all(task.done() for task in tasks) and cancellations == 2
