"""The paired-ratio command: reference first, ratios within rounds, bad input named."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import main
from benchmarks._drivers import Driver, Flavor
from benchmarks._paired import CancelTrial, Measure, Release, Trial, render, run_paired
from benchmarks._rows import NATIVE_BY_BACKEND, Row
from benchmarks._work import NotJoined


def test_paired_ratios_put_the_reference_first_at_one() -> None:
    results = run_paired("trio", ["direct:task.launch", "native:trio.nursery"], n=20, rounds=3)
    assert [r.row for r in results] == ["native:trio.nursery", "direct:task.launch"]
    assert results[0].ratios == (1.0, 1.0, 1.0)  # each round divided by itself
    assert len(results[1].ratios) == 3 and all(r > 0 for r in results[1].ratios)
    table = render("trio", 20, results)
    assert "| direct:task.launch |" in table and "3 rounds" in table


def test_paired_refuses_rows_that_do_not_run_there_and_bad_sizes() -> None:
    with pytest.raises(LookupError, match="does not spawn on trio"):
        run_paired("trio", ["taskgroup"], n=10, rounds=2)
    with pytest.raises(ValueError, match="rounds >= 2"):
        run_paired("asyncio", ["linear"], n=10, rounds=1)


# -- the pairing logic, on a fake measure (no timings involved) ---------------------------


class _FakeDriver(Driver):
    flavor: Flavor = "trio"

    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def close(self) -> None:
        self.closed = True


class _Drifting(Trial):
    """Each sample is the row's weight times a machine speed that drifts every call."""

    measure: Measure = "memory"
    unit, scale = "bytes", 1.0

    def __init__(self, weights: dict[str, float]) -> None:
        self.weights = weights
        self.calls: list[str] = []
        self.checked: list[str] = []

    def check(self, driver: Driver, row: Row, n: int) -> None:
        self.checked.append(row.id)

    def sample(self, driver: Driver, row: Row, n: int) -> float:
        self.calls.append(row.id)
        drift = 1.0 + len(self.calls) // 2  # doubles, triples, ... between rounds
        return self.weights[row.id] * drift * n


def test_ratios_are_taken_within_each_round_so_drift_between_rounds_cancels() -> None:
    made: list[_FakeDriver] = []

    def factory(flavor: Flavor) -> Driver:
        made.append(_FakeDriver())
        return made[-1]

    trial = _Drifting({"native:trio.nursery": 100.0, "direct:task.launch": 150.0})
    results = run_paired(
        "trio", ["direct:task.launch"], n=10, rounds=4, measure=trial,
        driver_factory=factory, shuffle=lambda rows: None,
    )  # fmt: skip
    assert trial.checked == ["native:trio.nursery", "direct:task.launch"]
    assert trial.calls == ["native:trio.nursery", "direct:task.launch"] * 4
    ref, launch = results
    assert ref.ratios == (1.0,) * 4
    # Samples drift 1x, 2x, 2x, 3x, 3x, 4x, 4x, 5x: within a round the reference was taken
    # first, at the lower speed, so each ratio is exactly 1.5 * (k + 1) / k.
    assert launch.ratios == pytest.approx([1.5 * 2 / 1, 1.5 * 3 / 2, 1.5 * 4 / 3, 1.5 * 5 / 4])
    assert launch.samples == pytest.approx([300.0, 450.0, 600.0, 750.0])  # per task
    assert launch.per_task == pytest.approx(525.0)  # median of the per-task samples
    assert made[0].closed


def test_shuffled_order_still_pairs_each_row_with_its_own_round() -> None:
    trial = _Drifting({"native:trio.nursery": 1.0, "direct:task.spawn": 3.0})
    results = run_paired(
        "trio", ["direct:task.spawn"], n=1, rounds=3, measure=trial,
        driver_factory=lambda f: _FakeDriver(), shuffle=lambda rows: rows.reverse(),
    )  # fmt: skip
    assert trial.calls == ["direct:task.spawn", "native:trio.nursery"] * 3
    # The reference now comes second in each round, at the higher speed.
    assert results[1].ratios == pytest.approx([3 * 1 / 2, 3 * 2 / 3, 3 * 3 / 4])


def test_a_row_named_twice_or_naming_the_reference_is_measured_once() -> None:
    trial = _Drifting({"native:trio.nursery": 1.0, "linear": 2.0})
    results = run_paired(
        "trio", ["linear", "native:trio.nursery", "linear"], n=1, rounds=2, measure=trial,
        driver_factory=lambda f: _FakeDriver(),
    )  # fmt: skip
    assert [r.row for r in results] == ["native:trio.nursery", "linear"]


