"""Generated variants of a case: the scripted case plus a few seeded ones, smallest first.

One hand-picked script per property is easy to pass by accident: a stop() that returns
too early passes if the stop happens to land between two flushes. So each case of a check
is a *family*: the script written in ``properties.toml`` plus a few variants generated
from a fixed seed (which child fails and when, how long each takes, how many children,
the limit). The check runs them smallest first and stops at the first that fails; the
cell's evidence keeps that one, the smallest failing variant, with its parameters.

Why a seeded ``random.Random`` and not Hypothesis: a string seed makes the same
variants on every machine and Python version (``random`` hashes it with SHA-512), no
library upgrade can change them, and a few well-spread variants per case keep the whole
suite within seconds. Hypothesis's shrinking would try dozens of runs per failing cell.
Times are multiples of 0.5 s so that virtual clocks add them exactly.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from joinery.conformance._verdict import Case
from joinery.models import Unsupported

Params = dict[str, Any]
"""One variant's parameters, JSON-ready (they are written into the evidence as they are)."""

VARIANTS = 6
"""Generated variants per family, besides the scripted case."""


def halves(rng: random.Random, low: float, high: float) -> float:
    """A multiple of 0.5 in ``[low, high]`` (both multiples of 0.5)."""
    return rng.randint(round(low * 2), round(high * 2)) / 2


def size(params: Params) -> tuple[float, float]:
    """How big a variant is: (how many things, then how long they take).

    The count is the total length of the list values (children, latencies); the time is
    the sum of every number in it. Smaller runs first, so the first failure is the
    smallest one.
    """
    count = 0
    total = 0.0

    def walk(value: Any) -> None:
        nonlocal count, total
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            total += value
        elif isinstance(value, list | tuple):
            count += len(value)
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    walk(params)
    return (count, total)


def _key(params: Params) -> str:
    return json.dumps(params, sort_keys=True)


def label(params: Params) -> str:
    """A variant in one short line, for the evidence."""
    return ", ".join(f"{k}={_short(v)}" for k, v in params.items())


def _short(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return "[" + " ".join(_short(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + " ".join(f"{k}:{_short(v)}" for k, v in value.items()) + "}"
    return str(value)


@dataclass(frozen=True)
class Family:
    """A case and its variants.

    Attributes:
        name: the case's name in the evidence.
        scripted: the parameters of the case ``properties.toml`` describes.
        generate: one random variant from the seeded generator.
        count: how many variants to generate besides the scripted one.
        extra: hand-picked variants run with the generated ones (corner cases).
    """

    name: str
    scripted: Params
    generate: Callable[[random.Random], Params] | None = None
    count: int = VARIANTS
    extra: list[Params] = field(default_factory=list)

    def variants(self, property_id: str) -> list[Params]:
        """Scripted, hand-picked and generated variants, deduplicated, smallest first."""
        found: dict[str, Params] = {}
        for params in [self.scripted, *self.extra]:
            found.setdefault(_key(params), params)
        if self.generate is not None:
            rng = random.Random(f"joinery.conformance:{property_id}:{self.name}")
            wanted = len(found) + self.count
            for _ in range(self.count * 20):  # duplicates are skipped, within reason
                if len(found) >= wanted:
                    break
                params = self.generate(rng)
                found.setdefault(_key(params), params)
        return sorted(found.values(), key=lambda p: (size(p), _key(p)))


def run_family(
    cases: list[Case],
    property_id: str,
    family: Family,
    run: Callable[[Case, Params], None],
) -> None:
    """Run ``family``'s variants smallest first; append one :class:`Case` to ``cases``.

    The case appended is the first variant that failed (the smallest failing one), or,
    when all held, the scripted one, noting how many variants held. A scenario the model
    declared unsupported ends the family at once (``run`` raises :class:`Unsupported`).
    """
    ordered = family.variants(property_id)
    kept: Case | None = None
    for i, params in enumerate(ordered):
        case = Case(family.name)
        case.note(variant=params)
        try:
            run(case, params)
        except Unsupported as exc:
            case.note(unsupported=str(exc))
            cases.append(case)
            return
        if not case.held:
            held = f"the {i} smaller held" if i else "it is the smallest"
            case.note(variants=f"failed variant {i + 1} of {len(ordered)} ({held})")
            cases.append(case)
            return
        if params is family.scripted:
            kept = case
    assert kept is not None  # the scripted variant is always among them
    kept.note(
        variants=f"all {len(ordered)} variants held",
        variants_run=[label(p) for p in ordered],
    )
    cases.append(kept)
