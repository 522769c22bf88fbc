"""Loading the run's artefacts, with errors that say which file is missing and why.

The site is only as honest as its inputs: a results file that is absent, stale in
shape or half-written must stop the build, because an empty table on a published page
reads as "nothing failed".
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joinery.conformance._results import SCHEMA, ResultsError, validate_results

from comparisons.sitegen._bench import (
    BenchDataError,
    Benchmarks,
    load_benchmarks,
    published_path,
)

ROOT = Path(__file__).resolve().parents[2]
"""The repository root (the directory holding ``mkdocs.yml``)."""

MAIN = "python3 make.py main"
PRODUCERS: Mapping[str, str] = {
    "conformance": (
        ".venv/bin/python -m joinery.conformance run --out <build dir>/results/conformance.json"
        f"  (the first step of {MAIN})"
    ),
    "bench": f"the quick benchmarks (python -m benchmarks quick), a step of {MAIN}",
    "leaks": f"the leak detector's report of the seed's Buggy() (comparisons/leak_report.py), "
    f"a step of {MAIN}",
}
"""What to run to produce each input, quoted in every missing-data error."""


class MissingData(Exception):
    """An input of the site is missing or malformed; the message names file and fix."""


def build_dir() -> Path:
    """Where the run's artefacts are: ``$JOINERY_BUILD_DIR``, else ``<root>/build``."""
    override = os.environ.get("JOINERY_BUILD_DIR")
    return Path(override).resolve() if override else ROOT / "build"


def _missing(what: str, path: Path, problem: str) -> MissingData:
    return MissingData(f"{path}: {problem}. Produce it with: {PRODUCERS[what]}")


@dataclass(frozen=True)
class Conformance:
    """The suite's results document (``joinery.conformance/2``), validated."""

    path: Path
    doc: Mapping[str, Any]

    @property
    def models(self) -> Mapping[str, Mapping[str, Any]]:
        """Model name -> its card (title, kind, backends, summary, source, unsupported, ...)."""
        models: Mapping[str, Mapping[str, Any]] = self.doc["models"]
        return models

    @property
    def properties(self) -> Mapping[str, Mapping[str, Any]]:
        """Property id -> statement, tasks, scenarios, observed_by."""
        props: Mapping[str, Mapping[str, Any]] = self.doc["properties"]
        return props

    @property
    def results(self) -> list[Mapping[str, Any]]:
        """Every verdict cell, in the order the suite wrote them."""
        results: list[Mapping[str, Any]] = self.doc["results"]
        return results

    def cell(self, model: str, prop: str, backend: str) -> Mapping[str, Any] | None:
        """The result for one (model, property, backend), or None if the suite has none."""
        for r in self.results:
            if r["model"] == model and r["property"] == prop and r["backend"] == backend:
                return r
        return None

    def kind(self, model: str) -> str:
        """What the registry says the model is (reference, control, third-party, mutant)."""
        kind: str = self.models[model]["kind"]
        return kind

    def is_mutant(self, model: str) -> bool:
        """True for the suite's deliberately broken self-test programs."""
        return self.kind(model) == "mutant"

    def is_control(self, model: str) -> bool:
        """True for a model meant to fail: a control or a deliberately broken program."""
        return self.kind(model) in ("control", "mutant")

    def unsupported_everywhere(self, model: str, scenario: str) -> str | None:
        """Why ``model`` cannot express ``scenario`` on any of its backends, else None.

        A scenario unsupported on some backends only has code to show; its cells say
        where it is unsupported.
        """
        card = self.models[model]
        why = card["unsupported"].get(scenario)
        if why is None or isinstance(why, str):
            return why
        if set(card["backends"]) <= set(why):
            return "; ".join(f"on {b}: {why[b]}" for b in card["backends"])
        return None

    def shown_models(self) -> list[str]:
        """Models a reader compares: reference, third-party and the seed's given programs.

        The self-test mutants are left to the matrix page's self-test table.
        """
        return [m for m in self.models if not self.is_mutant(m)]

    def columns(self, models: list[str]) -> list[tuple[str, str]]:
        """(model, backend) pairs, one per backend each model runs on, in model order."""
        return [(m, b) for m in models for b in self.models[m]["backends"]]


def load_conformance(path: Path) -> Conformance:
    """Read the suite's results JSON and validate it against the published schema.

    The site shows declared verdicts only, so on top of the schema every cell must
    carry an expected verdict (the suite writes one for every model ``expected.toml``
    speaks for).

    Raises:
        MissingData: the file is absent, not JSON, or breaks the schema (the message
            names every offending entry).
    """
    if not path.is_file():
        raise _missing("conformance", path, "the conformance results file does not exist")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _missing("conformance", path, f"cannot be read as JSON ({exc})") from exc
    try:
        validate_results(doc)
    except ResultsError as exc:
        raise _missing("conformance", path, f"is not a valid {SCHEMA} document: {exc}") from exc
    undeclared = sorted({r["model"] for r in doc["results"] if r["expected"] is None})
    if undeclared:
        raise _missing(
            "conformance",
            path,
            f"models {undeclared} have no declared verdicts (add them to expected.toml)",
        )
    return Conformance(path=path, doc=doc)


@dataclass(frozen=True)
class LeakReports:
    """Real leak reports of the seed's ``Buggy()``: one text file per backend."""

    path: Path
    reports: Mapping[str, str]


def load_leak_reports(path: Path) -> LeakReports:
    """Read every ``*.txt`` report in ``path`` (file stem -> text).

    Raises:
        MissingData: the directory is absent, holds no report, or a report is empty.
    """
    if not path.is_dir():
        raise _missing("leaks", path, "the leak report directory does not exist")
    reports = {p.stem: p.read_text(encoding="utf-8") for p in sorted(path.glob("*.txt"))}
    if not reports:
        raise _missing("leaks", path, "the leak report directory holds no *.txt report")
    for stem, text in reports.items():
        if not text.strip():
            raise _missing("leaks", path / f"{stem}.txt", "the leak report is empty")
    return LeakReports(path=path, reports=reports)


@dataclass(frozen=True)
class SiteData:
    """Everything a build reads, loaded once per build."""

    build: Path
    conformance: Conformance
    bench: Benchmarks
    leaks: LeakReports


_DEFAULT = Path()


def load_site_data(build: Path | None = None, published: Path | None = _DEFAULT) -> SiteData:
    """Load every input from ``build`` (default :func:`build_dir`).

    ``published`` is the published benchmark run (default: ``$JOINERY_PUBLISHED_RUN``,
    else the committed ``benchmarks/published/full.json`` if it exists); ``None``: none.

    Raises:
        MissingData: an input is missing or malformed.
    """
    build = build or build_dir()
    conformance = load_conformance(build / "results" / "conformance.json")
    try:
        bench = load_benchmarks(build, published_path() if published is _DEFAULT else published)
    except BenchDataError as exc:
        raise MissingData(str(exc)) from exc
    return SiteData(
        build=build,
        conformance=conformance,
        bench=bench,
        leaks=load_leak_reports(build / "reports" / "leaks"),
    )