def test_the_driver_is_closed_when_a_check_fails() -> None:
    made: list[_FakeDriver] = []

    class Refusing(_Drifting):
        def check(self, driver: Driver, row: Row, n: int) -> None:
            raise NotJoined("left children running")

    def factory(flavor: Flavor) -> Driver:
        made.append(_FakeDriver())
        return made[-1]

    with pytest.raises(LookupError, match="cannot be measured for memory: left children"):
        run_paired("trio", [], n=1, rounds=2, measure=Refusing({}), driver_factory=factory)
    assert made[0].closed


# -- the real measures, at tiny sizes (their logic, not their figures) ---------------------


@pytest.mark.parametrize("flavor", ["asyncio", "trio"])
@pytest.mark.parametrize("release", ["fail", "cancel"])
def test_cancel_fanout_is_paired_and_every_round_is_checked(
    flavor: Flavor, release: Release
) -> None:
    results = run_paired(flavor, ["linear"], n=30, rounds=2, measure=CancelTrial(release))
    assert [r.row for r in results] == [NATIVE_BY_BACKEND[flavor], "linear"]
    assert all(len(r.ratios) == 2 and len(r.samples) == 2 for r in results)
    assert all(s > 0 for r in results for s in r.samples)
    table = render(flavor, 30, results, measure=CancelTrial(release), note="load 1.0")
    assert f"cancel fan-out (--release {release})" in table and "; load 1.0" in table
    assert "| linear |" in table


def test_cancel_fanout_refuses_a_group_that_does_not_cancel_its_siblings() -> None:
    with pytest.raises(LookupError, match="'gather' cannot be measured for cancel"):
        run_paired("asyncio", ["gather"], n=10, rounds=2, measure="cancel")
    with pytest.raises(LookupError, match="'floor:await' has no group"):
        run_paired("asyncio", ["floor:await"], n=10, rounds=2, measure="cancel")


def test_memory_is_bytes_per_parked_task_and_a_group_that_holds_more_shows_it() -> None:
    results = run_paired("trio", ["linear"], n=200, rounds=2, measure="memory")
    native, linear = results
    # Every parked trio task holds at least its Task object and coroutine frame; the
    # linear scope's children add a wrapper coroutine, never less than the nursery.
    assert 300 < native.per_task < 20_000
    assert linear.per_task > native.per_task
    assert all(r > 1.0 for r in linear.ratios)
    assert "bytes per task, median" in render("trio", 200, results, measure="memory")


def test_rss_reads_the_fresh_process_figure() -> None:
    results = run_paired("asyncio", [], n=2000, rounds=2, measure="rss")
    assert [r.row for r in results] == ["native:asyncio.TaskGroup"]
    assert all(s >= 0 for s in results[0].samples)


def test_command_line_measures_and_names_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paired", "--measure", "memory", "--flavor", "asyncio", "--n", "20",
                 "--rounds", "2", "direct:task.spawn"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "memory per parked task (tracemalloc) on asyncio, N = 20, 2 rounds" in out
    assert "load average" in out and "| direct:task.spawn |" in out
    with pytest.raises(SystemExit) as exc:
        main(["paired", "--measure", "speed", "linear"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main(["paired", "--measure", "cancel", "--flavor", "asyncio", "floor:await"])
    assert "has no group" in capsys.readouterr().err


def test_best_of_keeps_each_rows_smallest_figure_of_the_round() -> None:
    class Noisy(_Drifting):
        def sample(self, driver: Driver, row: Row, n: int) -> float:
            self.calls.append(row.id)
            # Every other pass of a round is disturbed (x10): best of 2 drops it.
            disturbed = 10.0 if len(self.calls) % 4 in (1, 2) else 1.0
            return self.weights[row.id] * disturbed * n

    trial = Noisy({"native:trio.nursery": 2.0, "linear": 3.0})
    results = run_paired(
        "trio", ["linear"], n=1, rounds=3, measure=trial, best_of=2,
        driver_factory=lambda f: _FakeDriver(), shuffle=lambda rows: None,
    )  # fmt: skip
    assert trial.calls == ["native:trio.nursery", "linear"] * 6
    assert results[1].samples == (3.0, 3.0, 3.0)
    assert results[1].ratios == (1.5, 1.5, 1.5)
    assert "best of 2 per round" in render("trio", 1, results, measure=trial, best_of=2)
    with pytest.raises(ValueError, match="best_of >= 1"):
        run_paired("trio", [], n=1, rounds=2, best_of=0)
