"""``asyncio.TaskGroup`` spelled with a joinery.task scope, for CPython's own TaskGroup tests.

The mapping: ``TaskGroup()`` makes a ``task.scope()`` (so misuse before entry reaches
joinery's own checks), ``async with`` enters and exits that scope, and
``create_task(coro)`` launches a child that awaits ``coro`` and reports its outcome to a
future, the task-like object the tests read (``result()``, ``exception()``,
``cancelled()``, ``await t``). Every error, cancellation and join is joinery's; the shim
only carries outcomes to where the tests look for them.

Not mapped (raises :class:`NotMappable`): ``name=`` and ``context=`` (joinery.task has no
task names and always runs a child in a copy of the spawner's context), cancelling one
child (a handle has no ``cancel()``), and any other attribute of a task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import Any

from joinery import task
from joinery.peer._record import not_mappable


class ShimTask:
    """The task-like view of one launched child: a future filled in by its wrapper."""

    def __init__(self, coro: Coroutine[Any, Any, Any], live: set[ShimTask]) -> None:
        self._coro = coro
        self._live = live
        self._future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def _run(self) -> None:
        # The child proper, as joinery runs it: its failure or cancellation still
        # propagates to the scope; the future only mirrors it for the test to read.
        self._live.add(self)
        try:
            value = await self._coro
        except asyncio.CancelledError:
            self._future.cancel()
            raise
        except BaseException as exc:
            self._future.set_exception(exc)
            self._future.exception()  # retrieved, as TaskGroup retrieves it
            raise
        else:
            self._future.set_result(value)
        finally:
            self._live.discard(self)

    def result(self) -> Any:
        """The child's value (raises like ``Task.result()``)."""
        return self._future.result()

    def exception(self) -> BaseException | None:
        """The child's exception (raises like ``Task.exception()``)."""
        return self._future.exception()

    def cancelled(self) -> bool:
        """Whether the child ended cancelled."""
        return self._future.cancelled()

    def done(self) -> bool:
        """Whether the child has ended."""
        return self._future.done()

    def cancel(self, msg: Any = None) -> bool:
        """Not mappable: a joinery child is cancelled only with its whole scope."""
        not_mappable("a joinery.task child has no cancel() of its own; only its scope has")

    def __await__(self) -> Generator[Any, None, Any]:
        return self._future.__await__()

    def __getattr__(self, name: str) -> Any:
        not_mappable(f"Task.{name} has no counterpart on a joinery.task child")


class TaskGroup:
    """``asyncio.TaskGroup`` made of one ``task.scope()`` (FAIL_FAST, no limit)."""

    def __init__(self) -> None:
        self._scope = task.scope(name="TaskGroup shim")
        self._tasks: set[ShimTask] = set()  # live children, as their wrappers report
        self._all: list[ShimTask] = []

    async def __aenter__(self) -> TaskGroup:
        await self._scope.__aenter__()
        return self

    async def __aexit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        try:
            return await self._scope.__aexit__(et, exc, tb)
        finally:
            # A child the scope cancelled before its first step never ran its wrapper:
            # asyncio reports such a task as cancelled, and so does the shim.
            for child in self._all:
                if not child.done():
                    child._future.cancel()

    def create_task(
        self, coro: Coroutine[Any, Any, Any], *, name: str | None = None, context: Any = None
    ) -> ShimTask:
        """Launch ``coro`` as a child of the scope; return its task-like view."""
        if name is not None:
            coro.close()
            not_mappable("joinery.task children have no name=: a child is named after its function")
        if context is not None:
            coro.close()
            not_mappable("joinery.task has no context=: a child runs in a copy of the spawner's")
        child = ShimTask(coro, self._tasks)
        self._scope.launch(child._run)
        self._all.append(child)
        return child


class TaskGroupsModule:
    """Stands for ``asyncio.taskgroups`` in the test module: only ``TaskGroup`` differs."""

    TaskGroup = TaskGroup

    def __getattr__(self, name: str) -> Any:
        import asyncio.taskgroups

        return getattr(asyncio.taskgroups, name)
