"""An asyncio event loop on a virtual clock.

It is trio's ``MockClock(autojump_threshold=0)`` for asyncio.
When every task is blocked and the next thing due is a timer, the loop jumps its clock
to that timer instead of sleeping. Verdicts then depend on the order of events, never on
how fast the machine is:

    await asyncio.sleep(3600)   # returns at once in real time; loop.time() moved by 3600

Real I/O still works: the selector is polled without blocking before each jump, and a
loop with nothing scheduled at all blocks on real I/O as usual (a thread's
``call_soon_threadsafe`` still wakes it).
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any


class _JumpingSelector(selectors.BaseSelector):
    """Wraps a real selector; a blocking ``select(timeout)`` becomes a clock jump."""

    def __init__(self, loop: VirtualClockEventLoop) -> None:
        self._real = selectors.DefaultSelector()
        self._loop = loop

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            # Nothing is scheduled at all: only real I/O or another thread can wake us.
            return self._real.select(None)
        self._loop._advance(timeout)
        return []

    def close(self) -> None:
        self._real.close()

    def get_map(self) -> Any:
        return self._real.get_map()


class VirtualClockEventLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``time()`` is virtual and jumps when all tasks block.

    Use it for tests and conformance experiments, never for real work: a program that
    waits on a timer while a real network reply is slow will see the timer fire first.
    """

    def __init__(self) -> None:
        self._virtual_now = 0.0
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        """The virtual time, in seconds since the loop was created."""
        return self._virtual_now

    def _advance(self, seconds: float) -> None:
        self._virtual_now += seconds


def new_virtual_loop() -> VirtualClockEventLoop:
    """A fresh virtual-clock loop (the caller closes it)."""
    return VirtualClockEventLoop()
