"""The one place Go verdicts become a results document.

The Go checks write one JSON line per (model, property, run): ``model``, ``property``,
``verdict``, ``summary``, ``evidence``. This module checks them (every property of the
catalogue, the same verdict and evidence on every run) and shapes the document in the
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
GO_SOURCE = "impls/go/src/joinery"

CARDS: Mapping[str, Mapping[str, Any]] = {
    "errgroup": {
        "title": "Go errgroup (our solutions)",
        "summary": (
            "Our Go answers to Tasks 1-9 on golang.org/x/sync/errgroup: WithContext fan-out, "
            "a Scope wrapper, SetLimit, TryGo, context.Cause, a joinable flusher, an "
            "aggregator that joins every error. Compiled offline in GOPATH mode; judged "
            "by the suite's checks written in Go on testing/synctest's virtual clock."
        ),
        "kind": "reference",
        "module": "joinery/solutions",
        "source": f"{GO_SOURCE}/solutions",
    },
    "seed_given": {
        "title": "the seed's given programs (control)",
        "summary": (
            "The control: the seed's given Go programs, bugs included (sleep-and-hope, "
            "Wait before Go, an unstoppable flusher, a channel aggregator that keeps the "
            "first error). The suite must catch every one."
        ),
        "kind": "control",
        "module": "joinery/seedgiven",
        "source": f"{GO_SOURCE}/seedgiven",
    },
}
"""The cards of the Go models; a model built against another x/sync (``errgroup-0.1.0``)
shares the errgroup card with its own title."""

NO_PROGRAM = "the seed gives no broken program for this task, only a reference solution"
UNSUPPORTED = {
    "seed_given": {
        s: NO_PROGRAM for s in ("run_scope", "fetch_all", "run_shedded", "cause_of_cancel")
    },
}


class BadOutput(Exception):
    """The Go checks' output is incomplete, malformed or differs between runs."""


def load_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON lines the Go checks wrote (one per model, property and run)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BadOutput(f"{path}: the Go checks wrote no results") from exc
    lines = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadOutput(f"{path}:{n}: not JSON ({exc})") from exc
        for key in ("model", "property", "verdict", "summary", "evidence"):
            if key not in entry:
                raise BadOutput(f"{path}:{n}: no {key!r}")
        if entry["verdict"] not in VERDICTS:
            raise BadOutput(f"{path}:{n}: verdict {entry['verdict']!r}")
        lines.append(entry)
    return lines


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
    out = []
    for model in models:
        for pid in catalogue:
            got = seen.get((model, pid))
            if not got:
                raise BadOutput(f"the Go checks gave {model} no verdict for {pid!r}")
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


def document(
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
        base = "seed_given" if name == "seed_given" else "errgroup"
        card = dict(CARDS[base])
        if name != base:
            card["title"] = f"Go errgroup on {variants.get(name, name)}"
        if name in variants:
            card["summary"] = f"{card['summary']} Built against {variants[name]}."
        models[name] = {
            **card,
            "backends": [BACKEND],
            "unsupported": UNSUPPORTED.get(base, {}),
            "assisted": {},
        }
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
