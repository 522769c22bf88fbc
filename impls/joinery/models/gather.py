"""``asyncio.gather``: await a fixed list of awaitables, results in order.

gather is the oldest fan-out in asyncio and the one most code still uses. Its defaults
are the problem: when one awaitable fails, gather raises that one error at once and
leaves the others running, un-cancelled and un-joined; later errors are never seen.
Cancelling the gather does cancel and wait for its children. Children cannot be added
once it runs, so a scope is a list filled first and gathered last.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from joinery.models._protocol import AsyncFn, Dashboard, DashboardAPI, ModelInfo

T = TypeVar("T")

MODEL = ModelInfo(
    name="gather",
    title="asyncio.gather",
    backends=("asyncio",),
    summary=(
        "asyncio.gather over a list of awaitables: results in order, cancellation of the "
        "gather reaches the children. But the first failure returns at once and leaves the "
        "siblings running: no sibling cancellation, no join on failure, later errors lost."
    ),
    unsupported={
        "flusher": (
            "gather joins a fixed list of awaitables it is handed at once; a daemon started "
            "now and stopped later is outside what gather expresses (see the bare model)"
        ),
    },
)


async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:
    user, posts, stats = await asyncio.gather(
        api.fetch_user(user_id), api.fetch_posts(user_id), api.fetch_stats(user_id)
    )
    return Dashboard(user, posts, stats)


class _Scope:
    def __init__(self) -> None:
        self.children: list[asyncio.Future[Any]] = []

    def spawn(self, fn: AsyncFn) -> None:
        self.children.append(asyncio.ensure_future(fn()))


async def run_scope(body: Callable[[_Scope], Awaitable[None]]) -> None:
    scope = _Scope()
    await body(scope)
    await asyncio.gather(*scope.children)


async def fetch_all(
    fetch: Callable[[str], Awaitable[T]], urls: Sequence[str], limit: int
) -> list[T]:
    slots = asyncio.Semaphore(limit)

    async def one(url: str) -> T:
        async with slots:
            return await fetch(url)

    return list(await asyncio.gather(*(one(url) for url in urls)))


async def run_shedded(jobs: Sequence[AsyncFn], limit: int) -> tuple[int, int]:
    taken = list(jobs[:limit])  # nothing finishes while we submit, so the first `limit` fit
    await asyncio.gather(*(job() for job in taken))
    return len(taken), len(jobs) - len(taken)


async def wait_then_spawn(work: AsyncFn) -> None:
    children: list[asyncio.Future[Any]] = []
    await asyncio.gather(*children)  # "Wait" first: nothing to wait for yet
    children.append(asyncio.ensure_future(work()))  # starts, and nobody will join it


async def spawn_then_wait(work: AsyncFn) -> None:
    await asyncio.gather(work())


async def cause_of_cancel(
    failing: AsyncFn, sibling: AsyncFn, report: Callable[[object], None]
) -> None:
    async def watched() -> None:
        try:
            await sibling()
        except asyncio.CancelledError as exc:
            report(exc.args[0] if exc.args else None)
            raise

    await asyncio.gather(failing(), watched())


async def check_all(checks: Sequence[AsyncFn]) -> None:
    results = await asyncio.gather(*(check() for check in checks), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise BaseExceptionGroup("checks failed", errors)
