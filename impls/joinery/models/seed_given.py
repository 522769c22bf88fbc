"""The control model: the seed's *given* programs, ported to asyncio bugs and all.

Each function is a line-by-line port of a program the seed asks us to fix: the
sleep-and-hope fan-out (Task 1), the Wait-before-Go program (Task 6), the flusher
nobody can stop (Task 8) and the channel-and-WaitGroup error aggregator (Task 9).
``go f()`` becomes ``asyncio.create_task(f())`` whose handle nobody keeps to join.
The suite must see these fail where the seed says they break: that is its self-test.
Tasks 2, 3, 5 and 7 give no broken program to port, only reference solutions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from joinery.models._protocol import AsyncFn, Dashboard, DashboardAPI, ModelInfo

_NO_PROGRAM = "the seed gives no broken program for this task, only a reference solution"

MODEL = ModelInfo(
    name="seed_given",
    title="the seed's given programs (control)",
    backends=("asyncio",),
    summary=(
        "The control: the seed's given Go programs ported faithfully to asyncio, bugs "
        "included (sleep-and-hope, Wait before Go, an unstoppable flusher, a channel "
        "aggregator that keeps the first error). The suite must catch every one."
    ),
    unsupported={
        "run_scope": _NO_PROGRAM,
        "fetch_all": _NO_PROGRAM,
        "run_shedded": _NO_PROGRAM,
        "cause_of_cancel": _NO_PROGRAM,
    },
)


class _WaitGroup:
    """Go's sync.WaitGroup: a counter and a wake-up when it reaches zero."""

    def __init__(self) -> None:
        self._count = 0
        self._zero = asyncio.Event()
        self._zero.set()

    def add(self, n: int) -> None:
        self._count += n
        self._zero.clear()

    def done(self) -> None:
        self._count -= 1
        if self._count == 0:
            self._zero.set()

    async def wait(self) -> None:
        await self._zero.wait()


async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:
    user = posts = stats = None
    err1: Exception | None = None
    err2: Exception | None = None
    err3: Exception | None = None

    async def get_user() -> None:
        nonlocal user, err1
        try:
            user = await api.fetch_user(user_id)
        except Exception as exc:
            err1 = exc

    async def get_posts() -> None:
        nonlocal posts, err2
        try:
            posts = await api.fetch_posts(user_id)
        except Exception as exc:
            err2 = exc

    async def get_stats() -> None:
        nonlocal stats, err3
        try:
            stats = await api.fetch_stats(user_id)
        except Exception as exc:
            err3 = exc

    asyncio.create_task(get_user())  # noqa: RUF006 - `go func()`: nobody keeps the handle
    asyncio.create_task(get_posts())  # noqa: RUF006
    asyncio.create_task(get_stats())  # noqa: RUF006
    await asyncio.sleep(2)  # hope they're done

    if err1 is not None:
        raise err1
    if err2 is not None:
        raise err2
    if err3 is not None:
        raise err3
    return Dashboard(user, posts, stats)


async def wait_then_spawn(work: AsyncFn) -> None:  # runBad
    wg = _WaitGroup()
    await wg.wait()  # wg is at 0; returns immediately
    wg.add(1)  # adds 1 AFTER Wait already returned

    async def go() -> None:
        try:
            await work()
        finally:
            wg.done()

    asyncio.create_task(go())  # noqa: RUF006


async def spawn_then_wait(work: AsyncFn) -> None:  # runGood
    wg = _WaitGroup()
    wg.add(1)

    async def go() -> None:
        try:
            await work()
        finally:
            wg.done()

    asyncio.create_task(go())  # noqa: RUF006
    await wg.wait()


class _Unstoppable:
    async def stop(self) -> None:
        """The given StartFlusher returns nothing to stop it with; this stop does nothing."""


@asynccontextmanager
async def flusher(interval: float, flush: AsyncFn) -> AsyncIterator[_Unstoppable]:
    async def tick() -> None:  # go func() { for range time.Tick(d) { flush() } }()
        while True:
            await asyncio.sleep(interval)
            await flush()

    asyncio.create_task(tick())  # noqa: RUF006
    yield _Unstoppable()


async def check_all(checks: Sequence[AsyncFn]) -> None:
    err_ch: asyncio.Queue[Exception | None] = asyncio.Queue(len(checks))  # make(chan error, N)
    wg = _WaitGroup()
    for check in checks:
        wg.add(1)

        async def run(check: AsyncFn = check) -> None:
            try:
                await check()
                err_ch.put_nowait(None)
            except Exception as exc:
                err_ch.put_nowait(exc)
            finally:
                wg.done()

        asyncio.create_task(run())  # noqa: RUF006
    await wg.wait()
    while not err_ch.empty():  # close(errCh); for err := range errCh
        err = err_ch.get_nowait()
        if err is not None:
            raise err  # the first error wins; the others are dropped
