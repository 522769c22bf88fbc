"""Drivers: run one round of async work from pytest-benchmark's synchronous timer.

pytest-benchmark times a synchronous call. Starting an event loop per round would put
loop start-up (selector, signal wiring, trio's run-state) into every figure, so each
backend gets one long-lived loop per session and a round is one hand-off into it:

* asyncio and asyncio+uvloop: one ``asyncio.Runner`` per session, ``runner.run(coro)``
  per round.
* trio: there is no reusable runner, so one ``trio.lowlevel.start_guest_run`` per
  session, hosted by the tiny synchronous loop below (a queue of callbacks). A round
  appends a job and pumps the queue until the job is done. While trio has runnable
  tasks, guest mode stays on this thread (it polls I/O with timeout 0 itself), so a
  CPU-bound round never crosses a thread.

What remains of the hand-off is the same kind of cost on every backend (a few
microseconds); the benchmarks measure it as a no-op round per backend and the report
subtracts it from per-task figures. Both choices are printed in the report's header.
"""

from __future__ import annotations

import asyncio
import queue
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

import trio
from joinery.models import Backend

Flavor = Literal["asyncio", "asyncio+uvloop", "trio"]
"""An event loop a benchmark runs on: a backend, and for asyncio which loop."""

FLAVORS: tuple[Flavor, ...] = ("asyncio", "asyncio+uvloop", "trio")

METHOD = (
    "event-loop start-up is kept out of every measured round: asyncio and uvloop reuse one "
    "asyncio.Runner per session (runner.run(coro) per round); trio runs one "
    "trio.lowlevel.start_guest_run per session on a minimal synchronous host loop (a round "
    "is one job handed to it). The hand-off's own cost is measured as a no-op round per "
    "loop and subtracted from per-task and per-call figures. Before each benchmark: a full "
    "garbage collection, then gc.freeze(), so that collections during rounds walk what the "
    "rounds allocate, not the harness's heap (undone after the benchmark). Spawn+join "
    "rounds of every row but the loop's own group are paired with a round of that group, "
    "run and timed just before them (outside pytest-benchmark's timing); the x-native "
    "column is the median of the per-round ratios."
)

T = TypeVar("T")


def backend_of(flavor: Flavor) -> Backend:
    """The backend a flavor runs model code on (uvloop is an asyncio loop)."""
    return "trio" if flavor == "trio" else "asyncio"


class Background:
    """A job started in the driver's loop that a later round awaits (or cancels)."""

    def __init__(self) -> None:
        self._done: asyncio.Event | trio.Event | None = None
        self._cancel: Callable[[], object] | None = None
        self._value: Any = None
        self._error: BaseException | None = None
        self.finished = False
        self.cancelled = False

    def _finish(self, value: Any, error: BaseException | None) -> None:
        self._value, self._error, self.finished = value, error, True
        assert self._done is not None
        self._done.set()

    def cancel(self) -> None:
        """Cancel the job from outside (its own code sees the backend's cancellation)."""
        assert self._cancel is not None
        self.cancelled = True
        self._cancel()

    async def wait(self) -> Any:
        """Wait for the job; return its value or raise its exception.

        A job ended by :meth:`cancel` returns None: the cancellation was ours.
        """
        assert self._done is not None
        await self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value


