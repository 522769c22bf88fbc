"""The Go row: go vet, the Go tests, and the Go checks' verdicts against expected-go.toml.

Skipped, with the reason, only when Go or Debian's Go sources are not installed
(``python3 make.py test`` installs them when it can).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from joinery.conformance._suite import load_catalogue
from joinery.gorow import Unavailable, find_toolchain
from joinery.gorow.__main__ import main
from joinery.gorow._results import GO_CHECKS, BadOutput, collapse, load_lines
from joinery.gorow._toolchain import ROOT

# The first run compiles the Go packages (and x/sync, goleak) into build/go/cache:
# about 25 s of CPU, over 90 s of wall time on two busy shared cores. Warm: ~10 s.
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def go_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, Path]:
    try:
        find_toolchain(ROOT / "build" / "go")
    except Unavailable as exc:
        pytest.skip(f"Go row unavailable: {exc}")
    tmp = tmp_path_factory.mktemp("go")
    out, leak = tmp / "conformance-go.json", tmp / "leak_buggy_go.txt"
    code = main(["run", "--out", str(out), "--count", "20", "--leak-report", str(leak)])
    return code, out, leak


def test_vet_tests_and_verdicts_match_the_declared_table(go_run: tuple[int, Path, Path]) -> None:
    code, out, _ = go_run
    assert code == 0, "go vet, a Go test, or a verdict against expected-go.toml failed (see log)"
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["schema"] == "joinery.conformance/2"
    assert doc["totals"]["mismatches"] == 0
    assert doc["environment"]["determinism"] == {"runs": 20, "identical": True}
    models = {r["model"] for r in doc["results"]}
    assert {"errgroup", "seed_given"} <= models
    # Every property has a verdict for every Go model, and the control fails somewhere.
    for model in models:
        got = {r["property"] for r in doc["results"] if r["model"] == model}
        assert got == set(load_catalogue())
    assert any(r["verdict"] == "fail" for r in doc["results"] if r["model"] == "seed_given")
    # Self-test: every property Go can express is failed by some Go program; the two Go
    # cannot express (no KeyboardInterrupt; no order between a goroutine and its spawner)
    # are unsupported for every Go model.
    failed = {r["property"] for r in doc["results"] if r["verdict"] == "fail"}
    inexpressible = {"keyboard_interrupt", "spawn_returns_first"}
    assert set(load_catalogue()) - failed == inexpressible
    for r in doc["results"]:
        assert (r["verdict"] == "unsupported") >= (r["property"] in inexpressible), r


def test_errgroup_cause_differs_between_x_sync_versions(go_run: tuple[int, Path, Path]) -> None:
    _, out, _ = go_run
    doc = json.loads(out.read_text(encoding="utf-8"))
    cause = {r["model"]: r for r in doc["results"] if r["property"] == "cause"}
    assert cause["errgroup"]["verdict"] == "pass"
    old = [m for m in cause if m.startswith("errgroup-")]
    for model in old:  # Debian's x/sync 0.1.0: WithContext records no cause
        assert cause[model]["verdict"] == "fail"
        assert "context canceled" in cause[model]["summary"]


def test_no_absolute_path_in_results_or_report(go_run: tuple[int, Path, Path]) -> None:
    _, out, leak = go_run
    assert str(ROOT) not in out.read_text(encoding="utf-8")
    assert str(ROOT) not in leak.read_text(encoding="utf-8")
    assert "impls/go/src/joinery/buggy/buggy.go" in leak.read_text(encoding="utf-8")


def test_model_cards_come_from_the_go_code(go_run: tuple[int, Path, Path]) -> None:
    _, out, _ = go_run
    models = json.loads(out.read_text(encoding="utf-8"))["models"]
    assert models["seed_given"]["kind"] == "control"
    assert models["errgroup"]["kind"] == "reference"
    assert "run_scope" in models["seed_given"]["unsupported"]
    for card in models.values():
        assert (ROOT / card["source"]).is_dir()


def test_goleak_reports_buggy(go_run: tuple[int, Path, Path]) -> None:
    _, _, leak = go_run
    report = leak.read_text(encoding="utf-8")
    assert "found unexpected goroutines" in report
    assert "[chan send]" in report
    assert "joinery/buggy.Buggy.func1" in report


def _line(model: str, prop: str, verdict: str = "pass", **evidence: Any) -> dict[str, Any]:
    return {
        "model": model,
        "property": prop,
        "verdict": verdict,
        "summary": "s",
        "evidence": evidence,
    }


def test_collapse_refuses_runs_that_differ() -> None:
    catalogue = load_catalogue()
    lines = [_line("m", p) for p in catalogue] * 2
    assert len(collapse(lines, catalogue, 2)) == len(catalogue)
    lines[-1] = _line("m", list(catalogue)[-1], "fail")
    with pytest.raises(BadOutput, match="not deterministic"):
        collapse(lines, catalogue, 2)


def test_collapse_refuses_a_missing_or_unknown_property() -> None:
    catalogue = load_catalogue()
    ids = list(catalogue)
    first, last = ids[0], ids[-1]
    lines = [_line("m", p) for p in catalogue if p != first]
    lines += [_line("n", p) for p in catalogue if p not in (first, last)]
    # Every missing property at once, with the models it lacks and what to do.
    with pytest.raises(BadOutput) as info:
        collapse(lines, catalogue, 1)
    message = str(info.value)
    assert f"no verdict for {first!r} (for m, n); {last!r} (for n)" in message
    assert "add a check to Checks in impls/go/src/joinery/conformance/checks.go" in message
    assert "Unsupported with the precise reason" in message
    assert "expected-go.toml" in message
    with pytest.raises(BadOutput, match="not in the catalogue"):
        collapse([_line("m", p) for p in catalogue] + [_line("m", "nope")], catalogue, 1)


_GO_CHECK = re.compile(r'^\s*\{"(\w+)", \w+\},', re.MULTILINE)


def test_every_catalogue_property_has_a_go_check() -> None:
    # Read from the Go source, so it holds where Go is not installed too: a property
    # added to properties.toml (another branch) must get a Go check before it merges.
    source = (ROOT / GO_CHECKS).read_text(encoding="utf-8")
    table = source.split("var Checks = ", 1)[1].split("\n}\n", 1)[0]
    go = _GO_CHECK.findall(table)
    catalogue = list(load_catalogue())
    missing = [p for p in catalogue if p not in go]
    assert not missing, (
        f"no Go check for {missing}: add one to Checks in {GO_CHECKS} (observed through "
        "joinery/fakes where Go can express the property, else a Case that is Unsupported "
        "with the precise reason), declare any verdict other than pass in expected-go.toml, "
        "and add a broken Go program that fails it if no Go model does"
    )
    assert not set(go) - set(catalogue), f"Go checks for no property: {set(go) - set(catalogue)}"
    assert go == catalogue, "list the Go checks in the catalogue's order (properties.toml)"


def test_load_lines_names_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "v.jsonl"
    path.write_text('{"model": "m"}\n', encoding="utf-8")
    with pytest.raises(BadOutput, match=r"v.jsonl:1: no 'property'"):
        load_lines(path)
    path.write_text('{"model": "m", "card": {"title": "t"}}\n', encoding="utf-8")
    with pytest.raises(BadOutput, match=r"v.jsonl:1: the card of 'm' lacks"):
        load_lines(path)


def test_document_has_exactly_the_keys_of_results_format_2(go_run: tuple[int, Path, Path]) -> None:
    # joinery.conformance/2 allows no keys beyond its own (additionalProperties: false).
    _, out, _ = go_run
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc) == {
        "schema", "generated", "interpreter", "environment", "models", "properties",
        "results", "totals",
    }  # fmt: skip
    assert set(doc["interpreter"]) == {"implementation", "version"}
    card_keys = {"title", "kind", "backends", "summary", "module", "source", "unsupported"}
    for card in doc["models"].values():
        assert set(card) == card_keys | {"assisted"}
        assert card["kind"] in ("reference", "control", "mutant")
    result_keys = {"model", "backend", "property", "verdict", "expected", "reason", "matches"}
    for r in doc["results"]:
        assert set(r) == result_keys | {"summary", "assisted", "evidence"}
        assert r["summary"] and r["matches"] == (r["expected"] in (None, r["verdict"]))
    assert set(doc["totals"]) == {
        "cells", "pass", "fail", "unsupported", "assisted", "mismatches",
    }  # fmt: skip
