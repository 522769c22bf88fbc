"""A small, clearly fake data set in the documented formats, for what has not landed yet.

Used only by the site's tests, and only for an input whose producer is not on this
branch (see conftest.py): when ``joinery.conformance`` exists, the tests run it
instead. Every value here is marked as a fixture so that it cannot pass for a result.
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURE = "fixture (not a run)"

# Ids and tasks as in the lead's catalogue (impls/joinery/conformance/properties.toml).
PROPERTIES: dict[str, tuple[str, list[str], list[str]]] = {
    "join": ("returns only after every child finished", ["T1", "T2"], ["load_dashboard"]),
    "no_fixed_wait": ("returns as soon as the last child finishes", ["T1"], ["load_dashboard"]),
    "sibling_cancellation": ("a failing child cancels the others", ["T1"], ["load_dashboard"]),
    "error_surfaced": ("the caller gets the child's exception", ["T1"], ["load_dashboard"]),
    "spawn_after_close": (
        "spawn after close creates no orphan",
        ["T2", "T6"],
        ["wait_then_spawn", "run_scope"],
    ),
    "child_traceback": ("a child's exception keeps its traceback", ["T2"], ["run_scope"]),
    "body_error_cancels": ("an error in the body cancels the children", ["T2"], ["run_scope"]),
    "bound": ("never more than N in flight, and N is reached", ["T3"], ["fetch_all"]),
    "results_in_order": ("every result, in input order", ["T3"], ["fetch_all"]),
    "shed": ("accepted + dropped = submitted", ["T5"], ["run_shedded"]),
    "cause": ("a cancelled sibling can obtain the failure", ["T7"], ["cause_of_cancel"]),
    "daemon": ("no flush after stop() returns", ["T8"], ["flusher"]),
    "outer_cancel": ("outer cancellation joins everything", ["T1", "T3"], ["load_dashboard"]),
    "catch_cancel_once": ("a stubborn child does not hang the scope", ["T2"], ["run_scope"]),
    "keyboard_interrupt": ("KeyboardInterrupt propagates", ["T2"], ["run_scope"]),
    "all_errors_kept": ("every error surfaces", ["T9"], ["check_all"]),
    "leaves_nothing_behind": ("nothing is left running", ["T4", "T1", "T6"], ["load_dashboard"]),
}

MODELS: dict[str, tuple[str, list[str], bool, dict[str, str]]] = {
    "seed_given": ("Seed's given programs", ["asyncio"], True, {}),
    "bare": ("bare asyncio tasks", ["asyncio"], False, {"run_shedded": "fixture: no bound"}),
    "gather": ("asyncio.gather", ["asyncio"], False, {}),
    "taskgroup": ("asyncio.TaskGroup", ["asyncio"], False, {}),
    "nursery": ("Trio nursery", ["trio"], False, {}),
    "broken_join": ("broken: returns before joining", ["asyncio"], True, {}),
}

SCENARIOS = [
    "load_dashboard",
    "run_scope",
    "fetch_all",
    "run_shedded",
    "wait_then_spawn",
    "spawn_then_wait",
    "cause_of_cancel",
    "flusher",
    "check_all",
]


def _source(model: str, unsupported: dict[str, str]) -> str:
    out = [f'"""Fixture model {model}: not real code."""', "", "import asyncio", ""]
    out += [
        "",
        "def _helper(x: int) -> int:",
        "    # a private helper the scenario uses",
        "    return x + 1",
        "",
    ]
    for s in SCENARIOS:
        if s in unsupported:
            continue
        if s == "flusher":
            out += ["", "@_helper_decorator", f"async def {s}(*args: object) -> None:"]
        else:
            out += ["", f"async def {s}(*args: object) -> int:"]
        out += [f'    """Fixture {s} of {model}."""', "    await asyncio.sleep(0)"]
        out += ["    return _helper(1)", ""]
    out += ["", "def _helper_decorator(f: object) -> object:", "    return f", ""]
    return "\n".join(out)


def _real_model(name: str) -> dict[str, object] | None:
    """The registry's card and source file for ``name``, when that model exists."""
    try:
        from joinery.models import load_model
    except ImportError:
        return None
    try:
        model = load_model(name)
    except LookupError:
        return None
    module_file = Path(str(model.module.__file__))
    info = model.info
    return {
        "title": info.title,
        "backends": list(info.backends),
        "summary": info.summary,
        "control": info.control,
        "module": model.module.__name__,
        "source": str(module_file),
        "unsupported": dict(info.unsupported),
    }


