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
    pending: list[tuple[Fanout, list[BaseException | None]]] = []

    def check_previous() -> None:
        # Untimed: every timed round, too, cancelled all and raised Boom. Checked and
        # dropped one by one, so that thousands of finished tasks do not pile up.
        while pending:
            fan, raised = pending.pop()
            driver.run(fan.check, raised[0])

    def arm() -> None:
        check_previous()
        fan = Fanout(driver, row, n)
        driver.run(fan.arm)
        pending.append((fan, []))

    def fire() -> None:
        fan, raised = pending[-1]
        raised.append(driver.run(fan.fire))

    bench.time(fire, setup=arm)
    check_previous()
