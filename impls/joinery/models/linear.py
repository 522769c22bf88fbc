"""joinery.task: structured concurrency with linear handles, on asyncio and on trio.

Task 10's answer as a library (:mod:`joinery.task`). A scope joins every child; each
``spawn`` returns a handle that must be consumed once (``await`` it, or ``discard()`` it
on purpose), so a forgotten result or error is an error naming the spawn site. A child
without a result is started with ``launch``: fire-and-forget, named, and no handle. It has
what errgroup, TaskGroup and the nursery each have only in part: a bound and try-spawn,
the cancel cause as an exception object, policies (fail-fast, supervise, race), a
deadline, and services with a join-able ``stop()``. Failures surface as one
``ExceptionGroup``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

import anyio

from joinery import task
from joinery.models._protocol import AsyncFn, Dashboard, DashboardAPI, ModelInfo

T = TypeVar("T")

MODEL = ModelInfo(
    name="linear",
    title="joinery.task (linear handles)",
    backends=("asyncio", "trio"),
    summary=(
        "joinery.task, this project's experimental API: every spawn returns a handle that "
        "must be consumed exactly once; fire-and-forget is an explicit launch() (no handle, "
        "and a returned value is an error) or discard(); a bound with try-spawn, the "
        "cancel cause as an exception object, fail-fast / supervise / "
        "race policies, deadlines and stoppable services, on asyncio and trio alike."
    ),
)


async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:
    async with task.scope() as s:
        user = s.spawn(api.fetch_user, user_id)
        posts = s.spawn(api.fetch_posts, user_id)
        stats = s.spawn(api.fetch_stats, user_id)
        dashboard = Dashboard(await user, await posts, await stats)
    return dashboard


class _Scope:
    def __init__(self, s: task.Scope) -> None:
        self._s = s

    def spawn(self, fn: AsyncFn) -> None:
        # T2's spawn returns nothing and drops fn's result: discard() says so. (launch()
        # would refuse a child that returns a value, and T2's children may.)
        self._s.spawn(fn).discard()


async def run_scope(body: Callable[[_Scope], Awaitable[None]]) -> None:
    async with task.scope() as s:
        await body(_Scope(s))


async def fetch_all(
    fetch: Callable[[str], Awaitable[T]], urls: Sequence[str], limit: int
) -> list[T]:
    async with task.scope(limit=limit) as s:
        handles = [s.spawn(fetch, url) for url in urls]
        results = [await h for h in handles]  # input order, whatever order they finish in
    return results


async def run_shedded(jobs: Sequence[AsyncFn], limit: int) -> tuple[int, int]:
    accepted = dropped = 0
    async with task.scope(limit=limit) as s:
        for job in jobs:
            handle = s.try_spawn(job)
            if handle is None:
                dropped += 1
            else:
                accepted += 1
                handle.discard()
    return accepted, dropped


async def wait_then_spawn(work: AsyncFn) -> None:
    async with task.scope() as s:
        pass  # "Wait" first: the scope is joined and closed here
    s.spawn(work).discard()  # ScopeClosedError: refused before work() is even called


async def spawn_then_wait(work: AsyncFn) -> None:
    async with task.scope() as s:
        await s.spawn(work)


async def cause_of_cancel(
    failing: AsyncFn, sibling: AsyncFn, report: Callable[[object], None]
) -> None:
    async def watched() -> None:
        try:
            await sibling()
        finally:
            if task.cause() is not None:
                report(task.cause())  # the failing child's exception object itself

    async with task.scope() as s:
        s.spawn(failing).discard()
        s.launch(watched)  # ours, returns nothing: no handle needed


@asynccontextmanager
async def flusher(interval: float, flush: AsyncFn) -> AsyncIterator[task.Service]:
    async def loop() -> None:
        while True:
            await anyio.sleep(interval)
            await flush()

    async with task.scope() as s:
        yield s.service(loop)  # stop() joins it; the scope stops it at the latest


async def check_all(checks: Sequence[AsyncFn]) -> None:
    async with task.scope(policy=task.SUPERVISE) as s:
        for check in checks:
            s.spawn(check).discard()  # no sibling cancelled; every failure raised at exit
