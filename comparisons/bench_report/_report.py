"""Markdown tables and SVG charts from one run; a comparison of two runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from comparisons.bench_report import _svg
from comparisons.bench_report._data import (
    ANYIO,
    FLOOR,
    MODEL_FOR_FLAVOR,
    NATIVE_FOR_FLAVOR,
    TASKGROUP,
    Entry,
    Figure,
    ReportError,
    Run,
    median_spread,
    ratio,
)

TIMED = (
    ("spawn_join", "Spawn + join of N trivial children", "µs per task"),
    ("cancel_fanout", "Cancellation fan-out: one child fails, N parked siblings", "µs per sibling"),
    ("t1_dashboard", "T1: load_dashboard, three instant fetches", "µs per dashboard"),
    ("t3_instant", "T3: fetch_all, instant fetches, limit 16", "µs per item"),
    ("t3_http", "T3: fetch_all against a loopback HTTP server, limit 16", "µs per item"),
    ("t5_shed", "T5: run_shedded, instant jobs, limit 4", "µs per submitted job"),
)
NOTES = {
    "spawn_join": (
        "Two floors: `floor: coro.send, no loop` creates each coroutine and drives it with "
        "`send(None)` from plain Python (the `\xd7 floor` column divides by it); `floor: "
        "awaited in sequence` awaits them one after another inside one task of the loop."
    ),
    "cancel_fanout": (
        "Timed from the moment one child raises until the group returns, its parked "
        "siblings cancelled and joined; spawning them is untimed set-up. No floor: without "
        "a scheduler there is nothing to cancel. A model whose group does not cancel "
        "siblings on failure is listed under skipped benchmarks, with what was seen."
    ),
    "t1_dashboard": (
        "The fakes answer without suspending, so this is what the structure around three "
        "calls costs; the floor awaits the three calls in sequence."
    ),
    "t3_instant": (
        "The fakes answer without suspending; the floor awaits every fetch in sequence."
    ),
    "t5_shed": (
        "With instant jobs nothing finishes while the loop is still submitting, so every "
        "model accepts `limit` jobs and drops the rest; the floor runs every job in sequence, "
        "so here it is a reference, not a lower bound."
    ),
}
KIND_ORDER = {"model": 0, "direct": 1, "native": 2, "floor": 3}
FLAVOR_ORDER = {"asyncio": 0, "asyncio+uvloop": 1, "trio": 2, "none": 3}
HEADLINE_N = 10_000
DASHES = {"asyncio+uvloop": "7 3", "trio": "2 3"}
KIND_LEGEND = {
    "model": "a model's scenario code (the suite's adapter)",
    "direct": "joinery.task used directly",
    "native": "a library's group used directly",
    "floor": "the floor: no scheduler",
}
"""What each bar colour means (bars are coloured by the entry's kind)."""
"""Stroke per loop in scaling charts (plain asyncio and no-loop floors are solid)."""


def _us(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    us = seconds * 1e6
    return f"{us:.3g}" if abs(us) < 1000 else f"{us:,.0f}"


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}\xd7"


def _ordered(entries: Sequence[Entry]) -> list[Entry]:
    first = {row: i for i, row in reversed(list(enumerate(e.row for e in entries)))}
    return sorted(
        entries,
        key=lambda e: (KIND_ORDER.get(e.kind, 9), first[e.row], FLAVOR_ORDER.get(e.flavor, 9)),
    )


def _label(e: Entry) -> str:
    return f"{e.title} · {e.flavor}" if e.flavor != "none" else e.title


# -- references --------------------------------------------------------------------------


def _taskgroup_ref(run: Run, e: Entry) -> Entry | None:
    return run.find(e.scenario, TASKGROUP, "asyncio", e.n) or run.find(
        e.scenario, "taskgroup", "asyncio", e.n
    )


def _native_ref(run: Run, e: Entry) -> Entry | None:
    if e.flavor not in NATIVE_FOR_FLAVOR:
        return None
    return run.find(e.scenario, NATIVE_FOR_FLAVOR[e.flavor], e.flavor, e.n) or run.find(
        e.scenario, MODEL_FOR_FLAVOR[e.flavor], e.flavor, e.n
    )


def _native_x(run: Run, e: Entry) -> float | None:
    """``e`` against the loop's own group: paired per round when the benchmark was."""
    paired = run.paired_ratio(e)
    if paired is not None and e.extra.get("paired_with") == NATIVE_FOR_FLAVOR.get(e.flavor):
        return paired.median
    return ratio(run.per_unit(e).median, _per(run, _native_ref(run, e)))


def _floor_ref(run: Run, e: Entry) -> Entry | None:
    return run.find(e.scenario, FLOOR, "none", e.n)


def _per(run: Run, e: Entry | None) -> float | None:
    return None if e is None else run.per_unit(e).median


# -- header ------------------------------------------------------------------------------


def _repo_relative(path: str) -> str:
    # The report is published: the folder the run imported from is shown relative to the
    # repository ("impls/joinery"), never as this machine's absolute path.
    marker = "/impls/"
    return "impls/" + path.split(marker, 1)[1] if marker in path else Path(path).name


def header(run: Run) -> list[str]:
    """Where, on what and how the run was made."""
    m, meta = run.machine, run.meta
    extra = m.get("joinery", {})
    cpu = m.get("cpu", {})
    packages = ", ".join(f"{k} {v}" for k, v in extra.get("packages", {}).items() if v)
    commit = run.commit.get("id", "?")[:12] + (" (dirty)" if run.commit.get("dirty") else "")
    sizes = ", ".join(f"{k}={v}" for k, v in meta.get("sizes", {}).items())
    return [
        f"# Benchmarks: {meta.get('profile', '?')} profile",
        "",
        f"Generated from `{Path(run.path).name}` (run of {run.datetime}, commit {commit}).",
        "",
        f"- **Machine:** {m.get('node', '?')}, {cpu.get('brand_raw') or m.get('processor') or '?'}"
        f", {extra.get('cpus', cpu.get('count', '?'))} CPUs,"
        f" {extra.get('platform', m.get('system'))}",
        f"- **Python:** {m.get('python_implementation', '?')} {m.get('python_version', '?')}"
        f" ({m.get('python_compiler', '?')})",
        f"- **Libraries:** {packages}",
        f"- **Sizes:** {sizes}",
        f"- **Models imported from:** `{_repo_relative(meta.get('joinery_from', '?'))}`",
        f"- **Method:** {meta.get('method', '?')} Each figure is the median over rounds; the "
        "spread is the interquartile range (q1\u2013q3) of the rounds.",
        "",
    ]


def overhead_table(run: Run) -> list[str]:
    """The no-op round per loop: what is subtracted."""
    out = ["## Loop hand-off (subtracted)", "", "| loop | no-op round µs | spread | rounds |",
           "|---|---:|---|---:|"]  # fmt: skip
    for e in _ordered(run.scenario("noop")):
        out.append(f"| {e.flavor} | {_us(e.median)} | {_us(e.q1)}\u2013{_us(e.q3)} | {e.rounds} |")
    return [*out, ""]


def models_table(run: Run) -> list[str]:
    """Which models were measured, which were skipped and why."""
    out = ["## Models", "", "| model | title | backends | not measured |", "|---|---|---|---|"]
    for m in run.meta.get("models", []):
        why = m.get("skipped") or "; ".join(
            f"{k}: {v}" for k, v in (m.get("unsupported") or {}).items()
        )
        backends = ", ".join(m.get("backends") or []) or "—"
        out.append(f"| {m['name']} | {m.get('title') or '—'} | {backends} | {why or '—'} |")
    skipped = run.meta.get("skipped") or []
    if skipped:
        out += ["", "Skipped benchmarks:", ""]
        out += [f"- `{s['id']}`: {s['reason']}" for s in skipped]
    return [*out, ""]


# -- timed scenarios ---------------------------------------------------------------------


def _extra_columns(e: Entry) -> list[str]:
    if e.scenario == "t3_http":
        stats = e.extra.get("server_stats") or []
        peak = max((s["max_inflight"] for s in stats), default=None)
        conns = e.extra.get("client_connections") or []
        limit = e.extra.get("limit", 16)
        mark = "" if peak is None else (" ✓" if peak <= limit else " ✗ over the limit")
        return [f"{peak}{mark}", str(max(conns, default=0))]
    if e.scenario == "t5_shed":
        return [f"{e.extra.get('accepted', '—')} / {e.extra.get('dropped', '—')}"]
    return []


def _extra_headers(scenario: str) -> list[str]:
    if scenario == "t3_http":
        return ["server max in flight", "connections"]
    if scenario == "t5_shed":
        return ["accepted / dropped"]
    return []


def timed_table(run: Run, entries: Sequence[Entry], unit: str) -> list[str]:
    """One table: per-unit median, spread, and the three ratios."""
    if not entries:
        return []
    extra = _extra_headers(entries[0].scenario)
    cols = [
        "row", "loop", unit, "spread", "\xd7 asyncio.TaskGroup", "\xd7 native group, same loop",
        "\xd7 floor", "rounds", *extra,
    ]  # fmt: skip
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * 2 + "---:|" * 6 + "---|" * len(extra)]
    for e in _ordered(entries):
        f = run.per_unit(e)
        mine = f.median
        cells = [
            e.title, e.flavor, _us(mine), f"{_us(f.low)}\u2013{_us(f.high)}",
            _x(ratio(mine, _per(run, _taskgroup_ref(run, e)))),
            _x(_native_x(run, e)),
            _x(ratio(mine, _per(run, _floor_ref(run, e)))),
            str(e.rounds), *_extra_columns(e),
        ]  # fmt: skip
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]


