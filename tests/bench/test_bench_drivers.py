"""The drivers and the measured work, on every loop: they run, raise, and cannot lie."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import trio
from joinery.models import AsyncFn

from benchmarks._drivers import FLAVORS, Driver, Flavor, make_driver
from benchmarks._rows import NATIVE_ROWS, Row, find_row
from benchmarks._work import (
    Fanout,
    NotJoined,
    check_spawn_join,
    child,
    drive,
    fanout_round,
    parked_bytes_per_task,
)


@pytest.fixture(params=FLAVORS)
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    d = make_driver(request.param)
    yield d
    d.close()


async def pause(driver: Driver) -> None:
    """Let the loop run other tasks once."""
    if driver.backend == "trio":
        await trio.lowlevel.checkpoint()
    else:
        await asyncio.sleep(0)


async def park(driver: Driver) -> None:
    if driver.backend == "trio":
        await trio.sleep_forever()
    else:
        await asyncio.Event().wait()


def test_run_returns_values_and_raises_errors_on_every_loop(driver: Driver) -> None:
    async def add(a: int, b: int) -> int:
        await pause(driver)
        return a + b

    async def fail() -> None:
        raise KeyError("boom")

    assert [driver.run(add, i, 1) for i in range(3)] == [1, 2, 3]
    with pytest.raises(KeyError, match="boom"):
        driver.run(fail)
    assert driver.run(add, 2, 2) == 4  # the loop survives a failed round


def test_background_job_outlives_its_round_and_can_be_cancelled(driver: Driver) -> None:
    gate = trio.Event() if driver.backend == "trio" else asyncio.Event()

    async def waits() -> str:
        await gate.wait()
        return "done"

    async def start() -> object:
        return driver.start_background(waits)

    bg = driver.run(start)
    driver.run(pause, driver)
    assert not bg.finished  # parked across rounds
    gate.set()
    assert driver.run(bg.wait) == "done"

    async def forever() -> None:
        await park(driver)

    bg2 = driver.run(start_of(driver, forever))
    bg2.cancel()
    assert driver.run(bg2.wait) is None and bg2.cancelled


def start_of(driver: Driver, fn: AsyncFn) -> AsyncFn:
    async def start() -> object:
        return driver.start_background(fn)

    return start


def test_trio_rounds_share_one_run_and_the_run_ends_at_close() -> None:
    async def token() -> trio.lowlevel.TrioToken:
        return trio.lowlevel.current_trio_token()

    d = make_driver("trio")
    try:
        assert d.run(token) is d.run(token)
        assert trio.lowlevel.in_trio_run()  # a guest run is live in this thread
    finally:
        d.close()
    assert not trio.lowlevel.in_trio_run()  # and it really ended
    with pytest.raises(RuntimeError, match="after close"):
        d.run(child)


def test_unknown_flavor_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown flavor 'curio'"):
        make_driver("curio")  # type: ignore[arg-type]


# -- the work refuses to time groups that break the contract ---------------------------------


_orphans: list[asyncio.Task[object]] = []


async def _no_join(n: int, fn: AsyncFn) -> None:  # spawns and returns without joining
    loop = asyncio.get_running_loop()
    for _ in range(n):
        _orphans.append(loop.create_task(fn()))


async def _no_sibling_cancel(fns: Sequence[AsyncFn]) -> None:  # gather's default
    await asyncio.gather(*(fn() for fn in fns))


LEAKY = Row("leaky", "leaky", "model", ("asyncio",), _no_join, _no_sibling_cancel)


def test_a_group_that_does_not_join_is_caught_before_timing() -> None:
    d = make_driver("asyncio")
    try:
        with pytest.raises(NotJoined, match="0 of 50 children had finished"):
            d.run(check_spawn_join, LEAKY, 50)
    finally:
        d.close()


def test_a_group_that_does_not_cancel_siblings_is_caught_and_cleaned_up() -> None:
    d = make_driver("asyncio")
    try:
        with pytest.raises(NotJoined, match="30 of 30 parked children were still running"):
            fanout_round(d, LEAKY, 30)

        async def leftovers() -> int:
            return len(asyncio.all_tasks()) - 1

        assert d.run(leftovers) == 0  # the check cancelled and awaited them
        fanout_round(d, LEAKY, 30, release="cancel")  # outer cancellation does reach them
    finally:
        d.close()


@pytest.mark.parametrize("row", [r for r in NATIVE_ROWS if r.group], ids=lambda r: r.id)
def test_native_and_direct_groups_pass_every_check_on_their_loops(row: Row) -> None:
    for flavor in row.flavors:
        d = make_driver(flavor)
        try:
            d.run(check_spawn_join, row, 20)
            fanout_round(d, row, 20)
            fan = Fanout(d, row, 5)
            d.run(fan.arm)
            assert (fan.started, fan.ended) == (6, 0)  # five parked and the failing one
            d.run(fan.check, d.run(fan.fire))
            assert fan.ended == 5
            assert parked_bytes_per_task(d, row, 200) > 0
        finally:
            d.close()


def test_find_row_knows_natives_and_models_and_names_unknown_ones() -> None:
    assert find_row("native:trio.nursery").flavors == ("trio",)
    assert find_row("taskgroup").flavors == ("asyncio", "asyncio+uvloop")
    with pytest.raises(LookupError, match="no-such-model"):
        find_row("no-such-model")


def test_floor_drives_instant_coroutines_and_refuses_ones_that_suspend() -> None:
    drive(child())

    async def suspends() -> None:
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="suspended"):
        drive(suspends())


def test_flavors_are_the_three_loops() -> None:
    flavors: tuple[Flavor, ...] = FLAVORS
    assert flavors == ("asyncio", "asyncio+uvloop", "trio")


def test_rss_subprocess_measures_its_own_peak_not_the_parents() -> None:
    # On Linux ru_maxrss survives fork+exec: a child of a fat parent would report the
    # parent's peak as its own "before" and 0 bytes per task. Make the parent fat first.
    ballast = b"x" * (160 << 20)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks._rss", "native:asyncio.TaskGroup", "asyncio",
             "20000"],
            cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True,
            timeout=60, check=True,
        )  # fmt: skip
    finally:
        del ballast
    figures = json.loads(out.stdout)
    assert figures["maxrss_before_kib"] < 120 << 10, figures
    assert figures["bytes_per_task"] > 500, figures  # a parked task is ~1.3 KB (tracemalloc)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_closing_with_background_work_still_running_is_an_error(flavor: Flavor) -> None:
    d = make_driver(flavor)

    async def forever() -> None:
        await park(d)

    d.run(start_of(d, forever))
    with pytest.raises(RuntimeError, match="1 background job\\(s\\) still running"):
        d.close()
