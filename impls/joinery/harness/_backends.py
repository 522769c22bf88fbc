"""The few primitives the harness needs, once per backend.

The harness must observe models without depending on any of them, so it talks to the
event loop directly: a small interface, one implementation for asyncio and one for trio
(in the spirit of anyio's backends, without anyio's cancellation machinery, which would
itself change what we observe, e.g. by re-delivering a cancellation a child swallowed).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import trio

Mode = Literal["none", "cancel", "timeout"]


@dataclass
class Outcome:
    """How a call ended, as the calling harness saw it.

    Attributes:
        value: the return value, if it returned.
        error: the exception it raised (bare or a group), if any.
        ended_at: virtual time at which the call ended (or was abandoned as hung).
        hung: the call had not ended by the hang deadline; the harness cancelled it.
        interrupted: the harness cancelled the call on purpose (outer cancel or timeout).
        cancelled: the call ended by the backend's cancellation (asyncio: the caller's
            task was cancelled; trio: the caller's cancel scope caught a Cancelled).
    """

    value: Any = None
    error: BaseException | None = None
    ended_at: float = math.nan
    hung: bool = False
    interrupted: bool = False
    cancelled: bool = False
    end_seq: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def returned(self) -> bool:
        """True if the call returned normally."""
        return self.error is None and not self.hung


class Signal(Protocol):
    """A one-shot event: ``asyncio.Event`` or ``trio.Event``."""

    def set(self) -> None:
        """Wake every waiter, now and later."""
        ...

    def is_set(self) -> bool:
        """Whether :meth:`set` was called."""
        ...

    async def wait(self) -> Any:
        """Return once :meth:`set` was called."""
        ...


class LoopOps(Protocol):
    """The primitives one backend provides."""

    name: str

    def now(self) -> float:
        """The current (virtual) time."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep on the loop's clock."""
        ...

    def cancelled_class(self) -> type[BaseException]:
        """The exception this backend cancels with."""
        ...

    def event(self) -> Signal:
        """A new one-shot event of this backend."""
        ...

    async def wait(self, event: Signal, timeout: float) -> bool:
        """Wait for ``event`` at most ``timeout`` seconds; True if it was set."""
        ...

    async def observe(
        self,
        fn: Callable[[], Awaitable[Any]],
        *,
        hang_after: float,
        interrupt_after: float | None,
        mode: Mode,
    ) -> Outcome:
        """Run ``fn()`` as the harness's child and report how it ended.

        ``mode="cancel"`` cancels it from outside after ``interrupt_after``;
        ``mode="timeout"`` wraps it in the backend's own timeout. Whatever the mode, a
        call still running ``hang_after`` seconds after it started is recorded as hung
        and cancelled (repeatedly, a bounded number of times) so the experiment ends.
        """
        ...


class AsyncioOps:
    """asyncio primitives."""

    name = "asyncio"

    def now(self) -> float:
        """The running loop's time."""
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``."""
        await asyncio.sleep(seconds)

    def cancelled_class(self) -> type[BaseException]:
        """``asyncio.CancelledError``."""
        return asyncio.CancelledError

    def event(self) -> Signal:
        """``asyncio.Event``."""
        return asyncio.Event()

    async def wait(self, event: Signal, timeout: float) -> bool:
        """``event.wait()`` under ``asyncio.timeout``."""
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return False
        return True

    async def observe(
        self,
        fn: Callable[[], Awaitable[Any]],
        *,
        hang_after: float,
        interrupt_after: float | None,
        mode: Mode,
    ) -> Outcome:
        """See :meth:`LoopOps.observe`."""
        out = Outcome()

        async def call() -> Any:
            if mode == "timeout" and interrupt_after is not None:
                async with asyncio.timeout(interrupt_after):
                    return await fn()
            return await fn()

        start = self.now()
        task = asyncio.ensure_future(call())
        task.set_name("joinery-harness-caller")
        handle = None
        if mode == "cancel" and interrupt_after is not None:
            handle = asyncio.get_running_loop().call_later(interrupt_after, task.cancel)
        done, _ = await asyncio.wait({task}, timeout=hang_after)
        out.ended_at = self.now()
        if handle is not None:
            handle.cancel()
        if interrupt_after is not None and mode != "none":
            out.interrupted = out.ended_at >= start + interrupt_after
        if not done:
            # Hung: cancel until it ends, a bounded number of times, so the run finishes.
            out.hung = True
            for _ in range(10):
                task.cancel()
                done, _ = await asyncio.wait({task}, timeout=1.0)
                if done:
                    break
            else:
                out.notes.append("call still running after 10 cancellations; abandoned")
                return out
        if task.cancelled():
            out.cancelled = True
        elif task.exception() is not None:
            out.error = task.exception()
        else:
            out.value = task.result()
        return out


class TrioOps:
    """trio primitives."""

    name = "trio"

    def now(self) -> float:
        """``trio.current_time()``."""
        return trio.current_time()

    async def sleep(self, seconds: float) -> None:
        """``trio.sleep``."""
        await trio.sleep(seconds)

    def cancelled_class(self) -> type[BaseException]:
        """``trio.Cancelled``."""
        return trio.Cancelled

    def event(self) -> Signal:
        """``trio.Event``."""
        return trio.Event()

    async def wait(self, event: Signal, timeout: float) -> bool:
        """``event.wait()`` under ``trio.move_on_after``."""
        with trio.move_on_after(timeout):
            await event.wait()
            return True
        return False

    async def observe(
        self,
        fn: Callable[[], Awaitable[Any]],
        *,
        hang_after: float,
        interrupt_after: float | None,
        mode: Mode,
    ) -> Outcome:
        """See :meth:`LoopOps.observe`."""
        out = Outcome()
        start = self.now()
        watchdog = trio.CancelScope(deadline=start + hang_after)
        with watchdog:
            try:
                if mode == "none" or interrupt_after is None:
                    out.value = await fn()
                elif mode == "timeout":
                    with trio.fail_after(interrupt_after):
                        out.value = await fn()
                else:
                    outer = trio.CancelScope(deadline=start + interrupt_after)
                    with outer:
                        out.value = await fn()
                    out.cancelled = outer.cancelled_caught
            except BaseException as exc:  # the observer records everything
                out.error = exc
        out.ended_at = self.now()
        if interrupt_after is not None and mode != "none":
            out.interrupted = out.ended_at >= start + interrupt_after
        if watchdog.cancel_called:
            out.hung = True
            out.cancelled = watchdog.cancelled_caught
        return out
