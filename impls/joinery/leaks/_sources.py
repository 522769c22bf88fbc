"""Where leaks come from: one small source per kind, behind one interface.

Each source lists the live objects of its kind except the caller's own (the calling
task, what awaits it or is its ancestor, the calling thread), turns one of them into a
:class:`~joinery.leaks._model.Leak` only when asked, and recognises its runners' own
machinery (anyio's test-runner task, trio's system tasks and idle thread cache, asyncio's
idle default executor) so that clean code gives no false positive.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from joinery.leaks._model import Frame, Kind, Leak
from joinery.leaks._stack import await_chain, thread_stack


@dataclass(frozen=True)
class Here:
    """Who is asking: these are never leaks."""

    asyncio_task: asyncio.Task[Any] | None
    trio_task: Any  # trio.lowlevel.Task | None; trio is imported only if already in use
    thread_ident: int

    @classmethod
    def now(cls) -> Here:
        """The calling task (asyncio or trio, if any) and thread."""
        atask = asyncio.current_task() if asyncio._get_running_loop() is not None else None
        return cls(atask, _current_trio_task(), threading.get_ident())


class Source(Protocol):
    """One kind of leak."""

    kind: Kind

    def live(self, here: Here) -> list[object]:
        """Live objects of this kind, the caller's own excluded. Cheap: no stacks."""
        ...

    def describe(self, obj: object) -> Leak | None:
        """The full record of ``obj``, or None if it ended meanwhile."""
        ...

    def is_machinery(self, leak: Leak) -> bool:
        """True for a runner's own task or thread, which is not the user's leak."""
        ...


# ---------------------------------------------------------------- asyncio

_ASYNCIO_MACHINERY = frozenset(
    {
        # anyio's pytest runner: one task lives across tests, receiving them one by one,
        # and a helper task per call waits for its result.
        "anyio._backends._asyncio.TestRunner._run_tests_and_fixtures",
        "anyio._backends._asyncio.TestRunner._call_in_runner_task",
    }
)


def _asyncio_registry() -> list[asyncio.Task[Any]]:
    """Every asyncio task of the process, on any loop and any thread.

    3.11 keeps them all in ``asyncio.tasks._all_tasks`` (C tasks and uvloop's included);
    3.12-3.13 split it into ``_scheduled_tasks`` and ``_eager_tasks``; 3.14 keeps native
    tasks in per-thread lists that only ``asyncio.all_tasks(loop)`` can read, so there we
    see the running loop's tasks only.
    """
    mod: Any = asyncio.tasks
    found: list[asyncio.Task[Any]] = []
    for attr in ("_all_tasks", "_scheduled_tasks", "_eager_tasks"):
        registry = getattr(mod, attr, None)
        if registry is None:
            continue
        # Another thread may add a task while we copy: retry, as asyncio.all_tasks does.
        for _ in range(1000):
            try:
                found.extend(list(registry))
                break
            except RuntimeError:
                continue
    if asyncio._get_running_loop() is not None:
        found.extend(asyncio.all_tasks())
    return found


def _awaits(task: asyncio.Task[Any], target: asyncio.Task[Any]) -> bool:
    """True if ``task`` is blocked (directly or through tasks and gathers) on ``target``."""
    stack: list[Any] = [getattr(task, "_fut_waiter", None)]
    seen: set[int] = set()
    while stack:
        fut = stack.pop()
        if fut is None or id(fut) in seen:
            continue
        if fut is target:
            return True
        seen.add(id(fut))
        stack.extend(getattr(fut, "_children", None) or ())
        stack.append(getattr(fut, "_fut_waiter", None))
    return False


def _mid_step_here(task: asyncio.Task[Any]) -> bool:
    """True if ``task``'s step is in progress on this thread: it is below the caller.

    With an eager task factory (3.12+) a child's first step runs inside the spawner's
    ``create_task``: while the child looks, the spawner is running, not blocked at an
    await, and is the caller's own ancestry rather than something left behind:
        asyncio.create_task(looker())   # looker() calls find() inside this line
    """
    coro: Any = task.get_coro()
    running = asyncio._get_running_loop()
    return bool(getattr(coro, "cr_running", False)) and task.get_loop() is running


class AsyncioSource:
    """Pending asyncio tasks on every loop (uvloop included)."""

    kind: Kind = "asyncio"

    def live(self, here: Here) -> list[object]:
        """Pending tasks other than the caller and the tasks awaiting it."""
        me = here.asyncio_task
        out: list[object] = []
        seen: set[int] = set()
        for task in _asyncio_registry():
            if task.done() or task is me or id(task) in seen:
                continue
            seen.add(id(task))
            if me is not None and _awaits(task, me):
                continue  # e.g. asyncio.run's main task awaiting the task that checks
            if _mid_step_here(task):
                continue  # the caller's spawner, below an eager task's first step (3.12+)
            out.append(task)
        return out

    def describe(self, obj: object) -> Leak | None:
        """The task's await chain, its loop's state and its creation site if recorded."""
        assert isinstance(obj, asyncio.Task)
        if obj.done():
            return None
        coro = obj.get_coro()
        loop = obj.get_loop()
        loop_name = f"{type(loop).__module__}.{type(loop).__qualname__}"
        if loop.is_closed():
            state = f"pending on a closed {loop_name}: it will never run again"
        elif loop.is_running():
            state = f"pending on a running {loop_name}"
        else:
            state = f"pending on a {loop_name} that is not running"
        if inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == "CORO_CREATED":
            state += "; never started"
        source_tb = getattr(obj, "_source_traceback", None)
        created = None
        note = (
            "asyncio records it only in debug mode: PYTHONASYNCIODEBUG=1, "
            "asyncio.run(..., debug=True) or loop.set_debug(True)"
        )
        if source_tb:
            created = tuple(Frame(fs.name, fs.filename, fs.lineno or 0) for fs in source_tb)
            note = ""
        return Leak(
            kind="asyncio",
            name=obj.get_name(),
            state=state,
            stack=tuple(await_chain(coro, getattr(obj, "_fut_waiter", None))),
            created=created,
            created_note=note,
            obj=obj,
        )

    def is_machinery(self, leak: Leak) -> bool:
        """The test-runner tasks of anyio."""
        return leak.entry_function in _ASYNCIO_MACHINERY


