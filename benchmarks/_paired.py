"""Paired ratios: each row against the loop's own group, round by round.

pytest-benchmark times one row after another. On a shared machine the speed drifts
between rows measured minutes apart (here by ±30% at N = 10,000), and a ratio of two
such medians carries that drift. A paired run measures every row once per round, in a
shuffled order, and reports the median over rounds of (row / reference) taken *within*
the round, so the drift cancels. Same drivers, rows and work as the pytest-benchmark
suites. This is the figure to quote for "x native". Four measures:

* ``spawn``: spawn+join of N trivial children (seconds per task). Every timed run starts
  from a collected, frozen heap (the suites freeze once per benchmark).
* ``cancel``: the cancellation fan-out of N parked children (seconds per task). The
  group is armed untimed (N parked children, plus one that fails on demand); the timed
  part is from the failure (``--release fail``, test_cancel's fan-out) or from a cancel
  of the group from outside (``--release cancel``) until the group has returned. The
  heap, parked children included, is collected and frozen just before the timed part,
  so a collection during it walks what the fan-out allocates, as it would for parked
  tasks that have lived a while; then every child is checked joined.
* ``memory``: bytes traced by tracemalloc while N children are parked in one group.
* ``rss``: growth of the peak resident set of a fresh process (``benchmarks._rss``)
  parking N children, in bytes: what the allocator really took, arenas included.

    python -m benchmarks paired --flavor trio --n 10000 --rounds 21 \\
        direct:task.launch direct:task.spawn linear
    python -m benchmarks paired --measure cancel --flavor asyncio linear
    python -m benchmarks paired --measure memory --rounds 7 --flavor trio linear
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from benchmarks._drivers import Driver, Flavor, make_driver
from benchmarks._rows import NATIVE_BY_BACKEND, Row, SpawnN, find_row
from benchmarks._rss import in_fresh_process
from benchmarks._work import (
    Fanout,
    NotJoined,
    check_spawn_join,
    child,
    fanout_round,
    parked_bytes_per_task,
)

X = "\xd7"  # the multiplication sign

Measure = Literal["spawn", "cancel", "memory", "rss"]
MEASURES: tuple[Measure, ...] = ("spawn", "cancel", "memory", "rss")
Release = Literal["fail", "cancel"]


@dataclass(frozen=True)
class Paired:
    """One row's result: its per-task figure, and its per-round ratios to the reference.

    Attributes:
        row: the row id.
        per_task: the median over rounds of the row's figure per task (seconds for
            spawn and cancel, bytes for memory and rss).
        ratios: row / reference, one per round, taken within the round.
        samples: the row's figure per task in each round (same unit as ``per_task``).
    """

    row: str
    per_task: float
    ratios: tuple[float, ...]
    samples: tuple[float, ...] = ()

    @property
    def median(self) -> float:
        """The median of the per-round ratios."""
        return statistics.median(self.ratios)

    def quartiles(self) -> tuple[float, float]:
        """The first and third quartiles of the per-round ratios."""
        return _quartiles(self.ratios)

    def sample_quartiles(self) -> tuple[float, float]:
        """The first and third quartiles of the per-task figures."""
        return _quartiles(self.samples)


def _quartiles(values: Sequence[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


class Trial:
    """What one measure does with a row: check it once, then take one sample per round.

    A sample is the round's total for ``n`` children (seconds or bytes); the run divides
    by ``n``. ``check`` runs before anything is measured (it also warms the row up).
    """

    measure: Measure
    unit: str  # of a per-task figure as printed, e.g. "µs"
    scale: float  # per-task figure -> printed unit

    def usable(self, row: Row, flavor: Flavor) -> str | None:
        """Why ``row`` cannot be measured on ``flavor`` (None: it can)."""
        if flavor not in row.flavors:
            return f"row {row.id!r} does not run on {flavor}"
        if row.group is None:
            return f"row {row.id!r} has no group on {flavor}: {row.why_not}"
        return None

    def check(self, driver: Driver, row: Row, n: int) -> None:
        """Untimed: the row does what the measure assumes (raises NotJoined if not)."""
        raise NotImplementedError

    def sample(self, driver: Driver, row: Row, n: int) -> float:
        """One round's total for ``n`` children."""
        raise NotImplementedError


