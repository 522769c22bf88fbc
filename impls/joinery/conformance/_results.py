"""The results document: its JSON Schema, and the one validator every reader and writer uses.

The suite validates a document before writing it, ``show`` and the site validate it
when reading it, and an outside producer (another language's suite) can validate its
own file the same way::

    python -m joinery.conformance validate results.json
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = "joinery.conformance/2"
"""The ``schema`` value of a results document this code reads and writes."""

SCHEMA_PATH = Path(__file__).with_name("results.schema.json")
"""The JSON Schema of the results document (draft 2020-12)."""


class ResultsError(ValueError):
    """A results document breaks the format; ``problems`` names every offending entry."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:10]
        more = f"\n  (+{len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__("\n  ".join(["not a valid results document:", *shown]) + more)


@cache
def results_schema() -> dict[str, Any]:
    """The JSON Schema, parsed."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".") or "(document)"


def validate_results(doc: Any) -> None:
    """Check ``doc`` against the schema, then what a schema cannot say.

    The cross-checks: every result names a model and a property of the document and a
    backend its model runs on; no cell is judged twice; ``matches`` says whether the
    verdict equals the expected one; an *assisted* cell is one whose model declares the
    assistance; the totals count the cells.

    Raises:
        ResultsError: naming every problem found (schema problems first).
    """
    if isinstance(doc, Mapping) and doc.get("schema") != SCHEMA:
        raise ResultsError([f"schema is {doc.get('schema')!r}, expected {SCHEMA!r}"])
    validator = jsonschema.Draft202012Validator(results_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ResultsError([f"{_where(e.absolute_path)}: {e.message}" for e in errors])
    problems = list(_cross_check(doc))
    if problems:
        raise ResultsError(problems)


def _cross_check(doc: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    models, props, results = doc["models"], doc["properties"], doc["results"]
    seen: set[tuple[str, str, str, str]] = set()
    counts = {"pass": 0, "fail": 0, "unsupported": 0, "assisted": 0, "mismatches": 0}
    for i, r in enumerate(results):
        where = f"results[{i}]"
        card = models.get(r["model"])
        if card is None:
            problems.append(f"{where}: names model {r['model']!r}, which models does not list")
        elif r["backend"] not in card["backends"]:
            problems.append(
                f"{where}: backend {r['backend']!r} is not one model {r['model']!r} runs on"
            )
        if r["property"] not in props:
            problems.append(f"{where}: names property {r['property']!r}, not in properties")
        interpreter = r.get("interpreter", doc["interpreter"])
        key = (r["model"], r["backend"], r["property"], json.dumps(interpreter, sort_keys=True))
        if key in seen:
            problems.append(f"{where}: a second verdict for {key[:3]}")
        seen.add(key)
        matches = r["expected"] is None or r["expected"] == r["verdict"]
        if r["matches"] != matches:
            problems.append(f"{where}: matches is {r['matches']} for {r['verdict']} vs expected")
        if r["assisted"] is not None and card is not None:
            if r["property"] not in card["assisted"]:
                problems.append(
                    f"{where}: assisted, but model {r['model']!r} declares no assistance "
                    f"for {r['property']!r}"
                )
            if r["verdict"] != "pass":
                problems.append(f"{where}: only a pass can be assisted, not a {r['verdict']}")
        counts[r["verdict"]] += 1
        counts["assisted"] += r["assisted"] is not None
        counts["mismatches"] += not r["matches"]
    totals = doc["totals"]
    expected_totals = {"cells": len(results), **counts}
    for name, value in expected_totals.items():
        if totals[name] != value:
            problems.append(f"totals.{name} is {totals[name]}, but the results count {value}")
    return problems


def read_results(path: Path) -> dict[str, Any]:
    """Read and validate the results document at ``path``.

    Raises:
        FileNotFoundError: no file at ``path``.
        ResultsError: not JSON, or not a valid document.
    """
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError([f"cannot be read as JSON ({exc})"]) from exc
    validate_results(doc)
    result: dict[str, Any] = doc
    return result
