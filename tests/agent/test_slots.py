"""Slots: a cap on holders, served in order, with claims a stop request settles."""

import asyncio
from collections.abc import Callable

from agent.slots import Slots


async def test_holders_are_capped_and_claims_served_in_order() -> None:
    slots, never = Slots(2), asyncio.get_running_loop().create_future()
    started: list[tuple[int, bool]] = []

    def starter(n: int) -> Callable[[bool], None]:
        return lambda held: started.append((n, held))

    for n in range(5):
        slots.claim(starter(n), never)
    assert started == [(0, True), (1, True)], "two slots, two holders; the rest wait"
    slots.release()
    assert started[-1] == (2, True)
    slots.release()
    slots.release()
    assert started[2:] == [(2, True), (3, True), (4, True)]
    slots.release()
    slots.release()
    slots.claim(lambda held: started.append((5, held)), never)
    slots.claim(lambda held: started.append((6, held)), never)
    assert started[-2:] == [(5, True), (6, True)], "released slots are free again"


class Queue:
    """One slot held, then a claim that will be stopped, then another: what each was started with."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.slots, self.stop, never = Slots(1), loop.create_future(), loop.create_future()
        self.started: list[tuple[str, bool]] = []
        for name, stop in (("holder", never), ("stopped", self.stop), ("next", never)):
            self.slots.claim(self.starter(name), stop)

    def starter(self, name: str) -> Callable[[bool], None]:
        return lambda held: self.started.append((name, held))


async def test_a_stopped_claim_starts_without_a_slot_and_the_slot_goes_to_the_next() -> None:
    queue = Queue()
    queue.stop.set_result(None)
    await asyncio.sleep(0)  # the stop's callbacks run
    assert queue.started == [("holder", True), ("stopped", False)]
    queue.slots.release()
    assert queue.started[-1] == ("next", True), "the stopped claim did not take the slot"
    queue.slots.claim(queue.starter("late"), queue.stop)
    assert queue.started[-1] == ("late", False), "an already stopped turn takes no slot"


async def test_a_claim_stopped_as_its_slot_comes_settles_once() -> None:
    queue = Queue()
    queue.stop.set_result(None)  # its callback is scheduled, not yet run ...
    queue.slots.release()  # ... when the slot comes free: the stop came first
    await asyncio.sleep(0)
    assert queue.started == [("holder", True), ("next", True), ("stopped", False)]
