"""joinery.task: structured concurrency with linear task handles, on asyncio and trio.

Task 10's answer made real. A scope joins every child before it exits, and every child's
outcome is claimed exactly once::

    from joinery import task

    async with task.scope() as s:
        user = s.spawn(fetch_user, uid)    # Handle[User]
        posts = s.spawn(fetch_posts, uid)  # Handle[list[Post]]
        return Dashboard(await user, await posts)

* A handle awaited twice, used after its scope, or forgotten is a ``LinearityError``
  naming the spawn site. Fire-and-forget is its own verb: ``s.launch(fn, *args)``
  starts a child with no handle (still joined; a failure is still raised; a returned
  value is an error, since nobody could read it). ``h.discard()`` gives up a handle
  already held.
* Policies: ``FAIL_FAST`` (default: the first failure cancels the rest), ``SUPERVISE``
  (nothing cancels; every outcome kept), ``RACE`` (the first success wins).
* ``scope(limit=N)`` bounds the children running at once; ``try_spawn`` returns
  ``None`` when full (Go's ``TryGo``). ``scope(timeout=...)`` sets a deadline.
* ``task.cause()`` gives a cancelled child the exception *object* that caused it
  (Go's ``context.Cause``); ``s.cause`` gives it to the caller after exit.
* ``s.service(fn)`` starts a daemon whose ``await stop()`` returns once it has exited.
* ``task.tree()`` dumps the live scopes and tasks with their spawn sites.

How errors surface: a scope that fails raises one ``ExceptionGroup`` holding every
exception it has to report, oldest first (child failures as the policy says, the body's
own error, ``DeadlineExceeded``, ``LinearityError``); use ``except*``. A BaseException
(``GeneratorExit``, a custom subclass) makes it a ``BaseExceptionGroup``. Only
KeyboardInterrupt and SystemExit are re-raised bare (as ``asyncio.TaskGroup`` does), with
everything else the scope had to report on their ``__context__``, so nothing is lost; a
cancellation from outside propagates as the backend's own when nothing else failed.

Cancellation is level-triggered on both backends (trio's model): a child that swallows
its cancellation is cancelled again at its next checkpoint, so cleanup that must await
belongs in ``task.scope(shield=True)``. ``s.start(fn)`` waits until ``fn`` reports ready
(trio's ``nursery.start``); ``s.cancel_threadsafe()`` cancels from another thread. The
rules for the cases a script never hits (ties, deadlines, first steps, services) are in
``docs/task-semantics.md`` ("Semantics and limitations").

The backend (asyncio or trio) is detected with sniffio when ``scope()`` is called.

Performance: a child is one backend task running a small wrapper coroutine that awaits
the child's coroutine and records its outcome in the handle (no done callback, no anyio
layer): ``loop.create_task`` on asyncio, ``nursery.start_soon`` on trio. Beyond the
native group a child costs its handle (``__slots__``), one dict entry (for the exit
check) and that wrapper; spawn and use sites are kept as (code, instruction offset) and
formatted as ``file:line`` only for a message. On trio a launched child on a plain
scope (no limit, race or deadline) has no handle and no dict entry: the nursery keeps
it, and only a failure reaches the scope. The benchmarks measure what each costs
(``direct:task.launch`` and ``direct:task.spawn`` rows).

Python versions: written for 3.11. Eager start (3.12+) is not offered: a child always
starts after its spawner's step, as on trio, so that a child cancelled before its first
step never runs on either backend (an eager task factory installed by the user would
run a child up to its first await inside ``spawn``). 3.13's TaskGroup also closes a
refused coroutine (gh-115957), as ``spawn`` always did; 3.14 adds asyncio call-graph
introspection (this module's ``tree()`` works on 3.11 and on trio); 3.15 adds
``TaskGroup.cancel()``, still without a cause.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar, TypeVarTuple, Unpack

import sniffio

from joinery.task._errors import (
    Cancelled,
    CancelRequested,
    DeadlineExceeded,
    LinearityError,
    ScopeClosedError,
    Superseded,
)
from joinery.task._handle import Handle
from joinery.task._policy import Policy
from joinery.task._scope import LIVE_ROOTS, Scope, TaskStatus, current_cause
from joinery.task._service import Service

__all__ = [
    "FAIL_FAST",
    "RACE",
    "SUPERVISE",
    "CancelRequested",
    "Cancelled",
    "DeadlineExceeded",
    "Handle",
    "LinearityError",
    "Policy",
    "Scope",
    "ScopeClosedError",
    "Service",
    "Superseded",
    "TaskStatus",
    "cause",
    "race",
    "run",
    "scope",
    "tree",
]

T = TypeVar("T")
PosArgsT = TypeVarTuple("PosArgsT")

FAIL_FAST = Policy.FAIL_FAST
SUPERVISE = Policy.SUPERVISE
RACE = Policy.RACE


def scope(
    *,
    policy: Policy = FAIL_FAST,
    limit: int | None = None,
    timeout: float | None = None,
    name: str = "",
    shield: bool = False,
) -> Scope:
    """A new scope for the running event loop; enter it with ``async with``.

    Args:
        policy: what a child's outcome does to the others (see :class:`Policy`).
        limit: at most this many children run at once; ``spawn`` queues the rest.
        timeout: seconds from entry until the scope cancels everything with a
            :class:`DeadlineExceeded` cause and raises it.
        name: shown in :func:`tree` dumps.
        shield: cancellations of enclosing scopes do not reach this scope's body and
            children (its own deadline and ``cancel()`` still do): for cleanup that
            must finish. On asyncio it blocks joinery's cancellations, not a raw
            ``Task.cancel()`` (see docs/task-semantics.md).

    Raises:
        ValueError: ``limit`` is not a positive int, or ``timeout`` is negative.
        RuntimeError: not called from asyncio or trio code.
    """
    frame = sys._getframe(1)
    return _make(
        policy, limit, timeout, name, f"{frame.f_code.co_filename}:{frame.f_lineno}", shield
    )


async def run(
    fn: Callable[[Scope, Unpack[PosArgsT]], Awaitable[T]],
    *args: *PosArgsT,
    policy: Policy = FAIL_FAST,
    limit: int | None = None,
    timeout: float | None = None,
) -> T:
    """Run ``fn(scope, *args)`` in a fresh scope; return its result once all children ended.

    The ``Run(ctx, fn)`` of the seed's Task 2, with the scope handed to ``fn``.
    """
    frame = sys._getframe(1)
    site = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    async with _make(policy, limit, timeout, "", site) as s:
        return await fn(s, *args)
    # Only an explicit cancel of the scope ends it quietly without a result.
    raise Cancelled(f"the body of run() at {site} was cancelled", cause=s.cause, site=site)


async def race(*fns: Callable[[], Awaitable[T]], timeout: float | None = None) -> T:
    """Run ``fns`` concurrently; return the first success and cancel the others.

    If every one fails, raise an ExceptionGroup of all their failures. Losers' failures
    are dropped once one has won: that is what choosing a race means.
    """
    if not fns:
        raise ValueError("race() needs at least one async function")
    frame = sys._getframe(1)
    site = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    async with _make(RACE, None, timeout, "race", site) as s:
        for fn in fns:
            s.spawn(fn).discard()  # the race itself takes the winner's value
    result: T = s.result()
    return result


def cause() -> BaseException | None:
    """Inside a scope's body or child: why the scope was cancelled (``None`` if it is not).

    The exception *object*: a sibling's failure, ``DeadlineExceeded``, the argument of
    ``Scope.cancel``, ``Superseded`` in a race, or an enclosing scope's cause.
    """
    return current_cause()


def tree() -> str:
    """Dump the live scopes and tasks of the running event loop, with their spawn sites.

    An empty string means nothing of joinery is alive on this loop.
    """
    from joinery.task._tree import current_loop_key, dump

    key = current_loop_key()
    return dump(s for s in list(LIVE_ROOTS) if s._key is key)


def _make(
    policy: Policy,
    limit: int | None,
    timeout: float | None,
    name: str,
    site: str,
    shield: bool = False,
) -> Scope:
    try:
        library = sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        raise RuntimeError("task.scope() must be called from code run by asyncio or trio") from None
    backend: type[Scope]
    if library == "asyncio":
        from joinery.task._asyncio import AsyncioScope as backend
    elif library == "trio":
        from joinery.task._trio import TrioScope as backend
    else:
        raise RuntimeError(f"joinery.task runs on asyncio and trio, not on {library}")
    return backend(policy=policy, limit=limit, timeout=timeout, name=name, site=site, shield=shield)
