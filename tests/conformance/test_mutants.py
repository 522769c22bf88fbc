"""The mutation machinery on a small sample, so that it cannot rot.

The full run (~560 mutants, minutes) is ``python -m joinery.mutants run``; here: the set
is fixed, keys survive edits elsewhere in a model, every judgment still names a mutant,
the committed report (what the site shows) is of the current mutant set with every
survivor judged, a killed and an equivalent mutant come out as judged, and a mutant that
spins without yielding is killed by the wall-clock budget.
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
from joinery.mutants._generate import _generate
from joinery.mutants._operators import Site, apply, sites
from joinery.mutants._report import REPORT, build_report, load_judgments, stale_judgments
from joinery.mutants._run import Result, baseline, run_jobs, run_mutant

# (function, change) of a gather mutant the suite kills, and of one it cannot tell apart.
KILLED = ("load_dashboard", "delete `return Dashboard(user, posts, stats)`")
EQUIVALENT = ("wait_then_spawn", "delete `await asyncio.gather(*children)`")  # no children


def _mutant(function: str, change: str):
    [found] = [
        m for m in generate("gather") if (m.site.function, m.site.what) == (function, change)
    ]
    return found


def test_the_mutant_set_is_fixed_numbered_and_free_of_duplicates():
    seen_operators = set()
    for model in MUTATED_MODELS:
        first, again = generate(model), generate(model)
        assert [(m.id, m.description, m.source) for m in first] == [
            (m.id, m.description, m.source) for m in again
        ]
        assert [m.number for m in first] == list(range(1, len(first) + 1))
        assert len({m.key for m in first}) == len({m.id for m in first}) == len(first)
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


def test_keys_do_not_move_when_lines_do():
    original = original_source("gather")
    # An edit elsewhere: a new import shifts every line; no key, name or judgment moves.
    shifted = original.replace("import asyncio\n", "import asyncio\nimport os\n\n\n", 1)
    assert shifted != original
    before, after = _generate("gather", original), _generate("gather", shifted)
    assert [(m.id, m.key) for m in before] == [(m.id, m.key) for m in after]
    assert [m.site.line for m in before] != [m.site.line for m in after]
    # An edit of a mutated statement retires that statement's keys (its judgment goes stale).
    old, new = "return Dashboard(user, posts, stats)", "return Dashboard(user, posts, stats=stats)"
    edited = original.replace(old, new)
    assert edited != original
    gone = {m.key for m in before} - {m.key for m in _generate("gather", edited)}
    assert gone and all(k[3] == old for k in gone)


def test_every_judgment_fits_its_mutant_and_names_a_real_property():
    judgments = load_judgments()
    catalogue = load_catalogue()
    assert judgments, "survivors.toml judges nothing"
    assert stale_judgments(judgments, set(MUTATED_MODELS)) == []
    for key, judged in judgments.items():
        if judged.judgment == "needs property":
            assert judged.property in catalogue, f"{key}: no property {judged.property!r}"


def test_the_committed_report_is_of_the_current_mutants_with_every_survivor_judged():
    # The site shows this report; a model edit that adds, drops or rewords a mutant, or a
    # survivor left unjudged, fails here until the report is rewritten with
    # `python -m joinery.mutants run --out impls/joinery/mutants/report.json`.
    doc = json.loads(REPORT.read_text(encoding="utf-8"))
    made = [m for model in MUTATED_MODELS for m in generate(model)]
    assert [(e["id"], e["description"]) for e in doc["mutants"]] == [
        (m.id, m.description) for m in made
    ]
    assert doc["problems"] == []
    judgments = load_judgments()
    for e, m in zip(doc["mutants"], made, strict=True):
        judged = judgments.get(m.key)
        if e["status"] not in ("killed", "unsupported"):
            assert judged is not None, f"{e['id']} ({e['description']}) survived, not judged"
        if judged is not None:
            assert e["judgment"] == {
                "judgment": judged.judgment,
                "property": judged.property,
                "group": judged.group,
                "why": judged.why,
            }, f"{e['id']}: survivors.toml judges it otherwise than the report says"
    assert doc["provenance"]["commit"] and doc["provenance"]["interpreter"]


def test_sample_killed_and_equivalent_mutants_come_out_as_judged():
    base = baseline("gather")
    killed, equivalent = _mutant(*KILLED), _mutant(*EQUIVALENT)
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
    assert statuses == {killed.id: "killed", equivalent.id: "equivalent"}
    assert doc["models"]["gather"]["score"] == 1.0
    assert doc["problems"] == []
    page = render_markdown(json.loads(json.dumps(doc)))
    assert equivalent.id in page and "```diff" in page and killed.id not in page


def test_a_mutant_that_never_yields_is_killed_by_the_wall_clock_budget():
    original = original_source("gather")
    spinning = original.replace(
        "async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:\n",
        "async def load_dashboard(api: DashboardAPI, user_id: str) -> Dashboard:\n"
        "    while True:\n        pass\n",
    )
    assert spinning != original
    mutant = dataclasses.replace(
        _mutant(*KILLED),
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


def test_the_site_page_renders_the_committed_report():
    from comparisons.sitegen._mutants import mutants_page

    doc = json.loads(REPORT.read_text(encoding="utf-8"))
    page = mutants_page(REPORT)
    assert doc["provenance"]["commit"][:12] in page and doc["reproduce"] in page
    for e in doc["mutants"]:
        shown = e["status"] not in ("killed", "unsupported")
        assert (f"* `{e['id']}` {e['description']}" in page) == shown, e["id"]
    for name, m in doc["models"].items():
        assert f"| {name} | {', '.join(m['backends'])} | {m['total']} | {m['killed']} |" in page
