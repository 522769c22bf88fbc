"""The mutation machinery on a small sample, so that it cannot rot.

The full run (553 mutants, minutes) is ``python -m joinery.mutants run``; here: the set is
fixed, every judgment still fits its mutant, a killed and an equivalent mutant come out
as judged, and a mutant that spins without yielding is killed by the wall-clock budget.
"""

from __future__ import annotations

import ast
import dataclasses
import json

import pytest
from joinery.conformance import load_catalogue
from joinery.mutants import (
    MUTATED_MODELS,
    OPERATORS,
    generate,
    load,
    normalized,
    original_source,
    render_markdown,
)
from joinery.mutants._operators import Site, apply, sites
from joinery.mutants._report import build_report, load_judgments
from joinery.mutants._run import Result, baseline, run_jobs, run_mutant

KILLED = "mutant:gather:002"  # deletes `return Dashboard(user, posts, stats)`
EQUIVALENT = "mutant:gather:016"  # deletes `await asyncio.gather(*children)` of no children


def _mutant(mid: str):
    _, model, number = mid.split(":")
    found = generate(model)[int(number) - 1]
    assert found.id == mid
    return found


def test_the_mutant_set_is_fixed_numbered_and_free_of_duplicates():
    seen_operators = set()
    for model in MUTATED_MODELS:
        first, again = generate(model), generate(model)
        assert [(m.id, m.description, m.source) for m in first] == [
            (m.id, m.description, m.source) for m in again
        ]
        assert [m.number for m in first] == list(range(1, len(first) + 1))
        sources = [m.source for m in first]
        assert len(set(sources)) == len(sources)
        assert normalized(original_source(model)) not in sources
        seen_operators |= {m.site.operator for m in first}
    assert seen_operators == set(OPERATORS)


def test_operators_change_exactly_the_named_site():
    source = "async def f(limit):\n    try:\n        await g(limit)\n    finally:\n        h()\n"
    made = {(s.operator, s.variant): apply(source, s) for s in sites(ast.parse(source))}
    assert "await" not in made[("drop-await", 0)]
    assert "g(1)" in made[("limit", 0)] and "g(limit + 1)" in made[("limit", 1)]
    assert "try" not in made[("remove-try", 0)] and "h()" not in made[("remove-try", 0)]
    body_then_finally = made[("remove-try", 1)]
    assert "try" not in body_then_finally and body_then_finally.index(
        "g("
    ) < body_then_finally.index("h()")


def test_every_judgment_fits_its_mutant_and_names_a_real_property():
    judgments = load_judgments()
    by_id = {m.id: m for model in MUTATED_MODELS for m in generate(model)}
    catalogue = load_catalogue()
    assert judgments, "survivors.toml judges nothing"
    for mid, judged in judgments.items():
        assert mid in by_id, f"{mid} is judged but no longer exists"
        assert judged.description == by_id[mid].description, f"{mid}: stale judgment"
        if judged.judgment == "needs property":
            assert judged.property in catalogue, f"{mid}: no property {judged.property!r}"


def test_sample_killed_and_equivalent_mutants_come_out_as_judged():
    base = baseline("gather")
    killed, equivalent = _mutant(KILLED), _mutant(EQUIVALENT)
    results = [run_mutant(killed, base), run_mutant(equivalent, base)]
    assert results[0].status == "killed" and results[0].cell is not None
    assert results[1].status == "survived"
    assert results[1].evidence_differs == [], "an equivalent mutant the checks see differently"
    doc = build_report(
        [killed, equivalent],
        {"gather": base},
        results,
        load_judgments(),
        wall_seconds=0.0,
        processes=1,
    )
    statuses = {e["id"]: e["status"] for e in doc["mutants"]}
    assert statuses == {KILLED: "killed", EQUIVALENT: "equivalent"}
    assert doc["models"]["gather"]["score"] == 1.0
    assert doc["problems"] == []
    page = render_markdown(json.loads(json.dumps(doc)))
    assert EQUIVALENT in page and "```diff" in page and KILLED not in page


def test_a_mutant_that_never_yields_is_killed_by_the_wall_clock_budget():
    original = original_source("gather")
    spinning = original.replace(
        "async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:\n",
        "async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:\n"
        "    while True:\n        pass\n",
    )
    assert spinning != original
    mutant = dataclasses.replace(
        _mutant(KILLED),
        number=999,
        site=Site("delete", 0, 0, "load_dashboard", 1, "spin for ever"),
        source=spinning,
    )
    load(mutant)  # loads fine: only running it spins
    lost: list[str] = []

    def on_lost(index: int, why: str) -> Result:
        lost.append(why)
        return Result(mutant.id, "killed", "timeout", detail=why)

    [result] = run_jobs([("mutant", (mutant, {}))], processes=2, budget=2.0, on_lost=on_lost)
    assert result.how == "timeout"
    assert lost == ["outlasted 2 wall seconds"]


@pytest.mark.parametrize("model", MUTATED_MODELS)
def test_every_model_has_mutants_of_each_scenario_it_defines(model):
    functions = {m.site.function.split(".")[0] for m in generate(model)}
    module = load(generate(model)[0]).module
    defined = {
        n
        for n in (
            "load_dashboard",
            "run_scope",
            "fetch_all",
            "run_shedded",
            "wait_then_spawn",
            "spawn_then_wait",
            "cause_of_cancel",
            "flusher",
            "check_all",
        )
        if callable(getattr(module, n, None))
    }
    assert defined <= functions
