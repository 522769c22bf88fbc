"""aiotools (2.x): its TaskGroup, gather_safe and cancel_and_wait, as its docs show them.

A third-party adapter: the suite judges aiotools, not this module. ``aiotools.TaskGroup``
is ``asyncio.TaskGroup`` with a name and a context variable, so the group scenarios
read like the standard library's; ``gather_safe`` runs every coroutine to its end inside
a ``TaskScope`` and returns each result or exception; ``cancel_and_wait`` cancels a task
and joins it. What aiotools does not give: a cancel *cause*, a try-spawn (the shedding
is counted by hand: that cell reads *assisted*) and a bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

import aiotools

from joinery.models._protocol import AsyncFn, Dashboard, DashboardAPI, ModelInfo

T = TypeVar("T")

MODEL = ModelInfo(
    name="aiotools",
    title="aiotools TaskGroup",
    backends=("asyncio",),
    summary=(
        "aiotools 2.x on asyncio: TaskGroup (asyncio.TaskGroup with a name), gather_safe "
        "(every coroutine to its end inside a TaskScope, results and exceptions returned) "
        "and cancel_and_wait (cancel and join one task). No cancel cause, no bound, no "
        "try-spawn."
    ),
    assisted={
        "shed": (
            "the adapter counts running jobs by hand and drops a job when the count reaches "
            "the limit: aiotools has no try-spawn and no bound"
        ),
    },
)


async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:
    async with aiotools.TaskGroup() as tg:
        user = tg.create_task(api.fetch_user(user_id))
        posts = tg.create_task(api.fetch_posts(user_id))
        stats = tg.create_task(api.fetch_stats(user_id))
    return Dashboard(user.result(), posts.result(), stats.result())


class _Scope:
    def __init__(self, tg: aiotools.TaskGroup) -> None:
        self._tg = tg

    def spawn(self, fn: AsyncFn) -> None:
        self._tg.create_task(fn())


async def run_scope(body: Callable[[_Scope], Awaitable[None]]) -> None:
    async with aiotools.TaskGroup() as tg:
        await body(_Scope(tg))


async def fetch_all(
    fetch: Callable[[str], Awaitable[T]], urls: Sequence[str], limit: int
) -> list[T]:
    slots = asyncio.Semaphore(limit)

    async def one(url: str) -> T:
        async with slots:
            return await fetch(url)

    async with aiotools.TaskGroup() as tg:
        tasks = [tg.create_task(one(url)) for url in urls]
    return [t.result() for t in tasks]


async def run_shedded(jobs: Sequence[AsyncFn], limit: int) -> tuple[int, int]:
    running = accepted = dropped = 0

    def finished(_: asyncio.Task[object]) -> None:
        nonlocal running
        running -= 1

    async with aiotools.TaskGroup() as tg:
        for job in jobs:
            if running < limit:  # no try-spawn: count the slots by hand
                running += 1
                accepted += 1
                tg.create_task(job()).add_done_callback(finished)
            else:
                dropped += 1
    return accepted, dropped


async def wait_then_spawn(work: AsyncFn) -> None:
    tg = aiotools.TaskGroup()
    async with tg:
        pass  # "Wait" first: the group is joined and closed here
    tg.create_task(work())  # RuntimeError: TaskGroup is finished


async def spawn_then_wait(work: AsyncFn) -> None:
    async with aiotools.TaskGroup() as tg:
        tg.create_task(work())


async def cause_of_cancel(
    failing: AsyncFn, sibling: AsyncFn, report: Callable[[object], None]
) -> None:
    async def watched() -> None:
        try:
            await sibling()
        except asyncio.CancelledError as exc:
            report(exc.args[0] if exc.args else None)  # whatever the cancellation carries
            raise

    async with aiotools.TaskGroup() as tg:
        tg.create_task(failing())
        tg.create_task(watched())


class _Flusher:
    def __init__(self, task: asyncio.Task[None]) -> None:
        self._task = task

    async def stop(self) -> None:
        await aiotools.cancel_and_wait(self._task)  # cancel, then join


@asynccontextmanager
async def flusher(interval: float, flush: AsyncFn) -> AsyncIterator[_Flusher]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(interval)
            await flush()

    async with aiotools.TaskGroup() as tg:
        handle = _Flusher(tg.create_task(loop()))
        try:
            yield handle
        finally:
            await handle.stop()


async def check_all(checks: Sequence[AsyncFn]) -> None:
    outcomes = await aiotools.gather_safe(check() for check in checks)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    if errors:
        raise ExceptionGroup("checks failed", errors)
