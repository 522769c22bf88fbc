"""The one place Go verdicts become a results document.

The Go checks write, per run, one JSON line with each model's ``card`` and one per
(model, property): ``model``, ``property``, ``verdict``, ``summary``, ``evidence``.
This module checks them (every property of the catalogue, the same verdict and
evidence on every run) and shapes the document in the
results format ``joinery.conformance/2`` (the suite-registry's schema: ``interpreter``,
model ``kind``, ``assisted``, no keys beyond the schema's); a change of the results
schema is a change here only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from joinery.conformance._suite import Expectation, Property, expectation_for
from joinery.conformance._verdict import VERDICTS

SCHEMA = "joinery.conformance/2"
BACKEND = "go"
MAIN_VARIANT = "errgroup"
"""The errgroup build judged first (Go's own x/sync when present); others are named
``errgroup-<x/sync version>``."""

REQUIRED_CARD = ("title", "summary", "kind", "module", "source", "unsupported")


class BadOutput(Exception):
    """The Go checks' output is incomplete, malformed or differs between runs."""


def load_lines(path: Path) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The model cards and the verdict lines the Go checks wrote (one per run each).

    Raises:
        BadOutput: the file is missing, a line is not JSON or lacks a field.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BadOutput(f"{path}: the Go checks wrote no results") from exc
    cards: dict[str, dict[str, Any]] = {}
    lines = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadOutput(f"{path}:{n}: not JSON ({exc})") from exc
        if "card" in entry:
            missing = [k for k in REQUIRED_CARD if k not in entry["card"]]
            if missing:
                raise BadOutput(f"{path}:{n}: the card of {entry.get('model')!r} lacks {missing}")
            cards[entry["model"]] = entry["card"]
            continue
        for key in ("model", "property", "verdict", "summary", "evidence"):
            if key not in entry:
                raise BadOutput(f"{path}:{n}: no {key!r}")
        if entry["verdict"] not in VERDICTS:
            raise BadOutput(f"{path}:{n}: verdict {entry['verdict']!r}")
        lines.append(entry)
    return cards, lines


def collapse(
    lines: list[dict[str, Any]], catalogue: Mapping[str, Property], runs: int
) -> list[dict[str, Any]]:
    """One entry per (model, property), checking that all ``runs`` runs agree exactly.

    Raises:
        BadOutput: a property of the catalogue has no verdict, one the catalogue does
            not know has one, a cell ran a different number of times, or two runs of a
            cell differ (a verdict or evidence that depends on timing).
    """
    seen: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in lines:
        if entry["property"] not in catalogue:
            raise BadOutput(f"the Go checks judged {entry['property']!r}, not in the catalogue")
        seen.setdefault((entry["model"], entry["property"]), []).append(entry)
    models = list(dict.fromkeys(m for m, _ in seen))
    missing = {
        pid: [m for m in models if (m, pid) not in seen]
        for pid in catalogue
        if any((m, pid) not in seen for m in models)
    }
    if missing:
        raise BadOutput(_no_verdict(missing))
    out = []
    for model in models:
        for pid in catalogue:
            got = seen[(model, pid)]
            if len(got) != runs:
                raise BadOutput(f"{model} / {pid} ran {len(got)} times, not {runs}")
            distinct = {json.dumps(e, sort_keys=True) for e in got}
            if len(distinct) > 1:
                raise BadOutput(
                    f"{model} / {pid} is not deterministic: {len(distinct)} different "
                    f"results in {runs} runs"
                )
            out.append(got[0])
    return out


GO_CHECKS = "impls/go/src/joinery/conformance/checks.go"
"""Where the Go checks are listed (``Checks``): one entry per property of the catalogue."""


def _no_verdict(missing: Mapping[str, list[str]]) -> str:
    """What to do when properties of the catalogue have no Go check (a new property)."""
    which = "; ".join(f"{pid!r} (for {', '.join(models)})" for pid, models in missing.items())
    return (
        f"the Go checks gave no verdict for {which}. Every property of properties.toml "
        f"needs a Go verdict: add a check to Checks in {GO_CHECKS}: one observed through "
        "joinery/fakes where Go can express the property, else one whose Case is "
        "Unsupported with the precise reason; then declare any verdict other than pass in "
        "expected-go.toml, and add a Go program that fails the check (broken/) if no Go "
        "model does"
    )


def document(
    cards: dict[str, dict[str, Any]],
    cells: list[dict[str, Any]],
    catalogue: Mapping[str, Property],
    table: dict[tuple[str, str, str], Expectation],
    declared: set[str],
    go_version: str,
    environment: dict[str, Any],
    variants: Mapping[str, str],
) -> dict[str, Any]:
    """The results document of the Go row.

    Args:
        cards: model name -> its card as the Go code describes it.
        cells: one collapsed entry per (model, property).
        catalogue: the property catalogue.
        table: the declared verdicts (``expected-go.toml``).
        declared: the models that table speaks for.
        go_version: ``go1.27.3``: the interpreter of every cell.
        environment: x/sync and goleak versions, the determinism check.
        variants: model name -> the x/sync it was built against.
    """
    results = []
    for c in cells:
        exp = expectation_for(table, declared, c["model"], BACKEND, c["property"])
        matches = exp is None or exp.verdict == c["verdict"]
        results.append(
            {
                "model": c["model"],
                "backend": BACKEND,
                "property": c["property"],
                "verdict": c["verdict"],
                "expected": None if exp is None else exp.verdict,
                "reason": None if exp is None else exp.reason,
                "matches": matches,
                "summary": c["summary"],
                "assisted": None,
                "evidence": c["evidence"],
            }
        )
    models: dict[str, Any] = {}
    for name in dict.fromkeys(c["model"] for c in cells):
        if name not in cards:
            raise BadOutput(f"the Go checks judged {name!r} but gave no card for it")
        card = {k: cards[name][k] for k in REQUIRED_CARD}
        if name in variants:
            card["summary"] = f"{card['summary']} Built against {variants[name]}."
            if name != MAIN_VARIANT:  # the same code on another x/sync: say which
                card["title"] = f"{card['title']} on x/sync {name.rsplit('-', 1)[-1]}"
        models[name] = {**card, "backends": [BACKEND], "assisted": {}}
    totals: dict[str, int] = {"cells": len(results)}
    for v in VERDICTS:
        totals[v] = sum(r["verdict"] == v for r in results)
    totals["assisted"] = 0
    totals["mismatches"] = sum(not r["matches"] for r in results)
    return {
        "schema": SCHEMA,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "interpreter": {"implementation": "go", "version": go_version.removeprefix("go")},
        "environment": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            **environment,
        },
        "models": models,
        "properties": {
            p.id: {
                "statement": p.statement,
                "task": p.tasks[0],
                "tasks": list(p.tasks),
                "scenarios": list(p.scenarios),
                "observed_by": p.observed_by,
            }
            for p in catalogue.values()
        },
        "results": results,
        "totals": totals,
    }
