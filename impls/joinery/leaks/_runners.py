"""Catching the tasks ``asyncio.run`` and anyio's runner cancel silently at close.

``asyncio.Runner.close()`` (behind ``asyncio.run``, ``uvloop.run`` and anyio's pytest
runner on asyncio) cancels every task still pending before it closes the loop, so
a check made afterwards finds nothing::

    async def main():
        asyncio.get_running_loop().create_task(forever())   # leaked...
    asyncio.run(main())                                     # ...and silently cancelled

While a :class:`RunnerCleanupWatch` is active, those tasks are recorded, with their
stacks, just before the runner cancels them.
"""

from __future__ import annotations

import asyncio
import asyncio.runners
import dataclasses
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from joinery.leaks._model import Leak
from joinery.leaks._sources import AsyncioSource

_lock = threading.Lock()
_active: list[RunnerCleanupWatch] = []
_original: Callable[[asyncio.AbstractEventLoop], None] | None = None
_STATE = "was pending when asyncio.Runner closed its loop, which cancelled it"


def _recording_cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    source = AsyncioSource()
    leaks: list[Leak] = []
    for task in asyncio.all_tasks(loop):
        leak = source.describe(task)
        if leak is not None:
            leaks.append(dataclasses.replace(leak, state=_STATE))
    with _lock:
        watchers = list(_active)
        original = _original
    for watch in watchers:
        watch.leaks.extend(leaks)
    assert original is not None
    original(loop)


class RunnerCleanupWatch:
    """Records the tasks ``asyncio.Runner`` cancels at close while the ``with`` lasts.

    Patches ``asyncio.runners._cancel_all_tasks`` (a private function, present in
    CPython 3.11 to 3.14) for the duration; nested and concurrent watches share the patch.
    Use it in tests only.

    Attributes:
        leaks: what a runner cancelled, oldest first; ``leak.obj`` is the (now
            cancelled) task.
    """

    def __init__(self) -> None:
        self.leaks: list[Leak] = []

    def __enter__(self) -> RunnerCleanupWatch:
        global _original
        mod: Any = asyncio.runners
        with _lock:
            if not _active:
                _original = mod._cancel_all_tasks
                mod._cancel_all_tasks = _recording_cancel_all_tasks
            _active.append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global _original
        mod: Any = asyncio.runners
        with _lock:
            _active.remove(self)
            if not _active:
                mod._cancel_all_tasks = _original
                _original = None


def watch_runner_cleanup() -> RunnerCleanupWatch:
    """Record the tasks ``asyncio.run`` / anyio's runner cancel at close (``with`` it).

    Example::

        with leaks.watch_runner_cleanup() as watch:
            asyncio.run(main())
        assert watch.leaks == [], leaks.format_report(watch.leaks, attempts=1)
    """
    if not hasattr(asyncio.runners, "_cancel_all_tasks"):
        raise RuntimeError(
            "this Python's asyncio.runners has no _cancel_all_tasks to watch; "
            "check with `await afind()` inside the loop instead"
        )
    return RunnerCleanupWatch()
