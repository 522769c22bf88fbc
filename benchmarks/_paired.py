"""Paired ratios: spawn+join of each row against the loop's own group, round by round.

pytest-benchmark times one row after another. On a shared machine the speed drifts
between rows measured minutes apart (here by ±30% at N = 10,000), and a ratio of two
such medians carries that drift. A paired run times every row once per round, in a
shuffled order, and reports the median over rounds of (row / reference) taken *within*
the round, so the drift cancels. Same drivers and rows as the pytest-benchmark suites;
every timed run starts from a collected, frozen heap (the suites freeze once per
benchmark). This is the figure to quote for "x native".

    python -m benchmarks paired --flavor trio --n 10000 --rounds 21 \\
        direct:task.launch direct:task.spawn linear
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks._drivers import Flavor, make_driver
from benchmarks._rows import NATIVE_BY_BACKEND, Row, SpawnN, find_row
from benchmarks._work import check_spawn_join, child

X = "\xd7"  # the multiplication sign


@dataclass(frozen=True)
class Paired:
    """One row's result: seconds per task, and its per-round ratios to the reference."""

    row: str
    per_task: float
    ratios: tuple[float, ...]

    @property
    def median(self) -> float:
        """The median of the per-round ratios."""
        return statistics.median(self.ratios)

    def quartiles(self) -> tuple[float, float]:
        """The first and third quartiles of the per-round ratios."""
        q = statistics.quantiles(self.ratios, n=4, method="inclusive")
        return q[0], q[2]


def run_paired(flavor: Flavor, rows: Sequence[str], n: int, rounds: int) -> list[Paired]:
    """Time the loop's own group and ``rows`` once per round, shuffled, for ``rounds``.

    Raises:
        ValueError: fewer than 2 rounds, or n < 1.
        LookupError: an unknown row, or one that does not run on ``flavor``.
    """
    if rounds < 2 or n < 1:
        raise ValueError(f"need rounds >= 2 and n >= 1, got rounds={rounds}, n={n}")
    reference = find_row(NATIVE_BY_BACKEND[flavor])
    chosen: list[Row] = [reference]  # each with spawn_n, checked below
    for row_id in rows:
        row = find_row(row_id)
        if flavor not in row.flavors or row.spawn_n is None:
            raise LookupError(f"row {row_id!r} does not spawn on {flavor}")
        if row.id != reference.id:
            chosen.append(row)
    times: dict[str, list[float]] = {row.id: [] for row in chosen}
    driver = make_driver(flavor)
    try:
        spawns = {row.id: _spawn_n(row) for row in chosen}
        for row in chosen:  # checked (and warmed up) before anything is timed
            driver.run(check_spawn_join, row, min(n, 100))
            driver.run(spawns[row.id], n, child)
        for _ in range(rounds):
            order = list(chosen)
            random.shuffle(order)
            for row in order:
                gc.collect()
                gc.freeze()
                start = time.perf_counter()
                driver.run(spawns[row.id], n, child)
                times[row.id].append(time.perf_counter() - start)
                gc.unfreeze()
    finally:
        driver.close()
    base = times[reference.id]
    return [
        Paired(
            row_id, statistics.median(ts) / n, tuple(t / b for t, b in zip(ts, base, strict=True))
        )
        for row_id, ts in times.items()
    ]


def _spawn_n(row: Row) -> SpawnN:
    if row.spawn_n is None:
        raise LookupError(f"row {row.id!r} cannot spawn: {row.why_not}")
    return row.spawn_n


def render(flavor: Flavor, n: int, results: Sequence[Paired]) -> str:
    """A markdown table of ``results``; the first row is the reference."""
    lines = [
        f"Paired spawn+join on {flavor}, N = {n:,}, {len(results[0].ratios)} rounds; "
        f"ratio = row / {results[0].row} within each round",
        "",
        f"| row | µs per task | {X} reference, median | interquartile range |",
        "|---|---:|---:|---|",
    ]
    for r in results:
        q1, q3 = r.quartiles()
        cells = [r.row, f"{r.per_task * 1e6:.2f}", f"{r.median:.3f}{X}", f"{q1:.3f} to {q3:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
