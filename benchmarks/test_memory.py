"""Memory per parked task (tracemalloc) and peak RSS with many parked tasks (subprocess)."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks._profile import Profile
from benchmarks._rss import in_fresh_process
from benchmarks._work import NotJoined, fanout_round, parked_bytes_per_task
from benchmarks.conftest import Bench, Case


def test_parked_memory(bench: Bench, drivers: Any, group_case: Case, profile: Profile) -> None:
    """Bytes traced per parked child; the time of these rounds is not a result (tracing)."""
    row, driver, n = group_case.row, drivers(group_case.flavor), profile.memory_n
    try:
        fanout_round(driver, row, 100, release="cancel")
    except NotJoined as exc:
        pytest.skip(f"parked children cannot be released: {exc}")
    samples: list[float] = []
    bench.info(scenario="parked_memory", row=row.id, title=row.title, kind=row.kind,
               flavor=group_case.flavor, n=n, unit="task", bytes_per_task=samples)  # fmt: skip
    bench.time(lambda: samples.append(parked_bytes_per_task(driver, row, n)),
               rounds=profile.memory_rounds)  # fmt: skip


def test_parked_rss(bench: Bench, drivers: Any, group_case: Case, profile: Profile) -> None:
    """Peak RSS of a fresh process parking N children in one group."""
    row, n = group_case.row, profile.rss_n
    try:
        fanout_round(drivers(group_case.flavor), row, 100, release="cancel")
    except NotJoined as exc:
        pytest.skip(f"parked children cannot be released: {exc}")
    samples: list[dict[str, float]] = []
    bench.info(scenario="parked_rss", row=row.id, title=row.title, kind=row.kind,
               flavor=group_case.flavor, n=n, unit="task", rss=samples)  # fmt: skip

    def measure() -> None:
        samples.append(in_fresh_process(row.id, group_case.flavor, n))

    bench.time(measure, rounds=profile.rss_rounds)
