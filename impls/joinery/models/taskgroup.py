"""``asyncio.TaskGroup`` (Python 3.11+): the standard library's structured group.

Children are joined when the ``async with`` block ends; the first failure cancels the
siblings and the body; every failure comes back in one ``ExceptionGroup``. What it does
not give: a cancel *cause* (siblings see a bare ``CancelledError``), a bound, a
try-spawn, and protection against a child that swallows its cancellation (asyncio's
cancellation is delivered once, so such a child keeps the group open).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

from joinery.models._protocol import AsyncFn, Dashboard, DashboardAPI, ModelInfo

T = TypeVar("T")

MODEL = ModelInfo(
    name="taskgroup",
    title="asyncio.TaskGroup",
    backends=("asyncio",),
    summary=(
        "asyncio.TaskGroup (3.11+): children live inside an `async with` block, the first "
        "failure cancels the rest, all failures surface as one ExceptionGroup. No cancel "
        "cause, no bound, no try-spawn; Python 3.15 adds TaskGroup.cancel()."
    ),
    assisted={
        "shed": (
            "the adapter counts running jobs by hand and drops a job when the count reaches "
            "the limit: TaskGroup has no try-spawn"
        ),
        "all_errors_kept": (
            "the adapter catches each check's error into a list and raises the list as one "
            "ExceptionGroup: a TaskGroup cancels the other checks at the first failure"
        ),
    },
)


async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:
    async with asyncio.TaskGroup() as tg:
        user = tg.create_task(api.fetch_user(user_id))
        posts = tg.create_task(api.fetch_posts(user_id))
        stats = tg.create_task(api.fetch_stats(user_id))
    return Dashboard(user.result(), posts.result(), stats.result())


class _Scope:
    def __init__(self, tg: asyncio.TaskGroup) -> None:
        self._tg = tg

    def spawn(self, fn: AsyncFn) -> None:
        # A closed group raises RuntimeError; on 3.11/3.12 the coroutine fn() was already
        # made and is left un-awaited (3.13 closes it: gh-115957).
        self._tg.create_task(fn())


async def run_scope(body: Callable[[_Scope], Awaitable[None]]) -> None:
    async with asyncio.TaskGroup() as tg:
        await body(_Scope(tg))


async def fetch_all(
    fetch: Callable[[str], Awaitable[T]], urls: Sequence[str], limit: int
) -> list[T]:
    slots = asyncio.Semaphore(limit)

    async def one(url: str) -> T:
        async with slots:
            return await fetch(url)

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(one(url)) for url in urls]
    return [t.result() for t in tasks]


async def run_shedded(jobs: Sequence[AsyncFn], limit: int) -> tuple[int, int]:
    running = accepted = dropped = 0

    def finished(_: asyncio.Task[object]) -> None:
        nonlocal running
        running -= 1

    async with asyncio.TaskGroup() as tg:
        for job in jobs:
            if running < limit:  # no try-spawn: count the slots by hand
                running += 1
                accepted += 1
                tg.create_task(job()).add_done_callback(finished)
            else:
                dropped += 1
    return accepted, dropped


async def wait_then_spawn(work: AsyncFn) -> None:
    tg = asyncio.TaskGroup()
    async with tg:
        pass  # "Wait" first: the group is joined and closed here
    tg.create_task(work())  # RuntimeError: TaskGroup is finished


async def spawn_then_wait(work: AsyncFn) -> None:
    async with asyncio.TaskGroup() as tg:
        tg.create_task(work())


async def cause_of_cancel(
    failing: AsyncFn, sibling: AsyncFn, report: Callable[[object], None]
) -> None:
    async def watched() -> None:
        try:
            await sibling()
        except asyncio.CancelledError as exc:
            report(exc.args[0] if exc.args else None)  # TaskGroup cancels with no message
            raise

    async with asyncio.TaskGroup() as tg:
        tg.create_task(failing())
        tg.create_task(watched())


class _Flusher:
    def __init__(self, task: asyncio.Task[None]) -> None:
        self._task = task

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.wait({self._task})  # join; a flush error surfaces from the group


@asynccontextmanager
async def flusher(interval: float, flush: AsyncFn) -> AsyncIterator[_Flusher]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(interval)
            await flush()

    async with asyncio.TaskGroup() as tg:
        handle = _Flusher(tg.create_task(loop()))
        try:
            yield handle
        finally:
            await handle.stop()


async def check_all(checks: Sequence[AsyncFn]) -> None:
    errors: list[Exception] = []

    async def run(check: AsyncFn) -> None:
        try:
            await check()
        except Exception as exc:  # collected, raised below: the group must not fail fast
            errors.append(exc)

    async with asyncio.TaskGroup() as tg:
        for check in checks:
            tg.create_task(run(check))
    if errors:
        raise ExceptionGroup("checks failed", errors)
