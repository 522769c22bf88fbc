"""The trio backend: children run in a nursery through ``start_soon`` and a thin wrapper.

The nursery does the joining and the cancelling; the wrapper only records each child's
outcome in its handle, so the nursery itself never sees a child's exception and the
scope decides what to raise. Trio's ``Cancelled.reason`` is a string, so the cause
*object* is kept by the scope; the deadline is trio's own, noticed lazily.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import Context, copy_context
from functools import partial
from types import CodeType, CoroutineType, TracebackType
from typing import Any, TypeVarTuple, Unpack

import trio

from joinery.task._calls import coroutine_or_error, not_a_function, runs_no_code, strip_wrapper
from joinery.task._errors import Cancelled
from joinery.task._handle import (
    CANCELLED,
    FAILED,
    OK,
    Handle,
    site_of,
)
from joinery.task._scope import CURRENT, Scope

PosArgsT = TypeVarTuple("PosArgsT")


class TrioScope(Scope):
    """A :class:`Scope` on trio."""

    _nursery: trio.Nursery

    async def __aenter__(self) -> TrioScope:
        self._check_new()
        self._thread = threading.get_ident()
        self._enter_common(
            trio.lowlevel.current_task(),
            trio.lowlevel.current_trio_token(),
            threading.get_ident,
            self._thread,
        )
        self._shield_scope: trio.CancelScope | None = None
        if self._shield:
            self._shield_scope = trio.CancelScope(shield=True)
            self._shield_scope.__enter__()
        # Launched children without a handle, by coroutine: their sites, for tree().
        self._launch_sites: dict[Coroutine[Any, Any, Any], tuple[CodeType, int]] = {}
        self._manager = trio.open_nursery(strict_exception_groups=True)
        self._nursery = await self._manager.__aenter__()
        if self._cancel_called:  # cancelled before entry: the body's first checkpoint
            self._cancel_backend()
        self._set_deadline(trio.current_time())
        if self._deadline is not None:
            self._nursery.cancel_scope.deadline = self._deadline
        # launch() needs no handle unless a child's end must be acted on at once: a
        # slot to free (limit), a winner to pick (race), a deadline to notice, or an
        # enclosing scope's cancellation to inherit.
        self._plain = (
            self._limit is None
            and not self._race
            and self._deadline is None
            and self._parent is None  # (a nested scope checks its enclosing ones)
        )
        return self

    async def __aexit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self._check_exiting_task(trio.lowlevel.current_task() is self._owner)
        self._poll_deadline()  # a deadline that passed is the cause, not the body's end
        self._begin_exit(stop_services=False)
        body_error: BaseException | None = None
        to_trio: BaseException | None = None  # cancellations are trio's business
        if exc is not None:
            to_trio, body_error = _split_cancelled(exc)
            if to_trio is not None and not self._cancel_called:
                self._cancel(None)  # from outside: first, so services read it as the cause
            if (isinstance(body_error, Cancelled) and self._cancel_called) or self._own_refusal(
                body_error
            ):
                body_error = None  # the body awaited a child we cancelled
        self._stop_services()  # (between the two: as on asyncio)
        if body_error is not None:
            self._cancel(body_error)
        raised: BaseException | None
        try:
            if to_trio is None:
                suppressed = await self._manager.__aexit__(None, None, None)
            else:
                suppressed = await self._manager.__aexit__(
                    type(to_trio), to_trio, to_trio.__traceback__
                )
            raised = None if suppressed else to_trio
        except BaseException as e:  # an enclosing scope's cancellation, or a KeyboardInterrupt
            raised = e
            if e is not to_trio:
                # The body's own errors while it waited for the children (a
                # KeyboardInterrupt delivered to it): the body's, not trio's, and bare.
                cancelled, rest = _split_cancelled(e)
                if rest is not None:
                    for leaf in _leaves(rest):
                        if body_error is None:
                            body_error = leaf
                        self._cancel(leaf)
                    raised = cancelled
            if isinstance(raised, BaseExceptionGroup):
                # The strict nursery wraps an enclosing cancellation in a group; passed
                # on like that, `except trio.Cancelled` around this scope would miss it
                # and an enclosing child would "fail" with it. Raise one Cancelled.
                leaves = _leaves(raised)
                raised = to_trio if any(leaf is to_trio for leaf in leaves) else leaves[0]
        if raised is None and not self._shield and trio.current_effective_deadline() == -math.inf:
            # An enclosing cancellation reached the scope while it joined children that
            # swallowed it: the nursery absorbed it. It propagates, as on asyncio:
            #     with move_on_after(0.5): async with scope() as s: s.spawn(swallows)
            try:
                await trio.lowlevel.checkpoint()
            except trio.Cancelled as c:
                raised = c
        if self._shield_scope is not None:
            self._shield_scope.__exit__(None, None, None)
        self._poll_deadline()
        if to_trio is not None or self._nursery.cancel_scope.cancelled_caught:
            self._body_interrupted()
        return self._leave(exc, body_error, raised)

    def _check_thread(self, what: str, fix: str) -> None:
        if threading.get_ident() != self._thread:
            raise RuntimeError(
                f"{what}() of the scope opened at {self._site} called from thread "
                f"{threading.current_thread().name!r}, but it belongs to the trio run in "
                f"another thread: {fix}"
            )

    def _call_soon_threadsafe(self, fn: Callable[[BaseException], None], arg: Any) -> None:
        token: Any = self._key
        token.run_sync_soon(fn, arg)

    def _check_caller(self) -> None:
        if threading.get_ident() != self._thread:
            raise RuntimeError(
                f"spawn into the scope opened at {self._site} from thread "
                f"{threading.current_thread().name!r}, but it belongs to the trio run in "
                "another thread: hand the work over with trio.from_thread.run()"
            )

    _child_context = True  # trio calls fn(*args) in the child's context: so do we

    def _start(self, h: Handle[Any], ctx: Context | None) -> None:
        if ctx is not None:
            # start_soon copies the current context: run it in ``ctx``, so that the
            # child runs in a copy of the context ``fn(*args)`` was called in.
            ctx.run(self._start, h, None)
            return
        # Name the trio task after the child's function: more useful than the wrapper's
        # name, and an existing string (trio would format a new one for every task).
        name = getattr(h._coro, "__qualname__", None) or h.name
        # trio runs the child in a copy of the spawner's context: if that is this
        # scope's body or a sibling, CURRENT is already this scope (the usual case).
        if CURRENT.get() is self:
            self._nursery.start_soon(_run_child, h, name=name)
        else:
            self._nursery.start_soon(_run_child_here, h, name=name)

    def launch(self, fn: Callable[[Unpack[PosArgsT]], Awaitable[None]], *args: *PosArgsT) -> None:
        frame = sys._getframe(1)
        # The fast path (see Scope.launch): on a plain scope, from its own thread and
        # from its body or a child (CURRENT is already this scope in the child's copy of
        # the context), the nursery does all the bookkeeping; only a failure comes back.
        if (
            self._accepting
            and self._plain
            and self._where() == self._here
            and CURRENT.get() is self
        ):
            # The child's context is made here if fn is a factory (see Scope.spawn).
            ctx = None if runs_no_code(fn) else copy_context()
            try:  # _coroutine_of, inlined as in Scope.spawn: a call less per child
                coro = fn(*args) if ctx is None else ctx.run(fn, *args)
            except TypeError:
                not_a_function(fn, "launch")
                raise
            if type(coro) is CoroutineType:
                name = coro.__qualname__  # an existing string: trio would format one
            else:
                coro = coroutine_or_error(fn, coro, "launch")
                name = getattr(coro, "__qualname__", type(coro).__name__)
            site = (frame.f_code, frame.f_lasti)
            self._launch_sites[coro] = site  # for tree(); the wrapper takes it out
            if ctx is None:
                self._nursery.start_soon(_run_launched, self, coro, site, name=name)
            else:
                ctx.run(
                    partial(self._nursery.start_soon, name=name), _run_launched, self, coro, site
                )
        else:
            self._launch_handle(frame.f_code, frame.f_lasti, fn, args)

    launch.__doc__ = Scope.launch.__doc__

    def _launched_ended(
        self,
        coro: Coroutine[Any, Any, Any],
        code: CodeType,
        lasti: int,
        error: BaseException | None,
        value: object,
    ) -> None:
        """A child launched without a handle failed, or returned a value: record it here.

        Only these outcomes concern the scope, so only they pay for a handle, made now.
        """
        h = self._late_handle(coro, code, lasti)
        if error is None:
            self._child_done(h, OK, value)
        else:
            self._child_raised(h, error)

    def _live_tasks(self) -> tuple[dict[Handle[Any], object], list[tuple[str, object]]]:
        # A wrapper suspended in ``await coro`` shows the child's coroutine as its
        # coroutine's ``cr_await``: that maps trio's tasks to our children at tree()
        # time, so a child pays nothing for it (a ContextVar per child cost 30%).
        by_coro: dict[object, object] = {t.coro.cr_await: t for t in self._nursery.child_tasks}
        for c in [*(h._coro for h in self._children), *self._launch_sites]:
            if getattr(c, "cr_running", False):  # the child calling tree() right now
                by_coro[c] = trio.lowlevel.current_task()
        tasks = {h: by_coro.get(h._coro) for h in self._children}
        launched: list[tuple[str, object]] = [
            (f"{_name_of(c)}() launched at {site_of(*site)} [running]", by_coro.get(c))
            for c, site in list(self._launch_sites.items())
        ]
        return {h: t for h, t in tasks.items() if t is not None}, launched

    def _child_raised(self, h: Handle[Any], e: BaseException) -> None:
        cancelled, error = _split_cancelled(e)
        if error is None:
            self._poll_deadline()
            if not self._cancel_called:
                # Cancelled by trio, not by us: an enclosing cancel scope. The scope is
                # cancelled from outside too, so its queued children never start:
                #     with trio.move_on_after(5): async with task.scope(limit=1) ...
                self._cancel(None)
            self._child_done(h, CANCELLED, None)
        else:
            self._poll_deadline()  # an expired deadline is the cause, not this failure
            self._child_done(h, FAILED, strip_wrapper(error))
        if cancelled is None:
            return
        # Re-raised from here, the Cancelled's traceback holds this frame, whose locals
        # hold the Cancelled: a cycle that would keep the child's locals alive until the
        # next gc.collect(). Drop them on the way out.
        try:
            if cancelled is e:
                raise e
            raise cancelled from None
        finally:
            del e, cancelled, error

    def _cancel_backend(self) -> None:
        self._nursery.cancel_scope.cancel(reason=_safe_repr(self._cause))

    async def _wait_done(self, h: Handle[Any]) -> None:
        if h._waiters is None:
            h._waiters = trio.Event()
        await h._waiters.wait()

    def _wake(self, h: Handle[Any]) -> None:
        h._waiters.set()
        h._waiters = None

    def _now(self) -> float:
        return trio.current_time()


def _safe_repr(cause: object) -> str:
    try:
        return repr(cause)
    except Exception:  # a cause with a broken __repr__ must not break the cancel
        return f"<{type(cause).__name__} object (repr failed)>"


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for e in exc.exceptions for leaf in _leaves(e)]
    return [exc]


def _split_cancelled(
    exc: BaseException,
) -> tuple[BaseException | None, BaseException | None]:
    """Split ``exc`` into (trio cancellations, everything else); either may be None."""
    if isinstance(exc, trio.Cancelled):
        return exc, None
    if isinstance(exc, BaseExceptionGroup):
        return exc.split(trio.Cancelled)
    return None, exc


async def _run_launched(
    scope: TrioScope, coro: Coroutine[Any, Any, Any], site: tuple[CodeType, int]
) -> None:
    # A launched child (no handle): only a failure or a returned value concerns the
    # scope. A plain cancellation is the nursery's business alone.
    if scope._cancel_called:  # (a plain scope: no deadline to poll)
        del scope._launch_sites[coro]
        coro.close()  # cancelled before its first step: never runs (semantics rule 3)
        return
    try:
        value = await coro
    except trio.Cancelled:
        del scope._launch_sites[coro]
        raise
    except BaseException as e:
        del scope._launch_sites[coro]
        scope._launched_ended(coro, *site, e, None)  # (stripped there)
    else:
        del scope._launch_sites[coro]
        if value is not None:
            scope._launched_ended(coro, *site, None, value)


async def _run_child_here(h: Handle[Any]) -> None:
    # Spawned from elsewhere (another scope's child, say): make this scope the current
    # one for the child, for task.cause().
    CURRENT.set(h._scope)
    await _run_child(h)


async def _run_child(h: Handle[Any]) -> None:
    # Few locals: this frame lives as long as the child.
    # (Not trio.current_effective_deadline(): 3.7 µs, a tenth of a child's cost. A
    # cancellation from outside reaches the scope through its body or a child's
    # Cancelled, see _child_raised; children started before that run as on asyncio.)
    if h._scope._first_step_refused(h):  # cancelled before its first step (rule 3)
        return
    try:
        value = await h._coro
    except BaseException as e:
        h._scope._child_raised(h, e)
    else:
        h._scope._child_returned(h, value)


def _name_of(coro: object) -> str:
    return getattr(coro, "__qualname__", type(coro).__name__)
