"""The Python versions page: the matrix per interpreter, and what changed between them.

Read from the run only: ``build/results/interpreters.json`` (what ``make.py`` found and
skipped), ``conformance-<impl>-<X.Y>.json`` per interpreter, and the spawn+join / cancel
fan-out benchmark rows in ``build/bench/versions/<impl>-<X.Y>.json``. The one typed
table here, :data:`CHANGES`, names CPython changes; it explains a difference only when
the run shows that difference between the versions around the change.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAGE = "versions.md"
"""The generated page's docs-relative path."""

ICON = {"pass": "✓", "fail": "✗", "unsupported": "∅"}


@dataclass(frozen=True)
class Change:
    """A CPython change that can turn a verdict (or the evidence) between two versions."""

    since: str
    short: str
    title: str
    url: str
    properties: tuple[str, ...] = ()  # empty: any property
    models: tuple[str, ...] = ()  # empty: any model

    def explains(self, model: str, prop: str, before: str, after: str) -> bool:
        """Whether this change sits between ``before`` and ``after`` and names the cell."""
        return (
            _key(before) < _key(self.since) <= _key(after)
            and (not self.properties or prop in self.properties)
            and (not self.models or model in self.models)
        )


CHANGES = (
    Change(
        "3.12",
        "gh-97696 · eager tasks",
        "asyncio.eager_task_factory and eager_start: a task may run to its first await "
        "inside create_task (What's New in Python 3.12, asyncio; gh-97696)",
        "https://github.com/python/cpython/issues/97696",
        models=("taskgroup_eager",),
    ),
    Change(
        "3.13",
        "gh-116720 · TaskGroup re-cancels",
        "TaskGroup keeps an outside cancellation that collides with a child's failure: "
        "after raising the group it re-cancels the parent task (gh-116720)",
        "https://github.com/python/cpython/issues/116720",
        properties=("cancel_while_failing",),
    ),
    Change(
        "3.13",
        "gh-115957 · refused coroutine closed",
        "A finished TaskGroup closes the coroutine create_task refuses, instead of "
        "leaving it 'never awaited' (gh-115957)",
        "https://github.com/python/cpython/issues/115957",
        properties=("spawn_after_close", "leaves_nothing_behind"),
        models=("taskgroup", "taskgroup_eager"),
    ),
)


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


@dataclass(frozen=True)
class Run:
    """One interpreter's run: its label, version and results document."""

    label: str
    version: str
    doc: Mapping[str, Any]
    bench: Mapping[str, Any] | None

    def cells(self) -> dict[tuple[str, str, str], Mapping[str, Any]]:
        """(model, backend, property) -> result."""
        return {(r["model"], r["backend"], r["property"]): r for r in self.doc["results"]}


def load_runs(build: Path) -> tuple[list[Run], list[str]] | None:
    """The runs of every interpreter ``make.py`` found, and its skip lines.

    Returns ``None`` when the build has no ``interpreters.json`` (a run that did not go
    through ``make.py main``); the page then says so.

    Raises:
        ValueError: an interpreter is listed but its results file is missing or unreadable.
    """
    index = build / "results" / "interpreters.json"
    if not index.is_file():
        return None
    found = json.loads(index.read_text(encoding="utf-8"))
    runs = []
    for interp in found["found"]:
        label = interp["label"]
        path = build / "results" / f"conformance-{label}.json"
        if not path.is_file():
            raise ValueError(f"{index} lists {label}, but {path} does not exist")
        bench_path = build / "bench" / "versions" / f"{label}.json"
        bench = json.loads(bench_path.read_text()) if bench_path.is_file() else None
        doc = json.loads(path.read_text(encoding="utf-8"))
        runs.append(Run(label, interp["version"], doc, bench))
    return runs, list(found["skipped"])


