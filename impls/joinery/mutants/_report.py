"""The judgments of the survivors (``survivors.toml``) and the JSON report.

A survivor is judged once, by a person, in ``survivors.toml``, by its key (see
:class:`joinery.mutants.Mutant`), never by a line or a sequence number::

    [[survivor]]
    model = "taskgroup"
    operator = "delete"
    function = "spawn_then_wait"
    statement = "tg.create_task(work())"   # the mutated statement, as the mutant lists it
    change = "delete `tg.create_task(work())`"
    occurrence = 1                         # optional: the nth site with all of the above
    judgment = "needs property"            # or "equivalent", or "accepted"
    property = "spawn_after_close"         # needs property: the property that should catch it
    why = "nothing calls spawn_then_wait"  # one line

An edit elsewhere in a model keeps every key; an edit of the mutated statement retires
its key, and a judgment whose mutant no longer exists is reported as stale instead of
being silently applied to another mutant. A "needs property" mutant that a sharpened
suite kills keeps its judgment (the report lists it under ``caught_after_judgment``); an
"equivalent" or "accepted" one that is killed is a problem.

A model the suite cannot run on this interpreter (every cell of its original is
"unsupported", e.g. ``taskgroup_eager`` before 3.12) cannot kill or be judged: its
mutants are counted as *unsupported*, outside the score, and the report says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import subprocess
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
REPORT = Path(__file__).with_name("report.json")
"""The committed report of the last full run: what the site's mutation page shows."""
Kind = Literal["equivalent", "needs property", "accepted"]
KINDS: tuple[Kind, ...] = ("equivalent", "needs property", "accepted")
"""equivalent: no caller can tell it from the original (why). needs property: a property
should catch it (which). accepted: a real difference that no property judges, on
purpose (why); it counts as a survivor."""
Key = tuple[str, str, str, str, str, int]
_STATUSES = ("killed", "equivalent", "survived", "unsupported")
_KEY_FIELDS = ("model", "operator", "function", "statement", "change")
_FIELDS = {*_KEY_FIELDS, "occurrence", "judgment", "why", "property", "group"}


@dataclass(frozen=True)
class Judgment:
    """A person's judgment of one surviving mutant, named by the mutant's key."""

    key: Key
    judgment: Kind
    why: str
    property: str | None
    group: str | None


def key_fields(mutant: Mutant) -> dict[str, Any]:
    """The mutant's key as the fields of a ``[[survivor]]`` entry."""
    model, operator, function, statement, change, occurrence = mutant.key
    return {
        "model": model,
        "operator": operator,
        "function": function,
        "statement": statement,
        "change": change,
        "occurrence": occurrence,
    }


def load_judgments(path: Path = JUDGMENTS) -> dict[Key, Judgment]:
    """The judged survivors, by mutant key.

    Raises:
        ValueError: an entry lacks a field, has an unknown field or judgment, a "needs
            property" without the property, or judges a key twice; the message names
            the entry.
    """
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown_tables = set(data) - {"survivor"}
    if unknown_tables:
        raise ValueError(f"{path.name}: only [[survivor]] entries, not {sorted(unknown_tables)}")
    out: dict[Key, Judgment] = {}
    for n, entry in enumerate(data.get("survivor", []), 1):
        where = f"{path.name}: survivor #{n} ({entry.get('model')} {entry.get('change')!r})"
        missing = {*_KEY_FIELDS, "judgment", "why"} - set(entry)
        if missing:
            raise ValueError(f"{where} lacks {sorted(missing)}")
        extra = set(entry) - _FIELDS
        if extra:
            raise ValueError(f"{where}: unknown fields {sorted(extra)}")
        if entry["judgment"] not in KINDS:
            raise ValueError(f"{where}: judgment must be one of {KINDS}, got {entry['judgment']!r}")
        if entry["judgment"] == "needs property" and not entry.get("property"):
            raise ValueError(f"{where}: a 'needs property' judgment names the property")
        occurrence = entry.get("occurrence", 1)
        if not isinstance(occurrence, int) or occurrence < 1:
            raise ValueError(f"{where}: occurrence counts from 1, got {occurrence!r}")
        key: Key = (*(str(entry[f]) for f in _KEY_FIELDS), occurrence)  # type: ignore[assignment]
        if key in out:
            raise ValueError(f"{where} judges the same mutant as an earlier entry")
        out[key] = Judgment(
            key, entry["judgment"], entry["why"], entry.get("property"), entry.get("group")
        )
    return out