# ---------------------------------------------------------------- trio

_TRIO_MACHINERY = frozenset(
    {
        "trio._core._run.Runner.init",  # the root task, "<init>"
        "trio._core._entry_queue.EntryQueue.task",  # runs run_sync_soon callbacks
        # anyio's pytest runner on trio: the main task that receives the tests.
        "anyio._backends._trio.TestRunner._run_tests_and_fixtures",
    }
)


def _current_trio_task() -> Any:
    trio = sys.modules.get("trio")
    if trio is None or not trio.lowlevel.in_trio_task():
        return None
    return trio.lowlevel.current_task()


def _trio_tree() -> Iterator[Any]:
    trio = sys.modules.get("trio")
    if trio is None or not trio.lowlevel.in_trio_run():
        return  # trio's tasks are reachable only from inside trio.run
    todo = [trio.lowlevel.current_root_task()]
    while todo:
        task = todo.pop()
        yield task
        for nursery in task.child_nurseries:
            todo.extend(nursery.child_tasks)


class TrioSource:
    """Every task of the running trio run, system tasks included."""

    kind: Kind = "trio"

    def live(self, here: Here) -> list[object]:
        """The whole tree from the root task, minus the caller and its ancestors."""
        mine: set[int] = set()
        task = here.trio_task
        while task is not None:  # the caller's ancestors wait for it: not leaks
            mine.add(id(task))
            parent = task.parent_nursery
            task = parent.parent_task if parent is not None else None
        return [t for t in _trio_tree() if id(t) not in mine]

    def describe(self, obj: object) -> Leak | None:
        """The task's await chain from ``task.coro`` and the task it was spawned under."""
        task: Any = obj
        parent_nursery = task.parent_nursery
        parent = parent_nursery.parent_task if parent_nursery is not None else None
        if parent is None:
            where = "the root task"
        elif parent.parent_nursery is None and task is not _main_task(task):
            where = f"a system task (spawned under {parent.name!r})"
        else:
            where = f"a child in a nursery of task {parent.name!r}"
        return Leak(
            kind="trio",
            name=task.name,
            state=f"running in trio.run as {where}",
            stack=tuple(await_chain(task.coro)),
            created=None,
            created_note=f"trio does not record where a task was spawned; it is {where}",
            obj=task,
        )

    def is_machinery(self, leak: Leak) -> bool:
        """The system tasks of trio and the runner task of anyio."""
        return leak.entry_function in _TRIO_MACHINERY


def _main_task(task: Any) -> Any:
    runner = getattr(task, "_runner", None)
    return getattr(runner, "main_task", None)


# ---------------------------------------------------------------- threads

_IDLE_WORKER_LOOPS = {
    # function a pool worker idles in -> thread-name prefixes it counts as machinery for
    "trio._core._thread_cache.WorkerThread._work": ("",),
    "anyio._backends._asyncio.WorkerThread.run": ("",),
    # asyncio's and uvloop's default executors; a user's own ThreadPoolExecutor that
    # was never shut down is still reported.
    "concurrent.futures.thread._worker": ("asyncio_", "uvloop_"),
}
_WAIT_MODULES = ("threading.", "queue.")


class ThreadSource:
    """Every thread that runs Python code, ``threading`` ones or not."""

    kind: Kind = "thread"

    def live(self, here: Here) -> list[object]:
        """Threads other than the caller's and the main thread (which runs the tests)."""
        by_ident = {t.ident: t for t in threading.enumerate()}
        skip = {here.thread_ident, threading.main_thread().ident}
        return [by_ident.get(ident, ident) for ident in sys._current_frames() if ident not in skip]

    def describe(self, obj: object) -> Leak | None:
        """The thread's whole call stack."""
        ident = obj if isinstance(obj, int) else getattr(obj, "ident", None)
        frame = sys._current_frames().get(ident) if isinstance(ident, int) else None
        if frame is None:
            return None  # it ended meanwhile
        if isinstance(obj, threading.Thread):
            name = obj.name
            state = "daemon thread, running" if obj.daemon else "thread, running"
        else:
            name = f"<thread {ident}>"
            state = "running, started outside the threading module"
        return Leak(
            kind="thread",
            name=name,
            state=state,
            stack=tuple(thread_stack(frame)),
            created=None,
            created_note="threading does not record where a thread was started",
            obj=obj,
        )

    def is_machinery(self, leak: Leak) -> bool:
        """An idle worker of trio's thread cache, anyio's pool or asyncio's executor."""
        for function in reversed(leak.functions):
            if function.startswith(_WAIT_MODULES):
                continue  # blocked in Queue.get / Condition.wait: look at who waits
            prefixes = _IDLE_WORKER_LOOPS.get(function)
            return prefixes is not None and leak.name.startswith(prefixes)
        return False


SOURCES: tuple[Source, ...] = (AsyncioSource(), TrioSource(), ThreadSource())