def _inline(text: object, limit: int = 400) -> str:
    s = " ".join(str(text).split()).replace("|", "/")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _flatten(obj: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, list) and obj and all(isinstance(x, dict) for x in obj):
        for i, v in enumerate(obj):
            yield from _flatten(v, f"{prefix}[{i}]")
    else:
        yield prefix, json.dumps(obj, ensure_ascii=False)


def evidence_diff(cells: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, dict[str, str]]]:
    """The evidence entries whose value differs between versions: (path, version -> value)."""
    flat = {v: dict(_flatten(c.get("evidence") or {})) for v, c in cells.items()}
    paths = sorted({p for f in flat.values() for p in f})
    out = []
    for p in paths:
        values = {v: f.get(p, "—") for v, f in flat.items()}
        if len(set(values.values())) > 1:
            out.append((p, values))
    return out


def _explanations(model: str, prop: str, versions: list[str], changed: set[int]) -> list[str]:
    """Changes that sit where the run saw a change (``changed``: indexes i, i+1 differ)."""
    found = []
    for change in CHANGES:
        for i in sorted(changed):
            if change.explains(model, prop, versions[i], versions[i + 1]):
                # Parentheses would end the link early: Markdown does not balance them.
                title = change.title.replace("(", "&#40;").replace(")", "&#41;")
                found.append(f'[{change.short}]({change.url} "{title}")')
                break
    return found


def _diff_block(cells: Mapping[str, Mapping[str, Any]], indent: str = "") -> list[str]:
    shown = {v: c for v, c in cells.items() if c["verdict"] != "unsupported"}
    if len(shown) < 2:
        return []
    diff = evidence_diff(shown)
    if not diff:
        return [f"{indent}The evidence is the same on every version that ran it."]
    versions = list(shown)
    out = [
        f"{indent}| Evidence | " + " | ".join(versions) + " |",
        f"{indent}|---|" + "---|" * len(versions),
    ]
    for path, values in diff[:16]:
        row = " | ".join(f"`{_inline(text, 160)}`" for text in _around_difference(values, versions))
        out.append(f"{indent}| `{path}` | {row} |")
    if len(diff) > 16:
        out.append(f"{indent}")
        out.append(f"{indent}… and {len(diff) - 16} more differing entries.")
    return out


def _around_difference(values: Mapping[str, str], versions: list[str]) -> list[str]:
    """Each version's value from a little before the first character where they differ.

    Long texts (a leftover task's await chain) often differ only deep inside, e.g. in a
    stdlib line number: show that part, not a common prefix cut off before it.
    """
    texts = [values[v] for v in versions]
    common = 0
    while all(len(t) > common for t in texts) and len({t[common] for t in texts}) == 1:
        common += 1
    start = max(0, common - 40)
    return [("…" if start else "") + t[start:] for t in texts]


def _changed_at(verdicts: list[str]) -> set[int]:
    return {i for i in range(len(verdicts) - 1) if verdicts[i] != verdicts[i + 1]}


def _is_broken_on_purpose(card: Mapping[str, Any]) -> bool:
    # The suite's self-test programs (kind "mutant"; older results: a "control" flag on
    # every program but the seed's own): each follows the model it is built on.
    if "kind" in card:
        return bool(card["kind"] == "mutant")
    return bool(card.get("control")) and card.get("title") != "seed_given"


def _is_control(run: Run, model: str) -> bool:
    return _is_broken_on_purpose(run.doc["models"].get(model, {}))


def differing_cells(runs: list[Run]) -> tuple[int, list[tuple[str, str, str]]]:
    """How many cells every run judged, and those whose verdict is not the same in all."""
    per = [r.cells() for r in runs]
    common = [k for k in per[0] if all(k in p for p in per[1:])]
    differ = [k for k in common if len({p[k]["verdict"] for p in per}) > 1]
    return len(common), differ


def _block_id(model: str, backend: str, prop: str) -> str:
    """The anchor of one cell's side-by-side evidence block."""
    return f"diff-{model}-{backend}-{prop}".replace("_", "-").replace("+", "-")


