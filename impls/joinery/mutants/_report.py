"""The judgments of the survivors (``survivors.toml``) and the JSON report.

A survivor is judged once, by a person, in ``survivors.toml``::

    ["mutant:taskgroup:017"]
    description = "delete in spawn_then_wait (line 94): delete `tg.create_task(work())`"
    judgment = "needs property"            # or "equivalent", or "accepted"
    property = "spawn_after_close"         # needs property: the property that should catch it
    why = "nothing calls spawn_then_wait"  # one line

``description`` must equal the mutant's: when a model's source changes, its mutants are
renumbered and every judgment that no longer fits is reported as stale instead of being
silently applied to another mutant. A "needs property" mutant that a sharpened suite
kills keeps its judgment (the report lists it under ``caught_after_judgment``); an
"equivalent" or "accepted" one that is killed is a problem.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from joinery.conformance import _checks
from joinery.mutants._generate import MUTATED_MODELS, Mutant, diff, generate, source_digest
from joinery.mutants._operators import OPERATORS
from joinery.mutants._run import Baseline, Result

SCHEMA = "joinery.mutants/1"
JUDGMENTS = Path(__file__).with_name("survivors.toml")
Kind = Literal["equivalent", "needs property", "accepted"]
KINDS: tuple[Kind, ...] = ("equivalent", "needs property", "accepted")
"""equivalent: no caller can tell it from the original (why). needs property: a property
should catch it (which). accepted: a real difference that no property judges, on
purpose (why); it counts as a survivor."""


@dataclass(frozen=True)
class Judgment:
    """A person's judgment of one surviving mutant."""

    id: str
    description: str
    judgment: Kind
    why: str
    property: str | None
    group: str | None


def load_judgments(path: Path = JUDGMENTS) -> dict[str, Judgment]:
    """The judged survivors, by mutant id.

    Raises:
        ValueError: an entry lacks a field, has an unknown judgment, or a "needs
            property" without the property; the message names the entry.
    """
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, Judgment] = {}
    for mid, entry in data.items():
        where = f"{path.name}: [{mid!r}]"
        missing = {"description", "judgment", "why"} - set(entry)
        if missing:
            raise ValueError(f"{where} lacks {sorted(missing)}")
        if entry["judgment"] not in KINDS:
            raise ValueError(f"{where}: judgment must be one of {KINDS}, got {entry['judgment']!r}")
        if entry["judgment"] == "needs property" and not entry.get("property"):
            raise ValueError(f"{where}: a 'needs property' judgment names the property")
        out[mid] = Judgment(
            mid,
            entry["description"],
            entry["judgment"],
            entry["why"],
            entry.get("property"),
            entry.get("group"),
        )
    return out


def _checks_file() -> tuple[str, str]:
    path = Path(_checks.__file__)
    parts = path.parts
    shown = "/".join(parts[parts.index("impls") :]) if "impls" in parts else path.name
    return shown, hashlib.sha256(path.read_bytes()).hexdigest()


def build_report(
    mutants: list[Mutant],
    bases: dict[str, Baseline],
    results: list[Result],
    judgments: dict[str, Judgment],
    *,
    wall_seconds: float,
    processes: int,
) -> dict[str, Any]:
    """The report document (schema ``joinery.mutants/1``)."""
    problems: list[str] = []
    entries: list[dict[str, Any]] = []
    per_model: dict[str, Counter[str]] = {}
    per_operator: dict[str, dict[str, Counter[str]]] = {}
    for mutant, result in zip(mutants, results, strict=True):
        judged = judgments.get(mutant.id)
        if judged is not None and judged.description != mutant.description:
            problems.append(
                f"{mutant.id}: stale judgment (it judged {judged.description!r}; the mutant "
                f"is now {mutant.description!r})"
            )
            judged = None
        if result.status == "killed":
            status = "killed"
            if judged is not None and judged.judgment != "needs property":
                # An equivalent mutant the suite tells apart: the judgment, or the suite's
                # determinism, is wrong.
                problems.append(f"{mutant.id} is judged {judged.judgment!r} but was killed")
        elif judged is not None and judged.judgment == "equivalent":
            status = "equivalent"
        else:
            status = "survived"
            if judged is None:
                problems.append(f"{mutant.id} survived and is not judged in {JUDGMENTS.name}")
        per_model.setdefault(mutant.model, Counter())[status] += 1
        per_operator.setdefault(mutant.model, {}).setdefault(mutant.site.operator, Counter())[
            status
        ] += 1
        entry: dict[str, Any] = {
            "id": mutant.id,
            "model": mutant.model,
            "operator": mutant.site.operator,
            "function": mutant.site.function,
            "line": mutant.site.line,
            "description": mutant.description,
            "status": status,
            "how": result.how,
            "killed_by": result.cell,
            "detail": result.detail,
            "cells_run": result.cells_run,
            "evidence_differs": result.evidence_differs if status != "killed" else None,
        }
        if status != "killed" or judged is not None:
            # A killed mutant keeps its "needs property" judgment: the sharpened property
            # that now catches it is the judgment's point, and the site shows it.
            entry["diff"] = diff(mutant)
            entry["judgment"] = (
                None
                if judged is None
                else {
                    "judgment": judged.judgment,
                    "property": judged.property,
                    "group": judged.group,
                    "why": judged.why,
                }
            )
        entries.append(entry)
    modelled = {m.model for m in mutants}
    known = {m.id for model in modelled for m in generate(model)}
    for mid in sorted(set(judgments) - known):
        if mid.split(":")[1] in modelled:
            problems.append(f"{mid}: judged in {JUDGMENTS.name}, but there is no such mutant")
    checks_path, checks_digest = _checks_file()
    sharpened = [e["id"] for e in entries if e["status"] == "killed" and e.get("judgment")]
    models: dict[str, Any] = {}
    for model in MUTATED_MODELS:
        if model not in per_model:
            continue
        c = per_model[model]
        total = sum(c.values())
        non_equivalent = total - c["equivalent"]
        models[model] = {
            "source": f"impls/joinery/models/{model}.py",
            "source_sha256": source_digest(model),
            "backends": sorted({k.split()[0] for k in bases[model]}),
            "total": total,
            "killed": c["killed"],
            "equivalent": c["equivalent"],
            "survived": c["survived"],
            "score": round(c["killed"] / non_equivalent, 4) if non_equivalent else 1.0,
            "by_operator": {
                op: {
                    "total": sum(per_operator[model][op].values()),
                    **{k: per_operator[model][op][k] for k in ("killed", "equivalent", "survived")},
                }
                for op in OPERATORS
                if op in per_operator[model]
            },
            "baseline": bases[model],
        }
    totals = Counter[str]()
    for m in models.values():
        for k in ("total", "killed", "equivalent", "survived"):
            totals[k] += m[k]
    non_eq = totals["total"] - totals["equivalent"]
    return {
        "schema": SCHEMA,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": platform.python_version(),
        "checks": {"file": checks_path, "sha256": checks_digest},
        "operators": OPERATORS,
        "processes": processes,
        "wall_seconds": round(wall_seconds, 1),
        "models": models,
        "totals": {
            **{k: totals[k] for k in ("total", "killed", "equivalent", "survived")},
            "score": round(totals["killed"] / non_eq, 4) if non_eq else 1.0,
        },
        "problems": problems,
        "caught_after_judgment": sharpened,
        "mutants": entries,
    }
