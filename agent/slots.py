"""Slots: at most N holders at once, the others served in the order they came, and a claim that a
stop request settles.

A claim is a callback rather than a waiting task: a turn waits for a slot for as long as the
turns ahead of it run, and a thousand such turns would be a thousand parked tasks (with a
semaphore, twice that: racing `acquire()` against a stop takes a task of its own). Here a
waiting turn is an entry in a queue, and its task starts once it holds a slot or is stopped.
"""

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable


class Slots:
    def __init__(self, size: int) -> None:
        self._free = size
        self._queue: deque[_Claim] = deque()

    def claim(self, start: Callable[[bool], None], stop: asyncio.Future[None]) -> None:
        """`start(True)` once a slot is held (at once if one is free; the holder then calls
        `release()`), or `start(False)` if `stop` completes first. Exactly one of the two."""
        if stop.done():
            start(False)
        elif self._free > 0 and not self._queue:
            self._free -= 1
            start(True)
        else:
            claim = _Claim(self, start, stop)
            self._queue.append(claim)
            stop.add_done_callback(claim.stopped)

    def release(self) -> None:
        """Give a slot back: to the longest waiting claim, or to the free ones."""
        while self._queue:
            if self._queue.popleft().grant():
                return
        self._free += 1

    def _withdraw(self, claim: "_Claim") -> None:
        with contextlib.suppress(ValueError):  # a release took it off already, finding it stopped
            self._queue.remove(claim)


class _Claim:
    __slots__ = ("_settled", "_slots", "_start", "_stop")

    def __init__(self, slots: Slots, start: Callable[[bool], None], stop: asyncio.Future[None]) -> None:
        self._slots, self._start, self._stop = slots, start, stop
        self._settled = False

    def grant(self) -> bool:
        # A stop completed but its callback not yet run: the stop came first.
        if self._settled or self._stop.done():
            return False
        self._settled = True
        self._stop.remove_done_callback(self.stopped)
        self._start(True)
        return True

    def stopped(self, _: asyncio.Future[None]) -> None:
        if self._settled:
            return
        self._settled = True
        self._slots._withdraw(self)
        self._start(False)
