"""The suite: every property x every model x every backend the model runs on."""

from __future__ import annotations

import datetime as dt
import gc
import importlib.metadata
import os
import platform
import sys
import tomllib
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joinery.conformance._checks_versions  # noqa: F401 - registers the version checks
from joinery.conformance._checks import CHECKS
from joinery.conformance._results import SCHEMA, validate_results
from joinery.conformance._verdict import VERDICTS, Judgement, Verdict, sanitised
from joinery.models import TASK_SCENARIOS, Backend, Model

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Property:
    """One entry of the property catalogue."""

    id: str
    statement: str
    tasks: tuple[str, ...]
    scenarios: tuple[str, ...]
    observed_by: str


@dataclass(frozen=True)
class Expectation:
    """A declared verdict, with the one-line reason when it is not a pass."""

    verdict: Verdict
    reason: str | None


@dataclass(frozen=True)
class Cell:
    """One judged cell of the matrix."""

    model: str
    backend: Backend
    property_id: str
    judgement: Judgement
    expected: Expectation | None
    assisted: str | None = None
    """What the adapter added that the library lacks, for a pass it helped (else None)."""

    @property
    def matches(self) -> bool:
        """True when there is no expectation or the verdict equals it."""
        return self.expected is None or self.expected.verdict == self.judgement.verdict

    def as_json(self) -> dict[str, Any]:
        """The cell in the results document."""
        return {
            "model": self.model,
            "backend": self.backend,
            "property": self.property_id,
            "verdict": self.judgement.verdict,
            "expected": None if self.expected is None else self.expected.verdict,
            "reason": None if self.expected is None else self.expected.reason,
            "matches": self.matches,
            "summary": self.judgement.summary,
            "assisted": self.assisted,
            "evidence": self.judgement.evidence,
        }


def cell(model: Model, backend: Backend, property_id: str, expected: Expectation | None) -> Cell:
    """Judge one cell; a pass the model's adapter helped with says *assisted* and how."""
    judgement = judge(model, backend, property_id)
    help_ = model.info.assisted.get(property_id) if judgement.verdict == "pass" else None
    return Cell(model.name, backend, property_id, judgement, expected, help_)


def load_catalogue(path: Path = HERE / "properties.toml") -> dict[str, Property]:
    """The property catalogue, checked against the registered checks.

    Raises:
        ValueError: a property without a check, a check without a property, or a
            malformed entry; the message names it.
    """
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    props: dict[str, Property] = {}
    for pid, entry in data.items():
        missing = {"statement", "tasks", "scenarios", "observed_by"} - set(entry)
        if missing:
            raise ValueError(f"{path.name}: property {pid!r} lacks {sorted(missing)}")
        # The task -> scenario map lives in joinery.models (TASK_SCENARIOS) only: a
        # property names the scenarios it drives, which must belong to its tasks.
        bad_tasks = [t for t in entry["tasks"] if t not in TASK_SCENARIOS]
        if bad_tasks or not entry["tasks"]:
            raise ValueError(
                f"{path.name}: property {pid!r} names unknown tasks {bad_tasks}; "
                f"known: {', '.join(TASK_SCENARIOS)} (joinery.models.TASK_SCENARIOS)"
            )
        allowed = {s for t in entry["tasks"] for s in TASK_SCENARIOS[t]}
        stray = [s for s in entry["scenarios"] if s not in allowed]
        if stray:
            raise ValueError(
                f"{path.name}: property {pid!r} drives scenarios {stray}, which belong to "
                f"none of its tasks {entry['tasks']} (joinery.models.TASK_SCENARIOS)"
            )
        props[pid] = Property(
            pid,
            entry["statement"],
            tuple(entry["tasks"]),
            tuple(entry["scenarios"]),
            entry["observed_by"],
        )
    if set(props) != set(CHECKS):
        raise ValueError(
            f"{path.name} and the checks disagree: no check for "
            f"{sorted(set(props) - set(CHECKS))}, no catalogue entry for "
            f"{sorted(set(CHECKS) - set(props))}"
        )
    return props


