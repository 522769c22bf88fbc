"""Build-time generation of the joinery site from the data a run produced.

The site never holds a typed-in verdict, number or copy of a model's code: the mkdocs
hook in :mod:`comparisons.sitegen.hooks` reads, at build time,

* ``build/results/conformance.json`` (the suite's verdicts and their evidence),
* ``build/bench/quick.json`` (this machine's quick benchmark run) and the committed
  ``benchmarks/published/full.json`` (the published full run, if any), rendered by
  ``comparisons.bench_report``,
* ``build/reports/leaks/`` (real leak reports of the seed's ``Buggy()``),
* the model sources under ``impls/joinery/models/`` (scenario functions, by AST),

and expands ``[[marker ...]]`` placeholders in the hand-written pages of ``docs/``.
Set ``JOINERY_BUILD_DIR`` to read the data from another directory than ``build/``.
A missing input fails the build with a message that names the file and the command
that produces it; nothing renders as an empty table.
"""

from __future__ import annotations

from comparisons.sitegen._data import (
    Conformance,
    LeakReports,
    MissingData,
    SiteData,
    build_dir,
    load_site_data,
)
from comparisons.sitegen._source import CodeBlock, count_lines, extract_scenario

__all__ = [
    "CodeBlock",
    "Conformance",
    "LeakReports",
    "MissingData",
    "SiteData",
    "build_dir",
    "count_lines",
    "extract_scenario",
    "load_site_data",
]
