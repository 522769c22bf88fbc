"""Bare ``asyncio.create_task`` with hand-written bookkeeping.

The best one can do without a group.
Everything a group gives has to be written by hand here, once, in :class:`_Tasks`:
remembering the children, refusing spawns after the join, waiting for the first
failure, cancelling the rest *with the failure as the cancel message* (so siblings can
read the cause), joining them all and raising every failure. It works, but it is
exactly the code every project rewrites, and gets wrong, by hand; and asyncio itself
still lets a ``KeyboardInterrupt`` out of a child's step without joining anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from joinery.models._protocol import AsyncFn, Dashboard, DashboardAPI, ModelInfo

T = TypeVar("T")

MODEL = ModelInfo(
    name="bare",
    title="bare asyncio tasks",
    backends=("asyncio",),
    summary=(
        "asyncio.create_task plus a small hand-written bookkeeper: remember every task, "
        "wait for the first failure, cancel the rest with the failure as the cancel "
        "message, join them all, raise every failure. Correct only as far as the "
        "bookkeeping is; nothing stops code from calling create_task around it."
    ),
    # asyncio.create_task joins, cancels and collects nothing: wherever bare passes
    # a property of the group, it is the hand-written _Tasks that does the work.
    assisted={
        prop: f"the adapter's hand-written bookkeeper (_Tasks) {what}"
        for prop, what in {
            "join": "remembers every task and awaits them all",
            "sibling_cancellation": "cancels the other tasks at the first failure",
            "error_surfaced": "collects every failure and raises them together",
            "spawn_after_close": "refuses a spawn after its join",
            "body_error_cancels": "cancels the children when the body fails",
            "cause": "cancels the siblings with the failure as the cancel message",
            "shed": "counts running jobs and drops a job at the limit",
            "all_errors_kept": "waits for every check and raises every failure",
        }.items()
    },
)


class _Tasks:
    """The hand-written group: spawn, then ``join()`` exactly once."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] = []
        self.closed = False

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        if self.closed:
            coro.close()  # never started, so no "never awaited" warning
            raise RuntimeError("spawn after join: this bookkeeper is closed")
        task = asyncio.create_task(coro)
        self.tasks.append(task)
        return task

    def cancel(self, cause: BaseException | None = None) -> None:
        for t in self.tasks:
            t.cancel(msg=cause)  # type: ignore[arg-type, unused-ignore]  # any object: args[0]

    async def join(self, body_error: BaseException | None = None) -> None:
        try:
            if body_error is not None:
                self.cancel(body_error)
            pending = [t for t in self.tasks if not t.done()]
            while pending:
                _, pending_set = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
                pending = list(pending_set)
                first = next((t for t in self.tasks if _failed(t)), None)
                if first is not None:
                    self.cancel(first.exception())
        except asyncio.CancelledError:  # the caller is cancelled: cancel and join, then go
            self.cancel()
            if self.tasks:
                await asyncio.wait(self.tasks)
            raise
        finally:
            self.closed = True
        errors = [t.exception() for t in self.tasks if _failed(t)]
        if body_error is not None:
            raise body_error
        if len(errors) == 1:
            raise errors[0]  # type: ignore[misc]
        if errors:
            raise BaseExceptionGroup("child tasks failed", errors)  # type: ignore[type-var]


def _failed(task: asyncio.Task[Any]) -> bool:
    return task.done() and not task.cancelled() and task.exception() is not None


async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:
    tasks = _Tasks()
    user = tasks.spawn(api.fetch_user(user_id))
    posts = tasks.spawn(api.fetch_posts(user_id))
    stats = tasks.spawn(api.fetch_stats(user_id))
    await tasks.join()
    return Dashboard(user.result(), posts.result(), stats.result())


class _Scope:
    def __init__(self, tasks: _Tasks) -> None:
        self._tasks = tasks

    def spawn(self, fn: AsyncFn) -> None:
        self._tasks.spawn(_call(fn))


async def _call(fn: AsyncFn) -> Any:
    return await fn()


async def run_scope(body: Callable[[_Scope], Awaitable[None]]) -> None:
    tasks = _Tasks()
    try:
        await body(_Scope(tasks))
    except BaseException as exc:
        await tasks.join(body_error=exc)
    await tasks.join()


async def fetch_all(
    fetch: Callable[[str], Awaitable[T]], urls: Sequence[str], limit: int
) -> list[T]:
    slots = asyncio.Semaphore(limit)

    async def one(url: str) -> T:
        async with slots:
            return await fetch(url)

    tasks = _Tasks()
    spawned = [tasks.spawn(one(url)) for url in urls]
    await tasks.join()
    return [t.result() for t in spawned]


async def run_shedded(jobs: Sequence[AsyncFn], limit: int) -> tuple[int, int]:
    tasks = _Tasks()
    running = accepted = dropped = 0

    def finished(_: asyncio.Task[Any]) -> None:
        nonlocal running
        running -= 1

    for job in jobs:
        if running < limit:
            running += 1
            accepted += 1
            tasks.spawn(_call(job)).add_done_callback(finished)
        else:
            dropped += 1
    await tasks.join()
    return accepted, dropped


async def wait_then_spawn(work: AsyncFn) -> None:
    tasks = _Tasks()
    await tasks.join()  # "Wait" first: the bookkeeper is closed here
    tasks.spawn(_call(work))  # RuntimeError: spawn after join


async def spawn_then_wait(work: AsyncFn) -> None:
    tasks = _Tasks()
    tasks.spawn(_call(work))
    await tasks.join()


async def cause_of_cancel(
    failing: AsyncFn, sibling: AsyncFn, report: Callable[[object], None]
) -> None:
    async def watched() -> None:
        try:
            await sibling()
        except asyncio.CancelledError as exc:
            report(exc.args[0] if exc.args else None)  # _Tasks.cancel put the failure there
            raise

    tasks = _Tasks()
    tasks.spawn(_call(failing))
    tasks.spawn(watched())
    await tasks.join()


class _Flusher:
    def __init__(self, task: asyncio.Task[None]) -> None:
        self._task = task

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.wait({self._task})
        if not self._task.cancelled() and self._task.exception() is not None:
            raise self._task.exception()  # type: ignore[misc]  # a flush failed: say so


@asynccontextmanager
async def flusher(interval: float, flush: AsyncFn) -> AsyncIterator[_Flusher]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(interval)
            await flush()

    handle = _Flusher(asyncio.create_task(loop()))
    try:
        yield handle
    finally:
        await handle.stop()


async def check_all(checks: Sequence[AsyncFn]) -> None:
    tasks = [asyncio.create_task(_call(check)) for check in checks]
    try:
        await asyncio.wait(tasks)  # no fail-fast: every check runs to the end
    finally:
        for t in tasks:
            t.cancel()  # only matters if we were cancelled: then join before leaving
        await asyncio.wait(tasks)
    errors = [e for t in tasks if isinstance(e := t.exception(), Exception)]
    if errors:
        raise ExceptionGroup("checks failed", errors)
