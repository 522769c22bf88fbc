"""The adapter protocol: what a model module provides, scenario by scenario.

A *model* is one way of writing the seed's scenarios (bare asyncio tasks, ``gather``,
``asyncio.TaskGroup``, a Trio nursery, ...). It is a plain module with a module-level
``MODEL: ModelInfo`` and one async function per scenario below. A scenario the model
cannot express is left out of the module and named in ``ModelInfo.unsupported`` with
the reason; the suite reports it as *unsupported*, which is not the same as *failing*.
A scenario the model can express on one backend only stays defined, names the other
backend in ``unsupported`` (``{"flusher": {"trio": "why"}}``), or raises
:class:`Unsupported` when called there: either way the cell says *unsupported* with
the reason.

Every callable the harness hands to a scenario is an async function taking no arguments
(the services are bound already), so models never see the harness.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

Backend = Literal["asyncio", "trio"]
"""The event loops a model can run on."""

BACKENDS: tuple[Backend, ...] = ("asyncio", "trio")

T = TypeVar("T")
AsyncFn = Callable[[], Coroutine[Any, Any, Any]]
"""A child's body: an async function of no arguments."""

TASK_SCENARIOS: dict[str, tuple[str, ...]] = {
    "T1": ("load_dashboard",),
    "T2": ("run_scope",),
    "T3": ("fetch_all",),
    "T4": (),  # the seed's T4 is an essay question: no program to judge
    "T5": ("run_shedded",),
    "T6": ("wait_then_spawn", "spawn_then_wait"),  # the bug as written, then the fix
    "T7": ("cause_of_cancel",),
    "T8": ("flusher",),
    "T9": ("check_all",),
}
"""The seed's tasks -> the scenario functions that implement them (the one copy of this map)."""

SCENARIOS: tuple[str, ...] = tuple(s for scenarios in TASK_SCENARIOS.values() for s in scenarios)
"""Scenario function names, in seed order."""


class Unsupported(Exception):
    """Raised when a model cannot express a scenario; the suite records *unsupported*.

    Raise it from a scenario function (before or while it runs) when the model cannot
    express the scenario on the backend it runs on; the message is the reason the cell
    shows. Do not raise it for a bug: that is a *fail*.
    """


@dataclass(frozen=True)
class Dashboard:
    """T1's result: the three fetched parts, in a fixed order."""

    user: object
    posts: object
    stats: object


class DashboardAPI(Protocol):
    """T1's three services. Each call may take time, fail, or be cancelled."""

    async def fetch_user(self, user_id: str) -> object:
        """Fetch the user record."""
        ...

    async def fetch_posts(self, user_id: str) -> object:
        """Fetch the user's posts."""
        ...

    async def fetch_stats(self, user_id: str) -> object:
        """Fetch the user's stats."""
        ...


class Scope(Protocol):
    """T2's scope as the body sees it."""

    def spawn(self, fn: AsyncFn) -> None:
        """Start ``fn()`` as a child bound to the scope's lifetime."""
        ...


class Flusher(Protocol):
    """T8's daemon handle."""

    async def stop(self) -> None:
        """Stop the flusher; return only after its loop has exited. Idempotent."""
        ...


# The scenario signatures, as documentation and for type-checking models:


class LoadDashboard(Protocol):
    """T1: fan out the three fetches; cancel the siblings if one fails."""

    async def __call__(self, api: DashboardAPI, user_id: str) -> Dashboard: ...


class RunScope(Protocol):
    """T2: run ``body(scope)``; every child it spawns is joined before returning."""

    async def __call__(self, body: Callable[[Scope], Awaitable[None]]) -> None: ...


class FetchAll(Protocol):
    """T3: ``fetch(url)`` for every url, at most ``limit`` in flight, results in input order."""

    async def __call__(
        self, fetch: Callable[[str], Awaitable[T]], urls: Sequence[str], limit: int
    ) -> list[T]: ...


class RunShedded(Protocol):
    """T5: try-spawn every job with at most ``limit`` running; return (accepted, dropped)."""

    async def __call__(self, jobs: Sequence[AsyncFn], limit: int) -> tuple[int, int]: ...


class SpawnAround(Protocol):
    """T6: ``wait_then_spawn`` is the bug as the model lets one write it.

    ``spawn_then_wait`` is the fix.
    """

    async def __call__(self, work: AsyncFn) -> None: ...


class CauseOfCancel(Protocol):
    """T7: run ``failing`` and ``sibling`` together.

    When ``sibling`` is cancelled because ``failing`` raised, call ``report(cause)`` with
    the cause as the sibling can obtain it through the model (``None`` if it cannot).
    The failure itself is raised to the caller as the model surfaces errors.
    """

    async def __call__(
        self, failing: AsyncFn, sibling: AsyncFn, report: Callable[[object], None]
    ) -> None: ...


class MakeFlusher(Protocol):
    """T8: an async context manager around a daemon.

    The daemon calls ``flush()`` every ``interval`` seconds; the manager yields a
    :class:`Flusher` whose ``stop()`` joins it.
    """

    def __call__(self, interval: float, flush: AsyncFn) -> AbstractAsyncContextManager[Flusher]: ...


class CheckAll(Protocol):
    """T9: run every check concurrently, wait for all, surface *every* error."""

    async def __call__(self, checks: Sequence[AsyncFn]) -> None: ...


@dataclass(frozen=True)
class ModelInfo:
    """A model's identity card.

    Whether a model is a reference, a control, a third-party adapter or a deliberately
    broken program is not said here: the registry (:mod:`joinery.models`) says it.

    Attributes:
        name: registry key, e.g. ``"taskgroup"``; must equal the key the registry or
            ``--model`` loads it by, so a copied module cannot report as the original.
        title: what a reader calls it, e.g. ``"asyncio.TaskGroup"``.
        backends: the event loops its code runs on.
        summary: one paragraph for the site.
        unsupported: scenario name -> why the model cannot express it, either one reason
            for every backend or ``{backend: reason}`` for the backends it cannot.
        assisted: property id -> what the *adapter* adds that the library lacks (a
            closure carrying the cause, hand-counted shedding, hand-collected errors).
            The verdict credits the library, so such a cell reads *assisted*, not pass.
    """

    name: str
    title: str
    backends: tuple[Backend, ...]
    summary: str
    unsupported: Mapping[str, str | Mapping[Backend, str]] = field(default_factory=dict)
    assisted: Mapping[str, str] = field(default_factory=dict)

    def unsupported_on(self, backend: Backend) -> dict[str, str]:
        """Scenario -> reason, for the scenarios declared unsupported on ``backend``."""
        out: dict[str, str] = {}
        for scenario, why in self.unsupported.items():
            if isinstance(why, str):
                out[scenario] = why
            elif backend in why:
                out[scenario] = why[backend]
        return out
