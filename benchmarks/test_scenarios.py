"""The seed's scenarios through each model's own code: T1, T3 (instant and HTTP), T5."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from joinery.models import Unsupported

from benchmarks._http import HttpPool, ServerProcess, get_json
from benchmarks._profile import Profile
from benchmarks._work import (
    ShedJobs,
    check_dashboard,
    check_fetch_all,
    check_shedded,
    dashboards,
    floor_dashboards,
    floor_fetch,
    floor_jobs,
    instant_fetch,
    urls,
)
from benchmarks.conftest import Bench, Case


def _scenario(case: Case, name: str) -> Callable[..., Any]:
    assert case.row.model is not None
    try:
        return case.row.model.scenario(name)
    except Unsupported as exc:
        pytest.skip(f"{case.row.id} does not support {name}: {exc}")


def _info(bench: Bench, case: Case, scenario: str, n: int, unit: str) -> None:
    bench.info(scenario=scenario, row=case.row.id, title=case.row.title, kind="model",
               flavor=case.flavor, n=n, unit=unit)  # fmt: skip


def _floor_info(bench: Bench, scenario: str, n: int, unit: str) -> None:
    bench.info(scenario=scenario, row="floor:send", title="floor: coro.send, in sequence",
               kind="floor", flavor="none", n=n, unit=unit)  # fmt: skip


# -- T1 ---------------------------------------------------------------------------------


def test_t1_dashboard(bench: Bench, drivers: Any, model_case: Case, profile: Profile) -> None:
    """T1 fan-out of three instant fetches, ``t1_calls`` dashboards per round."""
    load_dashboard = _scenario(model_case, "load_dashboard")
    driver, m = drivers(model_case.flavor), profile.t1_calls
    driver.run(check_dashboard, load_dashboard)
    _info(bench, model_case, "t1_dashboard", m, "call")
    bench.time(lambda: driver.run(dashboards, load_dashboard, m))


def test_t1_floor(bench: Bench, profile: Profile) -> None:
    _floor_info(bench, "t1_dashboard", profile.t1_calls, "call")
    bench.time(lambda: floor_dashboards(profile.t1_calls))


# -- T3 ---------------------------------------------------------------------------------


def test_t3_instant(bench: Bench, drivers: Any, model_case: Case, profile: Profile) -> None:
    """T3 fetch_all of ``t3_items`` instant fetches at limit 16."""
    fetch_all = _scenario(model_case, "fetch_all")
    driver, items = drivers(model_case.flavor), urls(profile.t3_items)
    driver.run(check_fetch_all, fetch_all, profile.t3_items)
    _info(bench, model_case, "t3_instant", len(items), "item")
    bench.time(lambda: driver.run(fetch_all, instant_fetch, items, 16))


def test_t3_floor(bench: Bench, profile: Profile) -> None:
    items = urls(profile.t3_items)
    _floor_info(bench, "t3_instant", len(items), "item")
    bench.time(lambda: floor_fetch(items))


async def _fetch_round(fetch_all: Callable[..., Any], port: int, items: list[str]) -> int:
    pool = HttpPool(port)
    try:
        bodies = await fetch_all(pool.fetch, items, 16)
        opened = pool.connections
    finally:
        await pool.aclose()
    if [b.decode() for b in bodies] != items:
        raise AssertionError("fetch_all over HTTP lost, added or reordered results")
    return opened


def test_t3_http(
    bench: Bench, drivers: Any, model_case: Case, profile: Profile, http_server: ServerProcess
) -> None:
    """T3 against the loopback server; the server reports the maximum in flight per round."""
    fetch_all = _scenario(model_case, "fetch_all")
    driver, items, port = drivers(model_case.flavor), urls(profile.t3_items), http_server.port
    stats: list[dict[str, int]] = []
    connections: list[int] = []
    _info(bench, model_case, "t3_http", len(items), "item")
    bench.info(server_stats=stats, client_connections=connections, limit=16,
               server_delay_s=http_server.delay)  # fmt: skip
    pending = False

    def collect() -> None:
        nonlocal pending
        if pending:
            stats.append(driver.run(get_json, port, "/stats"))
        driver.run(get_json, port, "/reset")
        pending = True

    def fetch() -> None:
        connections.append(driver.run(_fetch_round, fetch_all, port, items))

    bench.time(fetch, setup=collect, rounds=profile.http_rounds)
    stats.append(driver.run(get_json, port, "/stats"))
    pending = False
    assert all(s["served"] == len(items) for s in stats), stats


# -- T5 ---------------------------------------------------------------------------------


def test_t5_shed(bench: Bench, drivers: Any, model_case: Case, profile: Profile) -> None:
    """T5 try-spawn of ``t5_jobs`` instant jobs at limit 4: cost per submitted job."""
    run_shedded = _scenario(model_case, "run_shedded")
    driver, j = drivers(model_case.flavor), profile.t5_jobs
    accepted, dropped = driver.run(check_shedded, run_shedded, j)
    _info(bench, model_case, "t5_shed", j, "job")
    bench.info(accepted=accepted, dropped=dropped, limit=4)
    jobs = ShedJobs(j).jobs
    bench.time(lambda: driver.run(run_shedded, jobs, 4))


def test_t5_floor(bench: Bench, profile: Profile) -> None:
    jobs = ShedJobs(profile.t5_jobs).jobs
    _floor_info(bench, "t5_shed", len(jobs), "job")
    bench.time(lambda: floor_jobs(jobs))