def load_expected(
    path: Path = HERE / "expected.toml",
    python: str | None = None,
) -> dict[tuple[str, str, str], Expectation]:
    """The declared table: (model, backend, property) -> expected verdict.

    Every cell of a listed model not named in the file is expected to pass. Entries are
    ``[model.backend] property = {verdict = "fail", reason = "..."}``. Verdicts that
    differ on one Python version are declared under ``[python."X.Y".model.backend]``,
    shaped like the rest of the file, and replace the model's own entries on that version
    (``python`` defaults to the running one); ``"*"`` names every property.

    Raises:
        ValueError: an unknown verdict, or a fail/unsupported without a reason.
    """
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    _apply_python_overrides(data, python or python_version(), path.name)
    catalogue = load_catalogue()
    own: dict[str, dict[tuple[str, str], Expectation]] = {}
    for model, backends in data.items():
        own[model] = {}
        for backend, props in backends.items():
            if backend == "inherit":
                if props not in data:
                    raise ValueError(f"{path.name}: {model} inherits unknown model {props!r}")
                continue
            if "*" in props:  # every property, unless the table names it
                props = {**dict.fromkeys(catalogue, props["*"]), **props}
                del props["*"]
            for pid, entry in props.items():
                where = f"{path.name}: {model}.{backend}.{pid}"
                if pid not in catalogue:
                    raise ValueError(f"{where}: no such property in the catalogue")
                verdict, reason = entry.get("verdict"), entry.get("reason")
                if verdict not in VERDICTS:
                    raise ValueError(f"{where}: verdict must be one of {VERDICTS}, got {verdict!r}")
                if verdict != "pass" and not reason:
                    raise ValueError(f"{where}: an expected {verdict} needs a one-line reason")
                own[model][(backend, pid)] = Expectation(verdict, reason)
    table: dict[tuple[str, str, str], Expectation] = {}
    for model in data:
        chain = [model]
        while "inherit" in data[chain[-1]]:
            chain.append(data[chain[-1]]["inherit"])
        for ancestor in reversed(chain):  # the model's own entries win
            for (backend, pid), expectation in own[ancestor].items():
                table[(model, backend, pid)] = expectation
    return table


def expected_models(path: Path = HERE / "expected.toml") -> set[str]:
    """Models the declared table speaks for (all their unlisted cells expect a pass)."""
    return set(tomllib.loads(path.read_text(encoding="utf-8"))) - {"python"}