def _bars(run: Run, entries: Sequence[Entry]) -> list[_svg.Bar]:
    out = []
    for e in _ordered(entries):
        f = run.per_unit(e)
        out.append(_svg.Bar(_label(e), f.median * 1e6, f.low * 1e6, f.high * 1e6, e.kind))
    return out


def _scaling(run: Run, entries: Sequence[Entry]) -> list[_svg.Series]:
    series: dict[tuple[str, str], list[tuple[float, float]]] = {}
    label: dict[tuple[str, str], Entry] = {}
    for e in _ordered(entries):
        series.setdefault((e.row, e.flavor), []).append((e.n, run.per_unit(e).median * 1e6))
        label[(e.row, e.flavor)] = e
    return [
        _svg.Series(_label(label[k]), pts, color_key=k[0], dash=DASHES.get(k[1], ""))
        for k, pts in series.items()
    ]


def timed_sections(run: Run, charts: dict[str, str]) -> list[str]:
    """Every timed scenario: tables (per N for spawn+join) and charts."""
    out: list[str] = []
    for scenario, title, unit in TIMED:
        entries = run.scenario(scenario)
        if not entries:
            continue
        out += [f"## {title}", ""]
        if scenario in NOTES:
            out += [NOTES[scenario], ""]
        if scenario == "t3_http":
            delay = entries[0].extra.get("server_delay_s") or 0.0
            limit = entries[0].extra.get("limit", 16)
            out += [
                f"The server answers each item after {delay} s and counts requests in flight "
                "itself; `server max in flight` is its maximum over the rounds. With "
                f"{limit} in flight, its latency alone allows no less than {delay} s / "
                f"{limit} = {_us(delay / limit)} µs per item.",
                "",
            ]
        ns = sorted({e.n for e in entries})
        for n in ns:
            group = [e for e in entries if e.n == n]
            if len(ns) > 1:
                out += [f"### N = {n:,}", ""]
            out += timed_table(run, group, unit)
        name = f"{scenario}.svg"
        at = HEADLINE_N if HEADLINE_N in ns else ns[-1]
        shown = [e for e in entries if e.n == at]
        charts[name] = _svg.bars(f"{title} (N = {at:,})", unit, _bars(run, shown), KIND_LEGEND)
        out += [f"![{title}]({name})", ""]
        if len(ns) > 1:
            # Small multiples: one chart per loop (with the no-loop floor in each), instead
            # of every row on every loop in one chart of two dozen lines.
            floor = [e for e in entries if e.flavor == "none"]
            for flavor in sorted(
                {e.flavor for e in entries} - {"none"}, key=lambda f: FLAVOR_ORDER.get(f, 9)
            ):
                mine = [e for e in entries if e.flavor == flavor] + floor
                scaling = f"{scenario}_scaling_{flavor.replace('+', '_')}.svg"
                charts[scaling] = _svg.lines(
                    f"{title} on {flavor}: cost per task as N grows", "N", unit,
                    _scaling(run, mine),
                )  # fmt: skip
                out += [f"![{title} on {flavor}: scaling]({scaling})", ""]
    return out


