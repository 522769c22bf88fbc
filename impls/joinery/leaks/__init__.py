"""goleak for Python: find asyncio tasks, trio tasks and threads a piece of code left behind.

asyncio's and anyio's runners cancel leftover tasks silently when the loop closes, so a
test whose code leaks a task still passes. Check instead, at the point where everything
the code started should have ended::

    from joinery import leaks

    async def test_fetch():
        before = leaks.ignore_current()
        await fetch_all(urls)
        await leaks.averify_none(ignore=[before])   # raises LeakError with full stacks

    def test_worker():
        run_worker()
        leaks.verify_none()                         # threads, after the loop is gone

:func:`find` / :func:`afind` return the :class:`Leak` records; :func:`verify_none` /
:func:`averify_none` raise :class:`LeakError` with a report: each leak's kind, name,
full await chain (not only its top frame) and creation site when known. Like goleak,
a check that finds something retries with back-off (20 times, at most 100 ms apart), so
a task ending a few milliseconds late is not a leak.

What it sees: pending asyncio tasks on every loop (uvloop included), trio tasks when
called inside ``trio.run`` (the whole tree from the root, system tasks included) and
every thread but the caller's and the main one. The runners' own machinery is ignored
(anyio's test-runner task, trio's system tasks and idle thread cache, idle workers of
asyncio's and uvloop's default executors and of anyio's thread pool).

When not to use it: as a production watchdog (it walks every task's stack); or where a
task is meant to outlive the check (pass it in ``ignore=``).

asyncio's runners cancel leftover tasks at close; :func:`watch_runner_cleanup` records
them first, so that a check after ``asyncio.run`` still sees them.

A pytest plugin, :mod:`joinery.leaks.pytest_plugin`, runs these checks per test and per
session when configured.
"""

from joinery.leaks._find import (
    DEFAULT_MAX_SLEEP,
    DEFAULT_RETRIES,
    afind,
    averify_none,
    find,
    verify_none,
)
from joinery.leaks._model import Frame, Kind, Leak, LeakError, format_report
from joinery.leaks._options import (
    Ignore,
    Snapshot,
    ignore_any_function,
    ignore_current,
    ignore_entry_function,
    ignore_name,
    ignore_top_function,
)
from joinery.leaks._runners import RunnerCleanupWatch, watch_runner_cleanup
from joinery.leaks._stack import shorten_paths

__all__ = [
    "DEFAULT_MAX_SLEEP",
    "DEFAULT_RETRIES",
    "Frame",
    "Ignore",
    "Kind",
    "Leak",
    "LeakError",
    "RunnerCleanupWatch",
    "Snapshot",
    "afind",
    "averify_none",
    "find",
    "format_report",
    "ignore_any_function",
    "ignore_current",
    "ignore_entry_function",
    "ignore_name",
    "ignore_top_function",
    "shorten_paths",
    "verify_none",
    "watch_runner_cleanup",
]
