"""The versions page groups cells that differ alike, and keeps every cell reachable."""

from __future__ import annotations

import re
from typing import Any

from comparisons.sitegen import _versions
from comparisons.sitegen._versions import Run, differing_cells, group_differences

PROPS = ("join", "cause", "bound", "cancel_while_failing")


def _cell(model: str, prop: str, verdict: str) -> dict[str, Any]:
    return {
        "model": model,
        "backend": "asyncio",
        "property": prop,
        "verdict": verdict,
        "summary": f"{model} {prop} {verdict}",
        "matches": True,
        "evidence": {"case": {"seen": verdict}},
    }


def _run(version: str, verdicts: dict[tuple[str, str], str]) -> Run:
    models = {
        "eager": {"kind": "reference", "backends": ["asyncio"]},
        "tg": {"kind": "reference", "backends": ["asyncio"]},
        "broken_a": {"kind": "mutant", "backends": ["asyncio"]},
        "broken_b": {"kind": "mutant", "backends": ["asyncio"]},
    }
    results = [_cell(m, p, v) for (m, p), v in verdicts.items()]
    doc = {"models": models, "results": results, "properties": {p: {} for p in PROPS}}
    return Run(f"cpython-{version}", version, doc, None)


def _runs() -> list[Run]:
    # eager: unsupported on 3.11, then join and bound pass, cause fails (3 cells, 2 ways);
    # tg and both broken programs: cancel_while_failing fails until 3.13 (one way).
    old: dict[tuple[str, str], str] = {("eager", p): "unsupported" for p in PROPS[:3]}
    mid = {("eager", "join"): "pass", ("eager", "bound"): "pass", ("eager", "cause"): "fail"}
    for m in ("tg", "broken_a", "broken_b"):
        old[(m, "cancel_while_failing")] = "fail"
        mid[(m, "cancel_while_failing")] = "fail"
    new = {**mid, **{(m, "cancel_while_failing"): "pass" for m in ("tg", "broken_a", "broken_b")}}
    return [_run("3.11", old), _run("3.12", mid), _run("3.13", new)]


def test_cells_that_differ_alike_make_one_row() -> None:
    runs = _runs()
    _, differ = differing_cells(runs)
    assert len(differ) == 6
    groups = group_differences(runs, differ)
    shapes = {(g.models, g.props, g.verdicts) for g in groups}
    assert shapes == {
        (("eager",), ("join", "bound"), ("unsupported", "pass", "pass")),
        (("eager",), ("cause",), ("unsupported", "fail", "fail")),
        (("tg", "broken_a", "broken_b"), ("cancel_while_failing",), ("fail", "fail", "pass")),
    }
    # Every differing cell is in exactly one group.
    covered = [(m, g.backend, p) for g in groups for m in g.models for p in g.props]
    assert sorted(covered) == sorted(differ)


def test_every_cell_of_a_reference_model_links_to_its_evidence_block() -> None:
    page = "\n".join(_versions._verdict_section(_runs()))
    table = [line for line in page.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + 3  # the header and one row per distinct difference
    ids = set(re.findall(r'<a id="([^"]+)"></a>', page))
    links = set(re.findall(r"\]\(#([^)]+)\)", page))
    assert links <= ids  # no link to a block that is not there
    for model, prop in [("eager", "join"), ("eager", "bound"), ("eager", "cause"),
                        ("tg", "cancel_while_failing")]:  # fmt: skip
        assert _versions._block_id(model, "asyncio", prop) in links & ids
    # The programs broken on purpose are named in their row, without a block of their own.
    assert "`broken_a`" in page and "broken-a" not in "".join(ids)
    assert "6 differ, in 3 distinct ways" in page
