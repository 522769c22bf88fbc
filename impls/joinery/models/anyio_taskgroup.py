"""anyio's task group, on asyncio and on Trio: written as anyio's documentation shows it.

A third-party adapter: the suite judges anyio (4.14+), not this module. Children are
spawned with ``start_soon`` (which returns a ``TaskHandle`` since 4.14) inside
``async with create_task_group()``; the first failure cancels the group; errors come
back as one ``ExceptionGroup``. A ``CapacityLimiter`` bounds the fan-out and its
``acquire_nowait`` is the try-spawn. What anyio does not give: a cancel *cause* (a
sibling sees the backend's bare cancellation) and a group that lets every child run
to its end when one fails, so ``check_all`` collects the errors by hand: that cell
reads *assisted*.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

import anyio
from anyio.abc import TaskGroup

from joinery.models._protocol import AsyncFn, Dashboard, DashboardAPI, ModelInfo

T = TypeVar("T")

MODEL = ModelInfo(
    name="anyio_taskgroup",
    title="anyio TaskGroup",
    backends=("asyncio", "trio"),
    summary=(
        "anyio's create_task_group() (4.14+) on either event loop: start_soon returns a "
        "TaskHandle, the first failure cancels the group, errors surface as one "
        "ExceptionGroup, a CapacityLimiter bounds and try-acquires. No cancel cause, "
        "no collect-every-error mode."
    ),
    assisted={
        "all_errors_kept": (
            "the adapter catches each check's error into a list and raises the list as one "
            "ExceptionGroup: an anyio task group cancels the other checks at the first failure"
        ),
    },
)


async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:
    async with anyio.create_task_group() as tg:
        user = tg.start_soon(api.fetch_user, user_id)
        posts = tg.start_soon(api.fetch_posts, user_id)
        stats = tg.start_soon(api.fetch_stats, user_id)
    return Dashboard(user.return_value, posts.return_value, stats.return_value)


class _Scope:
    def __init__(self, tg: TaskGroup) -> None:
        self._tg = tg

    def spawn(self, fn: AsyncFn) -> None:
        self._tg.start_soon(fn)


async def run_scope(body: Callable[[_Scope], Awaitable[None]]) -> None:
    async with anyio.create_task_group() as tg:
        await body(_Scope(tg))


async def fetch_all(
    fetch: Callable[[str], Awaitable[T]], urls: Sequence[str], limit: int
) -> list[T]:
    limiter = anyio.CapacityLimiter(limit)

    async def one(url: str) -> T:
        async with limiter:
            return await fetch(url)

    async with anyio.create_task_group() as tg:
        handles = [tg.start_soon(one, url) for url in urls]
    return [h.return_value for h in handles]


async def run_shedded(jobs: Sequence[AsyncFn], limit: int) -> tuple[int, int]:
    limiter = anyio.CapacityLimiter(limit)
    accepted = dropped = 0

    async def holding(job: AsyncFn, token: object) -> None:
        try:
            await job()
        finally:
            limiter.release_on_behalf_of(token)

    async with anyio.create_task_group() as tg:
        for job in jobs:
            token = object()
            try:
                limiter.acquire_on_behalf_of_nowait(token)  # the library's try-acquire
            except anyio.WouldBlock:
                dropped += 1
                continue
            accepted += 1
            tg.start_soon(holding, job, token)
    return accepted, dropped


async def wait_then_spawn(work: AsyncFn) -> None:
    async with anyio.create_task_group() as tg:
        pass  # "Wait" first: the group is joined and closed here
    tg.start_soon(work)  # RuntimeError: this task group is not active


async def spawn_then_wait(work: AsyncFn) -> None:
    async with anyio.create_task_group() as tg:
        tg.start_soon(work)


async def cause_of_cancel(
    failing: AsyncFn, sibling: AsyncFn, report: Callable[[object], None]
) -> None:
    async def watched() -> None:
        try:
            await sibling()
        except anyio.get_cancelled_exc_class() as exc:
            report(exc.args[0] if exc.args else None)  # whatever the cancellation carries
            raise

    async with anyio.create_task_group() as tg:
        tg.start_soon(failing)
        tg.start_soon(watched)


class _Flusher:
    def __init__(self) -> None:
        self.scope = anyio.CancelScope()
        self.exited = anyio.Event()

    async def stop(self) -> None:
        self.scope.cancel()
        await self.exited.wait()


@asynccontextmanager
async def flusher(interval: float, flush: AsyncFn) -> AsyncIterator[_Flusher]:
    handle = _Flusher()

    async def loop() -> None:
        try:
            with handle.scope:
                while True:
                    await anyio.sleep(interval)
                    await flush()
        finally:
            handle.exited.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(loop)
        try:
            yield handle
        finally:
            with anyio.CancelScope(shield=True):  # the join must finish even if cancelled
                await handle.stop()


async def check_all(checks: Sequence[AsyncFn]) -> None:
    errors: list[Exception] = []

    async def run(check: AsyncFn) -> None:
        try:
            await check()
        except Exception as exc:  # collected by hand: the group would fail fast
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for check in checks:
            tg.start_soon(run, check)
    if errors:
        raise ExceptionGroup("checks failed", errors)
