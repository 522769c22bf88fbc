"""Parametrization over rows x loops, session-long drivers, and what goes into the JSON.

Options (see the README): ``--bench-profile quick|full`` (default: $JOINERY_BENCH_PROFILE
or quick) and ``--bench-models a,b`` (registry names or import paths; default: every
non-control registry model).
"""

from __future__ import annotations

import gc
import importlib.metadata
import os
import platform
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joinery
import pytest

from benchmarks._drivers import FLAVORS, METHOD, Driver, Flavor, make_driver
from benchmarks._http import ServerProcess
from benchmarks._profile import PROFILES, Profile
from benchmarks._rows import ModelLoad, Row, all_rows, load_model_rows

_PROFILE = pytest.StashKey[Profile]()
_LOADS = pytest.StashKey[list[ModelLoad]]()

PACKAGES = ("trio", "anyio", "uvloop", "sniffio", "pytest", "pytest-benchmark", "joinery")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("joinery benchmarks")
    group.addoption(
        "--bench-profile",
        choices=sorted(PROFILES),
        default=os.environ.get("JOINERY_BENCH_PROFILE", "quick"),
        help="quick (main job) or full (publication); default $JOINERY_BENCH_PROFILE or quick",
    )
    group.addoption(
        "--bench-models",
        default=None,
        help="comma-separated models (registry names or import paths); default: all",
    )


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("--bench-profile")
    if name not in PROFILES:
        raise pytest.UsageError(f"--bench-profile must be one of {sorted(PROFILES)}, not {name!r}")
    config.stash[_PROFILE] = PROFILES[name]
    models = config.getoption("--bench-models")
    names = [m.strip() for m in models.split(",") if m.strip()] if models else None
    config.stash[_LOADS] = load_model_rows(names)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Keep every skipped benchmark and its reason, for the report's list of gaps."""
    if report.skipped and report.when in ("setup", "call"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skips.append(
            {"id": report.nodeid.split("::")[-1], "reason": reason.removeprefix("Skipped: ")}
        )


_skips: list[dict[str, str]] = []


# -- parametrization ----------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Case:
    """One row on one loop."""

    row: Row
    flavor: Flavor

    @property
    def id(self) -> str:
        return f"{self.row.id}|{self.flavor}"

    def __repr__(self) -> str:  # what pytest-benchmark stores as the param
        return self.id


def _cases(rows: list[Row], want: Callable[[Row], str | None]) -> list[Any]:
    params = []
    for row in rows:
        why_not = want(row)
        for flavor in row.flavors:
            case = Case(row, flavor)
            marks = [pytest.mark.skip(reason=why_not)] if why_not else []
            params.append(pytest.param(case, id=case.id, marks=marks))
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    config = metafunc.config
    profile = config.stash[_PROFILE]
    loads: list[ModelLoad] = config.stash[_LOADS]
    rows = all_rows(loads)
    models = [r for r in rows if r.kind == "model"]
    if "spawn_case" in metafunc.fixturenames:
        metafunc.parametrize("spawn_case", _cases(rows, lambda r: None if r.spawn_n else r.why_not))
    if "group_case" in metafunc.fixturenames:
        groups = [r for r in rows if r.kind != "floor"]
        metafunc.parametrize("group_case", _cases(groups, lambda r: None if r.group else r.why_not))
    if "model_case" in metafunc.fixturenames:
        metafunc.parametrize("model_case", _cases(models, lambda r: None))
    if "flavor" in metafunc.fixturenames:
        metafunc.parametrize("flavor", FLAVORS)
    if "n" in metafunc.fixturenames:
        metafunc.parametrize("n", profile.spawn_ns, ids=[f"n={n}" for n in profile.spawn_ns])


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.config.stash[_PROFILE]


@pytest.fixture(scope="session")
def drivers() -> Iterator[Callable[[Flavor], Driver]]:
    """One long-lived loop per flavor, created on first use, closed at session end."""
    made: dict[Flavor, Driver] = {}

    def get(flavor: Flavor) -> Driver:
        if flavor not in made:
            made[flavor] = make_driver(flavor)
        return made[flavor]

    yield get
    for driver in made.values():
        driver.close()


@pytest.fixture(scope="session")
def http_server(profile: Profile) -> Iterator[ServerProcess]:
    """The loopback server, in its own process, with a request budget for this run."""
    budget = 200 * profile.http_rounds * profile.t3_items
    server = ServerProcess(delay=profile.http_delay, max_requests=budget)
    yield server
    server.stop()


class Bench:
    """Times ``round_fn`` with pytest-benchmark and records what the report needs."""

    def __init__(self, benchmark: Any, profile: Profile) -> None:
        self.benchmark = benchmark
        self.profile = profile

    def info(self, **info: Any) -> None:
        """Merge ``info`` into the benchmark's extra_info (stored in the JSON)."""
        self.benchmark.extra_info.update(info)

    def time(
        self,
        round_fn: Callable[[], object],
        *,
        setup: Callable[[], object] | None = None,
        rounds: int | None = None,
    ) -> None:
        """Calibrate on one round (after ``setup``), then time ``rounds`` rounds.

        Rounds default to the profile's budget divided by one calibration round, set-up
        included (a fan-out's set-up spawns thousands of tasks). ``setup`` runs before
        each round, untimed.

        The collector: a full collection, then ``gc.freeze()``, before the benchmark;
        ``gc.unfreeze()`` after. Rounds still pay for collecting what they allocate, but
        a collection no longer walks the harness's own heap, which grows during a session
        and would make every later row look slower than an earlier one.
        """
        gc.collect()
        gc.freeze()
        try:
            if rounds is None:
                start = time.perf_counter()
                if setup is not None:
                    setup()
                round_fn()
                rounds = self.profile.rounds_for(time.perf_counter() - start)
            self.info(rounds_planned=rounds)
            self.benchmark.pedantic(round_fn, setup=setup, rounds=rounds, iterations=1)
        finally:
            gc.unfreeze()


@pytest.fixture
def bench(benchmark: Any, profile: Profile) -> Bench:
    return Bench(benchmark, profile)


# -- what the JSON carries besides timings --------------------------------------------------


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def pytest_benchmark_update_machine_info(
    config: pytest.Config, machine_info: dict[str, Any]
) -> None:
    machine_info["joinery"] = {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "packages": {name: _version(name) for name in PACKAGES},
    }


def pytest_benchmark_update_json(
    config: pytest.Config, benchmarks: list[Any], output_json: dict[str, Any]
) -> None:
    profile = config.stash[_PROFILE]
    output_json["joinery"] = {
        "schema": "joinery.bench/1",
        "profile": profile.name,
        "sizes": {
            "spawn_ns": list(profile.spawn_ns),
            "cancel_n": profile.cancel_n,
            "memory_n": profile.memory_n,
            "rss_n": profile.rss_n,
            "t1_calls": profile.t1_calls,
            "t3_items": profile.t3_items,
            "t3_limit": 16,
            "t5_jobs": profile.t5_jobs,
            "t5_limit": 4,
            "http_delay_s": profile.http_delay,
        },
        "method": METHOD,
        "joinery_from": str(Path(joinery.__file__).resolve().parent),
        "skipped": list(_skips),
        "models": [
            {
                "name": load.name,
                "title": load.row.model.info.title if load.row and load.row.model else None,
                "backends": list(load.row.model.info.backends)
                if load.row and load.row.model
                else None,
                "unsupported": dict(load.row.model.info.unsupported)
                if load.row and load.row.model
                else {},
                "skipped": load.skipped,
            }
            for load in config.stash[_LOADS]
        ],
    }
