"""trio's ``open_nursery`` spelled with a joinery.task scope, for trio's own nursery tests.

The mapping: ``open_nursery()`` enters a ``task.scope()`` (FAIL_FAST, no limit);
``nursery.start_soon(fn, *args)`` is ``s.launch(fn, *args)`` (fire-and-forget, still
joined); ``nursery.start(fn, *args)`` is ``await s.start(fn, *args)`` (not mappable on a
joinery.task without it); ``nursery.cancel_scope.cancel()`` is ``s.cancel()`` and
``cancel_called`` is ``s.cancel_called``. Every join, cancellation and error is joinery's.

Not mapped (raises :class:`NotMappable`): ``name=``, ``strict_exception_groups=False``,
``child_tasks``/``parent_task``, a cancel scope's ``deadline``, ``shield`` and
``cancelled_caught``, and any other nursery attribute.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from joinery import task
from joinery.peer._record import not_mappable


class CancelScopeShim:
    """``nursery.cancel_scope``: the scope's own cancel and its flag, nothing more."""

    def __init__(self, scope: task.Scope) -> None:
        self._scope = scope

    def cancel(self, reason: str | None = None) -> None:
        """``s.cancel()``; trio's string reason is not mapped onto a cause object."""
        self._scope.cancel()

    @property
    def cancel_called(self) -> bool:
        """``s.cancel_called``."""
        return self._scope.cancel_called

    def __getattr__(self, name: str) -> Any:
        not_mappable(f"CancelScope.{name} has no counterpart on a joinery.task scope")


class NurseryShim:
    """The nursery object handed to the test: spawning verbs onto one scope."""

    def __init__(self, scope: task.Scope) -> None:
        self._scope = scope
        self.cancel_scope = CancelScopeShim(scope)

    def start_soon(
        self, fn: Callable[..., Awaitable[None]], *args: object, name: object = None
    ) -> None:
        """``s.launch(fn, *args)``."""
        if name is not None:
            not_mappable("joinery.task children have no name=: a child is named after its function")
        self._scope.launch(fn, *args)

    async def start(
        self, fn: Callable[..., Awaitable[object]], *args: object, name: object = None
    ) -> Any:
        """``await s.start(fn, *args)``; not mappable on a joinery.task without it."""
        if name is not None:
            not_mappable("joinery.task children have no name=: a child is named after its function")
        start = getattr(self._scope, "start", None)
        if start is None:
            not_mappable("this joinery.task has no Scope.start()")
        return await start(fn, *args)

    def __getattr__(self, name: str) -> Any:
        not_mappable(f"Nursery.{name} has no counterpart on a joinery.task scope")


class OpenNursery:
    """What ``open_nursery()`` returns: an async context manager around a scope."""

    def __init__(self, strict_exception_groups: bool | None = None) -> None:
        if strict_exception_groups is False:
            not_mappable("a joinery.task scope always groups: no strict_exception_groups=False")
        self._scope: task.Scope | None = None

    async def __aenter__(self) -> NurseryShim:
        self._scope = task.scope(name="nursery shim")
        await self._scope.__aenter__()
        return NurseryShim(self._scope)

    async def __aexit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        assert self._scope is not None, "__aexit__ without __aenter__"
        return await self._scope.__aexit__(et, exc, tb)


class Overlay:
    """A module seen through the shim: ``open_nursery`` replaced, everything else real."""

    def __init__(self, real: object) -> None:
        self._real = real

    @staticmethod
    def open_nursery(strict_exception_groups: bool | None = None) -> OpenNursery:
        """The shim's ``open_nursery``."""
        return OpenNursery(strict_exception_groups)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)
