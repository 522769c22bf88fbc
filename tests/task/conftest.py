"""Drive every joinery.task test on both backends, on virtual clocks.

No pytest plugin runs these tests: ``run(fn)`` starts a fresh event loop per call,
asyncio on the harness's VirtualClockEventLoop (time jumps to the next timer when the
loop is idle), trio on MockClock(autojump_threshold=0).
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
import trio
import trio.testing
from joinery import task
from joinery.harness import VirtualClockEventLoop


def _run_on(backend: str, fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Run ``fn(*args)`` to completion on a fresh loop of ``backend``; leave nothing behind."""
    try:
        if backend == "asyncio":
            # asyncio.Runner: on an escaping BaseException it cancels and joins the
            # remaining tasks, as asyncio.run() does.
            with asyncio.Runner(loop_factory=VirtualClockEventLoop) as runner:
                result = runner.run(fn(*args))
                left = asyncio.all_tasks(runner.get_loop())
                assert not left, f"tasks left running: {left}"
                return result
        return trio.run(fn, *args, clock=trio.testing.MockClock(autojump_threshold=0))
    finally:
        gc.collect()  # a coroutine never awaited warns now, inside the test


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def run(backend: str) -> Callable[..., Any]:
    def runner(fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        return _run_on(backend, fn, *args)

    return runner


@pytest.fixture(name="run_on")
def run_on_fixture() -> Callable[..., Any]:
    """For the few tests that need to pick the backend themselves."""
    return _run_on


ForeignCall = Callable[[task.Scope, Callable[[], object]], Awaitable[BaseException]]


@pytest.fixture
def from_another_thread() -> ForeignCall:
    """``await from_another_thread(s, call)``: see :func:`_call_from_another_thread`."""
    return _call_from_another_thread


async def _call_from_another_thread(s: task.Scope, call: Callable[[], object]) -> BaseException:
    """Run ``call()`` in a thread named "intruder" that runs the *other* library's loop.

    Returns what ``call`` raised (the test fails if it raised nothing). The scope's own
    loop keeps running meanwhile: it polls, so the virtual clock moves.
    """
    from joinery.task._asyncio import AsyncioScope

    raised: list[BaseException] = []

    async def call_there() -> None:
        try:
            call()
        except BaseException as e:
            raised.append(e)

    def other_thread() -> None:
        if isinstance(s, AsyncioScope):
            trio.run(call_there)
        else:
            asyncio.run(call_there())

    t = threading.Thread(target=other_thread, name="intruder")
    t.start()
    while t.is_alive():
        await anyio.sleep(0.001)
    t.join()
    assert len(raised) == 1, "the call from another thread was not refused"
    return raised[0]
