"""``asyncio.TaskGroup`` under ``asyncio.eager_task_factory`` (Python 3.12+).

The very code of the ``taskgroup`` model, run on a loop whose task factory is eager: a
child starts inside ``create_task`` and runs to its first await (or to its end) before
the spawning line returns. It saves a trip through the scheduler per child, and it
changes *when* a child's code runs relative to the body's: that is what this model lets
the suite measure. On 3.11 there is no eager factory, and every scenario says so.

The factory belongs to the loop, so a program sets it once for the whole run; here each
scenario sets it for its own duration and puts the previous one back.
"""

from __future__ import annotations

import asyncio
import platform
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from joinery.models import taskgroup
from joinery.models._protocol import SCENARIOS, AsyncFn, Dashboard, DashboardAPI, ModelInfo

T = TypeVar("T")

_EAGER: Any = getattr(asyncio, "eager_task_factory", None)
_WHY = f"asyncio.eager_task_factory is new in Python 3.12; this is {platform.python_version()}"

MODEL = ModelInfo(
    name="taskgroup_eager",
    title="asyncio.TaskGroup, eager tasks",
    backends=("asyncio",),
    summary=(
        "asyncio.TaskGroup with the loop's task factory set to asyncio.eager_task_factory "
        "(3.12+): the same code as the TaskGroup model, but each child runs to its first "
        "await inside create_task, before the spawning line returns. Unsupported on 3.11."
    ),
    unsupported={} if _EAGER is not None else dict.fromkeys(SCENARIOS, _WHY),
)


@contextmanager
def eager_tasks() -> Iterator[None]:
    """Make the running loop's new tasks eager until the block ends."""
    loop = asyncio.get_running_loop()
    before = loop.get_task_factory()
    loop.set_task_factory(_EAGER)
    try:
        yield
    finally:
        loop.set_task_factory(before)


if _EAGER is not None:  # 3.12+: the scenarios exist only where the factory does

    async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:
        with eager_tasks():
            return await taskgroup.load_dashboard(api, user_id)

    async def run_scope(body: Callable[[Any], Awaitable[None]]) -> None:
        with eager_tasks():
            await taskgroup.run_scope(body)

    async def fetch_all(
        fetch: Callable[[str], Awaitable[T]], urls: Sequence[str], limit: int
    ) -> list[T]:
        with eager_tasks():
            return await taskgroup.fetch_all(fetch, urls, limit)

    async def run_shedded(jobs: Sequence[AsyncFn], limit: int) -> tuple[int, int]:
        with eager_tasks():
            return await taskgroup.run_shedded(jobs, limit)

    async def wait_then_spawn(work: AsyncFn) -> None:
        with eager_tasks():
            await taskgroup.wait_then_spawn(work)

    async def spawn_then_wait(work: AsyncFn) -> None:
        with eager_tasks():
            await taskgroup.spawn_then_wait(work)

    async def cause_of_cancel(
        failing: AsyncFn, sibling: AsyncFn, report: Callable[[object], None]
    ) -> None:
        with eager_tasks():
            await taskgroup.cause_of_cancel(failing, sibling, report)

    @asynccontextmanager
    async def flusher(interval: float, flush: AsyncFn) -> AsyncIterator[Any]:
        with eager_tasks():
            async with taskgroup.flusher(interval, flush) as handle:
                yield handle

    async def check_all(checks: Sequence[AsyncFn]) -> None:
        with eager_tasks():
            await taskgroup.check_all(checks)