def stale_judgments(judgments: dict[Key, Judgment], models: set[str]) -> list[str]:
    """One line per judgment of ``models`` whose mutant no longer exists."""
    known = {m.key for model in models for m in generate(model)}
    return [
        f"stale judgment in {JUDGMENTS.name}, no such mutant: {' | '.join(map(str, k))}"
        for k in judgments
        if k[0] in models and k not in known
    ]


def provenance() -> dict[str, Any]:
    """Where a run happened: the commit, the files that differed from it, the interpreter."""
    root = Path(__file__).resolve().parents[3]

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=30
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    status = git("status", "--porcelain", "--", "impls", "tests")
    return {
        "commit": git("rev-parse", "HEAD"),
        "uncommitted": None if status is None else [line[3:] for line in status.splitlines()],
        "interpreter": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(terse=True),
    }


def _checks_file() -> tuple[str, str]:
    path = Path(_checks.__file__)
    parts = path.parts
    shown = "/".join(parts[parts.index("impls") :]) if "impls" in parts else path.name
    return shown, hashlib.sha256(path.read_bytes()).hexdigest()


def build_report(
    mutants: list[Mutant],
    bases: dict[str, Baseline],
    results: list[Result],
    judgments: dict[Key, Judgment],
    *,
    wall_seconds: float,
    processes: int,
) -> dict[str, Any]:
    """The report document (schema ``joinery.mutants/1``)."""
    problems: list[str] = []
    entries: list[dict[str, Any]] = []
    per_model: dict[str, Counter[str]] = {}
    per_operator: dict[str, dict[str, Counter[str]]] = {}
    # No cell of the original runs here: no mutant of it can be told apart, on any cell.
    unrun = {
        model
        for model, base in bases.items()
        if all(cell["verdict"] == "unsupported" for cell in base.values())
    }
    for mutant, result in zip(mutants, results, strict=True):
        judged = judgments.get(mutant.key)
        if result.status == "killed":
            status = "killed"
            if judged is not None and judged.judgment != "needs property":
                # An equivalent mutant the suite tells apart: the judgment, or the suite's
                # determinism, is wrong.
                problems.append(f"{mutant.id} is judged {judged.judgment!r} but was killed")
        elif mutant.model in unrun:
            status = "unsupported"
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
            **key_fields(mutant),
            "line": mutant.site.line,
            "description": mutant.description,
            "status": status,
            "how": result.how,
            "killed_by": result.cell,
            "detail": result.detail,
            "cells_run": result.cells_run,
            "evidence_differs": result.evidence_differs if status != "killed" else None,
        }
        if status not in ("killed", "unsupported") or judged is not None:
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
    problems += stale_judgments(judgments, {m.model for m in mutants})
    checks_path, checks_digest = _checks_file()
    sharpened = [e["id"] for e in entries if e["status"] == "killed" and e.get("judgment")]
    models: dict[str, Any] = {}
    for model in MUTATED_MODELS:
        if model not in per_model:
            continue
        c = per_model[model]
        total = sum(c.values())
        non_equivalent = total - c["equivalent"] - c["unsupported"]
        models[model] = {
            "source": f"impls/joinery/models/{model}.py",
            "source_sha256": source_digest(model),
            "backends": sorted({k.split()[0] for k in bases[model]}),
            "total": total,
            "killed": c["killed"],
            "equivalent": c["equivalent"],
            "unsupported": c["unsupported"],
            "survived": c["survived"],
            # None: no mutant could be judged here (all unsupported), not a perfect score.
            "score": round(c["killed"] / non_equivalent, 4)
            if non_equivalent
            else (None if c["unsupported"] else 1.0),
            "by_operator": {
                op: {
                    "total": sum(per_operator[model][op].values()),
                    **{k: per_operator[model][op][k] for k in _STATUSES},
                }
                for op in OPERATORS
                if op in per_operator[model]
            },
            "baseline": bases[model],
        }
    totals = Counter[str]()
    for m in models.values():
        for k in ("total", *_STATUSES):
            totals[k] += m[k]
    non_eq = totals["total"] - totals["equivalent"] - totals["unsupported"]
    return {
        "schema": SCHEMA,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": platform.python_version(),
        "provenance": provenance(),
        "reproduce": "python -m joinery.mutants run --out impls/joinery/mutants/report.json",
        "checks": {"file": checks_path, "sha256": checks_digest},
        "operators": OPERATORS,
        "processes": processes,
        "wall_seconds": round(wall_seconds, 1),
        "models": models,
        "totals": {
            **{k: totals[k] for k in ("total", *_STATUSES)},
            "score": round(totals["killed"] / non_eq, 4) if non_eq else 1.0,
        },
        "problems": problems,
        "caught_after_judgment": sharpened,
        "mutants": entries,
    }
