"""The mutation page: how much of a broken reference model the conformance suite catches.

Read from ``impls/joinery/mutants/report.json``, the committed report of the last full
run (``python -m joinery.mutants run --out impls/joinery/mutants/report.json``; minutes,
so not a step of the main job). The report carries its provenance (date, commit,
interpreter) and ``tests/conformance/test_mutants.py`` fails when it no longer matches
the models' mutant set or leaves a survivor unjudged, so the page cannot go stale
silently. Nothing here is typed in: the page renders the report.
"""

from __future__ import annotations

import json
from pathlib import Path

from joinery.mutants._markdown import render_markdown

PAGE = "mutants.md"
"""The generated page's docs-relative path."""

REPORT = Path(__file__).resolve().parents[2] / "impls" / "joinery" / "mutants" / "report.json"
"""The committed report (what ``joinery.mutants._report.REPORT`` names)."""


def mutants_page(report: Path = REPORT) -> str:
    """The page: what a mutant is, the scores, every survivor judged, how to reproduce."""
    out = [
        "# Mutation adequacy of the suite",
        "",
        "The broken programs prove that each property *can* fail. This page measures how "
        "much slips through: every reference model's module is mutated by small, realistic "
        "bugs (a deleted statement, a dropped `await` or `cancel()`, an early return, a "
        "limit off by one, a swapped policy, a removed `try`/`finally`, shield or "
        "semaphore, a negated condition), and each mutant runs through the whole "
        "conformance suite on its model's backends. A mutant is **killed** when a cell's "
        "verdict differs from the original model's (or the run crashes or hangs). Every "
        "survivor is judged by a person in `impls/joinery/mutants/survivors.toml`: "
        "**equivalent** (no caller can tell; why), **accepted** (a real difference no "
        "property judges, on purpose; why) or **needs property** (which one should catch "
        "it). The score is killed / non-equivalent mutants.",
        "",
    ]
    if not report.is_file():
        return "\n".join(
            [*out, '!!! warning "No mutation report"', "",
             f"    `{report.name}` is missing; write it with the command below."]
        )  # fmt: skip
    doc = json.loads(report.read_text(encoding="utf-8"))
    out += [
        render_markdown(doc).rstrip("\n"),
        "",
        "## Reproduce",
        "",
        "The run takes minutes on two processes, so it is not a step of the main job; the "
        "site shows the committed report, and the test command fails when that report no "
        "longer matches the models' mutants or leaves a survivor unjudged.",
        "",
        "```sh",
        "python -m joinery.mutants list                 # the mutant set, no run",
        "python -m joinery.mutants show MUTANT_ID       # its diff and key",
        f"{doc.get('reproduce', 'python -m joinery.mutants run --out report.json')}",
        "```",
        "",
    ]
    return "\n".join(out)
