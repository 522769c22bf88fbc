"""Mutation adequacy of the conformance suite: how much of a broken model slips through.

The broken programs of :mod:`joinery.conformance.broken` prove that each property *can*
fail. This package measures how much the suite catches: it makes small mutants of every
reference model's module (:mod:`joinery.mutants._operators`), runs each through the suite
on the backends the model runs on, and counts a mutant *killed* when some cell's verdict
differs from the original model's (or the run crashes, or outlasts its wall-clock
budget). Every survivor is judged in ``survivors.toml``: *equivalent* (why) or *needs
property* (which one would catch it).

Run it with ``python -m joinery.mutants run --out build/results/mutants.json``. Do not
use it as a test of a model: a mutant's verdicts say what the suite sees, nothing more.
"""

from joinery.mutants._generate import (
    MUTATED_MODELS,
    Mutant,
    diff,
    generate,
    load,
    normalized,
    original_source,
    source_digest,
)
from joinery.mutants._markdown import render_markdown
from joinery.mutants._operators import OPERATORS, Site

__all__ = [
    "MUTATED_MODELS",
    "OPERATORS",
    "Mutant",
    "Site",
    "diff",
    "generate",
    "load",
    "normalized",
    "original_source",
    "render_markdown",
    "source_digest",
]
