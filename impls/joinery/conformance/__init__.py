"""The conformance suite: one property catalogue, one check per property, every model.

Run it from the command line (``python -m joinery.conformance run``), from pytest
(``tests/conformance``), or from code::

    from joinery.conformance import judge, load_catalogue
    from joinery.models import load_model

    judgement = judge(load_model("mypkg.my_model"), "asyncio", "join")

Verdicts are *pass*, *fail* or *unsupported* (the model declared it cannot express the
scenario), each with the evidence the harness observed; a pass that a third-party
adapter helped with says *assisted* and what the adapter added. The results document
follows ``results.schema.json`` (:data:`SCHEMA_PATH`).
"""

from joinery.conformance._results import (
    SCHEMA,
    SCHEMA_PATH,
    ResultsError,
    read_results,
    results_schema,
    validate_results,
)
from joinery.conformance._suite import (
    Cell,
    Expectation,
    Property,
    cell,
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
    "SCHEMA_PATH",
    "VERDICTS",
    "Cell",
    "Expectation",
    "Judgement",
    "Property",
    "ResultsError",
    "Verdict",
    "cell",
    "cells",
    "expectation_for",
    "expected_models",
    "judge",
    "load_catalogue",
    "load_expected",
    "mutants",
    "read_results",
    "results_document",
    "results_schema",
    "validate_results",
]
