"""The benchmark report: pytest-benchmark JSON in, markdown tables and SVG charts out.

``python -m comparisons.bench_report report build/bench/quick.json`` writes
``build/reports/bench/report.md`` and its charts; ``... compare OLD.json NEW.json``
prints a comparison of two runs. Every figure comes from the JSON it is given.
"""

from comparisons.bench_report._data import Entry, Figure, ReportError, Run, load
from comparisons.bench_report._report import compare, headline, render, write

__all__ = [
    "Entry",
    "Figure",
    "ReportError",
    "Run",
    "compare",
    "headline",
    "load",
    "render",
    "write",
]
