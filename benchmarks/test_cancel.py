"""Cancellation fan-out: one child fails; the group cancels and joins N parked siblings."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks._profile import Profile
from benchmarks._work import Fanout, NotJoined, fanout_round
from benchmarks.conftest import Bench, Case


def test_cancel_fanout(bench: Bench, drivers: Any, group_case: Case, profile: Profile) -> None:
    """Timed from the failure until the group has returned; spawning is untimed setup."""
    row, driver, n = group_case.row, drivers(group_case.flavor), profile.cancel_n
    try:
        fanout_round(driver, row, n)  # untimed check: it cancels, joins and raises Boom
    except NotJoined as exc:
        pytest.skip(f"not a cancelling group, so no fan-out to time: {exc}")
    bench.info(scenario="cancel_fanout", row=row.id, title=row.title, kind=row.kind,
               flavor=group_case.flavor, n=n, unit="task")  # fmt: skip
    fans: list[Fanout] = []
    raised: list[BaseException | None] = []

    def arm() -> None:
        fans.append(Fanout(driver, row, n))
        driver.run(fans[-1].arm)

    def fire() -> None:
        raised.append(driver.run(fans[-1].fire))

    bench.time(fire, setup=arm)
    for fan, outcome in zip(fans, raised, strict=True):
        driver.run(fan.check, outcome)  # every timed round, too, cancelled all and raised Boom