class SpawnTrial(Trial):
    """Spawn+join of ``n`` trivial children, timed (the original paired measure)."""

    measure: Measure = "spawn"
    unit, scale = "µs", 1e6

    def usable(self, row: Row, flavor: Flavor) -> str | None:
        if flavor not in row.flavors or row.spawn_n is None:
            return f"row {row.id!r} does not spawn on {flavor}"
        return None

    def check(self, driver: Driver, row: Row, n: int) -> None:
        driver.run(check_spawn_join, row, min(n, 100))
        driver.run(_spawn_n(row), n, child)

    def sample(self, driver: Driver, row: Row, n: int) -> float:
        spawn_n = _spawn_n(row)
        gc.collect()
        gc.freeze()
        try:
            start = time.perf_counter()
            driver.run(spawn_n, n, child)
            return time.perf_counter() - start
        finally:
            gc.unfreeze()


class CancelTrial(Trial):
    """The cancellation fan-out of ``n`` parked children, timed from the trigger."""

    measure: Measure = "cancel"
    unit, scale = "µs", 1e6

    def __init__(self, release: Release = "fail") -> None:
        self.release: Release = release

    def check(self, driver: Driver, row: Row, n: int) -> None:
        fanout_round(driver, row, min(n, 100), self.release)
        fanout_round(driver, row, n, self.release)  # warm-up at full size

    def sample(self, driver: Driver, row: Row, n: int) -> float:
        fan = Fanout(driver, row, n, self.release)
        driver.run(fan.arm)
        gc.collect()
        gc.freeze()
        try:
            start = time.perf_counter()
            raised = driver.run(fan.fire)
            elapsed = time.perf_counter() - start
        finally:
            gc.unfreeze()
        driver.run(fan.check, raised)  # every child cancelled and joined, as expected
        return elapsed


class MemoryTrial(Trial):
    """Bytes traced by tracemalloc while ``n`` children are parked in one group."""

    measure: Measure = "memory"
    unit, scale = "bytes", 1.0

    def check(self, driver: Driver, row: Row, n: int) -> None:
        fanout_round(driver, row, min(n, 100), "cancel")

    def sample(self, driver: Driver, row: Row, n: int) -> float:
        return parked_bytes_per_task(driver, row, n) * n


class RssTrial(MemoryTrial):
    """Peak-RSS growth of a fresh process parking ``n`` children (``benchmarks._rss``)."""

    measure: Measure = "rss"

    def sample(self, driver: Driver, row: Row, n: int) -> float:
        got = in_fresh_process(row.id, driver.flavor, n)
        return float(got["bytes_per_task"]) * n


def trial_for(measure: Measure, release: Release = "fail") -> Trial:
    """The :class:`Trial` of ``measure`` (``release`` applies to cancel only)."""
    if measure == "spawn":
        return SpawnTrial()
    if measure == "cancel":
        return CancelTrial(release)
    if measure == "memory":
        return MemoryTrial()
    if measure == "rss":
        return RssTrial()
    raise ValueError(f"unknown measure {measure!r}; known: {', '.join(MEASURES)}")


