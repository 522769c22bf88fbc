"""One experiment: a fresh event loop on a virtual clock, fake services, an observer.

``run_lab("asyncio", experiment)`` runs ``await experiment(lab)`` in a new
:class:`~joinery.harness.VirtualClockEventLoop`; ``run_lab("trio", ...)`` in ``trio.run``
with ``MockClock(autojump_threshold=0)``. When the experiment's coroutine ends, and
*before* any clean-up (which would hide a leak, as ``asyncio.run`` and anyio's runner
do), the lab notes every task still alive and every service call still open. Only then
does it cancel what is left and close the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import math
import re
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import trio
import trio.testing

from joinery import leaks
from joinery.harness._backends import AsyncioOps, LoopOps, Mode, Outcome, Signal, TrioOps
from joinery.harness._services import CallRecord, FakeService, Journal, Script
from joinery.harness._virtual_loop import new_virtual_loop
from joinery.models import Backend

R = TypeVar("R")

HARNESS_TASK_PREFIX = "joinery-harness"
DEFAULT_HANG_AFTER = 1000.0
"""Virtual seconds after which the observer calls a call hung (scenarios need ~100)."""


class Failure(Exception):
    """The exception fake services raise; each instance is unique and named."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Lab:
    """The observer's workbench inside one experiment. Create it with :func:`run_lab`."""

    def __init__(self, ops: LoopOps) -> None:
        self.ops = ops
        self.backend: Backend = "trio" if ops.name == "trio" else "asyncio"
        self.journal = Journal(ops)

    def service(
        self,
        name: str,
        scripts: Mapping[str, Script] | None = None,
        default: Script | None = None,
    ) -> FakeService:
        """A new fake service recording into this lab's journal."""
        return FakeService(self.journal, name, scripts, default)

    def now(self) -> float:
        """Virtual time."""
        return self.ops.now()

    async def sleep(self, seconds: float) -> None:
        """Let the world (and any orphan) run for ``seconds`` of virtual time."""
        await self.ops.sleep(seconds)

    def event(self) -> Signal:
        """A one-shot event of the lab's backend, e.g. set by a fake the model calls."""
        return self.ops.event()

    async def wait(self, event: Signal, timeout: float) -> bool:
        """Wait for ``event`` at most ``timeout`` virtual seconds; True if it was set.

        The observer waits on what the model does (a flush has started) rather than on a
        time guessed from how a model is likely to schedule it.
        """
        return await self.ops.wait(event, timeout)

    def mark(self, label: str) -> int:
        """Record a harness event; returns its sequence number for before/after checks."""
        return self.journal.mark(label)

    async def observe(
        self,
        fn: Callable[..., Awaitable[Any]],
        *args: Any,
        hang_after: float = DEFAULT_HANG_AFTER,
        cancel_after: float | None = None,
        timeout_after: float | None = None,
    ) -> Outcome:
        """Call ``await fn(*args)`` as the model's caller and record how it ended.

        Args:
            fn: the scenario function.
            *args: its arguments.
            hang_after: virtual seconds after which the call counts as hung.
            cancel_after: cancel the call from outside after this many seconds.
            timeout_after: run the call under the backend's timeout of this many seconds.
        """
        if cancel_after is not None and timeout_after is not None:
            raise ValueError("observe() takes cancel_after or timeout_after, not both")
        mode: Mode = (
            "cancel" if cancel_after is not None else "timeout" if timeout_after else "none"
        )
        end_seq = 0

        async def call() -> Any:
            # The mark is taken inside the caller, at the very moment the call ends, so
            # that a child running after it (an orphan) is seen as running *after* it.
            nonlocal end_seq
            try:
                return await fn(*args)
            finally:
                end_seq = self.journal.mark("call ended")

        out = await self.ops.observe(
            call,
            hang_after=hang_after,
            interrupt_after=cancel_after if cancel_after is not None else timeout_after,
            mode=mode,
        )
        out.end_seq = end_seq or self.journal.mark("call abandoned")
        return out


