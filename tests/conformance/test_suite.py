"""The conformance suite as tests: one test per (model, backend, property) cell.

Strict: a verdict that differs from expected.toml fails, whichever way it differs.
"""

from __future__ import annotations

import pytest
from joinery.conformance import (
    cells,
    expectation_for,
    expected_models,
    judge,
    load_catalogue,
    load_expected,
    mutants,
)
from joinery.models import load_model, registered_models

CATALOGUE = load_catalogue()
TABLE = load_expected()
DECLARED = expected_models()
MODELS = [load_model(n) for n in registered_models()] + list(mutants().values())
CELLS = list(cells(MODELS, CATALOGUE))


@pytest.mark.parametrize(
    ("model", "backend", "prop"),
    CELLS,
    ids=[f"{m.name}-{b}-{p}" for m, b, p in CELLS],
)
def test_cell(model, backend, prop):
    expected = expectation_for(TABLE, DECLARED, model.name, backend, prop)
    assert expected is not None, f"{model.name} is not declared in expected.toml"
    judgement = judge(model, backend, prop)
    assert judgement.evidence, "a verdict without evidence"
    assert judgement.summary
    assert judgement.verdict == expected.verdict, (
        f"{model.name} [{backend}] {prop}: expected {expected.verdict} "
        f"({expected.reason}), got {judgement.verdict}: {judgement.summary}"
    )
