"""The asyncio backend: each child is one ``loop.create_task`` task running :func:`_child`.

No anyio layer and no done callback: ``_child`` awaits the child's coroutine and hands
its outcome to the scope itself, so a child costs one Task, one small coroutine and one
Handle, about what ``asyncio.TaskGroup`` pays (a Task and a bound done callback).
The body's cancellation follows ``asyncio/taskgroups.py`` (3.11): we cancel the task
that entered the scope, and ``uncancel()`` it on exit so only our own request is undone.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from asyncio import CancelledError, events
from collections.abc import Callable
from contextvars import Context, copy_context
from types import TracebackType
from typing import Any

from joinery.task._calls import strip_wrapper
from joinery.task._errors import Cancelled
from joinery.task._handle import CANCELLED, FAILED, RUNNING, Handle
from joinery.task._scope import CURRENT, Scope


class AsyncioScope(Scope):
    """A :class:`Scope` on asyncio."""

    _loop: asyncio.AbstractEventLoop
    _parent_task: asyncio.Task[Any]

    async def __aenter__(self) -> AsyncioScope:
        loop = events.get_running_loop()
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("task.scope() must be entered inside an asyncio task")
        self._check_new()  # before touching anything: a re-entry must leave us intact
        self._loop = loop
        self._parent_task = task
        self._thread = threading.get_ident()
        self._body_cancels = 0  # our Task.cancel() calls on the body, undone on exit
        self._cancelling_on_entry = task.cancelling()  # requests that predate us
        self._check_scheduled = False
        self._exit_waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.Handle | None = None
        self._sweep_timer: asyncio.TimerHandle | None = None
        self._sweep_after = _FIRST_SWEEP
        self._enter_common(task, loop, events._get_running_loop, loop)
        if self._shield:
            SHIELDS.setdefault(task, []).append(self)
        if self._cancel_called:  # cancelled before entry: the body's first checkpoint
            self._deliver()
        self._set_deadline(loop.time())
        if self._deadline is not None:
            if self._deadline <= loop.time():
                # timeout=0: the body's first checkpoint is cancelled, as on trio (a
                # call_at timer would run a step late), but the deadline is read lazily
                # until then, as trio reads it: a cancel() before that wins:
                #     async with scope(timeout=0) as s: s.cancel(); s.spawn(f)  # quiet
                self._timer = loop.call_soon(self._fire_deadline)
            else:
                self._timer = loop.call_at(self._deadline, self._fire_deadline)
        return self

    async def __aexit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        task = self._parent_task
        self._check_exiting_task(asyncio.current_task(self._loop) is task)
        self._poll_deadline()  # a deadline that passed is the cause, not the body's end
        self._begin_exit(stop_services=False)  # from now on the body is never cancelled by us
        outer: BaseException | None = None  # a cancellation that is not ours: re-raise it
        body_error: BaseException | None = None
        for _ in range(self._body_cancels):
            task.uncancel()
        self._body_cancels = 0
        if isinstance(exc, asyncio.CancelledError):
            self._body_interrupted()
            if not self._cancel_called or task.cancelling() > 0:
                outer = exc
        elif (isinstance(exc, Cancelled) and self._cancel_called) or self._own_refusal(exc):
            pass  # the body awaited a child we cancelled: part of our own cancellation
        elif exc is not None:
            body_error = exc
        if outer is None and exc is None and task.cancelling() > self._cancelling_on_entry:
            # A cancellation from outside reached the body, which swallowed it. Level-
            # triggered (trio's exit checkpoint re-raises it), so it propagates from here:
            #     async with asyncio.timeout(1): async with scope(): await swallows()
            self._body_interrupted()
            outer = CancelledError()
        if outer is not None:
            self._cancel(None)
        # Services are stopped after an outside cancel is recorded and before the body's
        # error cancels: each reads the cancel that came first as its cause.
        self._stop_services()
        if body_error is not None:
            self._cancel(body_error)
        if self._running:
            self._watch_for_lost_children()
        yielded = False
        while self._running or not yielded:
            # The exit is a schedule point even with no child left, as trio's nursery
            # exit is: a sibling spawned before a nested scope runs before the body goes
            # on, on both backends (spawn(a); async with scope(): pass; s.cancel()).
            yielded = True
            self._exit_waiter = self._loop.create_future()
            if not self._running:
                self._loop.call_soon(_set_none, self._exit_waiter)
            try:
                await self._exit_waiter
            except asyncio.CancelledError as e:
                # Cancelled while joining: not by us (we leave an exiting body alone),
                # so from outside: cancel everything and re-raise it at the end.
                outer = e
                self._cancel(None)
            self._exit_waiter = None
        if self._timer is not None:
            self._timer.cancel()
        if self._sweep_timer is not None:
            self._sweep_timer.cancel()
        if self._shield:
            stack = SHIELDS[task]
            stack.remove(self)
            if not stack:
                del SHIELDS[task]
            self._poke_enclosing()
        try:
            return self._leave(exc, body_error, outer)
        except BaseException as raised:
            # A cancellation from outside lost to the failures we raise: re-arm it, so
            # the caller's next await is cancelled (3.13's TaskGroup does the same,
            # gh-116720). Only from 3.13: before, uncancel() cannot withdraw a re-armed
            # request, so an asyncio.timeout or anyio scope that cancelled us and is
            # exited by our group would leak it into the code after it:
            #     with anyio.CancelScope() as cs: cs.cancel(); async with scope(): 1/0
            #     await anything()   # <- cancelled by the leak on 3.11
            if _REARM and not isinstance(raised, CancelledError) and task.cancelling() > 0:
                task.uncancel()
                task.cancel()
            raise

    def _now(self) -> float:
        return self._loop.time()

    def _check_thread(self, what: str, fix: str) -> None:
        if threading.get_ident() != self._thread:
            raise RuntimeError(
                f"{what}() of the scope opened at {self._site} called from thread "
                f"{threading.current_thread().name!r}; it runs on {self._loop!r}: {fix}"
            )

    def _call_soon_threadsafe(self, fn: Callable[[BaseException], None], arg: Any) -> None:
        self._loop.call_soon_threadsafe(fn, arg)

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

    def _start(self, h: Handle[Any], ctx: Context | None) -> None:
        # The child sees the spawner's context variables, as create_task() gives it,
        # with this scope as the current one (for task.cause()).
        if ctx is None and CURRENT.get() is self:  # spawned by the body or a sibling
            t = self._loop.create_task(_child(h))
        else:
            if ctx is None:
                ctx = copy_context()
            if ctx.get(CURRENT) is not self:
                ctx.run(CURRENT.set, self)
            t = self._loop.create_task(_child(h), context=ctx)
        if not t.done():  # (an eager task factory, 3.12+, may have finished it already)
            h._value = t  # the task, while RUNNING (see Handle)

    def _cancel_backend(self) -> None:
        self._deliver()

    def _poke(self) -> None:
        """Look at the tasks again soon (a shield inside this cancelled scope was left)."""
        if self._cancel_called and not self._exited() and not self._check_scheduled:
            self._check_scheduled = True
            self._loop.call_soon(self._recheck)

    def _recheck(self) -> None:
        self._check_scheduled = False
        if not self._exited():
            self._deliver()

    def _deliver(self) -> None:
        # Level-triggered cancellation, trio's model, without polling: every suspended
        # task of the scope is cancelled now (a task woken in this same instant too, as
        # trio's sleeps are); a task that swallows its CancelledError and waits again is
        # found at the next look, one step later, and cancelled again:
        #     except CancelledError: pass
        #     await next_job()             # <- cancelled again here, as on trio
        # Looks go on only while some task has a cancellation on its way; a task whose
        # cancel() was refused (its future cannot be cancelled) is looked at when that
        # future completes; a task inside a shielded scope when the shield is left.
        again = False
        for h in self._children:
            t = h._value if h._kind == RUNNING else None
            if t is not None and self._hit(t, False):
                again = True
        if self._body_open() and self._hit(self._parent_task, True):
            again = True
        if again and not self._check_scheduled:
            self._check_scheduled = True
            self._loop.call_soon(self._recheck)

    def _hit(self, t: asyncio.Task[Any], body: bool) -> bool:
        """Cancel ``t`` if it is suspended; return whether to look at it again next step."""
        if t.done() or self._shielded_below(t):
            return False
        if asyncio.current_task(self._loop) is t:
            return True  # running now (it called cancel(), or failed): look next step
        if not body and not _started(t):
            return False  # never started: _child closes it unrun (rule 3)
        waiter: Any = getattr(t, "_fut_waiter", None)
        if getattr(t, "_must_cancel", False):
            if waiter is not None and not waiter.done():  # refused: look when it is done
                waiter.add_done_callback(lambda _: self._poke())
                return False
            return True  # it gets its CancelledError at its next step
        if waiter is not None and waiter.cancelled():
            return True  # our cancellation is on its way
        if body:
            self._body_cancels += 1
        t.cancel()
        return True

    def _shielded_below(self, t: asyncio.Task[Any]) -> bool:
        """Whether ``t`` is inside a shielded scope nested in this one."""
        stack = SHIELDS.get(t)
        if not stack or stack[-1] is self:
            return False
        s: Scope | None = stack[-1]
        while s is not None and s is not self:
            s = s._parent
        return s is self

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


_REARM = sys.version_info >= (3, 13)
"""Whether uncancel() also withdraws a pending request (see AsyncioScope.__aexit__)."""

SHIELDS: dict[asyncio.Task[Any], list[Scope]] = {}
"""The shielded scopes each task is in, innermost last (see AsyncioScope._shielded_below)."""

_FIRST_SWEEP, _LAST_SWEEP = 0.01, 1.0
"""Seconds between two sweeps for lost children: the first, and the most (it doubles)."""


def _set_none(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _started(t: asyncio.Task[Any]) -> bool:
    """Whether ``t``'s :func:`_child` has begun (only then does it report its outcome)."""
    c: Any = t.get_coro()
    return bool(c.cr_suspended or c.cr_running)


async def _child(h: Handle[Any]) -> None:
    # The child's task runs this, not the child's coroutine: it hands the outcome to the
    # scope itself (cheaper than a done callback), and it keeps KeyboardInterrupt and
    # SystemExit in: asyncio would re-raise them out of the child's step, hence out of
    # the loop, with the siblings still running. The scope cancels and joins them first,
    # then re-raises it bare (as the body's own KeyboardInterrupt would be). Few locals:
    # this frame lives as long as the child.
    if h._scope._first_step_refused(h):  # cancelled before its first step (rule 3)
        return
    try:
        value = await h._coro
    except CancelledError:
        h._scope._child_ended(h, CANCELLED, None)
        raise
    except BaseException as exc:
        h._scope._child_ended(h, FAILED, strip_wrapper(exc))
    else:
        h._scope._child_returned(h, value)