# -- memory ------------------------------------------------------------------------------


def _memory_figure(e: Entry) -> Figure:
    if e.scenario == "parked_memory":
        return median_spread(e.extra.get("bytes_per_task") or [])
    return median_spread(s["bytes_per_task"] for s in e.extra.get("rss") or [])


def _memory_ref(run: Run, e: Entry, ref: Callable[[Run, Entry], Entry | None]) -> float | None:
    other = ref(run, e)
    return None if other is None else _memory_figure(other).median


def memory_sections(run: Run, charts: dict[str, str]) -> list[str]:
    """Tracemalloc bytes per parked task; peak RSS of a process parking N tasks."""
    out: list[str] = []
    for scenario, title in (
        ("parked_memory", "Memory per parked task (tracemalloc)"),
        ("parked_rss", "Peak RSS with N parked tasks (fresh process)"),
    ):
        entries = _ordered(run.scenario(scenario))
        if not entries:
            continue
        n = entries[0].n
        rss = scenario == "parked_rss"
        cols = ["row", "loop", "bytes per task", "range", "\xd7 asyncio.TaskGroup",
                "\xd7 native group, same loop", "samples"]  # fmt: skip
        cols += ["peak RSS MiB"] if rss else []
        out += [f"## {title}, N = {n:,}", "", "| " + " | ".join(cols) + " |",
                "|---|---|" + "---:|" * (len(cols) - 2)]  # fmt: skip
        bars = []
        for e in entries:
            f = _memory_figure(e)
            samples = e.extra.get("bytes_per_task") or e.extra.get("rss") or []
            cells = [
                e.title, e.flavor, f"{f.median:,.0f}", f"{f.low:,.0f}\u2013{f.high:,.0f}",
                _x(ratio(f.median, _memory_ref(run, e, _taskgroup_ref))),
                _x(ratio(f.median, _memory_ref(run, e, _native_ref))), str(len(samples)),
            ]  # fmt: skip
            if rss:
                peak = max(s["maxrss_kib"] for s in e.extra["rss"]) / 1024
                cells.append(f"{peak:,.1f}")
            out.append("| " + " | ".join(cells) + " |")
            bars.append(_svg.Bar(_label(e), f.median, f.low, f.high, e.kind))
        charts[f"{scenario}.svg"] = _svg.bars(f"{title}, N = {n:,}", "bytes per task", bars)
        out += ["", f"![{title}]({scenario}.svg)", ""]
    return out


