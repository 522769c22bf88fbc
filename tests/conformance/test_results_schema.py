"""The published results schema: what it accepts, what it refuses, who uses it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from joinery.conformance import (
    SCHEMA,
    SCHEMA_PATH,
    ResultsError,
    cell,
    expectation_for,
    expected_models,
    load_catalogue,
    load_expected,
    results_document,
    results_schema,
    validate_results,
)
from joinery.models import load_model

from comparisons.sitegen import MissingData
from comparisons.sitegen._data import load_conformance

CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def doc():
    table, declared = load_expected(), expected_models()
    models = [load_model("taskgroup"), load_model("quattro")]
    props = ["join", "shed", "cause"]
    judged = [
        cell(m, b, p, expectation_for(table, declared, m.name, b, p))
        for m in models
        for b in m.info.backends
        for p in props
    ]
    return results_document(models, {p: CATALOGUE[p] for p in props}, judged)


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(results_schema())
    assert results_schema()["properties"]["schema"]["const"] == SCHEMA == "joinery.conformance/2"
    assert SCHEMA_PATH.name == "results.schema.json"


def test_a_written_document_is_valid_and_carries_the_interpreter(doc):
    validate_results(doc)
    assert set(doc["interpreter"]) == {"implementation", "version"}
    assert doc["models"]["quattro"]["kind"] == "third-party"
    assert doc["models"]["taskgroup"]["source"] == "impls/joinery/models/taskgroup.py"
    assert "executable" not in doc["environment"]


def _broken(doc, change):
    bad = copy.deepcopy(doc)
    change(bad)
    with pytest.raises(ResultsError) as info:
        validate_results(bad)
    return str(info.value)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d.update(schema="joinery.conformance/1"), "expected 'joinery.conformance/2'"),
        (lambda d: d["results"][0].update(backend="curio"), "results[0].backend"),
        (lambda d: d["results"][0].update(verdict="maybe"), "results[0].verdict"),
        (lambda d: d["results"][0].pop("evidence"), "'evidence' is a required property"),
        (lambda d: d["results"][0].update(extra=1), "Additional properties"),
        (lambda d: d["models"]["taskgroup"].update(source="/abs/taskgroup.py"), "source"),
        (lambda d: d["models"]["taskgroup"].update(kind="friend"), "kind"),
        (lambda d: d.pop("interpreter"), "'interpreter' is a required property"),
        (lambda d: d["results"][0].update(model="ghost"), "names model 'ghost'"),
        (lambda d: d["results"][0].update(backend="trio"), "not one model 'taskgroup' runs on"),
        (lambda d: d["results"][0].update(property="ghost"), "names property 'ghost'"),
        (lambda d: d["results"][0].update(matches=False), "matches is False"),
        (lambda d: d["totals"].update(cells=99), "totals.cells is 99"),
        (lambda d: d["results"].append(copy.deepcopy(d["results"][0])), "a second verdict"),
        (lambda d: d["results"][0].update(assisted="help"), "declares no assistance"),
    ],
)
def test_a_broken_document_is_refused_naming_the_entry(doc, change, named):
    assert named in _broken(doc, change)


def test_only_a_pass_can_be_assisted(doc):
    i = next(i for i, r in enumerate(doc["results"]) if r["assisted"])

    def fail_it(d):
        d["results"][i].update(verdict="fail", matches=False)
        d["totals"]["fail"] += 1
        d["totals"]["pass"] -= 1

    assert "only a pass can be assisted" in _broken(doc, fail_it)


def test_an_outside_producers_go_document_is_valid():
    # What the Go suite writes: model errgroup and the seed's programs on backend "go".
    result = {
        "model": "errgroup", "backend": "go", "property": "join", "verdict": "pass",
        "expected": "pass", "reason": None, "matches": True, "summary": "all joined",
        "assisted": None, "evidence": {"case": {"held": True, "problems": []}},
    }  # fmt: skip
    card = {
        "title": "errgroup.Group", "kind": "reference", "backends": ["go"], "summary": "x",
        "module": "joinery/go/errgroup", "source": None,
        "unsupported": {"run_shedded": "no try-spawn"}, "assisted": {},
    }  # fmt: skip
    prop = {
        "statement": "s", "task": "T2", "tasks": ["T2"], "scenarios": ["run_scope"],
        "observed_by": "o",
    }  # fmt: skip
    totals = {"cells": 1, "pass": 1, "fail": 0, "unsupported": 0, "assisted": 0, "mismatches": 0}
    doc = {
        "schema": SCHEMA,
        "generated": "2026-12-01T06:00:00Z",
        "interpreter": {"implementation": "go", "version": "1.27"},
        "environment": {"platform": "linux", "cpus": 2},
        "expected_from": None,
        "models": {"errgroup": card},
        "properties": {"join": prop},
        "results": [result],
        "totals": totals,
    }
    validate_results(doc)


def test_the_site_reads_through_the_same_validator(doc, tmp_path):
    path = tmp_path / "conformance.json"
    path.write_text(json.dumps(doc))
    assert load_conformance(path).kind("quattro") == "third-party"
    bad = copy.deepcopy(doc)
    bad["results"][0]["verdict"] = "maybe"
    path.write_text(json.dumps(bad))
    with pytest.raises(MissingData, match=r"results\[0\]\.verdict"):
        load_conformance(path)
    undeclared = copy.deepcopy(doc)
    undeclared["results"][0]["expected"] = None
    undeclared["results"][0]["reason"] = None
    undeclared["results"][0]["matches"] = True
    undeclared["totals"]["mismatches"] = sum(not r["matches"] for r in undeclared["results"])
    path.write_text(json.dumps(undeclared))
    with pytest.raises(MissingData, match="no declared verdicts"):
        load_conformance(path)


def test_the_notes_copy_is_the_schema_when_present():
    # The copy handed to other producers must not drift from the published one.
    notes = Path("/work/wt/notes/results-schema.json")
    if not notes.exists():
        pytest.skip("no notes directory on this machine")
    assert json.loads(notes.read_text()) == results_schema()


def test_the_site_tells_the_library_from_the_adapter(doc, tmp_path):
    from comparisons.sitegen._render import evidence, models_list, verdict_link

    path = tmp_path / "conformance.json"
    path.write_text(json.dumps(doc))
    conf = load_conformance(path)
    shed = conf.cell("quattro", "shed", "asyncio")
    assert shed is not None and shed["assisted"]
    link = verdict_link(conf, "matrix.md", shed, long=True)
    assert "◐ pass, assisted by the adapter" in link and ".jv-assisted" in link
    assert "the adapter counts running jobs by hand" in link
    plain = conf.cell("taskgroup", "join", "asyncio")
    assert plain is not None and "◐" not in verdict_link(conf, "matrix.md", plain, long=True)
    page = evidence(conf, "quattro")
    assert "◐ Assisted:** the library does not do this alone" in page
    assert "third-party library" in page and "third-party library" in models_list(conf, "x.md")
