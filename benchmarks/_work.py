"""The measured work: trivial children, parked fan-outs, instant fakes, and the floor.

Everything here is backend-neutral except parking, which uses each backend's cheapest
native way to wait for ever (a bare future on asyncio, ``trio.sleep_forever``), so the
parked-task figures measure the group, not a wrapper around the wait.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Literal

import trio
from joinery.models import AsyncFn, Backend, Dashboard

from benchmarks._drivers import Background, Driver
from benchmarks._rows import Row


async def child() -> None:
    """A trivial child: returns at once without suspending."""


class Boom(Exception):
    """The failure that starts a cancellation fan-out."""


class NotJoined(Exception):
    """A row returned while children it started were still running (or never ran)."""


def _event(backend: Backend) -> asyncio.Event | trio.Event:
    return trio.Event() if backend == "trio" else asyncio.Event()


async def _park_asyncio() -> None:
    await asyncio.get_running_loop().create_future()


def park_fn(backend: Backend) -> AsyncFn:
    """The backend's cheapest wait-for-ever (only cancellation ends it)."""
    return trio.sleep_forever if backend == "trio" else _park_asyncio


# -- spawn + join ---------------------------------------------------------------------


async def check_spawn_join(row: Row, n: int) -> None:
    """Untimed check before timing: every one of ``n`` children ran before the join returned.

    Raises:
        NotJoined: the row returned before all children finished.
    """
    assert row.spawn_n is not None
    done = 0

    async def counted() -> None:
        nonlocal done
        done += 1

    await row.spawn_n(n, counted)
    if done != n:
        raise NotJoined(f"{row.id}: {done} of {n} children had finished when the group returned")


# -- cancellation fan-out and parked memory ---------------------------------------------


class Fanout:
    """``n`` parked children and one that fails on demand, in one group of ``row``.

    ``arm()`` (in one round) starts the group in the background and returns once every
    child has started; ``fire()`` (in a later round) makes one child fail and waits until
    the group has cancelled and joined the parked ones. Timing ``fire`` alone measures
    the fan-out, not the spawning.

    With ``release="cancel"`` there is no failing child: ``fire()`` cancels the group
    from outside instead. Memory measurements use that, so that a group which does not
    cancel siblings on failure (gather) can still be measured and released.
    """

    def __init__(
        self, driver: Driver, row: Row, n: int, release: Literal["fail", "cancel"] = "fail"
    ) -> None:
        if row.group is None:
            raise ValueError(f"row {row.id!r} has no group: {row.why_not}")
        self.driver, self.row, self.n, self.release = driver, row, n, release
        self.started = self.ended = 0
        self._park = park_fn(driver.backend)
        self._children: list[AsyncFn] = [self._parked] * n
        if release == "fail":
            self._children.append(self._failing)
        self._tasks: list[asyncio.Task[Any]] = []
        self._bg: Background | None = None

    async def _parked(self) -> None:
        self._on_start()
        if self.driver.backend == "asyncio":
            task = asyncio.current_task()
            assert task is not None
            self._tasks.append(task)
        try:
            await self._park()
        finally:
            self.ended += 1

    async def _failing(self) -> None:
        self._on_start()
        await self._trigger.wait()
        raise Boom("one child failed")

    def _on_start(self) -> None:
        self.started += 1
        if self.started == len(self._children):
            self._ready.set()

    async def _run_group(self) -> None:
        assert self.row.group is not None
        try:
            await self.row.group(self._children)
        finally:
            self._ready.set()  # never leave arm() waiting if the group ends early

    async def arm(self) -> None:
        """Start the group and wait until all children have started."""
        self._ready = _event(self.driver.backend)
        self._trigger = _event(self.driver.backend)
        self._bg = self.driver.start_background(self._run_group)
        await self._ready.wait()

    async def fire(self) -> BaseException | None:
        """Fail one child (or cancel the group); wait for the group; return what it raised."""
        assert self._bg is not None
        if self.release == "fail":
            self._trigger.set()
        else:
            self._bg.cancel()
        try:
            await self._bg.wait()
        except Exception as exc:
            return exc
        return None

    async def check(self, raised: BaseException | None) -> None:
        """After ``fire``: the group raised Boom and no parked child is left running.

        Raises:
            NotJoined: parked children outlived the group (they are cancelled and
                awaited here first, so nothing leaks into later rounds).
        """
        left = self.n - self.ended
        if left:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            raise NotJoined(
                f"{self.row.id}: {left} of {self.n} parked children were still running "
                "after the group returned from a child's failure"
            )
        if self.release == "cancel":
            if raised is not None:
                raise AssertionError(f"{self.row.id}: cancelled group raised {raised!r}")
        elif not _is_boom(raised):
            raise AssertionError(f"{self.row.id}: expected Boom from the group, got {raised!r}")


def _is_boom(exc: BaseException | None) -> bool:
    if isinstance(exc, Boom):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return all(_is_boom(e) for e in exc.exceptions)
    return False