@dataclass
class LabReport(Generic[R]):
    """What the observer knows after an experiment.

    Attributes:
        backend: where it ran.
        value: what the experiment returned (``None`` if it raised or was interrupted).
        error: what the experiment raised, or what escaped the event loop itself
            (asyncio lets KeyboardInterrupt and SystemExit out of a task's step).
        escaped_loop: True when ``error`` escaped the event loop rather than the
            experiment's own coroutine.
        leftovers: tasks still alive when the experiment ended, before any clean-up.
        open_at_end: service calls still open at that moment.
        loop_errors: what reached the loop's exception handler (e.g. "Task exception was
            never retrieved": an error nobody awaited).
        warnings: warnings raised during the run (e.g. "coroutine ... was never awaited").
        journal: every service call and harness mark.
    """

    backend: Backend
    value: R | None
    error: BaseException | None
    escaped_loop: bool
    leftovers: list[str]
    open_at_end: list[CallRecord]
    loop_errors: list[str]
    warnings: list[str]
    journal: Journal
    end_seq: int = 0
    notes: list[str] = field(default_factory=list)


def _clear_frames(exc: BaseException | None, seen: set[int] | None = None) -> None:
    seen = set() if seen is None else seen
    if exc is None or id(exc) in seen:
        return
    seen.add(id(exc))
    tb = exc.__traceback__
    while tb is not None:
        with contextlib.suppress(RuntimeError):  # a frame still executing keeps its locals
            tb.tb_frame.clear()
        tb = tb.tb_next
    for sub in getattr(exc, "exceptions", ()):
        _clear_frames(sub, seen)
    _clear_frames(exc.__cause__, seen)
    _clear_frames(exc.__context__, seen)


def _ignored(before: leaks.Snapshot | None) -> list[Any]:
    """What the lab's leak check leaves out.

    What existed before the experiment, the harness's own tasks, and threads (they
    belong to the process, not to the experiment).
    """
    return [
        *([before] if before is not None else []),
        leaks.ignore_name(f"{HARNESS_TASK_PREFIX}*"),
        lambda leak: leak.kind == "thread",
    ]


async def _look_for_leaks(lab: Lab, snapshot: dict[str, Any], before: leaks.Snapshot) -> None:
    # Open calls and the end mark first: the detector's retries (goleak's back-off, on
    # the loop's virtual clock) let orphans run a little longer, and that must not
    # change what was open at the moment the experiment ended.
    snapshot["open"] = list(lab.journal.open_calls())
    snapshot["seq"] = lab.mark("experiment ended")
    found = await leaks.afind(ignore=_ignored(before))
    snapshot["leftovers"] = sorted(_stable(leak.format()) for leak in found)


def _stable(text: str) -> str:
    # asyncio's default task names count tasks process-wide ("Task-27") and reprs carry
    # addresses: neither may make the same experiment's evidence differ between runs.
    text = re.sub(r"'Task-\d+'", "'Task-N'", text)
    return leaks.shorten_paths(re.sub(r" at 0x[0-9a-f]+", "", text))


def run_lab(backend: Backend, experiment: Callable[[Lab], Awaitable[R]]) -> LabReport[R]:
    """Run ``experiment(lab)`` on a fresh virtual-clock loop of ``backend``."""
    if backend not in ("asyncio", "trio"):
        raise ValueError(f"unknown backend {backend!r}; expected 'asyncio' or 'trio'")
    # No automatic collection during the run: when cyclic garbage (say, a pending task
    # nobody references) is collected would otherwise depend on the whole process's
    # allocation history, not on the experiment. And since nothing is promoted while
    # collection is off, everything the run created is still in the youngest generation
    # at the end, where a cheap gc.collect(0) finds it (a full collection per run was
    # nine tenths of the suite's time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run = _run_asyncio if backend == "asyncio" else _run_trio
            report = run(experiment)
            # The exceptions we keep for judging hold the frames, and the frames hold locals
            # such as a coroutine a closed scope refused: clear the locals so that its "never
            # awaited" warning is raised here, recorded, and not later in someone else's test.
            _clear_frames(report.error)
            if isinstance(report.value, Outcome):
                _clear_frames(report.value.error)
            gc.collect(0)
    finally:
        if gc_was_enabled:
            gc.enable()
    report.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
    return report