# -- headline ----------------------------------------------------------------------------


def _same(run: Run, scenario: str, e: Entry) -> Entry | None:
    return next((c for c in run.scenario(scenario) if (c.row, c.flavor) == (e.row, e.flavor)), None)


def _anyio_ref(run: Run, e: Entry) -> Entry | None:
    return run.find(e.scenario, ANYIO, e.flavor, e.n)


def headline(run: Run) -> list[str]:
    """One table to quote: each group against the native groups, anyio and the floor."""
    spawn = run.scenario("spawn_join")
    if not spawn:
        return []
    ns = sorted({e.n for e in spawn})
    n = HEADLINE_N if HEADLINE_N in ns else ns[-1]
    x = "\xd7"
    out = [
        "## Headline",
        "",
        f"Spawn + join at N = {n:,}: µs per task and its ratio to asyncio.TaskGroup on plain "
        "asyncio, to the loop's own group (asyncio.TaskGroup on asyncio and uvloop, the "
        "nursery on trio), to anyio's TaskGroup on the same loop, and to the floor (the same "
        "coroutines driven with no scheduler). Then the cancellation fan-out and the memory "
        "per parked task against the loop's own group. The spawn+join ratio to the loop's "
        "own group is *paired*: every round of a row follows a round of that group, and the "
        "figure is the median of the per-round ratios, so the machine's drift between rows "
        "measured minutes apart cancels out. The other ratios divide medians of rows "
        "measured at different times, and carry that drift.",
        "",
        f"| row | loop | µs/task | {x} asyncio.TaskGroup | {x} native group "
        f"| {x} anyio TaskGroup | {x} floor |",
        "|---|---|" + "---:|" * 5,
    ]
    costs = [
        "",
        "The same rows: cancelling N parked siblings and memory per parked task, against "
        "the loop's own group.",
        "",
        f"| row | loop | cancel {x} native group | memory B/task | memory {x} native group |",
        "|---|---|" + "---:|" * 3,
    ]
    for e in _ordered([e for e in spawn if e.n == n and e.kind in ("model", "direct", "native")]):
        mine = run.per_unit(e).median
        cancel, memory = _same(run, "cancel_fanout", e), _same(run, "parked_memory", e)
        cancel_x = None if cancel is None else ratio(
            _per(run, cancel), _per(run, _native_ref(run, cancel))
        )  # fmt: skip
        mem = None if memory is None else _memory_figure(memory).median
        memory_x = None if memory is None else ratio(mem, _memory_ref(run, memory, _native_ref))
        cells = [
            e.title, e.flavor, _us(mine),
            _x(ratio(mine, _per(run, _taskgroup_ref(run, e)))),
            _x(_native_x(run, e)),
            _x(ratio(mine, _per(run, _anyio_ref(run, e)))),
            _x(ratio(mine, _per(run, _floor_ref(run, e)))),
        ]  # fmt: skip
        out.append("| " + " | ".join(cells) + " |")
        more = [e.title, e.flavor, _x(cancel_x), "—" if mem is None else f"{mem:,.0f}"]
        costs.append("| " + " | ".join([*more, _x(memory_x)]) + " |")
    return [*out, *costs, ""]