def python_version() -> str:
    """The running interpreter's ``X.Y``, the key of expected.toml's version overrides."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def _apply_python_overrides(data: dict[str, Any], python: str, name: str) -> None:
    # [python."3.13".taskgroup.asyncio] replaces, on 3.13 only, the entries of
    # [taskgroup.asyncio] it names; other versions' overrides are dropped.
    overrides = data.pop("python", {})
    for version, models in overrides.items():
        if not isinstance(models, dict) or version.count(".") != 1:
            raise ValueError(f'{name}: [python.{version}] must be [python."X.Y".model.backend]')
        if version != python:
            continue
        for model, backends in models.items():
            if model not in data:
                raise ValueError(f"{name}: [python.{version!r}.{model}]: no such model")
            for backend, props in backends.items():
                if "*" in props:  # the version's table replaces the model's whole table
                    data[model][backend] = dict(props)
                else:
                    data[model].setdefault(backend, {}).update(props)


def cells(
    models: Iterable[Model], properties: Iterable[str]
) -> Iterator[tuple[Model, Backend, str]]:
    """Every (model, backend, property) to judge, in a stable order."""
    props = list(properties)
    for model in models:
        for backend in model.info.backends:
            for pid in props:
                yield model, backend, pid


@contextmanager
def _aftermath() -> Iterator[list[str]]:
    """Collect what surfaces outside the experiments: warnings, unraisable errors.

    A coroutine a library made and dropped unawaited (say, a job queued behind a
    semaphore when its group was cancelled) warns only when the garbage collector
    finds it, after the lab has closed. It is evidence about the model, so it is
    recorded in the cell rather than left to break whatever runs the suite.
    """
    seen: list[str] = []
    previous = sys.unraisablehook

    def unraisable(u: Any) -> None:
        seen.append(f"{u.err_msg or 'Exception ignored in'}: {u.object!r}: {u.exc_value!r}")

    sys.unraisablehook = unraisable
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield seen
            gc.collect()
    finally:
        sys.unraisablehook = previous
    seen += [f"{w.category.__name__}: {w.message}" for w in caught]


def judge(model: Model, backend: Backend, property_id: str) -> Judgement:
    """Run one property's check on one model and backend.

    A scenario the model declares unsupported on ``backend``, or that raises
    :class:`~joinery.models.Unsupported` while it runs there, makes the cell
    *unsupported* with the model's reason, whatever else the check saw. The judgement's
    text is sanitised (no absolute paths, no memory addresses), so the same run gives
    the same bytes on every machine.
    """
    bound = model.on(backend)
    with _aftermath() as after:
        judgement = CHECKS[property_id](bound, backend)
    if after:
        judgement.evidence["after_the_check"] = after
    if bound.raised_unsupported:
        reasons = sorted(set(bound.raised_unsupported))
        judgement = Judgement(
            "unsupported",
            f"{model.name} cannot express it on {backend}: {'; '.join(reasons)}",
            {**judgement.evidence, "unsupported_raised": reasons},
        )
    return sanitised(judgement)


def expectation_for(
    table: dict[tuple[str, str, str], Expectation],
    declared: set[str],
    model: str,
    backend: str,
    property_id: str,
) -> Expectation | None:
    """The declared verdict for a cell; None for a model the table does not speak for."""
    if model not in declared:
        return None
    return table.get((model, backend, property_id), Expectation("pass", None))


THIRD_PARTY_PACKAGES = ("aiotools", "quattro")
"""Distributions the third-party adapters judge: their versions go in the results."""


def interpreter() -> dict[str, str]:
    """The interpreter that ran the cells: implementation and version."""
    return {
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
    }


def environment() -> dict[str, Any]:
    """Where the run happened: machine, Python, library versions (never a path)."""
    packages = {}
    for name in (
        "trio",
        "anyio",
        "sniffio",
        "uvloop",
        "pytest",
        "pytest-benchmark",
        *THIRD_PARTY_PACKAGES,
    ):
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "packages": packages,
    }


def results_document(
    models: list[Model],
    properties: dict[str, Property],
    judged: list[Cell],
    expected_from: str | None = "expected.toml",
) -> dict[str, Any]:
    """The results JSON document (``joinery.conformance/2``, ``results.schema.json``).

    Args:
        models: the judged models.
        properties: the judged properties.
        judged: the cells, in the order judged.
        expected_from: the name of the declared-verdicts file the cells were compared
            with (None: none was).

    Raises:
        joinery.conformance.ResultsError: the document would break the schema (a bug
            here, or a model card the schema refuses); nothing invalid is written.
    """
    totals: dict[str, int] = {"cells": len(judged)}
    for v in VERDICTS:
        totals[v] = sum(c.judgement.verdict == v for c in judged)
    totals["assisted"] = sum(c.assisted is not None for c in judged)
    totals["mismatches"] = sum(not c.matches for c in judged)
    doc = {
        "schema": SCHEMA,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "interpreter": interpreter(),
        "environment": environment(),
        "expected_from": expected_from,
        "models": {m.name: _model_json(m) for m in models},
        "properties": {
            p.id: {
                "statement": p.statement,
                "task": p.tasks[0],
                "tasks": list(p.tasks),
                "scenarios": list(p.scenarios),
                "observed_by": p.observed_by,
            }
            for p in properties.values()
        },
        "results": [c.as_json() for c in judged],
        "totals": totals,
    }
    validate_results(doc)
    return doc


def _model_json(model: Model) -> dict[str, Any]:
    file = getattr(model.module, "__file__", None)
    source = None
    if file:
        path = Path(file).resolve()
        root = HERE.parents[2]  # impls/joinery/conformance -> repository root
        source = path.relative_to(root).as_posix() if path.is_relative_to(root) else None
    return {
        "title": model.info.title,
        "kind": model.kind,
        "backends": list(model.info.backends),
        "summary": model.info.summary,
        "module": model.module.__name__,
        "source": source,
        "unsupported": {
            s: why if isinstance(why, str) else dict(why)
            for s, why in model.info.unsupported.items()
        },
        "assisted": dict(model.info.assisted),
    }
