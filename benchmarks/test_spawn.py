"""Spawn+join of N trivial children; the driver's no-op round; the floor."""

from __future__ import annotations

import gc
import time
from typing import Any

from benchmarks._drivers import Driver, Flavor, noop
from benchmarks._rows import NATIVE_BY_BACKEND, find_row
from benchmarks._work import check_spawn_join, child, floor_coroutines
from benchmarks.conftest import Bench, Case

DriverFor = Any  # the `drivers` fixture: Callable[[Flavor], Driver]


def test_noop_round(bench: Bench, drivers: DriverFor, flavor: Flavor) -> None:
    """What one hand-off into the loop costs; subtracted from per-task figures."""
    driver: Driver = drivers(flavor)
    bench.info(scenario="noop", row="driver", title="no-op round", kind="driver", flavor=flavor,
               n=1, unit="round")  # fmt: skip
    bench.time(lambda: driver.run(noop))


def test_floor_coroutines(bench: Bench, n: int) -> None:
    """The floor: create and drive N trivial coroutines with send(None), no scheduler."""
    bench.info(scenario="spawn_join", row="floor:send", title="floor: coro.send, no loop",
               kind="floor", flavor="none", n=n, unit="task")  # fmt: skip
    bench.time(lambda: floor_coroutines(n))


def test_spawn_join(bench: Bench, drivers: DriverFor, spawn_case: Case, n: int) -> None:
    """N trivial children spawned into one group and joined."""
    row, driver = spawn_case.row, drivers(spawn_case.flavor)
    spawn_n = row.spawn_n
    assert spawn_n is not None
    driver.run(check_spawn_join, row, n)
    bench.info(scenario="spawn_join", row=row.id, title=row.title, kind=row.kind,
               flavor=spawn_case.flavor, n=n, unit="task")  # fmt: skip
    reference = find_row(NATIVE_BY_BACKEND[spawn_case.flavor])
    if row.id == reference.id or reference.spawn_n is None:
        bench.time(lambda: driver.run(spawn_n, n, child))
        return
    # Paired: before each round (untimed by pytest-benchmark), one round of the loop's
    # own group, timed here. The report divides each round by the reference round just
    # before it, so the machine's drift between rows measured minutes apart cancels.
    ref_spawn_n = reference.spawn_n
    pairs: list[list[float]] = []

    def reference_round() -> None:
        # Both rounds of a pair start from a collected heap: neither pays for collecting
        # the other's garbage (with 10k tasks a collection can cost a fifth of a round).
        gc.collect()
        start = time.perf_counter()
        driver.run(ref_spawn_n, n, child)
        pairs.append([time.perf_counter() - start])
        gc.collect()

    def paired_round() -> None:
        start = time.perf_counter()
        driver.run(spawn_n, n, child)
        pairs[-1].append(time.perf_counter() - start)

    bench.time(paired_round, setup=reference_round)
    bench.info(paired_with=reference.id, paired_times=pairs)