# -- findings ----------------------------------------------------------------------------

LOOPS = ("asyncio", "asyncio+uvloop", "trio")


def _paired_text(run: Run, e: Entry | None) -> str | None:
    # "1.22x (IQR 1.18 to 1.29, paired)", or the plain ratio of medians when not paired.
    if e is None:
        return None
    paired = run.paired_ratio(e)
    if paired is not None:
        return f"{paired.median:.2f}\xd7 (IQR {paired.low:.2f}\u2013{paired.high:.2f}, paired)"
    plain = _native_x(run, e)
    return None if plain is None else f"{plain:.2f}\xd7 (ratio of medians, not paired)"


def _spawn_n(run: Run) -> int | None:
    ns = sorted({e.n for e in run.scenario("spawn_join")})
    if not ns:
        return None
    return HEADLINE_N if HEADLINE_N in ns else ns[-1]


def findings(run: Run) -> list[str]:
    """What this run says, in sentences, every number computed from it.

    Each finding names the chart or table below that shows it. A finding whose rows the
    run lacks is left out rather than guessed.
    """
    n = _spawn_n(run)
    if n is None:
        return []
    x = "\xd7"
    out = ["## Findings", ""]

    def native(flavor: str) -> str:
        return "the nursery" if flavor == "trio" else "asyncio.TaskGroup"

    # 1. What a handle costs: launch() (no handle) against spawn()+await, per loop.
    parts = []
    for flavor in LOOPS:
        launch = run.find("spawn_join", "direct:task.launch", flavor, n)
        spawn = run.find("spawn_join", "direct:task.spawn", flavor, n)
        lt, st = _paired_text(run, launch), _paired_text(run, spawn)
        if lt and st:
            parts.append(
                f"on {flavor}, `launch()` {lt} and `spawn()`+`await` {st} {native(flavor)}"
            )
    if parts:
        out.append(
            f"- **What a handle costs.** Spawning and joining {n:,} trivial children with "
            "joinery.task, against the loop's own group: " + "; ".join(parts) + ". The "
            "difference between the two verbs is the handle (an object per child, and the "
            "await that consumes it). See the headline table and *Spawn + join* below."
        )
    # 2. anyio's price.
    parts = []
    for flavor in LOOPS:
        e = run.find("spawn_join", ANYIO, flavor, n)
        if e is not None and (r := _native_x(run, e)) is not None:
            parts.append(f"{r:.1f}{x} {native(flavor)} on {flavor}")
    if parts:
        out.append(
            "- **anyio's price.** anyio's TaskGroup costs " + ", ".join(parts) + " per "
            "spawned child: the portability layer is paid on every spawn, which is why "
            "joinery.task talks to each loop directly."
        )
    # 3. The floor.
    parts = []
    for flavor in LOOPS:
        ref = NATIVE_FOR_FLAVOR[flavor]
        e = run.find("spawn_join", ref, flavor, n)
        if e is not None and (r := ratio(_per(run, e), _per(run, _floor_ref(run, e)))):
            parts.append(f"{r:.0f}{x} for {native(flavor)} on {flavor}")
    if parts:
        out.append(
            "- **The floor.** Driving the same coroutines with no scheduler at all "
            "(`coro.send(None)`) is the floor. Against it, a spawned and joined child costs "
            + ", ".join(parts)
            + ": most of a child's cost is the scheduler's task, not the coroutine."
        )
    # 4. Cancellation fan-out.
    parts = []
    for flavor in LOOPS:
        for row in ("linear", "direct:task.launch"):
            e = next(
                (c for c in run.scenario("cancel_fanout") if (c.row, c.flavor) == (row, flavor)),
                None,
            )
            if e is not None and (r := ratio(_per(run, e), _per(run, _native_ref(run, e)))):
                parts.append(f"`{row}` on {flavor}: {r:.2f}{x}")
    if parts:
        out.append(
            "- **Cancelling a group.** From one child's failure until every parked sibling is "
            f"cancelled and joined, against the loop's own group: {'; '.join(parts)} "
            "(ratio of medians, not paired). See *Cancellation fan-out* below."
        )
    # 5. Memory.
    parts = []
    for flavor in LOOPS:
        e = next(
            (c for c in run.scenario("parked_memory") if (c.row, c.flavor) == ("linear", flavor)),
            None,
        )
        if e is not None and (r := _memory_ref(run, e, _native_ref)) is not None:
            mine = _memory_figure(e).median
            parts.append(f"{mine:,.0f} B on {flavor} ({ratio(mine, r):.2f}{x} the loop's group)")
    if parts:
        out.append(
            "- **Memory.** A parked joinery.task child (the `linear` model) takes "
            + ", ".join(parts)
            + " per task. See the memory section below."
        )
    # 6. Noise.
    spreads = []
    for e in run.scenario("spawn_join"):
        if e.n == n and e.kind == "native":
            f = run.per_unit(e)
            if f.median > 0:
                spreads.append((f.high - f.low) / f.median)
    if spreads:
        out.append(
            f"- **How much to trust a ratio.** In this run the native groups' rounds at "
            f"N = {n:,} spread by {min(spreads):.0%} to {max(spreads):.0%} of their median "
            "(interquartile range). Rows timed minutes apart also drift with the machine, so a "
            "ratio of two medians can be off by more than that; the *paired* ratios, each "
            "round divided by a round of the native group timed just before it, cancel the "
            "drift and are the ones to quote."
        )
    if len(out) == 2:
        out.append("- This run measured none of the rows the findings compare.")
    return [*out, ""]


