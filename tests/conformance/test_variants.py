"""The generated variants: fixed, smallest first, and the evidence keeps the smallest failure."""

from __future__ import annotations

import random

import pytest
from joinery.conformance import _checks, judge, mutants
from joinery.conformance._checks import CHECKS, STOP_SCRIPTED, _gen_stop
from joinery.conformance._variants import Family, halves, label, run_family, size
from joinery.conformance._verdict import Case
from joinery.models import Unsupported, load_model


def _family(count: int = 8) -> Family:
    return Family(
        "demo",
        {"n": [1.0, 2.0], "at": 3.0},
        lambda rng: {
            "n": [halves(rng, 0.5, 4) for _ in range(rng.randint(1, 4))],
            "at": halves(rng, 0.5, 5),
        },
        count=count,
        extra=[{"n": [], "at": 0.5}],
    )


def test_variants_are_the_same_every_time_and_smallest_first():
    first = _family().variants("prop")
    assert first == _family().variants("prop")
    assert len(first) == 1 + 1 + 8  # scripted, the hand-picked extra, eight generated
    assert first == sorted(first, key=size)
    assert {"n": [1.0, 2.0], "at": 3.0} in first and {"n": [], "at": 0.5} in first
    # another property draws other variants from its own seed
    assert _family().variants("other") != first


def test_generated_times_are_halves_so_virtual_clocks_add_them_exactly():
    rng = random.Random(0)
    for _ in range(200):
        t = halves(rng, 0.5, 7.5)
        assert 0.5 <= t <= 7.5 and (t * 2).is_integer()


def test_a_family_keeps_the_smallest_failing_variant_and_stops_there():
    ran: list[dict] = []

    def run(case: Case, p: dict) -> None:
        ran.append(p)
        case.require(len(p["n"]) < 2, f"{len(p['n'])} children")

    cases: list[Case] = []
    family = _family()
    run_family(cases, "prop", family, run)
    ordered = family.variants("prop")
    failing = [p for p in ordered if len(p["n"]) >= 2]
    (case,) = cases
    assert not case.held
    assert case.observed["variant"] == failing[0] == min(failing, key=size)
    assert ran == ordered[: ordered.index(failing[0]) + 1]  # nothing after it ran
    i = ordered.index(failing[0])
    assert case.observed["variants"] == f"failed variant {i + 1} of {len(ordered)} " + (
        f"(the {i} smaller held)" if i else "(it is the smallest)"
    )


def test_a_family_that_holds_keeps_the_scripted_case_and_lists_every_variant():
    cases: list[Case] = []
    family = _family()
    run_family(cases, "prop", family, lambda case, p: case.note(seen=label(p)))
    (case,) = cases
    assert case.held
    assert case.observed["variant"] == family.scripted
    assert case.observed["seen"] == label(family.scripted)
    assert case.observed["variants_run"] == [label(p) for p in family.variants("prop")]


def test_an_unsupported_scenario_ends_the_family_at_once():
    ran = []

    def run(case: Case, p: dict) -> None:
        ran.append(p)
        raise Unsupported("cannot")

    cases: list[Case] = []
    run_family(cases, "prop", _family(), run)
    assert len(ran) == 1
    assert cases[0].observed["unsupported"] == "cannot"


def test_stop_variants_include_mid_flush_between_flushes_and_from_the_start():
    family = Family("T8 stop", STOP_SCRIPTED, _gen_stop, count=40)
    kinds = set()
    for p in family.variants("daemon"):
        k = p["stop_in_flush"]
        kinds.add("start" if k == 0 else "mid-flush" if p["after"] < p["flush"] else "between")
    assert kinds == {"start", "mid-flush", "between"}


def test_a_program_tuned_to_the_scripted_case_is_caught_by_a_generated_variant(monkeypatch):
    """broken_fixed_limit always allows 4 in flight: right for the scripted limit of 4."""
    broken = mutants()["broken_fixed_limit"]
    judged = judge(broken, "asyncio", "bound")
    assert judged.verdict == "fail"
    evidence = judged.evidence["T3 fetch_all"]
    assert evidence["variant"]["limit"] != 4
    assert judged.summary.startswith("T3 fetch_all: ")
    # ...while the scripted case alone (40 urls at limit 4) would have passed it
    monkeypatch.setattr(Family, "variants", lambda self, _: [self.scripted])
    assert judge(broken, "asyncio", "bound").verdict == "pass"


@pytest.mark.parametrize(
    "prop", sorted(p for p, fn in CHECKS.items() if fn.__module__ == _checks.__name__)
)
def test_every_case_of_every_check_records_the_variant_it_ran(prop):
    judged = judge(load_model("linear"), "trio", prop)
    for name, case in judged.evidence.items():
        assert "variant" in case, f"{prop}: {name} ran without variants"
        assert "variants" in case
