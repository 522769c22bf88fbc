"""The report generator's arithmetic and output, on synthetic pytest-benchmark JSON."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from comparisons.bench_report import ReportError, compare, load, render, write
from comparisons.bench_report.__main__ import main as cli

X = "\xd7"  # the multiplication sign of the ratio columns
DASH = "\u2013"  # the en dash of a spread


def bench(
    scenario: str,
    row: str,
    flavor: str,
    n: int,
    median: float,
    *,
    q1: float | None = None,
    q3: float | None = None,
    kind: str = "model",
    unit: str = "task",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": f"test_{scenario}[{row}|{flavor}-{n}]",
        "stats": {
            "median": median,
            "q1": median if q1 is None else q1,
            "q3": median if q3 is None else q3,
            "rounds": 5,
        },
        "extra_info": {
            "scenario": scenario,
            "row": row,
            "title": row.upper(),
            "kind": kind,
            "flavor": flavor,
            "n": n,
            "unit": unit,
            **extra,
        },
    }


def doc(*benchmarks: dict[str, Any]) -> dict[str, Any]:
    return {
        "machine_info": {
            "node": "box",
            "python_implementation": "CPython",
            "python_version": "3.11.7",
            "cpu": {"brand_raw": "Test CPU", "count": 2},
            "joinery": {
                "cpus": 2,
                "platform": "Linux-test",
                "packages": {"trio": "0.35.0", "anyio": "4.16.0"},
            },
        },
        "commit_info": {"id": "abcdef1234567890", "dirty": False},
        "datetime": "2026-11-27T20:00:00",
        "benchmarks": list(benchmarks),
        "joinery": {
            "profile": "quick",
            "method": "METHOD-TEXT",
            "sizes": {"cancel_n": 10},
            "models": [
                {
                    "name": "m",
                    "title": "Model M",
                    "backends": ["asyncio"],
                    "unsupported": {"flusher": "no daemon"},
                    "skipped": None,
                }
            ],
            "skipped": [{"id": "test_x[m|asyncio]", "reason": "why not"}],
        },
    }


NOOPS = (
    bench("noop", "driver", "asyncio", 1, 10e-6, kind="driver", unit="round"),
    bench("noop", "driver", "trio", 1, 4e-6, kind="driver", unit="round"),
)


def write_doc(tmp_path: Path, d: dict[str, Any], name: str = "run.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(d))
    return path


def table_row(text: str, *starts: str) -> list[str]:
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if tuple(cells[: len(starts)]) == starts:
            return cells
    raise AssertionError(f"no table row starting {starts} in:\n{text}")


def test_per_task_subtracts_the_loops_noop_round_and_divides_by_n(tmp_path: Path) -> None:
    # 100 tasks in 410 µs on asyncio, whose no-op round is 10 µs: 4 µs per task.
    run = load(
        write_doc(
            tmp_path,
            doc(*NOOPS, bench("spawn_join", "m", "asyncio", 100, 410e-6, q1=310e-6, q3=510e-6)),
        )
    )
    figure = run.per_unit(run.entries[-1])
    assert figure.median == pytest.approx(4e-6)
    assert (figure.low, figure.high) == (pytest.approx(3e-6), pytest.approx(5e-6))


def test_ratios_to_taskgroup_native_and_floor(tmp_path: Path) -> None:
    d = doc(
        *NOOPS,
        bench("spawn_join", "native:asyncio.TaskGroup", "asyncio", 100, 210e-6, kind="native"),
        bench("spawn_join", "native:trio.nursery", "trio", 100, 504e-6, kind="native"),
        bench("spawn_join", "floor:send", "none", 100, 50e-6, kind="floor"),
        bench("spawn_join", "m", "asyncio", 100, 610e-6),  # 6 µs/task
        bench("spawn_join", "t", "trio", 100, 1004e-6),  # 10 µs/task
    )
    text, _ = render(load(write_doc(tmp_path, d)))
    table = text[text.index("## Spawn + join") :]
    # µs/task, spread, x TaskGroup (2 µs), x native same loop, x floor (0.5 µs)
    assert table_row(table, "M", "asyncio")[2:7] == [
        "6",
        f"6{DASH}6",
        f"3.00{X}",
        f"3.00{X}",
        f"12.00{X}",
    ]
    assert table_row(table, "T", "trio")[2:7] == [
        "10",
        f"10{DASH}10",
        f"5.00{X}",
        f"2.00{X}",
        f"20.00{X}",
    ]
    assert table_row(table, "FLOOR:SEND", "none")[2] == "0.5"
    # The headline quotes the same ratios (no anyio, cancel or memory runs: dashes).
    headline = text[: text.index("## Spawn + join")]
    assert table_row(headline, "M", "asyncio")[2:] == [
        "6",
        f"3.00{X}",
        f"3.00{X}",
        "—",
        f"12.00{X}",
    ]
    # Cancel and memory sit in a second table, so that neither is wider than a page.
    costs = headline[headline.index("The same rows") :]
    assert table_row(costs, "M", "asyncio")[2:] == ["—", "—", "—"]


def test_native_ratio_of_a_paired_row_is_the_median_of_its_per_round_ratios(
    tmp_path: Path,
) -> None:
    # The row's median (610 µs) against the reference's (210 µs) would say 3.00x; the
    # rounds, each divided by the reference round just before it (no-op 10 µs off both),
    # say 2, 2.5 and 4: the median 2.50x is what the native column must show.
    pairs = [[110e-6, 210e-6], [210e-6, 510e-6], [310e-6, 1210e-6]]
    d = doc(
        *NOOPS,
        bench("spawn_join", "native:asyncio.TaskGroup", "asyncio", 100, 210e-6, kind="native"),
        bench(
            "spawn_join",
            "m",
            "asyncio",
            100,
            610e-6,
            paired_with="native:asyncio.TaskGroup",
            paired_times=pairs,
        ),
    )
    text, _ = render(load(write_doc(tmp_path, d)))
    table = text[text.index("## Spawn + join") :]
    cells = table_row(table, "M", "asyncio")
    assert cells[4] == f"3.00{X}"  # x asyncio.TaskGroup: medians of rows, as before
    assert cells[5] == f"2.50{X}"  # x native group: paired
    headline = text[: text.index("## Spawn + join")]
    assert table_row(headline, "M", "asyncio")[4] == f"2.50{X}"
    assert "*paired*" in headline


def test_malformed_paired_times_are_refused_by_name(tmp_path: Path) -> None:
    d = doc(*NOOPS, bench("spawn_join", "m", "asyncio", 100, 610e-6, paired_times=[[1.0]]))
    with pytest.raises(ReportError, match="paired_times must be a list"):
        render(load(write_doc(tmp_path, d)))


def test_scenarios_without_native_rows_use_the_taskgroup_and_nursery_models(tmp_path: Path) -> None:
    d = doc(
        *NOOPS,
        bench("t1_dashboard", "taskgroup", "asyncio", 10, 30e-6, unit="call"),
        bench("t1_dashboard", "nursery", "trio", 10, 44e-6, unit="call"),
        bench("t1_dashboard", "floor:send", "none", 10, 5e-6, kind="floor", unit="call"),
        bench("t1_dashboard", "bare", "asyncio", 10, 50e-6, unit="call"),
    )
    text, charts = render(load(write_doc(tmp_path, d)))
    assert table_row(text, "BARE", "asyncio")[2:7] == [
        "4",
        f"4{DASH}4",
        f"2.00{X}",
        f"2.00{X}",
        f"8.00{X}",
    ]
    assert table_row(text, "NURSERY", "trio")[4:6] == [f"2.00{X}", f"1.00{X}"]
    assert "t1_dashboard.svg" in charts


def test_missing_reference_prints_a_dash_not_a_number(tmp_path: Path) -> None:
    d = doc(*NOOPS, bench("cancel_fanout", "m", "trio", 10, 24e-6))
    text, _ = render(load(write_doc(tmp_path, d)))
    assert table_row(text, "M", "trio")[2:7] == ["2", f"2{DASH}2", "—", "—", "—"]


def test_memory_uses_the_samples_median_and_range(tmp_path: Path) -> None:
    d = doc(
        *NOOPS,
        bench(
            "parked_memory",
            "native:asyncio.TaskGroup",
            "asyncio",
            10,
            1.0,
            kind="native",
            bytes_per_task=[1000.0, 1100.0, 900.0],
        ),
        bench("parked_memory", "m", "asyncio", 10, 1.0, bytes_per_task=[3000.0, 2000.0, 2500.0]),
        bench(
            "parked_rss",
            "m",
            "asyncio",
            10,
            1.0,
            rss=[{"bytes_per_task": 4096.0, "maxrss_kib": 20480, "maxrss_before_kib": 10}],
        ),
    )
    text, charts = render(load(write_doc(tmp_path, d)))
    mem = text[text.index("Memory per parked task") : text.index("Peak RSS")]
    assert table_row(mem, "M", "asyncio")[2:5] == ["2,500", f"2,000{DASH}3,000", f"2.50{X}"]
    rss = text[text.index("Peak RSS") :]
    assert table_row(rss, "M", "asyncio")[2] == "4,096"
    assert table_row(rss, "M", "asyncio")[-1] == "20.0"
    assert {"parked_memory.svg", "parked_rss.svg"} <= set(charts)


def test_http_rows_show_the_servers_max_in_flight_and_flag_a_broken_bound(tmp_path: Path) -> None:
    stats = [{"max_inflight": 16, "served": 40}, {"max_inflight": 17, "served": 40}]
    d = doc(
        *NOOPS,
        bench(
            "t3_http",
            "m",
            "asyncio",
            40,
            1e-3,
            unit="item",
            limit=16,
            server_stats=stats,
            client_connections=[17],
            server_delay_s=0.001,
        ),
    )
    text, _ = render(load(write_doc(tmp_path, d)))
    assert table_row(text, "M", "asyncio")[-2:] == ["17 ✗ over the limit", "17"]
    assert "no less than 0.001 s / 16 = 62.5 µs per item" in text  # the latency bound


def test_header_names_machine_python_libraries_method_and_skips(tmp_path: Path) -> None:
    text, _ = render(load(write_doc(tmp_path, doc(*NOOPS))))
    for needle in (
        "box",
        "Test CPU",
        "CPython 3.11.7",
        "trio 0.35.0",
        "anyio 4.16.0",
        "METHOD-TEXT",
        "abcdef123456",
        "quick profile",
        "flusher: no daemon",
        "`test_x[m|asyncio]`: why not",
    ):
        assert needle in text, needle


def test_charts_are_well_formed_svg_with_one_bar_per_row(tmp_path: Path) -> None:
    d = doc(
        *NOOPS,
        *(bench("spawn_join", r, "asyncio", n, n * 3e-6) for r in "abc" for n in (100, 1000)),
        *(bench("spawn_join", "t", "trio", n, n * 3e-6) for n in (100, 1000)),
        *(bench("spawn_join", "f", "none", n, n * 1e-6, kind="floor") for n in (100, 1000)),
    )
    _, charts = render(load(write_doc(tmp_path, d)))
    bars = ET.fromstring(charts["spawn_join.svg"])
    ns = "{http://www.w3.org/2000/svg}"
    assert len([r for r in bars.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]) == 5
    # Every bar colour is named in a legend.
    legend = [t.text for t in bars.iter(f"{ns}text")]
    assert "a model's scenario code (the suite's adapter)" in legend
    assert "the floor: no scheduler" in legend
    # Small multiples: one scaling chart per loop, each with the floor for reference.
    assert "spawn_join_scaling.svg" not in charts
    per_loop = ET.fromstring(charts["spawn_join_scaling_asyncio.svg"])
    assert len(list(per_loop.iter(f"{ns}circle"))) == 8  # a, b, c and the floor, 2 Ns each
    assert len(list(ET.fromstring(charts["spawn_join_scaling_trio.svg"]).iter(f"{ns}circle"))) == 4


def test_no_chart_label_is_clipped(tmp_path: Path) -> None:
    long = "joinery.task spawn() + await (direct) · asyncio+uvloop, a long label"
    d = doc(*NOOPS, bench("spawn_join", "m", "asyncio", 100, 3e-4, title=long))
    d["benchmarks"][-1]["extra_info"]["title"] = long
    _, charts = render(load(write_doc(tmp_path, d)))
    svg = ET.fromstring(charts["spawn_join.svg"])
    ns = "{http://www.w3.org/2000/svg}"
    width = float(svg.get("width", "0"))
    for t in svg.iter(f"{ns}text"):
        x, text = float(t.get("x", "0")), t.text or ""
        anchor = t.get("text-anchor", "start")
        start = x - 7.2 * len(text) if anchor == "end" else x
        end = x if anchor == "end" else x + 7.2 * len(text)
        assert start >= 0 and end <= width, text


def test_write_and_cli_put_report_and_charts_in_the_directory(tmp_path: Path) -> None:
    d = doc(*NOOPS, bench("spawn_join", "m", "asyncio", 100, 110e-6))
    src = write_doc(tmp_path, d)
    written = write(load(src), tmp_path / "out")
    assert {p.name for p in written} == {"report.md", "spawn_join.svg"}
    assert cli(["report", str(src), "--out", str(tmp_path / "cli")]) == 0
    assert (tmp_path / "cli" / "report.md").read_text() == (
        tmp_path / "out" / "report.md"
    ).read_text()


def test_compare_divides_new_by_old_per_benchmark(tmp_path: Path) -> None:
    old = write_doc(
        tmp_path, doc(*NOOPS, bench("spawn_join", "m", "asyncio", 100, 410e-6)), "a.json"
    )
    new = write_doc(
        tmp_path, doc(*NOOPS, bench("spawn_join", "m", "asyncio", 100, 210e-6)), "b.json"
    )
    text = compare(load(old), load(new))
    assert table_row(text, "spawn_join", "M", "asyncio")[5:] == ["4", "2", f"0.50{X}"]
    assert cli(["compare", str(old), str(new), "--out", str(tmp_path / "c.md")]) == 0
    assert (tmp_path / "c.md").read_text() == text


def test_compare_refuses_runs_with_nothing_in_common(tmp_path: Path) -> None:
    a = write_doc(tmp_path, doc(*NOOPS, bench("spawn_join", "m", "asyncio", 100, 1e-3)), "a.json")
    b = write_doc(tmp_path, doc(*NOOPS, bench("spawn_join", "m", "asyncio", 999, 1e-3)), "b.json")
    with pytest.raises(ReportError, match="no benchmark in common"):
        compare(load(a), load(b))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        (json.dumps({"benchmarks": []}), "not a pytest-benchmark JSON"),
        (json.dumps({"benchmarks": [], "machine_info": {}}), "no 'joinery' section"),
    ],
)
def test_bad_input_names_the_mistake(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ReportError, match=message):
        load(path)
    assert cli(["report", str(path), "--out", str(tmp_path / "o")]) == 1


def test_a_benchmark_without_joinery_extra_info_is_refused(tmp_path: Path) -> None:
    d = doc(*NOOPS)
    d["benchmarks"].append({"name": "test_foreign", "stats": {}, "extra_info": {}})
    with pytest.raises(ReportError, match=r"test_foreign.*scenario"):
        load(write_doc(tmp_path, d))


def test_no_noop_round_for_a_loop_is_an_error_not_a_silent_zero(tmp_path: Path) -> None:
    run = load(write_doc(tmp_path, doc(bench("spawn_join", "m", "asyncio+uvloop", 10, 1e-3))))
    with pytest.raises(ReportError, match="no no-op round for loop 'asyncio\\+uvloop'"):
        run.per_unit(run.entries[0])


def test_duplicate_benchmarks_are_refused(tmp_path: Path) -> None:
    twice = bench("spawn_join", "m", "asyncio", 10, 1e-3)
    with pytest.raises(ReportError, match="share a"):
        load(write_doc(tmp_path, doc(*NOOPS, twice, twice)))


def test_headline_compares_with_the_loops_group_anyio_cancel_and_memory(tmp_path: Path) -> None:
    mem = "parked_memory"
    d = doc(
        *NOOPS,  # trio's no-op round: 4 µs
        bench("spawn_join", "native:trio.nursery", "trio", 10_000, 40_004e-6, kind="native"),
        bench("spawn_join", "native:anyio.TaskGroup", "trio", 10_000, 100_004e-6, kind="native"),
        bench("spawn_join", "linear", "trio", 10_000, 44_004e-6),  # 4.4 µs/task
        bench("cancel_fanout", "native:trio.nursery", "trio", 100, 204e-6, kind="native"),
        bench("cancel_fanout", "linear", "trio", 100, 304e-6),
        bench(mem, "native:trio.nursery", "trio", 100, 1.0, kind="native", bytes_per_task=[2000.0]),
        bench(mem, "linear", "trio", 100, 1.0, bytes_per_task=[2200.0]),
    )
    text, _ = render(load(write_doc(tmp_path, d)))
    headline = text[: text.index("## Spawn + join")]
    assert table_row(headline, "LINEAR", "trio")[2:] == ["4.4", "—", f"1.10{X}", f"0.44{X}", "—"]
    costs = headline[headline.index("The same rows") :]
    assert table_row(costs, "LINEAR", "trio")[2:] == [f"1.50{X}", "2,200", f"1.10{X}"]


def test_findings_are_sentences_computed_from_the_run(tmp_path: Path) -> None:
    # launch() rounds take 1.1x, 1.2x and 1.3x the nursery's round before them; spawn()
    # 1.3x, 1.4x, 1.5x: the sentence quotes the medians with their spread, as paired.
    # (Each time includes trio's 4 µs no-op round, which the ratio takes off both.)
    launch = [[104e-6, 114e-6], [104e-6, 124e-6], [104e-6, 134e-6]]
    spawn = [[104e-6, 134e-6], [104e-6, 144e-6], [104e-6, 154e-6]]
    d = doc(
        *NOOPS,
        bench("spawn_join", "native:trio.nursery", "trio", 100, 104e-6, kind="native"),
        bench("spawn_join", "floor:send", "none", 100, 2e-6, kind="floor"),
        bench("spawn_join", "direct:task.launch", "trio", 100, 124e-6, kind="direct",
              paired_with="native:trio.nursery", paired_times=launch),
        bench("spawn_join", "direct:task.spawn", "trio", 100, 144e-6, kind="direct",
              paired_with="native:trio.nursery", paired_times=spawn),
        bench("spawn_join", "native:anyio.TaskGroup", "trio", 100, 404e-6, kind="native"),
    )  # fmt: skip
    text, _ = render(load(write_doc(tmp_path, d)))
    found = text[text.index("## Findings") : text.index("## Headline")]
    assert "`launch()` 1.20" in found and "`spawn()`+`await` 1.40" in found
    assert "IQR 1.1" in found and "paired" in found
    assert f"anyio's TaskGroup costs 4.0{X} the nursery on trio" in found
    assert f"50{X} for the nursery on trio" in found  # (104 - 4) / 2 µs per task
    # A finding whose rows the run lacks is left out, not guessed.
    assert "Cancelling a group" not in found and "Memory" not in found


def test_the_report_names_no_local_folder(tmp_path: Path) -> None:
    d = doc(*NOOPS)
    d["joinery"]["joinery_from"] = "/home/someone/src/joinery/impls/joinery"
    text, _ = render(load(write_doc(tmp_path, d)))
    assert "/home/someone" not in text and "`impls/joinery`" in text