# -- entry points ------------------------------------------------------------------------


def render(run: Run) -> tuple[str, dict[str, str]]:
    """The markdown report and its charts (file name -> SVG text)."""
    charts: dict[str, str] = {}
    body = (
        header(run)
        + findings(run)
        + headline(run)
        + timed_sections(run, charts)
        + memory_sections(run, charts)
        + overhead_table(run)
        + models_table(run)
    )
    return "\n".join(body), charts


def write(run: Run, out_dir: Path) -> list[Path]:
    """Write ``report.md`` and the charts into ``out_dir``; return the paths written."""
    text, charts = render(run)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "report.md"]
    written[0].write_text(text)
    for name, svg in charts.items():
        (out_dir / name).write_text(svg)
        written.append(out_dir / name)
    return written


def _figure_of(run: Run, e: Entry) -> tuple[float, str]:
    if e.scenario in ("parked_memory", "parked_rss"):
        return _memory_figure(e).median, "bytes/task"
    return run.per_unit(e).median * 1e6, f"µs/{e.unit}"


def compare(old: Run, new: Run) -> str:
    """A markdown table of every benchmark both runs have: old, new, new / old."""
    rows: list[str] = [
        f"# Benchmark comparison: `{Path(new.path).name}` against `{Path(old.path).name}`",
        "",
        "Per-unit medians (loop hand-off subtracted); below 1\xd7 the new run is faster "
        "or smaller.",
        "",
        "| scenario | row | loop | N | unit | old | new | new / old |",
        "|---|---|---|---:|---|---:|---:|---:|",
    ]
    common = 0
    for e in new.entries:
        if e.scenario == "noop":
            continue
        before = old.find(*e.key)
        if before is None:
            continue
        common += 1
        (a, unit), (b, _) = _figure_of(old, before), _figure_of(new, e)
        rows.append(
            f"| {e.scenario} | {e.title} | {e.flavor} | {e.n:,} | {unit} | {a:,.3g} | {b:,.3g} "
            f"| {_x(ratio(b, a))} |"
        )
    if not common:
        raise ReportError(f"{old.path} and {new.path} have no benchmark in common")
    return "\n".join(rows) + "\n"
