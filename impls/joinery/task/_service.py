"""Services: long-lived children (Task 8's daemon) with a join-able ``stop()``.

errgroup does not fit daemons (the seed says so): a daemon must be stopped, not awaited.
A service is still a child of its scope, so it has an owner that joins it; it only
adds a way to stop it early and wait until it has really exited.
"""

from __future__ import annotations

import contextlib
from collections.abc import Coroutine, Generator
from types import CodeType
from typing import TYPE_CHECKING, Any

from joinery.task._calls import coroutine_of
from joinery.task._errors import Cancelled, CancelRequested
from joinery.task._handle import DISCARDED, PENDING, Handle

if TYPE_CHECKING:
    from joinery.task._scope import Scope


class Service:
    """A daemon child owned by a scope (see :meth:`Scope.service`).

    Do not use a service for work whose *result* you need: spawn it and await the handle.
    """

    def __init__(
        self, owner: Scope, fn: Any, args: tuple[Any, ...], code: CodeType, lasti: int
    ) -> None:
        coro = coroutine_of(fn, args, "service")
        self._owner = owner
        self._inner: Scope | None = None
        self._stopping = False
        self.name: str = getattr(fn, "__qualname__", repr(fn))
        """The service function's name."""
        self._handle: Handle[None] = owner._handle_type(
            owner, _Both(self._run(coro), coro), code, lasti
        )
        owner._admit_service(self._handle)
        owner._services.append(self)

    @property
    def site(self) -> str:
        """Where the service was started, as ``file:line``."""
        return self._handle.site

    @property
    def running(self) -> bool:
        """Whether the service has not exited yet."""
        return not self._handle.done

    async def stop(self) -> None:
        """Stop the service and return only after it has exited. Idempotent.

        Raises:
            Exception: the failure the service ended with, if any (raised by the first
                ``stop()`` only; the scope also reports it as its policy says).
        """
        self._request_stop()
        h = self._handle
        if h._use == PENDING:
            with contextlib.suppress(Cancelled):  # cancelled by its scope: exited all the same
                await h
        elif not h.done:
            await self._owner._wait_done(h)

    async def _run(self, coro: Coroutine[Any, Any, object]) -> None:
        if self._stopping:
            coro.close()
            return
        # A private scope, only so that stop() can cancel this one child with a cause.
        async with type(self._owner)(
            name=f"service {self.name}", site=self.site, bare=True
        ) as inner:
            self._inner = inner
            await coro

    def _request_stop(self) -> None:
        if not self._stopping:
            self._stopping = True
            if self._inner is not None:
                self._inner.cancel(CancelRequested(f"service {self.name} stopped by stop()"))

    def _owner_exiting(self) -> None:
        """The owner's body ended: stop the service; nobody will consume its handle now."""
        if not self._owner.cancel_called:
            # Stopped because the body is done. A cancelled owner cancels the service
            # itself: its cause (a deadline, a failure) is the one the service must see,
            # whichever of the body and the service trio happens to run first.
            self._request_stop()
        else:
            self._stopping = True
        h = self._handle
        if h._use == PENDING:
            h._use = DISCARDED
            if h.done:
                self._owner._release(h)

    def __repr__(self) -> str:
        state = "running" if self.running else "exited"
        return f"<task.Service {self.name} started at {self.site} [{state}]>"


class _Both(Coroutine[Any, Any, None]):
    """The service's wrapper coroutine, closing the service's own coroutine with it.

    A service cancelled before its first step is closed unrun; closing only the wrapper
    would leave the user's coroutine "never awaited"::

        s.service(daemon); s.cancel()   # daemon() must be closed too
    """

    def __init__(
        self, outer: Coroutine[Any, Any, None], inner: Coroutine[Any, Any, object]
    ) -> None:
        self._outer = outer
        self._inner = inner
        self.__qualname__ = getattr(inner, "__qualname__", "service")

    def __await__(self) -> Generator[Any, None, None]:
        return self._outer.__await__()

    def send(self, value: Any) -> Any:
        return self._outer.send(value)

    def throw(self, *args: Any) -> Any:
        return self._outer.throw(*args)

    def close(self) -> None:
        self._outer.close()
        self._inner.close()
