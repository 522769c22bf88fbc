"""The suite's self-test: it must be able to fail, and fail where the seed says."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from joinery import conformance
from joinery.conformance import (
    expectation_for,
    expected_models,
    judge,
    load_catalogue,
    load_expected,
    mutants,
)
from joinery.conformance.__main__ import main
from joinery.models import REFERENCE_MODELS, load_model, registered_models

CATALOGUE = load_catalogue()
TABLE = load_expected()
DECLARED = expected_models()

# What the seed says its given programs break (Tasks 1, 4, 6, 8, 9).
SEED_BREAKS = {
    "join": "T1 sleep-and-hope",
    "no_fixed_wait": "T1 time.Sleep(2 * time.Second)",
    "sibling_cancellation": "T1 cancels nothing",
    "spawn_after_close": "T6 runBad",
    "daemon": "T8 StartFlusher cannot be stopped",
    "all_errors_kept": "T9 the channel aggregator",
    "leaves_nothing_behind": "T4 Buggy-style leaks",
}


@pytest.mark.parametrize("prop", sorted(SEED_BREAKS))
def test_control_model_is_expected_to_fail_what_the_seed_breaks(prop):
    assert TABLE[("seed_given", "asyncio", prop)].verdict == "fail", SEED_BREAKS[prop]


@pytest.mark.parametrize("prop", sorted(CATALOGUE))
def test_every_property_is_failed_by_a_deliberately_broken_program(prop):
    controls = ["seed_given", *mutants()]
    failing = [
        m for (m, _, p), e in TABLE.items() if p == prop and m in controls and e.verdict == "fail"
    ]
    assert failing, f"no control or broken program is expected to fail {prop}"


MUTANTS = mutants()
RAW_TABLE = tomllib.loads((Path(conformance.__file__).parent / "expected.toml").read_text())


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_each_mutant_targets_a_property_its_base_passes(name):
    """The mutant fails its target, and its base model, judged now, passes it.

    Otherwise the mutant proves nothing: the property would fail the base too.
    """
    mutant = MUTANTS[name]
    assert mutant.control
    base = load_model(mutant.module.BASE)
    assert RAW_TABLE[name].get("inherit") == base.name, "expected.toml inherits another base"
    deliberate = [
        (b, p)
        for (m, b, p), e in TABLE.items()
        if m == name and e.verdict == "fail" and e.reason and e.reason.startswith("deliberate")
    ]
    assert [p for _, p in deliberate] == [mutant.module.TARGET], "one deliberate fail: the target"
    ((backend, prop),) = deliberate
    declared = expectation_for(TABLE, DECLARED, base.name, backend, prop)
    if declared.verdict != "pass":
        # A property whose verdict moves between Python versions: where the base fails
        # it too, this mutant proves nothing, and says so rather than passing.
        pytest.skip(f"{base.name} is declared to fail {prop} here too: {declared.reason}")
    assert judge(base, backend, prop).verdict == "pass"
    judged = judge(mutant, backend, prop)
    assert judged.verdict == "fail", judged.summary


def test_every_registered_model_is_declared():
    declared = expected_models()
    assert set(registered_models()) | set(mutants()) <= declared


def test_reference_models_include_the_four():
    assert {"bare", "gather", "taskgroup", "nursery"} <= set(REFERENCE_MODELS)


def test_cli_writes_a_document_with_evidence_for_every_cell(tmp_path, capsys):
    out = tmp_path / "results.json"
    code = main(["run", "--model", "taskgroup", "--model", "nursery", "--out", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["schema"] == "joinery.conformance/2"
    assert len(doc["results"]) == 2 * len(CATALOGUE)
    for cell in doc["results"]:
        assert cell["evidence"] and cell["summary"]
        assert cell["matches"]
    assert "taskgroup [asyncio]" in capsys.readouterr().out


def test_cli_exits_1_when_a_verdict_differs_from_the_table(tmp_path, monkeypatch, capsys):
    # A table that wrongly expects taskgroup to fail `join`: the run must turn red.
    from joinery.conformance import _suite

    real = _suite.load_expected

    def lying_table(*args, **kwargs):
        table = real(*args, **kwargs)
        table[("taskgroup", "asyncio", "join")] = _suite.Expectation("fail", "test")
        return table

    monkeypatch.setattr("joinery.conformance.__main__.load_expected", lying_table)
    code = main(["run", "--model", "taskgroup", "--property", "join"])
    assert code == 1
    assert "MISMATCH taskgroup [asyncio] join" in capsys.readouterr().out


def test_cli_names_an_unknown_model(capsys):
    assert main(["run", "--model", "no_such_model_xyz"]) == 2
    assert "no model 'no_such_model_xyz'" in capsys.readouterr().err


def test_cli_judges_a_model_given_by_module_path(capsys):
    code = main(
        ["run", "--model", "joinery.models.taskgroup", "--no-expected", "--property", "bound"]
    )
    assert code == 0
    assert "taskgroup [asyncio]" in capsys.readouterr().out


def test_suite_is_deterministic():
    """Two runs of the same cells give identical verdicts and identical evidence."""
    from joinery.conformance import judge

    models = [load_model("taskgroup"), load_model("nursery"), load_model("seed_given")]

    def run_all():
        out = []
        for m in models:
            for b in m.info.backends:
                for p in CATALOGUE:
                    j = judge(m, b, p)
                    out.append((m.name, b, p, j.verdict, json.dumps(j.evidence, sort_keys=True)))
        return out

    assert run_all() == run_all()


def test_show_prints_the_matrix_of_a_results_document(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", "--model", "nursery", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["show", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "nursery [trio]" in printed and "differ from expected.toml" in printed


def test_show_names_a_missing_file(tmp_path, capsys):
    assert main(["show", str(tmp_path / "nope.json")]) == 2
    assert "no results at" in capsys.readouterr().err
