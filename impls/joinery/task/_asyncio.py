"""The asyncio backend: each child is one ``loop.create_task`` task running :func:`_child`.

No anyio layer and no done callback: ``_child`` awaits the child's coroutine and hands
its outcome to the scope itself, so a child costs one Task, one small coroutine and one
Handle, about what ``asyncio.TaskGroup`` pays (a Task and a bound done callback).
The body's cancellation follows ``asyncio/taskgroups.py`` (3.11): we cancel the task
that entered the scope, and ``uncancel()`` it on exit so only our own request is undone.
"""

from __future__ import annotations

import asyncio
import threading
from asyncio import CancelledError, events
from contextvars import copy_context
from types import TracebackType
from typing import Any

from joinery.task._errors import Cancelled
from joinery.task._handle import CANCELLED, DISCARDED, FAILED, LAUNCHED, OK, RUNNING, Handle
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
        self._sweep_timer: asyncio.TimerHandle | None = None
        self._sweep_after = _FIRST_SWEEP
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
        if self._running:
            self._watch_for_lost_children()
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
        if self._sweep_timer is not None:
            self._sweep_timer.cancel()
        return self._leave(exc, body_error, outer)

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
        h._kind = RUNNING
        self._running += 1
        if CURRENT.get() is self:  # spawned by the body or a sibling: nothing to add
            t = self._loop.create_task(_child(h))
        else:
            ctx = copy_context()
            ctx.run(CURRENT.set, self)
            t = self._loop.create_task(_child(h), context=ctx)
        if not t.done():  # (an eager task factory, 3.12+, may have finished it already)
            h._value = t  # the task, while RUNNING (see Handle)

    def _cancel_backend(self) -> None:
        unstarted: list[Handle[Any]] = []
        for h in self._children:
            if h._kind == RUNNING and (t := h._value) is not None:
                t.cancel()
                if not _started(t):
                    unstarted.append(h)
        for h in unstarted:
            self._unstarted(h)
        if self._state == OPEN and not self._parent_cancel_requested:  # body still running
            self._parent_cancel_requested = True
            self._parent_task.cancel()
        if self._running:
            self._loop.call_soon(self._recancel)

    def _report(self, h: Handle[Any], kind: int, value: Any) -> None:
        # An outcome that may cancel the siblings is applied one step later, as a done
        # callback would be: children spawned in the same step as a failing one still
        # start (as on trio and with TaskGroup), so that two children that fail at once
        # both report, instead of the second being cancelled before it ran.
        h._value = None  # finished: no task to cancel any more
        self._loop.call_soon(self._child_done, h, kind, value)

    def _unstarted(self, h: Handle[Any]) -> None:
        # Cancelled before its first step, the task never runs _child (the cancellation
        # is thrown into it unstarted), so nobody would report the outcome or close the
        # child's coroutine ("never awaited"). Its done callback does both instead:
        # only such children pay for one. (A child task cancelled directly, from outside
        # joinery, before its first step is found by _sweep instead.)
        def done(_: object) -> None:
            h._coro.close()
            self._child_done(h, CANCELLED, None)

        t, h._value = h._value, None  # cancelled, and reported by ``done``: no task to see
        t.add_done_callback(done)

    def _watch_for_lost_children(self) -> None:
        """While something waits for unfinished children, sweep for lost ones now and then."""
        if self._sweep_timer is None:
            self._sweep_timer = self._loop.call_later(self._sweep_after, self._sweep)

    def _sweep(self) -> None:
        # A child's task cancelled directly by code outside joinery before its first
        # step never runs _child, so nobody reports it and its waiters wait for ever:
        #     s.spawn(work).discard()
        #     next(t for t in asyncio.all_tasks() if ...).cancel()   # work() never ran
        # asyncio offers no hook for that short of a done callback per child, which
        # every spawn would pay for; so while someone waits, look now and then, backing
        # off from 10 ms to once a second. A task that is done while its handle is still
        # RUNNING is one of those (any other end goes through _child, which reports).
        self._sweep_timer = None
        waiting = self._exit_waiter is not None
        for h in list(self._children):
            t = h._value
            if h._kind == RUNNING and t is not None and t.done():
                h._value = None
                h._coro.close()  # never started: no "never awaited" warning
                self._child_done(h, CANCELLED, None)
            elif h._waiters is not None:
                waiting = True
        if waiting and self._running:
            self._sweep_after = min(self._sweep_after * 2, _LAST_SWEEP)
            self._watch_for_lost_children()
        else:
            self._sweep_after = _FIRST_SWEEP

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
            t = h._value
            if h._kind != RUNNING or t is None or t.done() or getattr(t, "_must_cancel", True):
                continue
            waiter = getattr(t, "_fut_waiter", None)
            if waiter is not None and not waiter.done():
                t.cancel()
        self._loop.call_soon(self._recancel)

    async def _wait_done(self, h: Handle[Any]) -> None:
        self._watch_for_lost_children()
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


_FIRST_SWEEP, _LAST_SWEEP = 0.01, 1.0
"""Seconds between two sweeps for lost children: the first, and the most (it doubles)."""


def _started(t: asyncio.Task[Any]) -> bool:
    """Whether ``t``'s :func:`_child` has begun (only then does it report its outcome)."""
    c: Any = t.get_coro()
    return c.cr_suspended or c.cr_running  # type: ignore[no-any-return]


async def _child(h: Handle[Any]) -> None:
    # The child's task runs this, not the child's coroutine: it hands the outcome to the
    # scope itself (cheaper than a done callback), and it keeps KeyboardInterrupt and
    # SystemExit in: asyncio would re-raise them out of the child's step, hence out of
    # the loop, with the siblings still running. The scope cancels and joins them first,
    # then re-raises it bare (as the body's own KeyboardInterrupt would be). Few locals:
    # this frame lives as long as the child.
    try:
        value = await h._coro
    except CancelledError:
        h._scope._report(h, CANCELLED, None)  # type: ignore[attr-defined]
        raise
    except BaseException as exc:
        h._scope._report(h, FAILED, exc)  # type: ignore[attr-defined]
    else:
        if h._scope._race or (value is not None and h._use == LAUNCHED):
            h._scope._report(h, OK, value)  # type: ignore[attr-defined]
        elif h._waiters is not None or h._scope._queue or h._scope._running == 1:
            h._scope._child_done(h, OK, value)  # cancels nothing: no need to wait
        else:
            # Scope._child_done inlined for the common case (nobody to wake, nothing
            # to start, not the last child): a call less per child, ~1% of a spawn.
            h._scope._running -= 1
            h._kind = OK
            h._value = value
            if h._use >= DISCARDED:
                del h._scope._children[h]
