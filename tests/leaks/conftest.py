"""Backends for the leak-detector tests: each runs a coroutine function to completion.

``asyncio`` runs on a virtual-clock loop (what the conformance harness uses), ``uvloop``
on uvloop's real clock, ``trio`` under ``MockClock(autojump_threshold=0)``.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest
import trio
import trio.testing
import uvloop
from joinery.leaks import demo

T = TypeVar("T")


class _JumpingSelector(selectors.DefaultSelector):
    """A blocking select becomes a jump of the loop's virtual clock."""

    loop: VirtualLoop

    def select(self, timeout: float | None = None) -> Any:
        ready = super().select(0)
        if ready or timeout == 0 or timeout is None:
            return ready if ready or timeout == 0 else super().select(None)
        self.loop.now += timeout
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose clock jumps to the next timer when every task is blocked."""

    def __init__(self) -> None:
        self.now = 0.0
        selector = _JumpingSelector()
        selector.loop = self
        super().__init__(selector=selector)

    def time(self) -> float:
        return self.now


class Backend:
    name: str
    kind: str

    def run(self, fn: Callable[[], Awaitable[T]]) -> T:
        raise NotImplementedError

    def now(self) -> float:
        raise NotImplementedError

    async def sleep(self, seconds: float) -> None:
        raise NotImplementedError

    def group(self) -> Any:
        """An async context manager yielding ``spawn(fn, *args, name=...)``."""
        raise NotImplementedError

    def buggy(self) -> Any:
        """Start the seed's Buggy(); on exit free the leaked sender and wait for it."""
        raise NotImplementedError


class AsyncioBackend(Backend):
    kind = "asyncio"

    def __init__(self, name: str, factory: Callable[[], asyncio.AbstractEventLoop]) -> None:
        self.name = name
        self.factory = factory

    def run(self, fn: Callable[[], Awaitable[T]]) -> T:
        async def main() -> T:
            return await fn()

        with asyncio.Runner(loop_factory=self.factory) as runner:
            return runner.run(main())

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    @asynccontextmanager
    async def group(self) -> AsyncIterator[Callable[..., None]]:
        async with asyncio.TaskGroup() as tg:

            def spawn(fn: Callable[..., Awaitable[Any]], *args: Any, name: str = "") -> None:
                tg.create_task(fn(*args), name=name or None)

            yield spawn

    @asynccontextmanager
    async def buggy(self) -> AsyncIterator[None]:
        ch = demo.full_asyncio_channel()
        demo.buggy_asyncio(ch)
        (sender,) = [t for t in asyncio.all_tasks() if t.get_name() == "buggy-sender"]
        try:
            yield
        finally:
            demo.drain(ch)
            await sender


class TrioBackend(Backend):
    name = kind = "trio"

    def run(self, fn: Callable[[], Awaitable[T]]) -> T:
        return trio.run(fn, clock=trio.testing.MockClock(autojump_threshold=0))

    def now(self) -> float:
        return trio.current_time()

    async def sleep(self, seconds: float) -> None:
        await trio.sleep(seconds)

    @asynccontextmanager
    async def group(self) -> AsyncIterator[Callable[..., None]]:
        async with trio.open_nursery() as nursery:

            def spawn(fn: Callable[..., Awaitable[Any]], *args: Any, name: str = "") -> None:
                nursery.start_soon(fn, *args, name=name or None)

            yield spawn

    @asynccontextmanager
    async def buggy(self) -> AsyncIterator[None]:
        tx, rx = trio.open_memory_channel[int](0)
        async with trio.open_nursery() as nursery, tx, rx:
            demo.buggy_trio(nursery, tx)
            await trio.testing.wait_all_tasks_blocked()
            yield
            await rx.receive()  # frees the sender; the nursery then closes


BACKENDS: dict[str, Backend] = {
    "asyncio": AsyncioBackend("asyncio", VirtualLoop),
    "uvloop": AsyncioBackend("uvloop", uvloop.new_event_loop),
    "trio": TrioBackend(),
}


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    return BACKENDS[request.param]
