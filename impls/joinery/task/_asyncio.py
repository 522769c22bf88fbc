"""The asyncio backend: children are plain ``loop.create_task`` tasks with a done callback.

No wrapper coroutine and no anyio layer: a child costs one Task, one Handle and one bound
method, about what ``asyncio.TaskGroup`` pays, so the linear API stays near its speed.
The body's cancellation follows ``asyncio/taskgroups.py`` (3.11): we cancel the task
that entered the scope, and ``uncancel()`` it on exit so only our own request is undone.
"""

from __future__ import annotations

import asyncio
import threading
from asyncio import events
from collections.abc import Coroutine
from contextvars import copy_context
from types import TracebackType
from typing import Any

from joinery.task._errors import Cancelled
from joinery.task._handle import CANCELLED, FAILED, OK, RUNNING, Handle
from joinery.task._scope import CURRENT, OPEN, Scope


class AsyncioScope(Scope):
    """A :class:`Scope` on asyncio."""

    _loop: asyncio.AbstractEventLoop
    _parent_task: asyncio.Task[Any]

    async def __aenter__(self) -> AsyncioScope:
        loop = events.get_running_loop()
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("task.scope() must be entered inside an asyncio task")
        self._loop = loop
        self._parent_task = task
        self._thread = threading.get_ident()
        self._parent_cancel_requested = False
        self._exit_waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._handle_type = _AsyncioHandle
        self._where, self._here = events._get_running_loop, loop
        self._enter_common(task, loop)
        self._set_deadline(loop.time())
        if self._deadline is not None:
            self._timer = loop.call_at(self._deadline, self._fire_deadline)
        return self

    async def __aexit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self._begin_exit()
        task = self._parent_task
        outer: BaseException | None = None  # a cancellation that is not ours: re-raise it
        body_error: BaseException | None = None
        if self._parent_cancel_requested:
            task.uncancel()
        if isinstance(exc, asyncio.CancelledError):
            if not self._parent_cancel_requested or task.cancelling() > 0:
                outer = exc
        elif isinstance(exc, Cancelled) and self._cancel_called:
            pass  # the body awaited a child we cancelled: part of our own cancellation
        elif exc is not None:
            body_error = exc
            self._cancel(exc)
        if outer is not None:
            self._cancel(None)
        while self._running:
            self._exit_waiter = self._loop.create_future()
            try:
                await self._exit_waiter
            except asyncio.CancelledError as e:
                # Cancelled while joining. If only our own stale request is pending
                # (the body never awaited after we cancelled it), ignore it; else it
                # comes from outside: cancel everything and re-raise it at the end.
                if task.cancelling() > 0:
                    outer = e
                    self._cancel(None)
            self._exit_waiter = None
        if self._parent_cancel_requested and outer is None and task.cancelling() == 0:
            # We cancelled the body but it never awaited since (say it called
            # s.cancel() and left): on 3.11 the request is still pending in the task
            # and would hit the caller's next await. Take it here.
            try:
                await asyncio.sleep(0)
            except asyncio.CancelledError:
                if task.cancelling() > 0:
                    outer = asyncio.CancelledError()
        if self._timer is not None:
            self._timer.cancel()
        if outer is not None and self._cause is None and self._parent is not None:
            self._cause = self._parent.cause
        error = self._finish(body_error, et is None)
        if error is not None:
            if error is exc:
                return False  # re-raised as it came, with its own traceback
            raise error from None
        if outer is not None:
            if outer is exc:
                return False
            raise outer
        return True

    def _check_caller(self) -> None:
        loop = events._get_running_loop()
        if loop is not self._loop:
            if threading.get_ident() != self._thread:
                where = f"thread {threading.current_thread().name!r}"
                fix = "hand the work over with loop.call_soon_threadsafe()"
            else:
                where = f"another event loop ({loop!r})"
                fix = "a scope belongs to the loop that entered it"
            raise RuntimeError(
                f"spawn into the scope opened at {self._site} from {where}; it runs on "
                f"{self._loop!r}: {fix}"
            )

    def _start(self, h: Handle[Any]) -> None:
        # The child sees the spawner's context variables, as create_task() gives it,
        # with this scope as the current one (for task.cause()).
        if CURRENT.get() is self:  # spawned by the body or a sibling: nothing to add
            t = self._loop.create_task(_guard(h._coro))
        else:
            ctx = copy_context()
            ctx.run(CURRENT.set, self)
            t = self._loop.create_task(_guard(h._coro), context=ctx)
        h._task = t
        h._kind = RUNNING
        self._running += 1
        t.add_done_callback(h._on_done)  # type: ignore[attr-defined]

    def _cancel_backend(self) -> None:
        for h in self._children:
            t = h._task
            if t is not None:
                t.cancel()
        if self._state == OPEN and not self._parent_cancel_requested:  # body still running
            self._parent_cancel_requested = True
            self._parent_task.cancel()
        if self._running:
            self._loop.call_soon(self._recancel)

    def _recancel(self) -> None:
        # asyncio delivers a cancellation once; trio's is level-triggered. A child that
        # swallows its CancelledError and awaits again would hold the scope open for ever:
        #     except CancelledError: pass
        #     await next_job()           # <- cancelled again here, as on trio
        # So while the scope is cancelled, a child found blocked again, with no
        # cancellation pending, is cancelled again (Task._fut_waiter and _must_cancel
        # exist on the C and Python tasks of 3.11 to 3.14).
        if not self._running:
            return
        for h in self._children:
            t = h._task
            if t is None or t.done() or getattr(t, "_must_cancel", True):
                continue
            waiter = getattr(t, "_fut_waiter", None)
            if waiter is not None and not waiter.done():
                t.cancel()
        self._loop.call_soon(self._recancel)

    async def _wait_done(self, h: Handle[Any]) -> None:
        fut = self._loop.create_future()
        if h._waiters is None:
            h._waiters = [fut]
        else:
            h._waiters.append(fut)
        await fut

    def _wake(self, h: Handle[Any]) -> None:
        for fut in h._waiters:
            if not fut.done():
                fut.set_result(None)
        h._waiters = None

    def _all_done(self) -> None:
        if self._exit_waiter is not None and not self._exit_waiter.done():
            self._exit_waiter.set_result(None)


class _AsyncioHandle(Handle[Any]):
    """A handle whose bound ``_on_done`` is the child task's done callback."""

    __slots__ = ()

    def _on_done(self, t: asyncio.Task[Any]) -> None:
        if t.cancelled():
            self._scope._child_done(self, CANCELLED, None)
            return
        exc = t.exception()
        if exc is not None:
            self._scope._child_done(self, FAILED, exc)
            return
        value = t.result()
        if type(value) is _Interrupted:
            self._scope._child_done(self, FAILED, value.exc)
        else:
            self._scope._child_done(self, OK, value)


class _Interrupted:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


async def _guard(coro: Coroutine[Any, Any, Any]) -> Any:
    # asyncio re-raises KeyboardInterrupt and SystemExit out of the child's step, hence
    # out of the loop, with the siblings still running. Caught here, the scope cancels
    # and joins them first, then re-raises it bare (as the body's own KI would be).
    try:
        return await coro
    except (KeyboardInterrupt, SystemExit) as exc:
        return _Interrupted(exc)