def fanout_round(
    driver: Driver, row: Row, n: int, release: Literal["fail", "cancel"] = "fail"
) -> None:
    """Arm, fire and check one fan-out, untimed (the benchmark's verification)."""
    fan = Fanout(driver, row, n, release)
    driver.run(fan.arm)
    raised = driver.run(fan.fire)
    driver.run(fan.check, raised)


def parked_bytes_per_task(driver: Driver, row: Row, n: int) -> float:
    """tracemalloc: bytes allocated per parked child while ``n`` are parked in one group.

    The group is released by cancelling it from outside, then checked: all joined.
    """
    fan = Fanout(
        driver, row, n, release="cancel"
    )  # the list of children exists before tracing starts
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        driver.run(fan.arm)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    raised = driver.run(fan.fire)
    driver.run(fan.check, raised)
    return (after - before) / n


# -- scenarios with instant fakes ---------------------------------------------------------


class InstantAPI:
    """T1's three services, answering at once without suspending."""

    async def fetch_user(self, user_id: str) -> object:
        """The user."""
        return user_id

    async def fetch_posts(self, user_id: str) -> object:
        """The posts."""
        return ("post",)

    async def fetch_stats(self, user_id: str) -> object:
        """The stats."""
        return 1


EXPECTED_DASHBOARD = Dashboard(user="u1", posts=("post",), stats=1)


async def dashboards(load_dashboard: Callable[..., Awaitable[Dashboard]], m: int) -> None:
    """T1 round: ``m`` dashboards in sequence."""
    api = InstantAPI()
    for _ in range(m):
        await load_dashboard(api, "u1")


async def check_dashboard(load_dashboard: Callable[..., Awaitable[Dashboard]]) -> None:
    """Untimed: one dashboard, compared with what the fakes return."""
    got = await load_dashboard(InstantAPI(), "u1")
    if got != EXPECTED_DASHBOARD:
        raise AssertionError(f"load_dashboard returned {got!r}, expected {EXPECTED_DASHBOARD!r}")


async def instant_fetch(url: str) -> str:
    """T3's instant fake: the 'body' is the url."""
    return url


def urls(n: int) -> list[str]:
    """``n`` distinct item urls."""
    return [f"/item/{i}" for i in range(n)]


async def check_fetch_all(fetch_all: Callable[..., Awaitable[list[Any]]], n: int) -> None:
    """Untimed: results come back complete and in input order."""
    items = urls(n)
    got = await fetch_all(instant_fetch, items, 16)
    if list(got) != items:
        raise AssertionError("fetch_all lost, added or reordered results")


class ShedJobs:
    """T5's ``j`` instant jobs, counting how many ran."""

    def __init__(self, j: int) -> None:
        self.ran = 0
        self.jobs: list[AsyncFn] = [self._job] * j

    async def _job(self) -> None:
        self.ran += 1


async def check_shedded(
    run_shedded: Callable[..., Awaitable[tuple[int, int]]], j: int
) -> tuple[int, int]:
    """Untimed: accepted + dropped = submitted, every accepted job ran. Returns the split."""
    shed = ShedJobs(j)
    accepted, dropped = await run_shedded(shed.jobs, 4)
    if accepted + dropped != j or shed.ran != accepted:
        raise AssertionError(
            f"run_shedded: accepted={accepted} dropped={dropped} ran={shed.ran} of {j}"
        )
    return accepted, dropped


# -- the floor: the same coroutines, no scheduler --------------------------------------


def drive(coro: Coroutine[Any, Any, Any]) -> None:
    """Run ``coro`` by ``send(None)`` alone: no event loop, no task.

    Raises:
        RuntimeError: the coroutine suspended (then it needs a scheduler; no floor).
    """
    try:
        coro.send(None)
    except StopIteration:
        return
    coro.close()
    raise RuntimeError("a floor coroutine suspended; the floor only drives instant work")


def floor_coroutines(n: int) -> None:
    """Floor of spawn+join: create and drive ``n`` trivial coroutines, one by one."""
    for _ in range(n):
        drive(child())


async def _sequential_dashboards(m: int) -> None:
    api = InstantAPI()
    for _ in range(m):
        Dashboard(
            await api.fetch_user("u1"), await api.fetch_posts("u1"), await api.fetch_stats("u1")
        )


async def _sequential_fetch(items: Sequence[str]) -> None:
    [await instant_fetch(u) for u in items]


async def _sequential_jobs(jobs: Sequence[AsyncFn]) -> None:
    for job in jobs:
        await job()


def floor_dashboards(m: int) -> None:
    """Floor of T1: the three fetches awaited in sequence, ``m`` times."""
    drive(_sequential_dashboards(m))


def floor_fetch(items: Sequence[str]) -> None:
    """Floor of T3 (instant): every fetch awaited in sequence."""
    drive(_sequential_fetch(items))


def floor_jobs(jobs: Sequence[AsyncFn]) -> None:
    """Floor of T5: every job awaited in sequence (none shed)."""
    drive(_sequential_jobs(jobs))
