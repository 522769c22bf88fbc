"""The site's benchmark figures: the published full run, and this machine's quick run.

Two runs, never mixed up:

* the **published run** (``benchmarks/published/full.json``, committed, full profile,
  checked by :mod:`comparisons.bench_report._published`): the figures the site quotes;
* **this machine, now** (``<build>/bench/quick.json``, the main job's quick profile):
  shown beside it, labelled as such.

Both are rendered at build time by :mod:`comparisons.bench_report`, so every number is
read from a JSON a run wrote. With no published run the site says so plainly and quotes
the quick run under that label; it never presents quick figures as published.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from comparisons.bench_report import ReportError, Run, compare, load, render
from comparisons.bench_report._published import PUBLISHED, PublishError, check, provenance

NOW_DIR = "benchmarks/now"
PUBLISHED_DIR = "benchmarks/published"
ENV = "JOINERY_PUBLISHED_RUN"
"""Overrides the published run's path; ``none`` builds as if no run were committed."""

PUBLISH_STEPS = (
    "run `python -m benchmarks full` on a quiet machine (about 18 minutes on 2 cores), "
    "then `python -m benchmarks publish` (it checks the run's profile, commit and "
    "metadata and copies it to `benchmarks/published/full.json`) and commit that file"
)


class BenchDataError(Exception):
    """A benchmark input is missing or refused; the message names the file and the fix."""


@dataclass(frozen=True)
class BenchPage:
    """One run as a report page of the site, with its charts (file name -> SVG)."""

    folder: str
    nav_title: str
    run: Run
    source: str
    markdown: str
    charts: Mapping[str, str]

    @property
    def page(self) -> str:
        """The docs-relative path of the report page."""
        return f"{self.folder}/report.md"

    def chart_uris(self) -> list[str]:
        """The docs-relative paths of its charts."""
        return [f"{self.folder}/{name}" for name in self.charts]


@dataclass(frozen=True)
class Benchmarks:
    """The runs the site shows. ``published`` is None when no run is committed."""

    now: BenchPage
    published: BenchPage | None
    published_path: Path | None

    @property
    def quoted(self) -> BenchPage:
        """The run whose figures the site quotes: the published one, else the quick run."""
        return self.published or self.now

    def pages(self) -> list[BenchPage]:
        """Every report page, the published one first."""
        return [p for p in (self.published, self.now) if p is not None]


def published_path() -> Path | None:
    """``$JOINERY_PUBLISHED_RUN`` (``none``: no run), else the committed path."""
    override = os.environ.get(ENV)
    if override is None:
        return PUBLISHED
    return None if override.strip().lower() == "none" else Path(override).resolve()


def _page(
    run: Run, folder: str, nav_title: str, source: str, intro: list[str], tail: list[str]
) -> BenchPage:
    text, charts = render(run)
    lines = text.split("\n")
    if not lines[0].startswith("# "):
        raise BenchDataError(f"{run.path}: the report does not start with a title")
    # The report's own title names the profile only; on the site the page says which of
    # the two runs it is. The table of contents gives way to the report's wide tables.
    head = ["---", "hide:", "  - toc", "---", "", f"# {nav_title}", "", *intro, ""]
    markdown = "\n".join([*head, *lines[1:], *tail]) + "\n"
    return BenchPage(folder, nav_title, run, source, markdown, charts)


def _comparison(published: Run, now: Run) -> list[str]:
    try:
        table = compare(published, now)
    except ReportError as exc:
        return ["", "## Against the published run", "", f"Nothing to compare: {exc}."]
    body = table.split("\n", 2)[2]  # drop compare()'s own title
    return [
        "",
        "## Against the published run",
        "",
        "Every benchmark both runs have, with this run as *new* and the published run as "
        "*old*. The quick profile's sizes differ from the full profile's, so only rows of "
        "the same size are compared; a ratio far from 1 across the board says the machines "
        "differ, a single one says a row moved.",
        "",
        '??? note "The comparison, row by row"',
        "",
        *("    " + line if line else "" for line in body.split("\n")),
    ]


def load_benchmarks(build: Path, published: Path | None) -> Benchmarks:
    """Read and render the quick run of ``build`` and the published run, if any.

    Raises:
        BenchDataError: the quick run is missing or unreadable, or the published run
            (when there is one) is refused by :func:`comparisons.bench_report._published.check`.
    """
    quick = build / "bench" / "quick.json"
    if not quick.is_file():
        raise BenchDataError(
            f"{quick}: the quick benchmark run does not exist. Produce it with: "
            "python -m benchmarks quick (a step of python3 make.py main)"
        )
    try:
        now_run = load(quick)
    except ReportError as exc:
        raise BenchDataError(f"{exc}. Produce it again with: python -m benchmarks quick") from exc
    pub_run = None
    if published is not None and (published.exists() or published != PUBLISHED):
        try:
            pub_run = check(published)
        except PublishError as exc:
            raise BenchDataError(
                f"the published benchmark run is refused: {exc}\nTo publish a run: " + PUBLISH_STEPS
            ) from exc
    shown = "benchmarks/published/full.json" if published == PUBLISHED else str(published)
    pub_page = None
    if pub_run is not None:
        pub_page = _page(
            pub_run,
            PUBLISHED_DIR,
            "Published run (full profile)",
            shown,
            [
                "The run this site's benchmark figures come from: the full profile, "
                f"committed as `{shown}` with its provenance (below). "
                "[This machine, now](../now/report.md) is the main job's quick run, "
                "beside it.",
            ],
            [],
        )
    now_intro = [
        "The quick profile that the main job (`python3 make.py main`) ran before building "
        "this site, on the machine that built it. Few rounds and small sizes: its ratios "
        "scatter by tens of percent. "
        + (
            "The figures to quote are the [published run](../published/report.md)'s."
            if pub_page
            else "**No published run is committed**, so the site's figures are this run's; "
            "read them as rough."
        ),
    ]
    now_page = _page(
        now_run,
        NOW_DIR,
        "This machine, now (quick profile)",
        str(quick),
        now_intro,
        [] if pub_run is None else _comparison(pub_run, now_run),
    )
    return Benchmarks(now_page, pub_page, published if pub_run else None)


def provenance_table(bench: Benchmarks, page: str, link: Callable[[str, str], str]) -> str:
    """The two runs side by side: profile, date, commit, machine, CPU, versions."""
    now = provenance(bench.now.run)
    if bench.published is None:
        head = ["| | This machine, now |", "|---|---|"]
        rows = [f"| {label} | {_cell(value)} |" for label, value in now.rows]
        rows.append(f"| Report | [quick profile]({link(page, bench.now.page)}) |")
        return "\n".join(head + rows)
    pub = provenance(bench.published.run)
    head = ["| | Published run | This machine, now |", "|---|---|---|"]
    rows = [
        f"| {label} | {_cell(a)} | {_cell(b)} |"
        for (label, a), (_, b) in zip(pub.rows, now.rows, strict=True)
    ]
    rows.append(
        f"| Report | [full profile]({link(page, bench.published.page)}) "
        f"| [quick profile]({link(page, bench.now.page)}) |"
    )
    return "\n".join(head + rows)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "/")
