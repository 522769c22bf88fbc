"""What a generated program runs with: logging, normalising, and one runner per backend.

This file is self-contained on purpose: a counterexample is printed as this file plus
the program's source, a script that runs as is (``python repro.py``) on both backends.
Everything observed is normalised to text that is the same on asyncio and trio: the
virtual time, who did what, and exceptions as their type and message (joinery's own
errors by type only, since their messages name file:line sites).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import trio
import trio.testing
from joinery import task
from joinery.harness import VirtualClockEventLoop

LOG: list[tuple[float, str, str]] = []
"""(virtual time, who, what): one entry per observable event of the running program."""

WATCHDOG = 1000.0
"""Virtual seconds after which a program is declared hung (scripts sleep at most 100)."""

MAX_LOOP_STEPS = 200_000
"""asyncio loop iterations after which a program is declared hung (a busy re-cancel loop
never lets the virtual clock reach the watchdog)."""


class Halt(BaseException):
    """A user BaseException that is neither KeyboardInterrupt nor SystemExit."""


USER_ERRORS = {"ValueError": ValueError, "KeyError": KeyError, "Halt": Halt}


def norm(e: BaseException | None) -> str:
    """An exception as text that does not depend on the backend or on file:line sites."""
    if e is None:
        return "None"
    name = type(e).__name__
    if isinstance(e, BaseExceptionGroup):
        return f"{name}[{', '.join(sorted(norm(x) for x in e.exceptions))}]"
    if isinstance(e, task.Cancelled):
        return f"Cancelled(cause={norm(e.cause)})"
    if type(e) in USER_ERRORS.values():
        return f"{name}({e.args[0]!r})"
    if type(e).__module__.startswith("joinery."):
        return name
    return f"{name}({str(e)[:80]!r})"  # unexpected: keep the message, it explains


def log(who: str, what: str) -> None:
    LOG.append((anyio.current_time(), who, what))


def cause() -> str:
    return norm(task.cause())


async def child(name: str, script: Callable[[], Awaitable[Any]]) -> Any:
    """Run a child's script, logging its start and how it ended."""
    log(name, "start")
    try:
        value = await script()
    except anyio.get_cancelled_exc_class():
        log(name, f"cancelled cause={cause()}")
        raise
    except BaseException as e:
        log(name, f"raise {norm(e)}")
        raise
    log(name, f"return {value!r}")
    return value


async def swallow(who: str, seconds: float) -> None:
    """Sleep, and swallow a cancellation that arrives meanwhile (a misbehaving child)."""
    try:
        await anyio.sleep(seconds)
    except anyio.get_cancelled_exc_class():
        log(who, f"swallowed cause={cause()}")


async def take(who: str, name: str, h: task.Handle[Any]) -> None:
    """``await h`` in a body, logging what it gave (its error does not end the body)."""
    try:
        value = await h
    except Exception as e:
        log(who, f"got {name}: {norm(e)}")
    else:
        log(who, f"got {name}: {value!r}")


async def stop(who: str, name: str, svc: task.Service) -> None:
    """``await svc.stop()`` in a body, logging what it raised."""
    try:
        await svc.stop()
    except Exception as e:
        log(who, f"stopped {name}: {norm(e)}")
    else:
        log(who, f"stopped {name}")


async def _under_outer_cancel(outer: float | None, program: Callable[[], Awaitable[None]]) -> str:
    """Run ``program`` under the backend's own timeout of ``outer`` s (if any) and a watchdog."""
    if anyio.get_cancelled_exc_class() is asyncio.CancelledError:
        watchdog = asyncio.timeout(WATCHDOG)
        async with watchdog:
            if outer is None:
                await program()
                return "returned"
            cm = asyncio.timeout(outer)
            try:
                async with cm:
                    await program()
            except TimeoutError as e:
                if type(e) is TimeoutError and cm.expired():
                    return "outer cancel caught"
                raise
            return "returned"
    with trio.fail_after(WATCHDOG):
        if outer is None:
            await program()
            return "returned"
        with trio.move_on_after(outer) as cs:
            await program()
        return "outer cancel caught" if cs.cancelled_caught else "returned"


async def observe(outer: float | None, program: Callable[[], Awaitable[None]]) -> dict[str, Any]:
    """Run ``program`` and return everything observed, normalised."""
    LOG.clear()
    try:
        outcome = await _under_outer_cancel(outer, program)
    except BaseException as e:  # what the program raised is the outcome
        outcome = (
            "hung" if isinstance(e, (TimeoutError, trio.TooSlowError)) else f"raised {norm(e)}"
        )
    return {"outcome": outcome, "time": anyio.current_time(), "log": sorted(LOG)}


class _StepLimitedLoop(VirtualClockEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self.steps = 0

    def _run_once(self) -> None:
        self.steps += 1
        if self.steps > MAX_LOOP_STEPS:
            raise RuntimeError("hung: busy loop")
        super()._run_once()  # type: ignore[misc]


def run(
    backend: str, outer: float | None, program: Callable[[], Awaitable[None]]
) -> dict[str, Any]:
    """Run ``program`` on a fresh virtual-clock loop of ``backend``; return what was observed."""
    if backend == "asyncio":
        try:
            with asyncio.Runner(loop_factory=_StepLimitedLoop) as runner:
                return runner.run(observe(outer, program))
        except RuntimeError as e:
            if "hung" not in str(e):
                raise
            return {"outcome": "hung (busy loop)", "time": None, "log": sorted(LOG)}
        except asyncio.CancelledError:  # a request left pending in the caller's task
            return {"outcome": "cancelled after returning", "time": None, "log": sorted(LOG)}
    # trio orders each batch at random (shuffled once hypothesis is imported): seed it,
    # so that a run is repeatable (hypothesis reseeds it for each example anyway).
    trio._core._run._r.seed(0)
    clock = trio.testing.MockClock(autojump_threshold=0)
    result: dict[str, Any] = trio.run(observe, outer, program, clock=clock)
    return result
