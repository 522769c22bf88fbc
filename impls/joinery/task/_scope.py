"""The scope, built once on top of a small backend interface.

Everything a user sees of a scope (spawning, linear handles, policies, the bound, the
cause, the exit report) lives here, once. A backend (:mod:`._asyncio`, :mod:`._trio`)
only supplies how to start a child, cancel, wait and join: the six hooks at the end.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import Context, ContextVar, Token, copy_context
from functools import partial
from types import CodeType, CoroutineType, TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, TypeVarTuple, Unpack

from joinery.task._calls import coroutine_of, coroutine_or_error, not_a_function, runs_no_code
from joinery.task._errors import (
    Cancelled,
    CancelRequested,
    DeadlineExceeded,
    LinearityError,
    ScopeClosedError,
    Superseded,
)
from joinery.task._handle import (
    CANCELLED,
    DELIVERED,
    DISCARDED,
    FAILED,
    LAUNCHED,
    OK,
    PENDING,
    RUNNING,
    STARTING,
    WAITING,
    Handle,
)
from joinery.task._policy import Policy

if TYPE_CHECKING:
    from joinery.task._service import Service

T = TypeVar("T")
PosArgsT = TypeVarTuple("PosArgsT")

CURRENT: ContextVar[Scope | None] = ContextVar("joinery.task.scope", default=None)
"""The innermost scope of the running code: its body or one of its children."""

LIVE_ROOTS: dict[Scope, None] = {}
"""Scopes entered outside any other scope and not yet exited (for :func:`tree`)."""

NEW, OPEN, EXITING, EXITED = 0, 1, 2, 3

_BARE = (KeyboardInterrupt, SystemExit)
"""Raised bare by a scope, as asyncio.TaskGroup does; the rest is on their __context__."""


class Scope(ABC):
    """A structured-concurrency scope: every child is joined before it exits.

    Create one with :func:`joinery.task.scope` and enter it with ``async with``. Children
    are spawned with :meth:`spawn` (a linear :class:`Handle`), :meth:`try_spawn` or
    :meth:`service`. When the scope exits it has joined every child, on every path.

    Do not share a scope across threads or event loops, and do not keep it to spawn
    into after it exits: both are refused with an error naming the mistake.
    """

    _child_context = False
    """Whether ``fn(*args)`` runs in the child's own context (trio's rule), else in the
    spawner's (asyncio's create_task and TaskGroup's rule)."""

    def __init__(
        self,
        *,
        policy: Policy = Policy.FAIL_FAST,
        limit: int | None = None,
        timeout: float | None = None,
        name: str = "",
        site: str = "?",
        bare: bool = False,
        shield: bool = False,
    ) -> None:
        if not isinstance(policy, Policy):
            raise TypeError(f"policy must be a task.Policy (FAIL_FAST, ...), not {policy!r}")
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0
        ):
            raise ValueError(f"limit must be a positive int or None, got {limit!r}")
        if timeout is not None and not timeout >= 0:
            raise ValueError(f"timeout must be a number of seconds >= 0 or None, got {timeout!r}")
        self._policy = policy
        self._race = policy is Policy.RACE  # read per child: Policy.RACE costs an enum lookup
        self._limit = limit
        self._timeout = timeout
        self._name = name
        self._site = site
        self._bare = bare  # raise a lone body error bare (used by services)
        self._shield = bool(shield)  # enclosing scopes' cancellations do not reach in
        self._state = NEW
        self._accepting = False
        self._children: dict[Handle[Any], None] = {}  # live, or done but not yet consumed
        self._queue: deque[Handle[Any]] = deque()  # spawned, waiting for a slot
        self._queued_contexts: dict[Handle[Any], Context] = {}  # their spawners' contexts
        self._running = 0
        self._failed: list[Handle[Any]] = []
        self._base_error: BaseException | None = None
        self._cause: BaseException | None = None
        self._cancel_called = False
        self._deadline_fired = False
        # Whether our cancellation interrupted anything (a child, a queued child, the
        # body): a deadline that interrupted nothing raises nothing, as trio.fail_after.
        self._interrupted = False
        self._deadline: float | None = None
        self._winner: Handle[Any] | None = None
        self._services: list[Service] = []
        self._n_services = 0  # running services: they take no ``limit`` slot
        self._service_handles: set[Handle[Any]] = set()
        self._parent: Scope | None = None
        self._nested: list[Scope] = []
        self._owner: object = None
        self._key: object = None
        self._token: Token[Scope | None] | None = None
        self._handle_type: type[Handle[Any]] = Handle
        self._where: Callable[[], object] = _nowhere  # where spawn is called from...
        self._here: object = None  # ...must be this (set by the backend on entry)

    # -- public API -------------------------------------------------------------------

    def spawn(self, fn: Callable[[Unpack[PosArgsT]], Awaitable[T]], *args: *PosArgsT) -> Handle[T]:
        """Start ``fn(*args)`` as a child and return its linear handle.

        On a scope with a ``limit`` that is full, the child waits (first come, first
        served) for a free slot before it starts; ``spawn`` itself returns at once.

        Raises:
            ScopeClosedError: the scope is cancelled, has exited or was never entered.
            TypeError: ``fn`` is not an async function (or is a coroutine object).
            RuntimeError: called from another thread or event loop than the scope's.
        """
        # The fast path is inlined (see the performance note in joinery.task): one
        # test covers closed, deadline-bearing and wrong-thread/loop scopes.
        if (
            not self._accepting
            or self._deadline is not None
            or self._parent is not None
            or self._where() != self._here
        ):
            self._admit(fn)
        frame = sys._getframe(1)
        # On trio the child's context is made here and ``fn(*args)`` runs in it, as
        # trio's start_soon does: a ContextVar a factory sets belongs to the child.
        ctx = copy_context() if self._child_context and not runs_no_code(fn) else None
        try:
            coro = fn(*args) if ctx is None else ctx.run(fn, *args)
        except TypeError:
            not_a_function(fn)
            raise
        if type(coro) is not CoroutineType:
            coro = coroutine_or_error(fn, coro)
        h: Handle[T] = self._handle_type(self, coro, frame.f_code, frame.f_lasti)
        self._children[h] = None
        if self._limit is not None and self._running - self._n_services >= self._limit:
            self._enqueue(h, ctx)
        else:
            h._kind = RUNNING  # (Scope._begin inlined: the hot path, see _child_returned)
            self._running += 1
            self._start(h, ctx)
        return h

    def launch(self, fn: Callable[[Unpack[PosArgsT]], Awaitable[None]], *args: *PosArgsT) -> None:
        """Start ``fn(*args)`` as a child whose outcome nobody awaits: fire-and-forget, said so.

        Use it for procedures (a send, a write, a worker loop); use :meth:`spawn` for
        anything with a result. The child still belongs to the scope: it is joined before
        the scope exits, cancelled with its siblings, and its failure is raised by the
        scope like any child's. It just has no handle to consume. ``fn`` must return
        ``None``: a value would be dropped unseen, so the child fails with a
        :class:`LinearityError` naming the launch site instead. (Kotlin draws the same
        line between ``launch`` and ``async``.)

        ``s.spawn(fn).discard()`` is the same choice made after the fact, for a handle
        you already hold; ``launch`` is cheaper, as no handle is made where the backend
        allows it (trio, on a scope without limit, policy or deadline).

        Raises:
            ScopeClosedError, TypeError, RuntimeError: as :meth:`spawn`.
        """
        frame = sys._getframe(1)
        self._launch_handle(frame.f_code, frame.f_lasti, fn, args)

    async def start(self, fn: Callable[..., Awaitable[None]], *args: Any) -> Any:
        """Start ``fn(*args, task_status=status)`` and return once it calls ``status.started()``.

        trio's ``nursery.start``: use it for a child that must be ready (listening,
        connected) before the caller goes on. ``status.started(value)`` makes ``start``
        return ``value``; the child then runs on in the scope as a launched child (no
        handle; its failure is the scope's; it must return None). Do not use it for
        work with a result: spawn that and await the handle.

        Raises:
            Exception: what ``fn`` raised before calling ``started()`` (only here: the
                scope does not report it again, and it cancels nothing).
            RuntimeError: ``fn`` returned without calling ``started()``.
            Cancelled: the scope was cancelled before ``fn`` called ``started()``.
            ScopeClosedError, TypeError: as :meth:`spawn`.
        """
        self._admit(fn)
        frame = sys._getframe(1)
        status = TaskStatus(self)
        coro, ctx = self._call(partial(fn, task_status=status), args, "start")
        h: Handle[None] = self._handle_type(self, coro, frame.f_code, frame.f_lasti)
        h._use = STARTING
        status._handle = h
        self._children[h] = None
        if self._limit is not None and self._running - self._n_services >= self._limit:
            self._enqueue(h, ctx)
        else:
            self._begin(h, ctx)
        try:
            if not status._started and h._kind <= RUNNING:
                await self._wait_done(h)
        except BaseException:
            if not status._started and h._use == STARTING:
                h._use = LAUNCHED  # given up waiting: the child is the scope's from now on
            raise
        if status._started:
            return status._value
        h._use = DELIVERED
        self._children.pop(h, None)
        if h._kind == FAILED:
            raise h._value
        if h._kind == OK:
            raise RuntimeError(
                f"{h.name}() started at {h.site} returned without calling task_status.started()"
            )
        raise Cancelled(
            f"{h.name}() started at {h.site} was cancelled before it called started() "
            f"(cause: {self.cause!r})",
            cause=self.cause,
            site=h.site,
        )

    def try_spawn(
        self, fn: Callable[[Unpack[PosArgsT]], Awaitable[T]], *args: *PosArgsT
    ) -> Handle[T] | None:
        """Like :meth:`spawn`, but return ``None`` instead of waiting when the scope is full.

        ``fn`` is not called when ``None`` is returned. On a scope without a limit it
        always spawns (Go's ``TryGo`` on a group without ``SetLimit``).

        Raises:
            ScopeClosedError, TypeError, RuntimeError: as :meth:`spawn`.
        """
        self._admit(fn)
        if (
            self._limit is not None
            and self._running - self._n_services + len(self._queue) >= self._limit
        ):
            return None
        frame = sys._getframe(1)
        coro, ctx = self._call(fn, args, "try_spawn")
        h: Handle[T] = self._handle_type(self, coro, frame.f_code, frame.f_lasti)
        self._children[h] = None
        self._begin(h, ctx)
        return h

    def service(
        self, fn: Callable[[Unpack[PosArgsT]], Awaitable[object]], *args: *PosArgsT
    ) -> Service:
        """Start a long-lived child (a daemon) owned by this scope; stop it with ``stop()``.

        ``await svc.stop()`` cancels the service (cause: ``CancelRequested``) and returns
        only after it has exited; it is idempotent. A service still running when the
        body ends is stopped by the scope. A failure inside the service is never lost:
        ``stop()`` raises it, and the scope does too (fail-fast, or nobody stopped it).

        Raises:
            ScopeClosedError, TypeError, RuntimeError: as :meth:`spawn`.
        """
        from joinery.task._service import Service

        self._admit(fn)
        frame = sys._getframe(1)
        return Service(self, fn, args, frame.f_code, frame.f_lasti)

    def cancel(self, cause: BaseException | None = None) -> None:
        """Cancel the body and every child; ``cause`` is what they read as the reason.

        The scope then exits quietly (an explicit cancel is not an error); children that
        were cancelled need not have their handles consumed. Idempotent: the first cause
        stays.
        """
        if cause is not None and not isinstance(cause, BaseException):
            raise TypeError(f"cancel(cause): cause must be an exception object, not {cause!r}")
        if self._state != NEW:
            self._check_thread("cancel", "use s.cancel_threadsafe() from other threads")
        if cause is None:
            frame = sys._getframe(1)
            cause = CancelRequested(
                f"cancelled by Scope.cancel() at {frame.f_code.co_filename}:{frame.f_lineno}"
            )
        self._cancel(cause)

    def cancel_threadsafe(self, cause: BaseException | None = None) -> None:
        """:meth:`cancel`, callable from any thread; it takes effect on the scope's loop.

        The cancel happens at the loop's next step, not before this returns. A no-op
        once the scope has exited (or if it was never entered).
        """
        if cause is not None and not isinstance(cause, BaseException):
            raise TypeError(f"cancel(cause): cause must be an exception object, not {cause!r}")
        if cause is None:
            frame = sys._getframe(1)
            cause = CancelRequested(
                f"cancelled by Scope.cancel_threadsafe() at "
                f"{frame.f_code.co_filename}:{frame.f_lineno}"
            )
        if self._state in (OPEN, EXITING):
            self._call_soon_threadsafe(self._cancel_if_open, cause)

    def _cancel_if_open(self, cause: BaseException) -> None:
        if self._state in (OPEN, EXITING):
            self._cancel(cause)

    @property
    def cause(self) -> BaseException | None:
        """Why the scope was cancelled, as the exception object (Go's ``context.Cause``).

        A sibling's failure (fail-fast), :class:`DeadlineExceeded`, the argument of
        :meth:`cancel`, :class:`Superseded` (race), or the cause of an enclosing joinery
        scope that cancelled this one. ``None`` while nothing cancelled the scope, or when
        the cancellation came from outside joinery. Still readable after exit.
        """
        self._poll_deadline()
        scope: Scope | None = self
        while scope is not None:
            scope._poll_deadline()  # an enclosing deadline that passed is the cause
            if scope._cause is not None:
                return scope._cause
            if scope._state == EXITED or scope._shield:
                return None
            scope = scope._parent
        return None

    @property
    def cancel_called(self) -> bool:
        """Whether this scope was cancelled (failure, deadline, race, ``cancel()``)."""
        self._poll_deadline()
        return self._cancel_called

    @property
    def policy(self) -> Policy:
        """The scope's :class:`Policy`."""
        return self._policy

    @property
    def limit(self) -> int | None:
        """At most this many children run at once (``None``: no bound)."""
        return self._limit

    @property
    def deadline(self) -> float | None:
        """When the scope's timeout expires, on the backend's clock (``None``: never)."""
        return self._deadline

    @property
    def failures(self) -> tuple[BaseException, ...]:
        """Every exception a child failed with so far, oldest first (any policy)."""
        return tuple(h._value for h in self._failed)

    def result(self) -> Any:
        """The value of the child that won a ``RACE`` scope.

        Raises:
            TypeError: the scope's policy is not ``RACE``.
            LookupError: no child has succeeded (yet).
        """
        if self._policy is not Policy.RACE:
            raise TypeError(f"result() is for RACE scopes; this one is {self._policy.name}")
        if self._winner is None:
            raise LookupError(f"no child of the race at {self._site} has succeeded")
        return self._winner._value

    def tree(self) -> str:
        """A text dump of this scope's live subtree: scopes, tasks and their spawn sites."""
        lines: list[str] = []
        self._snapshot(0, lines)
        return "\n".join(lines)

    def _snapshot(self, depth: int, lines: list[str]) -> None:
        """Append this scope's live subtree to ``lines``: the one reader of its books.

        Nested scopes are placed under the task that entered them: the body, a child
        with a handle, or a launched child without one (the backend names its tasks).
        """
        pad = "    " * depth
        tasks, launched = self._live_tasks()
        bits = [self._policy.name.lower(), f"running={self._running + len(launched)}"]
        if self._limit is not None:
            bits.append(f"limit={self._limit}")
        if self._queue:
            bits.append(f"queued={len(self._queue)}")
        if self._cancel_called:
            bits.append(f"cancelled, cause={_safe_repr(self._cause)}")
        name = f" {self._name!r}" if self._name else ""
        lines.append(f"{pad}scope{name} opened at {self._site} [{', '.join(bits)}]")
        placed: set[int] = set()

        def nested_under(owner: object) -> None:
            for n in self._nested:
                if n._owner is owner:
                    placed.add(id(n))
                    n._snapshot(depth + 1, lines)

        lines.append(f"{pad}  {'body' if self._state == OPEN else 'body (exiting)'}")
        nested_under(self._owner)
        for h in self._children:  # running, queued, or done but not yet consumed
            lines.append(f"{pad}  task {h._describe()}")
            task = tasks.get(h)
            if task is not None:
                nested_under(task)
        for line, task in launched:
            lines.append(f"{pad}  task {line}")
            nested_under(task)
        for n in self._nested:
            if id(n) not in placed:
                lines.append(f"{pad}  (entered by another task)")
                n._snapshot(depth + 1, lines)

    def __repr__(self) -> str:
        return f"<task.Scope at {self._site} {self._policy.name} running={self._running}>"

    # -- shared bookkeeping, called by the backends ----------------------------------

    def _launch_handle(self, code: CodeType, lasti: int, fn: Any, args: tuple[Any, ...]) -> None:
        """:meth:`launch` through a handle, consumed at birth (waits for a slot if full)."""
        if (
            not self._accepting
            or self._deadline is not None
            or self._parent is not None
            or self._where() != self._here
        ):
            self._admit(fn)
        coro, ctx = self._call(fn, args, "launch")
        h: Handle[None] = self._handle_type(self, coro, code, lasti)
        h._use = LAUNCHED
        self._children[h] = None
        if self._limit is not None and self._running - self._n_services >= self._limit:
            self._enqueue(h, ctx)
        else:
            self._begin(h, ctx)

    def _admit(self, fn: object) -> None:
        """Refuse a spawn that would be an orphan, or that comes from the wrong place."""
        if self._accepting and self._parent is not None and self._enclosing_cancelled():
            # An enclosing scope is cancelled: so is this one, as trio's cancel scopes
            # inherit it, even if the body swallowed the cancellation that reached it:
            #     async with scope(timeout=1): async with scope() as s1:
            #         await swallows(2); s1.spawn(f)   # refused, f never runs
            self._cancel(None)
        if not self._accepting or (self._deadline is not None and self._deadline_passed()):
            if isinstance(fn, Coroutine):
                fn.close()  # the caller's coroutine would warn "never awaited"
            if self._state == NEW:
                why = "was never entered: use `async with task.scope() as s:`"
            elif self._state == EXITED:
                why = "has exited: its children were joined, a new one would be an orphan"
            else:
                self._interrupted = True
                why = f"is cancelled (cause: {self.cause!r}): a new child would be cancelled"
                raise ScopeClosedError(
                    f"spawn refused: the scope opened at {self._site} {why}", scope=self
                )
            raise ScopeClosedError(f"spawn refused: the scope opened at {self._site} {why}")
        try:
            self._check_caller()
        except RuntimeError:
            if isinstance(fn, Coroutine):
                fn.close()  # refused from the wrong thread: no "never awaited" either
            raise

    def _enclosing_cancelled(self) -> bool:
        """Whether an enclosing scope is cancelled with no shield in between."""
        scope = self
        while not scope._shield and scope._parent is not None:
            scope = scope._parent
            if scope._state == EXITED:
                return False
            scope._poll_deadline()
            if scope._cancel_called:
                return True
        return False

    def _child_done(self, h: Handle[Any], kind: int, value: Any) -> None:
        """Record a child's outcome and apply the policy (called once per started child)."""
        self._running -= 1
        if kind == FAILED and self._own_refusal(value):
            kind, value = CANCELLED, None
        if kind == CANCELLED:
            self._interrupted = True
        if h._use == STARTING:  # ended before started(): start() raises it, not the scope
            h._kind, h._value = kind, value
            self._after_end(h)
            return
        if self._service_handles and h in self._service_handles:
            # A service: it took no slot, and its end is never a race's result.
            self._service_handles.discard(h)
            self._n_services -= 1
            if kind == OK:
                h._kind, h._value = kind, value
                self._after_end(h)
                return
        if value is not None and kind == OK and h._use == LAUNCHED:
            kind, value = FAILED, _dropped(h, value)
        h._kind = kind
        h._value = value
        if kind == FAILED:
            self._failed.append(h)
            if not isinstance(value, Exception):  # KeyboardInterrupt, GeneratorExit...
                if self._base_error is None and isinstance(value, _BARE):
                    self._base_error = value
                self._cancel(value)
            elif self._policy is Policy.FAIL_FAST:
                self._cancel(value)
        elif kind == OK and self._race and self._winner is None:
            self._winner = h
            self._cancel(Superseded(f"{h.name}() spawned at {h.site} won the race"))
        self._after_end(h)

    def _after_end(self, h: Handle[Any]) -> None:
        if h._waiters is not None:
            self._wake(h)
        if h._use >= DISCARDED:
            self._children.pop(h, None)
        if (
            self._queue
            and not self._cancel_called
            and (self._limit is None or self._running - self._n_services < self._limit)
        ):
            h = self._queue.popleft()
            self._begin(h, self._queued_contexts.pop(h))
        elif self._running == 0:
            self._all_done()

    def _begin(self, h: Handle[Any], ctx: Context | None = None) -> None:
        """Count ``h`` as running and have the backend start it (in ``ctx`` if given)."""
        h._kind = RUNNING
        self._running += 1
        self._start(h, ctx)

    def _enqueue(self, h: Handle[Any], ctx: Context | None) -> None:
        """Queue ``h`` for a slot, with the context it must run in.

        Started later, from whichever sibling frees the slot, it must still run in
        its spawner's context, not that sibling's:
            s.spawn(a); var.set(1); s.spawn(b)   # limit=1: b sees var == 1
        """
        self._queue.append(h)
        self._queued_contexts[h] = copy_context() if ctx is None else ctx

    def _call(
        self, fn: Any, args: tuple[Any, ...], verb: str
    ) -> tuple[Coroutine[Any, Any, Any], Context | None]:
        """``fn(*args)`` as a coroutine, called in the child's own context on trio."""
        if not self._child_context or runs_no_code(fn):
            return coroutine_of(fn, args, verb), None
        ctx = copy_context()
        return ctx.run(coroutine_of, fn, args, verb), ctx

    def _admit_service(self, h: Handle[Any]) -> None:
        """Start a service's child: it takes no ``limit`` slot (see Service)."""
        self._children[h] = None
        self._service_handles.add(h)
        self._n_services += 1
        self._begin(h)

    def _late_handle(
        self, coro: Coroutine[Any, Any, Any], code: CodeType, lasti: int
    ) -> Handle[None]:
        """A handle for a child that ran without one (trio's launch), made at its end."""
        h: Handle[None] = self._handle_type(self, coro, code, lasti)
        h._kind = RUNNING
        h._use = LAUNCHED
        self._children[h] = None  # (_child_done takes it out again)
        self._running += 1  # and counts it out
        return h

    def _child_returned(self, h: Handle[Any], value: Any) -> None:
        """A child's wrapper reports that it returned ``value``.

        The one place where bookkeeping is inlined for speed: in the common case
        (nothing to wake, start or decide) the outcome is stored here without
        _child_done's generality; it is most of what separates ``direct:task.spawn``
        from the native group in ``python -m benchmarks paired`` (about 1% of a spawn).
        """
        if (
            self._race
            or h._waiters is not None
            or self._queue
            or self._running == 1
            or self._service_handles
            or h._use == STARTING
            or (value is not None and h._use == LAUNCHED)
        ):
            self._child_ended(h, OK, value)
            return
        self._running -= 1
        h._kind = OK
        h._value = value
        if h._use >= DISCARDED:
            del self._children[h]

    def _child_ended(self, h: Handle[Any], kind: int, value: Any) -> None:
        """A child's wrapper reports its end (it takes effect in this very step)."""
        h._value = None  # finished: no task to cancel any more
        self._child_done(h, kind, value)

    def _child_raised(self, h: Handle[Any], e: BaseException) -> None:
        """A child's wrapper caught ``e`` (trio splits its own cancellations out)."""
        self._child_ended(h, FAILED, e)

    def _body_interrupted(self) -> None:
        """The body was ended by a cancellation: a deadline then raises (see _finish)."""
        self._interrupted = True

    def _body_open(self) -> bool:
        """Whether the body is still running (entered, not yet exiting)."""
        return self._state == OPEN

    def _exited(self) -> bool:
        """Whether the scope has exited (a handle is then no longer usable)."""
        return self._state == EXITED

    def _first_step_refused(self, h: Handle[Any]) -> bool:
        """Called by a child's wrapper before its first step: whether it must not run.

        A child whose scope was cancelled before its first step (its own cancel, or its
        deadline read from the clock) never runs (semantics rule 3): its coroutine is
        closed, so no "never awaited" warning, and it ends CANCELLED here.
        """
        if not self._cancel_called and (self._deadline is None or not self._deadline_passed()):
            return False
        h._coro.close()
        self._child_ended(h, CANCELLED, None)
        return True

    def _take(self, h: Handle[Any]) -> Any:
        """Hand a finished child's outcome to its one consumer."""
        h._use = DELIVERED
        self._children.pop(h, None)
        if h._kind == OK:
            return h._value
        if h._kind == FAILED:
            raise h._value
        cause = self.cause
        raise Cancelled(
            f"{h.name}() spawned at {h.site} was cancelled (cause: {cause!r})",
            cause=cause,
            site=h.site,
        )

    def _release(self, h: Handle[Any]) -> None:
        """Forget a finished handle that was discarded."""
        self._children.pop(h, None)

    def _cancel(self, cause: BaseException | None) -> None:
        """Cancel body and children once; ``None`` means "from outside joinery"."""
        if self._cancel_called:
            return
        if cause is not None and self._parent is not None and self._enclosing_cancelled():
            # An enclosing scope was cancelled first: that cancellation is inherited (as
            # trio's cancel scopes) and wins; cause() keeps naming the enclosing cause:
            #     async with scope(timeout=1): async with scope(): await swallows(2); 1/0
            cause = None
        self._cancel_called = True
        self._accepting = False
        self._cause = cause
        if self._state == NEW:
            return  # cancelled before entry (as a trio CancelScope may be): on entry
        while self._queue:  # never started: close, so no "never awaited" warning
            self._interrupted = True
            h = self._queue.popleft()
            self._queued_contexts.pop(h, None)
            h._coro.close()
            h._kind = CANCELLED
            if h._waiters is not None:
                self._wake(h)
            if h._use >= DISCARDED:
                del self._children[h]
        self._cancel_backend()
        if self._running == 0 and self._state == EXITING:
            self._all_done()

    def _deadline_passed(self) -> bool:
        self._poll_deadline()
        return self._cancel_called

    def _own_refusal(self, exc: BaseException | None) -> bool:
        """Whether ``exc`` is an artefact of this scope's cancellation, not a failure.

        A spawn refused because the scope is cancelled (a sibling woken as the scope
        fails spawns; a body past its deadline spawns), or ``task.Cancelled`` from
        awaiting a sibling the cancelled scope dropped: never reported as a failure.
        """
        if isinstance(exc, ScopeClosedError):
            return exc.scope is self
        if not isinstance(exc, Cancelled):
            return False
        scope: Scope | None = self  # cancelled here, or with an enclosing scope
        while scope is not None:
            if scope._cancel_called:
                return True
            if scope._shield:
                return False
            scope = scope._parent
        return False

    def _check_new(self) -> None:
        """Refuse a second entry (say a child doing ``async with s`` on its parent)."""
        if self._state != NEW:
            raise RuntimeError(
                f"the scope opened at {self._site} was already entered; call task.scope() again"
            )

    def _check_exiting_task(self, same_task: bool) -> None:
        """Refuse an exit from another task than the one that entered the scope."""
        if not same_task:
            raise RuntimeError(
                f"the scope opened at {self._site} is exited from another task than the "
                "one that entered it: enter and exit a scope in the same task"
            )

    def _poke_enclosing(self) -> None:
        """A shielded scope was left: cancelled enclosing scopes look at its task again."""
        scope = self._parent
        while scope is not None:
            scope._poke()
            scope = scope._parent

    def _poke(self) -> None:  # noqa: B027 - a no-op where the backend shields natively
        """Deliver this scope's cancellation again to tasks a shield kept it from."""

    @abstractmethod
    def _check_thread(self, what: str, fix: str) -> None:
        """Raise RuntimeError naming ``what`` unless called from the scope's thread."""

    @abstractmethod
    def _call_soon_threadsafe(self, fn: Callable[[BaseException], None], arg: Any) -> None:
        """Run ``fn(arg)`` on the scope's loop, from any thread."""

    def _enter_common(
        self, owner: object, key: object, where: Callable[[], object], here: object
    ) -> None:
        """Record the entry (the backend checked nothing is entered twice first).

        ``owner`` is the body's task, ``key`` the loop or trio run (for tree()), and
        ``where() == here`` the test that a spawn comes from the scope's own thread
        and loop.
        """
        self._check_new()
        self._where, self._here = where, here
        self._state = OPEN
        self._accepting = not self._cancel_called
        self._owner = owner
        self._key = key
        self._parent = CURRENT.get()
        self._token = CURRENT.set(self)
        if self._parent is not None and self._parent._state != EXITED:
            self._parent._nested.append(self)
        else:
            self._parent = None
            LIVE_ROOTS[self] = None

    def _begin_exit(self, stop_services: bool = True) -> None:
        self._state = EXITING
        if stop_services:
            self._stop_services()

    def _stop_services(self) -> None:
        """The body ended: stop the services still running.

        Called after an outside cancel was recorded and before the body's error cancels
        the scope, so that each service reads the cancel that came first as its cause.
        """
        for svc in self._services:
            svc._owner_exiting()

    def _leave(
        self,
        exc: BaseException | None,
        body_error: BaseException | None,
        foreign: BaseException | None,
    ) -> bool:
        """The end of ``__aexit__``, every child joined: raise what the scope must raise.

        ``exc`` is what the body raised; ``foreign`` a cancellation (or interrupt) from
        outside this scope, which propagates unless the scope has its own error to
        raise. Returns False to let ``exc`` go on as it came (its traceback intact), True
        when nothing is raised.
        """
        if foreign is not None and self._cause is None and self._parent is not None:
            self._cause = self._parent.cause  # cancelled with an enclosing joinery scope
        error = self._finish(body_error, exc is None, foreign is not None)
        if error is None:
            if foreign is None:
                return True
            if foreign is exc:
                return False
            error = foreign
        elif error is exc:
            return False
        # Raised here, ``error`` would get the body's exception as __context__ (printed
        # twice, kept alive twice) and this frame would hold ``error`` in a cycle:
        #     group -> traceback -> this frame -> error (= group)
        # so restore its context and drop the locals on the way out (as trio does).
        context = error.__context__
        try:
            raise error
        finally:
            error.__context__ = context
            del error, context, exc, body_error, foreign

    def _finish(
        self, body_error: BaseException | None, body_normal: bool, foreign: bool = False
    ) -> BaseException | None:
        """Compose what the scope raises once every child is joined (``None``: nothing).

        The convention: KeyboardInterrupt/SystemExit are re-raised bare (as TaskGroup
        does); everything else the scope has to report goes into one ExceptionGroup,
        oldest first: child failures (per the policy), the body's own error, the
        deadline's DeadlineExceeded, and a LinearityError for forgotten handles.
        """
        self._state = EXITED
        self._accepting = False
        if self._token is not None:
            CURRENT.reset(self._token)
            self._token = None
        if self._parent is not None:
            self._parent._nested.remove(self)
        else:
            LIVE_ROOTS.pop(self, None)
        if body_error is not None and isinstance(body_error, _BARE) and self._base_error is None:
            self._base_error = body_error
        errors: list[BaseException] = []
        won = self._policy is Policy.RACE and self._winner is not None
        for h in self._failed:
            if (
                self._policy is Policy.FAIL_FAST
                # (WAITING: someone awaits it and was woken with it: it is theirs,
                # whether they resume before or after this exit, so never reported
                # twice whatever order the backend runs the two in)
                or (h._use not in (DELIVERED, WAITING) and not won)
                or not isinstance(h._value, Exception)
            ):
                errors.append(h._value)
        if body_error is not None and not any(body_error is e for e in errors):
            errors.append(body_error)
        if (
            self._deadline_fired
            and self._interrupted
            and not foreign
            and isinstance(self._cause, Exception)
        ):
            errors.append(self._cause)
        if body_normal:
            forgotten = [h for h in self._children if h._use == PENDING and h._kind != CANCELLED]
            if forgotten:
                listing = "\n  ".join(h._describe() for h in forgotten)
                errors.append(
                    LinearityError(
                        f"{len(forgotten)} handle(s) never consumed before the scope opened "
                        f"at {self._site} exited; await each, or discard() it on purpose:"
                        f"\n  {listing}"
                    )
                )
        self._children.clear()  # handles point at the scope; break the cycle
        bare = self._base_error
        if bare is not None:
            # KeyboardInterrupt/SystemExit go out bare (as TaskGroup), but nothing is
            # lost: the rest hangs on its __context__, e.g. a child's ValueError next to
            # the user's Ctrl-C is still printed and reachable.
            self._base_error = None
            others = [e for e in errors if e is not bare]
            if others:
                bare.__context__ = BaseExceptionGroup(f"task.scope opened at {self._site}", others)
                bare.__suppress_context__ = False
                bare.add_note(
                    f"joinery.task: {len(others)} other failure(s) of the scope opened at "
                    f"{self._site} are in this exception's __context__"
                )
            return bare
        if not errors:
            return None
        if self._bare and len(errors) == 1 and errors[0] is body_error:
            return body_error
        return BaseExceptionGroup(f"task.scope opened at {self._site}", errors)

    def _set_deadline(self, now: float) -> None:
        if self._timeout is not None:
            self._deadline = now + self._timeout

    def _fire_deadline(self) -> None:
        if not self._cancel_called:
            self._deadline_fired = True
            self._cancel(
                DeadlineExceeded(
                    f"the scope opened at {self._site} exceeded its timeout of {self._timeout}s"
                )
            )

    # -- the backend interface ---------------------------------------------------------

    @abstractmethod
    async def __aenter__(self) -> Self:
        """Enter the scope (``async with``); children may be spawned from now on."""

    @abstractmethod
    async def __aexit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        """Join every child, then raise what the policy says (see :meth:`_finish`)."""

    @abstractmethod
    def _check_caller(self) -> None:
        """Raise RuntimeError unless called from the scope's own thread and event loop."""

    @abstractmethod
    def _start(self, h: Handle[Any], ctx: Context | None) -> None:
        """Run ``h._coro`` as a child (in a copy of ``ctx``, else of the current context).

        The child reports its end exactly once (:meth:`_child_returned`,
        :meth:`_child_ended` or :meth:`_child_raised`).
        """

    @abstractmethod
    def _cancel_backend(self) -> None:
        """Cancel the running children, and the body unless it is already exiting."""

    @abstractmethod
    async def _wait_done(self, h: Handle[Any]) -> None:
        """Wait until ``h``'s child is done (several tasks may wait on one handle)."""

    @abstractmethod
    def _wake(self, h: Handle[Any]) -> None:
        """Wake whoever waits in :meth:`_wait_done` for ``h``."""

    def _live_tasks(self) -> tuple[dict[Handle[Any], object], list[tuple[str, object]]]:
        """The task of each running handle, and the children that have no handle.

        For :func:`tree`: the second list gives each such child's description and task.
        """
        tasks = {h: h._task for h in self._children if h._task is not None}
        return tasks, []

    def _all_done(self) -> None:  # noqa: B027 - a no-op unless the backend joins itself
        """No child is running any more (the exit may be waiting for this)."""

    def _poll_deadline(self) -> None:
        """Notice an expired deadline before the backend's timer does (as trio does).

        trio's cancel scopes read the clock, so both backends do: a spawn or a cause()
        past the deadline sees the deadline, whether or not its timer has run yet.
        """
        if (
            self._deadline is not None
            and not self._cancel_called
            and self._state in (OPEN, EXITING)
            and self._now() >= self._deadline
        ):
            self._fire_deadline()

    @abstractmethod
    def _now(self) -> float:
        """The backend's clock (the one deadlines are set on)."""