def run_paired(
    flavor: Flavor,
    rows: Sequence[str],
    n: int,
    rounds: int,
    *,
    measure: Measure | Trial = "spawn",
    best_of: int = 1,
    driver_factory: Callable[[Flavor], Driver] = make_driver,
    shuffle: Callable[[list[Row]], None] = random.shuffle,
) -> list[Paired]:
    """Measure the loop's own group and ``rows`` once per round, shuffled, for ``rounds``.

    The first result is the reference (the loop's own group), whose ratios are all 1.
    With ``best_of`` k > 1, a round measures every row k times (interleaved, each pass
    shuffled) and keeps each row's smallest figure: on a shared machine a figure is only
    ever inflated by other processes, so the least disturbed of k is the truest, and
    the pairing within the round still cancels slower drift.

    Raises:
        ValueError: fewer than 2 rounds, or n < 1.
        LookupError: an unknown row, one that does not run on ``flavor``, or one that
            does not do what the measure needs (e.g. a group that does not cancel its
            parked children when one fails).
    """
    if rounds < 2 or n < 1 or best_of < 1:
        raise ValueError(
            f"need rounds >= 2, n >= 1 and best_of >= 1, got rounds={rounds}, n={n}, "
            f"best_of={best_of}"
        )
    trial = measure if isinstance(measure, Trial) else trial_for(measure)
    reference = find_row(NATIVE_BY_BACKEND[flavor])
    chosen: list[Row] = [reference]
    for row_id in rows:
        row = find_row(row_id)
        why_not = trial.usable(row, flavor)
        if why_not is not None:
            raise LookupError(why_not)
        if row.id not in [c.id for c in chosen]:
            chosen.append(row)
    totals: dict[str, list[float]] = {row.id: [] for row in chosen}
    driver = driver_factory(flavor)
    try:
        for row in chosen:  # checked (and warmed up) before anything is measured
            try:
                trial.check(driver, row, n)
            except NotJoined as exc:
                raise LookupError(
                    f"row {row.id!r} cannot be measured for {trial.measure}: {exc}"
                ) from exc
        for _ in range(rounds):
            best: dict[str, float] = {}
            for _ in range(best_of):
                order = list(chosen)
                shuffle(order)
                for row in order:
                    got = trial.sample(driver, row, n)
                    best[row.id] = min(got, best.get(row.id, got))
            for row_id, value in best.items():
                totals[row_id].append(value)
    finally:
        driver.close()
    base = totals[reference.id]
    return [
        Paired(
            row_id,
            statistics.median(ts) / n,
            tuple(t / b for t, b in zip(ts, base, strict=True)),
            tuple(t / n for t in ts),
        )
        for row_id, ts in totals.items()
    ]


def _spawn_n(row: Row) -> SpawnN:
    if row.spawn_n is None:
        raise LookupError(f"row {row.id!r} cannot spawn: {row.why_not}")
    return row.spawn_n


_TITLES: dict[Measure, str] = {
    "spawn": "spawn+join",
    "cancel": "cancel fan-out",
    "memory": "memory per parked task (tracemalloc)",
    "rss": "peak-RSS growth per parked task (fresh process)",
}


def render(
    flavor: Flavor,
    n: int,
    results: Sequence[Paired],
    *,
    measure: Measure | Trial = "spawn",
    note: str = "",
    best_of: int = 1,
) -> str:
    """A markdown table of ``results``; the first row is the reference.

    The spawn table is the original one; the other measures add the quartiles of the
    per-task figure itself.
    """
    trial = measure if isinstance(measure, Trial) else trial_for(measure)
    title = _TITLES[trial.measure]
    if isinstance(trial, CancelTrial):
        title += f" (--release {trial.release})"
    head = (
        f"Paired {title} on {flavor}, N = {n:,}, {len(results[0].ratios)} rounds; "
        f"ratio = row / {results[0].row} within each round"
    )
    lines = [
        head
        + (f"; best of {best_of} per round" if best_of > 1 else "")
        + (f"; {note}" if note else ""),
        "",
    ]
    per = f"{trial.unit} per task"
    if trial.measure == "spawn":
        lines += [
            f"| row | {per} | {X} reference, median | interquartile range |",
            "|---|---:|---:|---|",
        ]
    else:
        lines += [
            f"| row | {per}, median | {per}, IQR | {X} reference, median | interquartile range |",
            "|---|---:|---|---:|---|",
        ]
    for r in results:
        q1, q3 = r.quartiles()
        cells = [r.row, _fmt(r.per_task * trial.scale)]
        if trial.measure != "spawn":
            s1, s3 = r.sample_quartiles()
            cells.append(f"{_fmt(s1 * trial.scale)} to {_fmt(s3 * trial.scale)}")
        cells += [f"{r.median:.3f}{X}", f"{q1:.3f} to {q3:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fmt(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:,.0f}"
