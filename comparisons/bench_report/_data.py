"""Read a pytest-benchmark JSON written by ``benchmarks/`` and derive per-unit figures.

Every number the report prints is computed here from the JSON: a round's median and
quartiles from pytest-benchmark's stats, minus the median no-op round of the same loop
(the driver hand-off), divided by the units the round contains (tasks, calls, items,
jobs). Memory figures come from the samples each benchmark stored in ``extra_info``.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TASKGROUP = "native:asyncio.TaskGroup"
NURSERY = "native:trio.nursery"
FLOOR = "floor:send"
ANYIO = "native:anyio.TaskGroup"

NATIVE_FOR_FLAVOR = {"asyncio": TASKGROUP, "asyncio+uvloop": TASKGROUP, "trio": NURSERY}
"""The loop's own group, written directly (rows measured for spawn, cancel, memory)."""

MODEL_FOR_FLAVOR = {"asyncio": "taskgroup", "asyncio+uvloop": "taskgroup", "trio": "nursery"}
"""The model that uses the loop's own group, for scenarios that have no native row."""


class ReportError(Exception):
    """The JSON is not a joinery benchmark run (the message says what is missing)."""


@dataclass(frozen=True)
class Entry:
    """One benchmark of the run.

    Attributes:
        scenario: e.g. ``spawn_join``, ``cancel_fanout``, ``t3_http``, ``noop``.
        row: row id, e.g. ``taskgroup`` or ``native:asyncio.TaskGroup``.
        title: the row as a reader names it.
        kind: ``model``, ``direct`` (joinery.task itself), ``native``, ``floor`` or ``driver``.
        flavor: ``asyncio``, ``asyncio+uvloop``, ``trio``, or ``none`` (no loop).
        n: units in one round.
        unit: what a unit is (``task``, ``call``, ``item``, ``job``, ``round``).
        median: seconds per round.
        q1: first quartile, seconds per round.
        q3: third quartile, seconds per round.
        rounds: rounds measured.
        extra: the benchmark's ``extra_info``.
    """

    scenario: str
    row: str
    title: str
    kind: str
    flavor: str
    n: int
    unit: str
    median: float
    q1: float
    q3: float
    rounds: int
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, int]:
        """``(scenario, row, flavor, n)``: unique within one run."""
        return (self.scenario, self.row, self.flavor, self.n)


@dataclass(frozen=True)
class Figure:
    """A per-unit figure: median and the interquartile spread, in the unit's measure."""

    median: float
    low: float
    high: float


@dataclass
class Run:
    """A whole benchmark run: where it ran, how, and every entry."""

    path: str
    datetime: str
    machine: Mapping[str, Any]
    commit: Mapping[str, Any]
    meta: Mapping[str, Any]
    entries: list[Entry]

    def find(self, scenario: str, row: str, flavor: str, n: int) -> Entry | None:
        """The entry with this key, if the run has it."""
        return self._index.get((scenario, row, flavor, n))

    def __post_init__(self) -> None:
        self._index = {e.key: e for e in self.entries}
        dupes = len(self.entries) - len(self._index)
        if dupes:
            raise ReportError(f"{self.path}: {dupes} benchmarks share a (scenario, row, loop, n)")

    def overhead(self, flavor: str) -> float:
        """Median seconds of a no-op round on ``flavor`` (0 for code run with no loop)."""
        if flavor == "none":
            return 0.0
        noop = self.find("noop", "driver", flavor, 1)
        if noop is None:
            raise ReportError(f"{self.path}: no no-op round for loop {flavor!r}; cannot subtract")
        return noop.median

    def per_unit(self, entry: Entry) -> Figure:
        """Seconds per unit: (round - the loop's no-op round) / units, median and IQR."""
        base = 0.0 if entry.scenario == "noop" else self.overhead(entry.flavor)
        n = entry.n
        return Figure((entry.median - base) / n, (entry.q1 - base) / n, (entry.q3 - base) / n)

    def paired_ratio(self, entry: Entry) -> Figure | None:
        """Ratio to the reference round timed just before each round, over the rounds.

        Each ratio is (round - no-op round) / (reference round - no-op round); the figure
        is their median and interquartile range. ``None`` unless the benchmark stored
        ``paired_times`` (``[reference seconds, round seconds]`` per round).
        """
        pairs = entry.extra.get("paired_times")
        if pairs is None:
            return None
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(t, int | float) for t in p)
            for p in pairs
        ):
            raise ReportError(
                f"{self.path}: {entry.key}: paired_times must be a list of "
                "[reference seconds, round seconds]"
            )
        base = self.overhead(entry.flavor)
        ratios = [(row - base) / (ref - base) for ref, row in pairs if ref > base]
        if len(ratios) < 2:
            return None
        q1, median, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
        return Figure(median, q1, q3)

    def scenario(self, name: str) -> list[Entry]:
        """Entries of one scenario, in run order."""
        return [e for e in self.entries if e.scenario == name]


def _entry(bench: Mapping[str, Any], path: str) -> Entry:
    info = bench.get("extra_info") or {}
    missing = [k for k in ("scenario", "row", "flavor", "n", "unit") if k not in info]
    if missing:
        raise ReportError(f"{path}: benchmark {bench.get('name')!r} has no {', '.join(missing)}")
    stats = bench["stats"]
    return Entry(
        scenario=info["scenario"],
        row=info["row"],
        title=info.get("title", info["row"]),
        kind=info.get("kind", "model"),
        flavor=info["flavor"],
        n=int(info["n"]),
        unit=info["unit"],
        median=float(stats["median"]),
        q1=float(stats["q1"]),
        q3=float(stats["q3"]),
        rounds=int(stats["rounds"]),
        extra=info,
    )


def load(path: str | Path) -> Run:
    """Read one run.

    Raises:
        ReportError: not a pytest-benchmark JSON of joinery's benchmarks.
    """
    text = Path(path).read_text()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(doc, dict) or "benchmarks" not in doc or "machine_info" not in doc:
        raise ReportError(f"{path}: not a pytest-benchmark JSON (no benchmarks/machine_info)")
    if "joinery" not in doc:
        raise ReportError(f"{path}: no 'joinery' section: was it written by benchmarks/?")
    return Run(
        path=str(path),
        datetime=doc.get("datetime", "?"),
        machine=doc["machine_info"],
        commit=doc.get("commit_info") or {},
        meta=doc["joinery"],
        entries=[_entry(b, str(path)) for b in doc["benchmarks"]],
    )


def median_spread(samples: Iterable[float]) -> Figure:
    """Median with the full range, for the few samples memory measurements have."""
    values = sorted(samples)
    if not values:
        raise ReportError("no samples")
    return Figure(statistics.median(values), values[0], values[-1])


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b``, or None when either is missing or ``b`` is not positive."""
    if a is None or b is None or b <= 0:
        return None
    return a / b
