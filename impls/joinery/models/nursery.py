"""Trio's nursery: the original structured-concurrency primitive in Python.

A nursery cannot be closed while it has children; the first failure cancels everything
in it; failures surface as an ``ExceptionGroup`` (strict groups are the default since
trio 0.25). Cancellation is level-triggered: a child that swallows ``Cancelled`` is
cancelled again at its next checkpoint. Children return nothing (``start_soon`` gives no
handle), and since trio 0.31 a cancelled child learns *why* only as a string
(``Cancelled.reason``), not as the exception object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import trio

from joinery.models._protocol import AsyncFn, Dashboard, DashboardAPI, ModelInfo

T = TypeVar("T")

MODEL = ModelInfo(
    name="nursery",
    title="Trio nursery",
    backends=("trio",),
    summary=(
        "Trio's nursery: no task outlives its nursery, the first failure cancels the "
        "rest, cancellation is level-triggered so it cannot be swallowed for good. "
        "No handles or results, no bound or try-spawn; the cancel cause is a string."
    ),
    assisted={
        "shed": (
            "the adapter counts running jobs by hand and drops a job when the count reaches "
            "the limit: a nursery has no try-spawn"
        ),
        "all_errors_kept": (
            "the adapter catches each check's error into a list and raises the list as one "
            "ExceptionGroup: a nursery cancels the other checks at the first failure"
        ),
    },
)


async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:
    got: dict[str, Any] = {}

    async def fetch(key: str, fn: Callable[[str], Awaitable[object]]) -> None:
        got[key] = await fn(user_id)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(fetch, "user", api.fetch_user)
        nursery.start_soon(fetch, "posts", api.fetch_posts)
        nursery.start_soon(fetch, "stats", api.fetch_stats)
    return Dashboard(got["user"], got["posts"], got["stats"])


class _Scope:
    def __init__(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery

    def spawn(self, fn: AsyncFn) -> None:
        self._nursery.start_soon(fn)  # a closed nursery raises before calling fn


async def run_scope(body: Callable[[_Scope], Awaitable[None]]) -> None:
    async with trio.open_nursery() as nursery:
        await body(_Scope(nursery))


async def fetch_all(
    fetch: Callable[[str], Awaitable[T]], urls: Sequence[str], limit: int
) -> list[T]:
    limiter = trio.CapacityLimiter(limit)
    results: list[Any] = [None] * len(urls)

    async def one(i: int, url: str) -> None:
        async with limiter:
            results[i] = await fetch(url)

    async with trio.open_nursery() as nursery:
        for i, url in enumerate(urls):
            nursery.start_soon(one, i, url)
    return results


async def run_shedded(jobs: Sequence[AsyncFn], limit: int) -> tuple[int, int]:
    running = accepted = dropped = 0

    async def counted(job: AsyncFn) -> None:
        nonlocal running
        try:
            await job()
        finally:
            running -= 1

    async with trio.open_nursery() as nursery:
        for job in jobs:
            if running < limit:  # no try-spawn: count the slots by hand
                running += 1
                accepted += 1
                nursery.start_soon(counted, job)
            else:
                dropped += 1
    return accepted, dropped


async def wait_then_spawn(work: AsyncFn) -> None:
    async with trio.open_nursery() as nursery:
        pass  # "Wait" first: the nursery is joined and closed here
    nursery.start_soon(work)  # RuntimeError: Nursery is closed to new arrivals


async def spawn_then_wait(work: AsyncFn) -> None:
    async with trio.open_nursery() as nursery:
        nursery.start_soon(work)


async def cause_of_cancel(
    failing: AsyncFn, sibling: AsyncFn, report: Callable[[object], None]
) -> None:
    async def watched() -> None:
        try:
            await sibling()
        except trio.Cancelled as exc:
            report(exc.reason)  # a string describing the failure, not the failure
            raise

    async with trio.open_nursery() as nursery:
        nursery.start_soon(failing)
        nursery.start_soon(watched)


class _Flusher:
    def __init__(self) -> None:
        self.scope = trio.CancelScope()
        self.exited = trio.Event()

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
                    await trio.sleep(interval)
                    await flush()
        finally:
            handle.exited.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop)
        try:
            yield handle
        finally:
            with trio.CancelScope(shield=True):  # the join must finish even if we're cancelled
                await handle.stop()


async def check_all(checks: Sequence[AsyncFn]) -> None:
    errors: list[Exception] = []

    async def run(check: AsyncFn) -> None:
        try:
            await check()
        except Exception as exc:  # collected, raised below: the nursery must not fail fast
            errors.append(exc)

    async with trio.open_nursery() as nursery:
        for check in checks:
            nursery.start_soon(run, check)
    if errors:
        raise ExceptionGroup("checks failed", errors)