class Driver:
    """One long-lived event loop that runs rounds of async work synchronously."""

    flavor: Flavor

    @property
    def backend(self) -> Backend:
        """The backend model code sees."""
        return backend_of(self.flavor)

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``fn(*args)`` to completion in the loop; return or raise its outcome."""
        raise NotImplementedError

    def start_background(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Background:
        """From inside a round: start ``fn(*args)`` so that it outlives the round."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the loop.

        Raises:
            RuntimeError: background jobs were still running (they are cancelled first):
                a benchmark left work behind, which would have skewed later rounds.
        """
        raise NotImplementedError

    def __init__(self) -> None:
        self._backgrounds: list[Background] = []

    def _track(self, bg: Background) -> Background:
        self._backgrounds = [b for b in self._backgrounds if not b.finished] + [bg]
        return bg

    def _running_backgrounds(self) -> int:
        return sum(not b.finished for b in self._backgrounds)

    def _refuse_left_behind(self, left: int) -> None:
        if left:
            raise RuntimeError(
                f"{self.flavor} driver closed with {left} background job(s) still running; "
                "they were cancelled"
            )


class AsyncioDriver(Driver):
    """asyncio (or uvloop) with one ``asyncio.Runner`` for the whole session."""

    def __init__(self, *, uvloop: bool = False) -> None:
        super().__init__()
        if uvloop:
            import uvloop as _uvloop

            self.flavor = "asyncio+uvloop"
            self._runner = asyncio.Runner(loop_factory=_uvloop.new_event_loop)
        else:
            self.flavor = "asyncio"
            self._runner = asyncio.Runner()
        # Keep background tasks referenced: the loop holds tasks only weakly.
        self._tasks: set[asyncio.Task[None]] = set()

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        async def main() -> T:
            return await fn(*args)

        return self._runner.run(main())

    def start_background(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Background:
        bg = Background()
        bg._done = asyncio.Event()

        async def job() -> None:
            try:
                value = await fn(*args)
            except asyncio.CancelledError as exc:
                # Ours (bg.cancel()) ends the job quietly; any other is handed on.
                bg._finish(None, None if bg.cancelled else exc)
            except BaseException as exc:  # handed to whoever awaits bg.wait()
                bg._finish(None, exc)
            else:
                bg._finish(value, None)

        task = asyncio.get_running_loop().create_task(job())
        bg._cancel = task.cancel
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return self._track(bg)

    def close(self) -> None:
        left = self._running_backgrounds()
        self._runner.close()
        self._refuse_left_behind(left)


class _Job:
    __slots__ = ("args", "error", "finished", "fn", "value")

    def __init__(self, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
        self.fn, self.args = fn, args
        self.value: Any = None
        self.error: BaseException | None = None
        self.finished = False


class TrioDriver(Driver):
    """trio in guest mode on a minimal synchronous host loop, for the whole session."""

    flavor: Flavor = "trio"

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self._jobs: deque[_Job | None] = deque()
        self._nursery: trio.Nursery | None = None
        self._stopped = False
        self._outcome: Any = None
        trio.lowlevel.start_guest_run(
            self._serve,
            run_sync_soon_threadsafe=self._callbacks.put,
            done_callback=self._done,
            host_uses_signal_set_wakeup_fd=False,
        )
        self._pump_until(lambda: self._nursery is not None)

    def _done(self, outcome: Any) -> None:
        self._stopped = True
        self._outcome = outcome

    def _pump_until(self, ready: Callable[[], bool]) -> None:
        while not ready():
            if self._stopped:
                # The guest run ended under us: surface why (an error escaped _serve).
                self._outcome.unwrap()
                raise RuntimeError("the trio guest run ended before the job finished")
            self._callbacks.get()()

    async def _serve(self) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            while True:
                # Idle between rounds: a checkpoint schedules the next guest tick with
                # timeout 0, which the host runs only when the next round pumps. So no
                # I/O thread wakes up to start a round.
                while not self._jobs:
                    await trio.lowlevel.checkpoint()
                job = self._jobs.popleft()
                if job is None:
                    nursery.cancel_scope.cancel()
                    return
                try:
                    job.value = await job.fn(*job.args)
                except BaseException as exc:  # re-raised by run() in the host
                    job.error = exc
                job.finished = True

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        if self._stopped:
            raise RuntimeError("TrioDriver.run() after close()")
        job = _Job(fn, args)
        self._jobs.append(job)
        self._pump_until(lambda: job.finished)
        if job.error is not None:
            raise job.error
        value: T = job.value
        return value

    def start_background(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Background:
        assert self._nursery is not None
        bg = Background()
        bg._done = trio.Event()

        scope = trio.CancelScope()
        bg._cancel = scope.cancel

        async def job() -> None:
            value = None
            try:
                with scope:  # absorbs the Cancelled of bg.cancel(), and only that one
                    value = await fn(*args)
            except BaseException as exc:  # handed to whoever awaits bg.wait()
                bg._finish(None, exc)
            else:
                bg._finish(value, None)

        self._nursery.start_soon(job)
        return self._track(bg)

    def close(self) -> None:
        if self._stopped:
            return
        left = self._running_backgrounds()
        self._jobs.append(None)
        self._pump_until(lambda: self._stopped)
        self._outcome.unwrap()
        self._refuse_left_behind(left)


def make_driver(flavor: Flavor) -> Driver:
    """A fresh driver for ``flavor``; close it when done."""
    if flavor == "trio":
        return TrioDriver()
    if flavor == "asyncio+uvloop":
        return AsyncioDriver(uvloop=True)
    if flavor == "asyncio":
        return AsyncioDriver()
    raise ValueError(f"unknown flavor {flavor!r}; known: {', '.join(FLAVORS)}")


async def noop() -> None:
    """An empty round: what a hand-off into the loop costs."""