@dataclass(frozen=True)
class _Group:
    """Cells that differ the same way: same verdicts per version, same explanation."""

    models: tuple[str, ...]
    backend: str
    props: tuple[str, ...]
    verdicts: tuple[str, ...]
    why: tuple[str, ...]


def group_differences(runs: list[Run], differ: list[tuple[str, str, str]]) -> list[_Group]:
    """One group per distinct difference, in the order the cells first appear.

    First a model's properties that change alike (taskgroup_eager: ∅ on 3.11, then ✓ on
    13 properties), then models whose groups are the same property list changing alike
    (every TaskGroup-based program's cancel_while_failing on 3.13).
    """
    versions = [r.version for r in runs]
    per = [r.cells() for r in runs]
    by_model: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for model, backend, prop in differ:
        verdicts = tuple(p[(model, backend, prop)]["verdict"] for p in per)
        why = tuple(_explanations(model, prop, versions, _changed_at(list(verdicts))))
        by_model.setdefault((model, backend, verdicts, why), []).append(prop)
    merged: dict[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for (model, backend, verdicts, why), props in by_model.items():
        merged.setdefault((backend, tuple(props), verdicts, why), []).append(model)
    return [
        _Group(tuple(models), backend, props, verdicts, why)
        for (backend, props, verdicts, why), models in merged.items()
    ]


def _names(names: tuple[str, ...], link: Mapping[str, str]) -> str:
    return ", ".join(f"[`{n}`](#{link[n]})" if n in link else f"`{n}`" for n in names)


def _verdict_section(runs: list[Run]) -> list[str]:
    versions = [r.version for r in runs]
    n, differ = differing_cells(runs)
    out = ["## Verdicts that differ between versions", ""]
    if not differ:
        out.append(
            f"The run compared {n} cells (every model, backend and property judged on "
            f"{', '.join(versions)}): they all agree."
        )
        return out
    groups = group_differences(runs, differ)
    out.append(
        f"The run compared {n} cells judged on every version ({', '.join(versions)}); "
        f"{len(differ)} differ, in {len(groups)} distinct ways. Each row is one way: the "
        "models and properties listed all changed exactly so. A linked name opens that "
        "cell's evidence side by side, below; a program broken on purpose follows the "
        "model it is built on."
    )
    out += ["", "| Models | Properties | " + " | ".join(versions) + " | Explained by |"]
    out.append("|---|---|" + "---|" * len(versions) + "---|")
    shown = {k for k in differ if not _is_control(runs[0], k[0])}
    for g in groups:
        # Every cell stays reachable: with one model, each property links to its block;
        # with one property, each model does.
        model_links = {
            m: _block_id(m, g.backend, g.props[0])
            for m in g.models
            if len(g.props) == 1 and (m, g.backend, g.props[0]) in shown
        }
        prop_links = {
            prop: _block_id(g.models[0], g.backend, prop)
            for prop in g.props
            if len(g.models) == 1 and (g.models[0], g.backend, prop) in shown
        }
        marks = " | ".join(f"{ICON[v]} {v}" for v in g.verdicts)
        why = "; ".join(g.why) if g.why else "no CPython change on file: see the evidence"
        out.append(
            f"| {_names(g.models, model_links)} [{g.backend}] "
            f"| {_names(g.props, prop_links)} | {marks} | {why} |"
        )
    out += ["", "The CPython changes named above:", ""]
    out += [f"- [{c.short}]({c.url}) (Python {c.since}): {c.title}" for c in CHANGES]
    out += ["", "### The evidence, side by side", ""]
    per = [r.cells() for r in runs]
    for model, backend, prop in differ:
        if (model, backend, prop) not in shown:
            continue  # broken programs follow their base model; its cell is shown
        cells = {r.version: p[(model, backend, prop)] for r, p in zip(runs, per, strict=True)}
        out.append(f'<a id="{_block_id(model, backend, prop)}"></a>')
        out.append("")
        out.append(f'??? note "`{model}` [{backend}] · {prop}"')
        out.append("")
        for v, c in cells.items():
            mark = f"{ICON[c['verdict']]} {c['verdict']}"
            out.append(f"    - **{v}**: {mark}: {_inline(c['summary'])}")
        out.append("")
        out += _diff_block(cells, indent="    ")
        out.append("")
    return out


def _evidence_section(runs: list[Run]) -> list[str]:
    per = [r.cells() for r in runs]
    versions = [r.version for r in runs]
    _, differ = differing_cells(runs)
    same = [
        k
        for k in per[0]
        if k not in differ
        and all(k in p for p in per[1:])
        and not _is_control(runs[0], k[0])
        and evidence_diff({r.version: p[k] for r, p in zip(runs, per, strict=True)})
    ]
    out = ["## Same verdict, different evidence", ""]
    if not same:
        out.append("Where the verdicts agree, the reference models' evidence agrees too.")
        return out
    out.append(
        f"{len(same)} cells of the reference models keep their verdict but not their "
        "evidence: what the observer saw changed with the interpreter."
    )
    out.append("")
    for model, backend, prop in same:
        cells = {r.version: p[(model, backend, prop)] for r, p in zip(runs, per, strict=True)}
        why = [
            f"[{c.title}]({c.url})"
            for c in CHANGES
            if c.properties
            and prop in c.properties
            and (not c.models or model in c.models)
            and any(_key(versions[0]) < _key(c.since) <= _key(v) for v in versions)
        ]
        verdict = cells[versions[0]]["verdict"]
        out.append(f'??? note "`{model}` [{backend}] · {prop} ({ICON[verdict]} on all)"')
        out.append("")
        if why:
            out.append("    Related CPython change: " + "; ".join(why))
            out.append("")
        out += _diff_block(cells, indent="    ")
        out.append("")
    return out


def _eager_section(runs: list[Run]) -> list[str]:
    out = ["## Eager start: `taskgroup_eager` against `taskgroup`", ""]
    any_run = False
    for run in runs:
        cells = run.cells()
        pairs = [
            (k, cells[k], cells.get(("taskgroup", k[1], k[2])))
            for k in cells
            if k[0] == "taskgroup_eager"
        ]
        if all(c["verdict"] == "unsupported" for _, c, _ in pairs):
            reason = pairs[0][1]["summary"] if pairs else "not in this run"
            out.append(f"- **{run.version}**: not judged: {_inline(reason)}")
            continue
        any_run = True
        moved = [(k, e, b) for k, e, b in pairs if b is not None and e["verdict"] != b["verdict"]]
        if not moved:
            out.append(f"- **{run.version}**: eager start changes no verdict.")
            continue
        out.append(f"- **{run.version}**: eager start changes {len(moved)} verdict(s):")
        for (_, _, prop), e, b in moved:
            problems = [p for case in e["evidence"].values() for p in case.get("problems", [])] or [
                e["summary"]
            ]
            out.append(
                f"    - {prop}: TaskGroup {ICON[b['verdict']]}, eager "
                f"{ICON[e['verdict']]}: {_inline('; '.join(problems))}"
            )
    if not any_run:
        out.append("")
        out.append("No interpreter of this run has eager task factories (3.12+).")
    return out


def _matrix_tabs(runs: list[Run]) -> list[str]:
    out = ["## The matrix, per version", ""]
    for run in runs:
        doc = run.doc
        props = list(doc["properties"])
        cols = [
            (m, b)
            for m, card in doc["models"].items()
            if not _is_broken_on_purpose(card) or m == "seed_given"
            for b in card["backends"]
        ]
        cells = run.cells()
        t = doc["totals"]
        out.append(f'=== "{run.version}"')
        out.append("")
        env = doc.get("environment", {})
        out.append(
            f"    {env.get('implementation', 'Python')} {env.get('python', run.version)}: "
            f"{t['cells']} cells, {t['pass']} pass, {t['fail']} fail, "
            f"{t['unsupported']} unsupported; {t['mismatches']} differ from expected.toml."
        )
        out.append("")
        out.append(
            "    | Property | " + " | ".join(f"`{m}`<br><small>{b}</small>" for m, b in cols) + " |"
        )
        out.append("    |---|" + "---|" * len(cols))
        for pid in props:
            row = []
            for m, b in cols:
                c = cells.get((m, b, pid))
                if c is None:
                    row.append("")
                    continue
                mark = ICON[c["verdict"]] + (" ⚠" if not c["matches"] else "")
                row.append(f'<span title="{_inline(c["summary"], 200)}">{mark}</span>')
            out.append(f"    | {pid} | " + " | ".join(row) + " |")
        out.append("")
    return out


def _median(b: Mapping[str, Any]) -> float:
    return float(b["stats"]["median"])


def _fmt(seconds: float) -> str:
    if math.isnan(seconds):
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _bench_section(runs: list[Run], rows_filter: tuple[str, ...]) -> list[str]:
    out = ["## What spawning and cancelling cost, per version", ""]
    have = [r for r in runs if r.bench is not None]
    missing = [r.version for r in runs if r.bench is None]
    if missing:
        out.append(f"No benchmark run for {', '.join(missing)} in this build.")
        out.append("")
    if not have:
        return out
    medians: dict[str, dict[str, float]] = {}  # row -> version -> median
    for r in have:
        assert r.bench is not None
        for b in r.bench.get("benchmarks", []):
            if any(f in b["name"] for f in rows_filter):
                medians.setdefault(b["name"], {})[r.version] = _median(b)
    versions = [r.version for r in have]
    base = versions[0]
    out.append(
        "Median time per benchmark round of the quick profile's spawn+join and cancel "
        f"fan-out rows, on each interpreter, and its ratio to {base} (below 1: faster). "
        "One run per version on a shared machine: read ratios far from 1, not small ones."
    )
    out += ["", "| Row | " + " | ".join(versions) + " | " + " | ".join(
        f"{v}/{base}" for v in versions[1:]) + " |"]  # fmt: skip
    out.append("|---|" + "---|" * (2 * len(versions) - 1))
    compared = [name for name in sorted(medians) if len(medians[name]) >= 2]
    if not compared:
        out.append("")
        out.append("No row was measured on two versions or more.")
    for name in compared:
        m = medians[name]
        vals = [m.get(v, math.nan) for v in versions]
        ratios = [
            f"{m[v] / m[base]:.2f}" if v in m and base in m and m[base] else "—"
            for v in versions[1:]
        ]
        out.append(
            f"| `{name}` | " + " | ".join(_fmt(x) for x in vals) + " | " + " | ".join(ratios) + " |"
        )
    return out


def versions_page(build: Path, rows_filter: tuple[str, ...] = ("spawn", "cancel")) -> str:
    """The page's Markdown, from the run's files under ``build``."""
    out = ["# Python versions", ""]
    loaded = load_runs(build)
    if loaded is None:
        return "\n".join(
            [
                *out,
                "!!! warning",
                "",
                f"    This build has no per-version results (`{build}/results/"
                "interpreters.json` is missing). Produce them with `python3 make.py main`.",
            ]
        )
    runs, skipped = loaded
    out.append(
        "The conformance suite ran on every CPython 3.11+ `make.py` found, each in its own "
        "virtual environment: "
        + ", ".join(
            f"**{r.version}** ({r.doc.get('environment', {}).get('python', '?')})" for r in runs
        )
        + "."
    )
    out.append("")
    for line in skipped:
        out.append(f"- {line}")
    if skipped:
        out.append("")
    out += _verdict_section(runs)
    out.append("")
    out += _eager_section(runs)
    out.append("")
    out += _evidence_section(runs)
    out.append("")
    out += _matrix_tabs(runs)
    out.append("")
    out += _bench_section(runs, rows_filter)
    return "\n".join(out) + "\n"
