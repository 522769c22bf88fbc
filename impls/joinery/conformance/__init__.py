"""The conformance suite: one property catalogue, one check per property, every model.

Run it from the command line (``python -m joinery.conformance run``), from pytest
(``tests/conformance``), or from code::

    from joinery.conformance import judge, load_catalogue
    from joinery.models import load_model

    judgement = judge(load_model("mypkg.my_model"), "asyncio", "join")

Verdicts are *pass*, *fail* or *unsupported* (the model declared it cannot express the
scenario), each with the evidence the harness observed.
"""

from joinery.conformance._suite import (
    SCHEMA,
    Cell,
    Expectation,
    Property,
    cells,
    expectation_for,
    expected_models,
    judge,
    load_catalogue,
    load_expected,
    results_document,
)
from joinery.conformance._verdict import VERDICTS, Judgement, Verdict
from joinery.conformance.broken import mutants

__all__ = [
    "SCHEMA",
    "VERDICTS",
    "Cell",
    "Expectation",
    "Judgement",
    "Property",
    "Verdict",
    "cells",
    "expectation_for",
    "expected_models",
    "judge",
    "load_catalogue",
    "load_expected",
    "mutants",
    "results_document",
]
