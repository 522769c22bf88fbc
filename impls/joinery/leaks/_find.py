"""The check and its retry loop, sync and async.

Like goleak: check; if anything is found, sleep 1 µs, 2 µs, 4 µs ... (at most
``max_sleep``) and check again, up to ``retries`` times. A task that ends a few
milliseconds late is therefore not a leak, and a clean check costs one pass and no sleep.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from joinery.leaks._model import Leak, LeakError
from joinery.leaks._options import Ignore, Snapshot, normalise
from joinery.leaks._sources import SOURCES, Here

IgnoreArg = Ignore | Callable[[Leak], bool] | Iterable[Ignore | Callable[[Leak], bool]] | None

DEFAULT_RETRIES = 20
DEFAULT_MAX_SLEEP = 0.1


@dataclass(frozen=True)
class _Options:
    ignores: tuple[Ignore, ...]
    retries: int
    max_sleep: float
    machinery: bool

    @classmethod
    def build(
        cls, ignore: IgnoreArg, retries: int, max_sleep: float, ignore_machinery: bool
    ) -> _Options:
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be an int >= 0, got {retries!r}")
        if (
            isinstance(max_sleep, bool)
            or not isinstance(max_sleep, (int, float))
            or not math.isfinite(max_sleep)
            or max_sleep < 0
        ):
            raise ValueError(
                f"max_sleep must be a finite number of seconds >= 0, got {max_sleep!r}"
            )
        return cls(normalise(ignore), retries, float(max_sleep), bool(ignore_machinery))

    def delays(self) -> Iterator[float]:
        for i in range(self.retries):
            yield min(1e-6 * (1 << i), self.max_sleep)


def keep(leak: Leak, source: Any, opts: _Options) -> bool:
    """False if ``leak`` is machinery or matches an ignore option."""
    if opts.machinery and source.is_machinery(leak):
        return False
    return not any(ig.matches(leak) for ig in opts.ignores)


def _check(opts: _Options, here: Here) -> list[Leak]:
    snapshots = [ig for ig in opts.ignores if isinstance(ig, Snapshot)]
    leaks: list[Leak] = []
    for source in SOURCES:
        for obj in source.live(here):
            if any(ig.covers(obj) for ig in snapshots):
                continue  # cheap identity test first: no stack captured
            leak = source.describe(obj)
            if leak is not None and keep(leak, source, opts):
                leaks.append(leak)
    return leaks


def _loop_running_here() -> str | None:
    trio: Any = sys.modules.get("trio")
    if trio is not None and trio.lowlevel.in_trio_run():
        return "trio"
    if asyncio._get_running_loop() is not None:
        return "asyncio"
    return None


def find(
    *,
    ignore: IgnoreArg = None,
    retries: int = DEFAULT_RETRIES,
    max_sleep: float = DEFAULT_MAX_SLEEP,
    ignore_machinery: bool = True,
) -> list[Leak]:
    """The tasks and threads still alive, after retrying with back-off; ``[]`` if none.

    Sees pending asyncio tasks on every loop of the process, trio tasks when called
    inside ``trio.run``, and every thread except the caller's and the main thread.
    Between tries it sleeps with ``time.sleep``, so call it where no event loop runs
    (after ``asyncio.run`` returned, in a pytest hook); inside a loop, ``await afind()``.

    Args:
        ignore: options from :func:`~joinery.leaks.ignore_current`,
            :func:`~joinery.leaks.ignore_top_function` etc., callables ``leak -> bool``,
            or an iterable of those.
        retries: how many more checks after the first finds something (goleak: 20).
        max_sleep: the longest sleep between checks, in seconds (goleak: 100 ms).
        ignore_machinery: skip the runners' own tasks and idle pool threads.

    Raises:
        RuntimeError: called with ``retries > 0`` inside a running event loop, where
            sleeping would freeze the very tasks it waits for.
    """
    opts = _Options.build(ignore, retries, max_sleep, ignore_machinery)
    running = _loop_running_here()
    if running is not None and opts.retries:
        raise RuntimeError(
            f"find() was called inside a running {running} loop, where its retries would "
            "sleep the loop and freeze the tasks it waits for; use `await afind()` "
            "(or find(retries=0) for a single look)"
        )
    here = Here.now()
    leaks = _check(opts, here)
    for delay in opts.delays():
        if not leaks:
            break
        time.sleep(delay)
        leaks = _check(opts, here)
    return leaks


async def afind(
    *,
    ignore: IgnoreArg = None,
    retries: int = DEFAULT_RETRIES,
    max_sleep: float = DEFAULT_MAX_SLEEP,
    ignore_machinery: bool = True,
) -> list[Leak]:
    """:func:`find` from inside asyncio or trio, sleeping on the loop's own clock.

    The retries ``await asyncio.sleep`` / ``trio.sleep``, so the tasks being waited for
    keep running and, under a virtual clock (trio's ``MockClock``, a virtual-clock asyncio
    loop), the outcome does not depend on the machine's speed. The calling task and the
    tasks waiting on it (its trio ancestors, the asyncio tasks awaiting it) are never
    reported. While a *thread* looks leaked, each retry also waits the same delay in real
    time (threads do not follow the loop's clock).

    Raises:
        RuntimeError: not awaited inside asyncio or trio.
    """
    opts = _Options.build(ignore, retries, max_sleep, ignore_machinery)
    sleep = _loop_sleep()
    here = Here.now()
    leaks = _check(opts, here)
    for delay in opts.delays():
        if not leaks:
            break
        await sleep(delay)
        if any(leak.kind == "thread" for leak in leaks):
            # Threads run on the real clock, not the loop's: under a virtual clock the
            # sleep above takes no real time, and a pool worker that has just delivered
            # its result would not get back to idle. Give threads real time too (this
            # blocks the loop, but only while a thread looks leaked).
            time.sleep(delay)  # noqa: ASYNC251  (on purpose, see above)
        leaks = _check(opts, here)
    return leaks


def _loop_sleep() -> Callable[[float], Any]:
    running = _loop_running_here()
    if running == "trio":
        trio: Any = sys.modules["trio"]
        if trio.lowlevel.in_trio_task():
            sleep: Callable[[float], Any] = trio.sleep
            return sleep
    elif running == "asyncio" and asyncio.current_task() is not None:
        return asyncio.sleep
    raise RuntimeError(
        "afind() and averify_none() must be awaited in an asyncio or trio task; "
        "outside an event loop use find() / verify_none()"
    )


def verify_none(
    *,
    ignore: IgnoreArg = None,
    retries: int = DEFAULT_RETRIES,
    max_sleep: float = DEFAULT_MAX_SLEEP,
    ignore_machinery: bool = True,
) -> None:
    """Raise :class:`LeakError` with a readable report if :func:`find` finds anything.

    Arguments as for :func:`find`.
    """
    leaks = find(
        ignore=ignore, retries=retries, max_sleep=max_sleep, ignore_machinery=ignore_machinery
    )
    if leaks:
        raise LeakError(leaks, attempts=retries + 1)


async def averify_none(
    *,
    ignore: IgnoreArg = None,
    retries: int = DEFAULT_RETRIES,
    max_sleep: float = DEFAULT_MAX_SLEEP,
    ignore_machinery: bool = True,
) -> None:
    """:func:`verify_none` from inside asyncio or trio; see :func:`afind`."""
    leaks = await afind(
        ignore=ignore, retries=retries, max_sleep=max_sleep, ignore_machinery=ignore_machinery
    )
    if leaks:
        raise LeakError(leaks, attempts=retries + 1)
