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
import gc
import math
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import trio
import trio.testing

from joinery.harness._backends import AsyncioOps, LoopOps, Mode, Outcome, TrioOps
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
        return await self.ops.observe(
            lambda: fn(*args),
            hang_after=hang_after,
            interrupt_after=cancel_after if cancel_after is not None else timeout_after,
            mode=mode,
        )


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


def _describe_task(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", repr(coro))
    return f"asyncio task {task.get_name()!r} running {name}"


def run_lab(backend: Backend, experiment: Callable[[Lab], Awaitable[R]]) -> LabReport[R]:
    """Run ``experiment(lab)`` on a fresh virtual-clock loop of ``backend``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if backend == "asyncio":
            report = _run_asyncio(experiment)
        elif backend == "trio":
            report = _run_trio(experiment)
        else:
            raise ValueError(f"unknown backend {backend!r}; expected 'asyncio' or 'trio'")
        gc.collect()  # flush "coroutine ... was never awaited" from dropped coroutines
    report.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
    return report


def _run_asyncio(experiment: Callable[[Lab], Awaitable[R]]) -> LabReport[R]:
    loop = new_virtual_loop()
    loop_errors: list[str] = []
    loop.set_exception_handler(lambda _loop, ctx: loop_errors.append(_format_ctx(ctx)))
    lab = Lab(AsyncioOps())
    snapshot: dict[str, Any] = {}

    async def main() -> R:
        try:
            return await experiment(lab)
        finally:
            me = asyncio.current_task()
            snapshot["leftovers"] = [
                _describe_task(t) for t in asyncio.all_tasks() if t is not me and not t.done()
            ]
            snapshot["open"] = list(lab.journal.open_calls())
            snapshot["seq"] = lab.mark("experiment ended")

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
        snapshot["leftovers"] = [
            _describe_task(t)
            for t in asyncio.all_tasks(loop)
            if not t.done() and not t.get_name().startswith(HARNESS_TASK_PREFIX)
        ]
        snapshot["open"] = list(lab.journal.open_calls())
        snapshot["seq"] = lab.journal.next_seq()
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
        try:
            return await experiment(lab)
        finally:
            snapshot["leftovers"] = _trio_leftovers()
            snapshot["open"] = list(lab.journal.open_calls())
            snapshot["seq"] = lab.mark("experiment ended")

    value: R | None = None
    error: BaseException | None = None
    try:
        value = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    except BaseException as exc:
        error = exc
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


def _trio_leftovers() -> list[str]:
    """Tasks alive besides the experiment's own chain, system tasks of models included."""
    me = trio.lowlevel.current_task()
    chain = set()
    t: trio.lowlevel.Task | None = me
    while t is not None:
        chain.add(t)
        parent = t.parent_nursery
        t = parent.parent_task if parent is not None else None
    found: list[str] = []

    def walk(task: trio.lowlevel.Task) -> None:
        for nursery in task.child_nurseries:
            for child in nursery.child_tasks:
                if child not in chain and not _is_trio_internal(child):
                    found.append(f"trio task {child.name!r}")
                walk(child)

    root = trio.lowlevel.current_root_task()
    if root is not None:
        walk(root)
    return found


def _is_trio_internal(task: trio.lowlevel.Task) -> bool:
    module = getattr(task.coro, "cr_frame", None)
    filename = module.f_code.co_filename if module is not None else ""
    return "/trio/" in filename.replace("\\", "/") or task.name.startswith("trio.")


def finite(x: float) -> float | None:
    """``x``, or None for NaN/inf (JSON has neither)."""
    return x if math.isfinite(x) else None