def _verdict(model: str, prop: str) -> str:
    seed_fails = ("no_fixed_wait", "join", "leaves_nothing_behind", "daemon", "spawn_after_close")
    if model == "seed_given" and prop in seed_fails:
        return "fail"
    if model == "gather" and prop in (
        "sibling_cancellation",
        "spawn_after_close",
        "error_surfaced",
    ):
        return "fail"
    if model == "broken_join" and prop == "join":
        return "fail"
    if model in ("taskgroup", "nursery") and prop == "cause":
        return "fail"
    return "pass"


def write_fixture(build: Path, *, conformance: bool, bench: bool, leaks: bool) -> None:
    """Write the selected inputs under ``build`` in the formats of formats.md."""
    if conformance:
        src = build / "fixture_models"
        src.mkdir(parents=True, exist_ok=True)
        models = {}
        for name, (title, backends, control, unsupported) in MODELS.items():
            path = src / f"{name}.py"
            path.write_text(_source(name, unsupported))
            models[name] = {
                "title": title,
                "backends": backends,
                "summary": f"{FIXTURE}: {title}.",
                "control": control,
                "module": f"fixture.{name}",
                "source": str(path),
                "unsupported": unsupported,
            }
            real = _real_model(name)
            if real is not None:  # the real card and source; only the verdicts are fake
                models[name].update(real)
        results = []
        for name, card in models.items():
            backends, unsupported = card["backends"], card["unsupported"]
            for pid, (_, _, scen) in PROPERTIES.items():
                for b in backends:
                    gone = all(sc in unsupported for sc in scen)
                    v = "unsupported" if gone else _verdict(name, pid)
                    results.append(
                        {
                            "model": name,
                            "backend": b,
                            "property": pid,
                            "verdict": v,
                            "expected": v,
                            "reason": None if v == "pass" else f"{FIXTURE}: expected {v}",
                            "matches": True,
                            "summary": f"{FIXTURE}: observer saw {v} | with a pipe",
                            "evidence": {"fixture": True, "calls": [[0, "start"], [1, "end"]]},
                        }
                    )
        doc = {
            "schema": "joinery.conformance/1",
            "generated": FIXTURE,
            "environment": {
                "python": "3.11",
                "implementation": "CPython",
                "platform": FIXTURE,
                "machine": "x86_64",
                "cpus": 2,
                "packages": {"trio": FIXTURE},
            },
            "models": models,
            "properties": {
                pid: {
                    "statement": st,
                    "task": tasks[0],
                    "tasks": tasks,
                    "scenarios": scen,
                    "observed_by": f"{FIXTURE}: the fake services' call log",
                }
                for pid, (st, tasks, scen) in PROPERTIES.items()
            },
            "results": results,
            "totals": {"cells": len(results), "mismatches": 0},
        }
        out = build / "results" / "conformance.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=2))
    if bench:
        rep = build / "reports" / "bench"
        rep.mkdir(parents=True, exist_ok=True)
        names = ["spawn_join", "spawn_join_scaling", "t1_dashboard", "t3_instant", "t5_shed"]
        names += ["cancel_fanout"]
        for n in names:
            (rep / f"{n}.svg").write_text(
                '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40">'
                f'<text x="4" y="24">{FIXTURE}: {n}</text></svg>'
            )
        body = "\n\n".join(f"## {n}\n\n![{n}]({n}.svg)" for n in names)
        (rep / "report.md").write_text(f"# Quick profile ({FIXTURE})\n\n{body}\n")
    if leaks:
        rep = build / "reports" / "leaks"
        rep.mkdir(parents=True, exist_ok=True)
        for b in ("asyncio", "trio"):
            (rep / f"buggy-{b}.txt").write_text(
                f"{FIXTURE}: 1 leaked task on {b}\n  at send(ch) ``` <- backticks\n"
            )
