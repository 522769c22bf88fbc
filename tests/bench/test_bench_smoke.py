"""Every benchmark runs once, on tiny sizes, in a subprocess; the report renders from it.

The benchmarks are not part of the test command's pytest run (testpaths = tests), so this
is what keeps their code from rotting: a new model, a changed protocol or a broken driver
turns this red. The numbers of the smoke profile mean nothing and are never published.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from joinery.models import load_model, registered_models

from benchmarks._rows import is_control
from comparisons.bench_report import load, render

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("spawn_join", "cancel_fanout", "t1_dashboard", "t3_instant", "t3_http", "t5_shed",
             "parked_memory", "parked_rss")  # fmt: skip


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "benchmarks", "-q",
         "--bench-profile=smoke", f"--benchmark-json={out}"],
        cwd=ROOT, capture_output=True, text=True, timeout=100, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return out


def test_every_model_runs_every_benchmark_it_supports_on_every_loop(smoke_run: Path) -> None:
    run = load(smoke_run)
    seen = {(e.scenario, e.row, e.flavor) for e in run.entries}
    skipped = " ".join(s["id"] + s["reason"] for s in run.meta["skipped"])
    for name in registered_models(third_party=False):  # third-party rows are judged, not timed
        if is_control(name):
            assert not any(e.row == name for e in run.entries), f"control model {name} timed"
            continue
        model = load_model(name)
        flavors = [f for f in ("asyncio", "asyncio+uvloop", "trio")
                   if model.runs_on("trio" if f == "trio" else "asyncio")]  # fmt: skip
        for scenario in SCENARIOS:
            for flavor in flavors:
                if (scenario, name, flavor) not in seen:
                    # Absent only with a recorded reason (unsupported, or not a cancelling group).
                    assert f"{name}|{flavor}" in skipped, (scenario, name, flavor, skipped)


def test_native_rows_floor_and_noop_rounds_are_all_there(smoke_run: Path) -> None:
    run = load(smoke_run)
    rows = {(e.scenario, e.row, e.flavor) for e in run.entries}
    for flavor in ("asyncio", "asyncio+uvloop", "trio"):
        assert ("noop", "driver", flavor) in rows
        assert ("spawn_join", "native:anyio.TaskGroup", flavor) in rows
        assert ("spawn_join", "floor:await", flavor) in rows
        assert ("spawn_join", "direct:task.launch", flavor) in rows
        assert ("cancel_fanout", "direct:task.spawn", flavor) in rows
    assert ("spawn_join", "native:asyncio.TaskGroup", "asyncio+uvloop") in rows
    assert ("cancel_fanout", "native:trio.nursery", "trio") in rows
    for scenario in ("spawn_join", "t1_dashboard", "t3_instant", "t5_shed"):
        assert (scenario, "floor:send", "none") in rows


def test_spawn_join_rows_are_paired_with_the_loops_own_group(smoke_run: Path) -> None:
    run = load(smoke_run)
    native = {"asyncio": "native:asyncio.TaskGroup", "asyncio+uvloop": "native:asyncio.TaskGroup",
              "trio": "native:trio.nursery"}  # fmt: skip
    for e in run.scenario("spawn_join"):
        if e.flavor == "none" or e.row == native[e.flavor]:
            assert "paired_times" not in e.extra
            continue
        assert e.extra["paired_with"] == native[e.flavor], e.key
        # one pair per round (the smoke's tiny rounds mean nothing: no ratio is checked)
        assert len(e.extra["paired_times"]) >= e.rounds, e.key
        assert all(len(p) == 2 for p in e.extra["paired_times"]), e.key


def test_the_server_judged_the_bound_and_the_report_renders(smoke_run: Path) -> None:
    run = load(smoke_run)
    http = run.scenario("t3_http")
    assert http
    for e in http:
        stats = e.extra["server_stats"]
        assert stats and all(s["served"] == e.n for s in stats), stats
        assert all(s["max_inflight"] >= 1 for s in stats), (e.row, stats)  # counted server-side
    text, charts = render(run)
    for title in ("Headline", "Spawn + join", "Cancellation fan-out", "T1", "T3", "T5",
                  "Memory per parked task", "Peak RSS", "Loop hand-off"):  # fmt: skip
        assert f"## {title}" in text, title
    assert {f"{s}.svg" for s in SCENARIOS} <= set(charts)