def _run_asyncio(experiment: Callable[[Lab], Awaitable[R]]) -> LabReport[R]:
    loop = new_virtual_loop()
    loop_errors: list[str] = []
    loop.set_exception_handler(lambda _loop, ctx: loop_errors.append(_format_ctx(ctx)))
    lab = Lab(AsyncioOps())
    snapshot: dict[str, Any] = {}

    async def main() -> R:
        before = leaks.ignore_current()
        snapshot["before"] = before
        try:
            return await experiment(lab)
        finally:
            if "seq" not in snapshot:  # not already taken because something escaped the loop
                await _look_for_leaks(lab, snapshot, before)

    value: R | None = None
    error: BaseException | None = None
    escaped = False
    main_task = loop.create_task(main(), name=f"{HARNESS_TASK_PREFIX}-main")
    try:
        value = loop.run_until_complete(main_task)
    except BaseException as exc:
        error = exc
        escaped = not main_task.done()
    if escaped:
        # Something left the loop from inside a task's step (KeyboardInterrupt,
        # SystemExit): the experiment never finished, so take the snapshot now.
        snapshot["open"] = list(lab.journal.open_calls())
        snapshot["seq"] = lab.journal.next_seq()
        found = leaks.find(ignore=_ignored(snapshot.get("before")), retries=0)
        snapshot["leftovers"] = sorted(_stable(leak.format()) for leak in found)
    notes = _teardown_asyncio(loop)
    return LabReport(
        backend="asyncio",
        value=value,
        error=error,
        escaped_loop=escaped,
        leftovers=snapshot.get("leftovers", []),
        open_at_end=snapshot.get("open", []),
        loop_errors=loop_errors,
        warnings=[],
        journal=lab.journal,
        end_seq=snapshot.get("seq", 0),
        notes=notes,
    )


def _teardown_asyncio(loop: asyncio.AbstractEventLoop) -> list[str]:
    notes: list[str] = []
    try:
        for _ in range(10):
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            if not pending:
                break
            for t in pending:
                t.cancel()
            try:
                loop.run_until_complete(asyncio.wait(pending, timeout=1.0))
            except BaseException as exc:  # a task that raises KeyboardInterrupt on cancel
                notes.append(f"teardown: {type(exc).__name__} while cancelling leftovers")
        else:
            notes.append("teardown: tasks survived 10 rounds of cancellation")
        for t in asyncio.all_tasks(loop):
            if t.done() and not t.cancelled():
                t.exception()  # retrieved: the observer already recorded what mattered
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
    return notes


def _format_ctx(ctx: dict[str, Any]) -> str:
    msg = str(ctx.get("message", ""))
    exc = ctx.get("exception")
    return f"{msg}: {exc!r}" if exc is not None else msg


def _run_trio(experiment: Callable[[Lab], Awaitable[R]]) -> LabReport[R]:
    lab = Lab(TrioOps())
    snapshot: dict[str, Any] = {}

    async def main() -> R:
        before = leaks.ignore_current()
        try:
            return await experiment(lab)
        finally:
            await _look_for_leaks(lab, snapshot, before)

    value: R | None = None
    error: BaseException | None = None
    # Trio runs each batch of ready tasks in an order that depends on chance and on
    # memory addresses (sets of tasks), so that code cannot rely on an order. Two
    # children failing at the same virtual instant would then be judged the same way but
    # described differently from run to run. Trio's own Hypothesis plugin switches on
    # deterministic scheduling (sort the batch by creation order, shuffle it with a seeded
    # generator); we do the same, for this run only.
    trio_run = importlib.import_module("trio._core._run")
    flag = "_ALLOW_DETERMINISTIC_SCHEDULING"
    saved = getattr(trio_run, flag)
    setattr(trio_run, flag, True)
    trio_run._r.seed(0)
    try:
        value = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    except BaseException as exc:
        error = exc
    finally:
        setattr(trio_run, flag, saved)
    return LabReport(
        backend="trio",
        value=value,
        error=error,
        escaped_loop=False,
        leftovers=snapshot.get("leftovers", []),
        open_at_end=snapshot.get("open", []),
        loop_errors=[],
        warnings=[],
        journal=lab.journal,
        end_seq=snapshot.get("seq", 0),
    )


def finite(x: float) -> float | None:
    """``x``, or None for NaN/inf (JSON has neither)."""
    return x if math.isfinite(x) else None
