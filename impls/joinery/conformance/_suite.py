"""The suite: every property x every model x every backend the model runs on."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joinery.conformance._checks_versions  # noqa: F401 - registers the version checks
from joinery.conformance._checks import CHECKS
from joinery.conformance._verdict import VERDICTS, Judgement, Verdict
from joinery.models import Backend, Model

HERE = Path(__file__).parent
SCHEMA = "joinery.conformance/1"


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
            "evidence": self.judgement.evidence,
        }


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


def judge(model: Model, backend: Backend, property_id: str) -> Judgement:
    """Run one property's check on one model and backend."""
    return CHECKS[property_id](model, backend)


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


def environment() -> dict[str, Any]:
    """Where the run happened: machine, Python, library versions."""
    packages = {}
    for name in ("trio", "anyio", "sniffio", "uvloop", "pytest", "pytest-benchmark"):
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
        "executable": sys.executable,
        "packages": packages,
    }


def results_document(
    models: list[Model], properties: dict[str, Property], judged: list[Cell]
) -> dict[str, Any]:
    """The results JSON document (schema ``joinery.conformance/1``)."""
    totals: dict[str, int] = {"cells": len(judged), "mismatches": 0}
    for v in VERDICTS:
        totals[v] = sum(c.judgement.verdict == v for c in judged)
    totals["mismatches"] = sum(not c.matches for c in judged)
    return {
        "schema": SCHEMA,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "interpreter": {  # as in schema /2, which will carry it (suite-registry)
            "implementation": platform.python_implementation(),
            "version": platform.python_version(),
        },
        "environment": environment(),
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


def _model_json(model: Model) -> dict[str, Any]:
    file = getattr(model.module, "__file__", None)
    source = None
    if file:
        path = Path(file).resolve()
        root = HERE.parents[2]  # impls/joinery/conformance -> repository root
        source = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    return {
        "title": model.info.title,
        "backends": list(model.info.backends),
        "summary": model.info.summary,
        "control": model.info.control,
        "module": model.module.__name__,
        "source": source,
        "unsupported": dict(model.info.unsupported),
    }
