"""The site's Go tabs and Go row, without a site build: markers, extraction, merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from joinery.gorow._toolchain import GO_SOURCES

from comparisons.sitegen._data import Conformance, MissingData
from comparisons.sitegen._go import (
    GO_RESULTS,
    GO_SKIPPED,
    count_go_lines,
    go_blocks,
    go_sources,
    is_go_only,
    merge_go,
)
from comparisons.sitegen._render import aggregator_lines, code_tabs
from comparisons.sitegen._tasks import TASKS

SOLUTIONS = GO_SOURCES / "src" / "joinery" / "solutions"
SEED = GO_SOURCES / "src" / "joinery" / "seedgiven"
SEED_HAS = {"load_dashboard", "wait_then_spawn", "spawn_then_wait", "flusher", "check_all"}


@pytest.mark.parametrize("scenario", sorted({s for t in TASKS for s in t.scenarios}))
def test_every_task_scenario_has_go_code(scenario: str) -> None:
    blocks = go_blocks(SOLUTIONS, scenario)
    assert blocks, f"no declaration in {SOLUTIONS} is marked '// scenario: {scenario}'"
    for b in blocks:
        assert b.text.startswith("//")
        assert b.text.rstrip().endswith(("}", ")")) or b.first == b.last
    assert bool(go_blocks(SEED, scenario)) == (scenario in SEED_HAS)


def test_a_block_is_the_whole_declaration() -> None:
    (flusher_type, start, stop) = go_blocks(SOLUTIONS, "flusher")
    assert "type Flusher struct {" in flusher_type.text
    assert flusher_type.text.endswith("}")
    assert "func StartFlusher(" in start.text and "func (f *Flusher) Stop() error {" in stop.text
    lines = flusher_type.path.read_text(encoding="utf-8").splitlines()
    assert lines[flusher_type.last - 1] == "}"
    assert count_go_lines("// c\n\nx := 1\n") == (3, 1)


def _conf(tmp_path: Path) -> Conformance:
    doc = {
        "models": {"seed_given": {"title": "py", "backends": ["asyncio"], "source": "x.py"}},
        "properties": {"join": {}},
        "results": [{"model": "seed_given", "backend": "asyncio", "property": "join"}],
    }
    return Conformance(tmp_path / "conformance.json", doc)


def test_merge_adds_go_backends_and_models(tmp_path: Path) -> None:
    card = {"title": "t", "summary": "s", "source": "impls/go", "unsupported": {}}
    go = {
        "models": {
            "seed_given": {**card, "kind": "control"},
            "errgroup": {**card, "kind": "reference", "source": "impls/go/solutions"},
            "broken_detached": {**card, "kind": "mutant", "source": "impls/go/broken"},
        },
        "results": [
            {"model": "seed_given", "backend": "go", "property": "join"},
            {"model": "errgroup", "backend": "go", "property": "join"},
        ],
        "environment": {"packages": {"go": "go1.27.3"}},
    }
    (tmp_path / GO_RESULTS).write_text(json.dumps(go), encoding="utf-8")
    merged = merge_go(_conf(tmp_path), tmp_path)
    assert merged.models["seed_given"]["backends"] == ["asyncio", "go"]
    assert not is_go_only(merged.models["seed_given"])
    assert merged.models["errgroup"]["backends"] == ["go"] and is_go_only(merged.models["errgroup"])
    assert merged.models["errgroup"]["control"] is False
    assert merged.cell("errgroup", "join", "go") is not None
    assert len(merged.results) == 3
    assert merged.models["broken_detached"]["control"] is True
    assert [m for m, _ in go_sources(merged)] == ["seed_given", "errgroup"]


def test_merge_without_go(tmp_path: Path) -> None:
    conf = _conf(tmp_path)
    assert merge_go(conf, tmp_path) is conf
    (tmp_path / GO_SKIPPED).write_text("Go row skipped: no go\n", encoding="utf-8")
    assert merge_go(conf, tmp_path).doc["go_skipped"] == "Go row skipped: no go"
    (tmp_path / GO_RESULTS).write_text("{", encoding="utf-8")
    with pytest.raises(MissingData, match="not a Go results document"):
        merge_go(conf, tmp_path)


def _go_only_conf(tmp_path: Path) -> Conformance:
    conf = Conformance(
        tmp_path / "conformance.json", {"models": {}, "properties": {}, "results": []}
    )
    go = {
        "models": {
            "seed_given": {
                "title": "the seed's given programs (control)",
                "summary": "s",
                "kind": "control",
                "source": "impls/go/src/joinery/seedgiven",
                "unsupported": {"run_scope": "no broken program"},
            },
            "errgroup": {
                "title": "errgroup (our solutions)",
                "summary": "s",
                "kind": "reference",
                "source": "impls/go/src/joinery/solutions",
                "unsupported": {},
            },
        },
        "results": [],
    }
    (tmp_path / GO_RESULTS).write_text(json.dumps(go), encoding="utf-8")
    return merge_go(conf, tmp_path)


def test_code_tabs_show_the_go_files(tmp_path: Path) -> None:
    conf = _go_only_conf(tmp_path)
    tabs = code_tabs(conf, ["run_scope"])
    assert '=== "Go · errgroup (our solutions)"' in tabs
    assert "```go" in tabs and "func Run(ctx context.Context" in tabs
    assert 'title="impls/go/src/joinery/solutions/t2_scope.go:' in tabs
    assert "Unsupported: seed_given (Go) cannot express `run_scope`" in tabs
    t6 = code_tabs(conf, ["wait_then_spawn", "spawn_then_wait"])
    assert t6.count("func RunBad(") == 2 and t6.count("func RunGood(") == 2
    assert "| Go · errgroup (our solutions) | " in aggregator_lines(conf, "tasks/t9.md")