def current_cause() -> BaseException | None:
    """:func:`joinery.task.cause`: the cause of the scope the running code is in.

    A task that still runs after its scope exited was not the scope's (every child and
    the body are done by then): a foreign nursery/TaskGroup outside the scope started
    it from the body, copying the body's context. The nearest scope still open around
    it answers, not the exited one:
        async with anyio.create_task_group() as tg, task.scope() as s:
            tg.start_soon(reads_cause_later); s.cancel()   # it reads None, not s's cause
    (While the scope is open such a task is not told apart from one of a group inside
    the body: both inherited the body's context.)
    """
    s = CURRENT.get()
    while s is not None and s._state == EXITED:
        s = s._parent
    return None if s is None else s.cause


def _safe_repr(obj: object) -> str:
    try:
        return repr(obj)
    except Exception:  # a cause with a broken __repr__ must not break a dump or a cancel
        return f"<{type(obj).__name__} object (repr failed)>"


class TaskStatus:
    """What ``Scope.start`` passes as ``task_status``: call ``started(value)`` once ready."""

    __slots__ = ("_handle", "_scope", "_started", "_value")

    def __init__(self, scope: Scope) -> None:
        self._scope = scope
        self._handle: Handle[Any] | None = None
        self._started = False
        self._value: Any = None

    def started(self, value: Any = None) -> None:
        """Report the child ready: ``await scope.start(...)`` returns ``value``.

        Raises:
            RuntimeError: called twice, or after the child stopped being waited for.
        """
        h = self._handle
        if self._started or h is None or h._use != STARTING:
            raise RuntimeError("task_status.started() called twice, or after start() gave up")
        self._started = True
        self._value = value
        h._use = LAUNCHED  # from now on a launched child: its failure is the scope's
        if h._waiters is not None:
            self._scope._wake(h)


def _dropped(h: Handle[Any], value: object) -> LinearityError:
    """The error of a launched child that returned a value nobody can read."""
    return LinearityError(
        f"{h.name}() launched at {h.site} returned {value!r:.60}, which nobody can read: "
        "launch() is for children without a result; spawn() it and await the handle"
    )


def _nowhere() -> object:
    return _nowhere  # before entry: never equal to ``_here``
