"""Verdicts and the evidence behind them."""

from __future__ import annotations

import functools
import os
import re
import site
import sys
import sysconfig
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from joinery.harness import LabReport, Outcome, finite

Verdict = Literal["pass", "fail", "unsupported"]
VERDICTS: tuple[Verdict, ...] = ("pass", "fail", "unsupported")


@dataclass
class Judgement:
    """What a check concluded about one model on one backend.

    Attributes:
        verdict: pass, fail or unsupported.
        summary: one line, what the observer saw.
        evidence: the observations, JSON-ready: one entry per case the check ran.
    """

    verdict: Verdict
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


class Case:
    """One case of a check: its observations and whether it held."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[str] = []
        self.observed: dict[str, Any] = {}

    def require(self, ok: bool, problem: str) -> None:
        """Record ``problem`` unless ``ok``."""
        if not ok:
            self.problems.append(problem)

    def note(self, **observations: Any) -> None:
        """Record observations (JSON-ready values)."""
        self.observed.update(observations)

    @property
    def held(self) -> bool:
        """True if every requirement held."""
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        """The case as evidence."""
        return {"held": self.held, "problems": self.problems, **self.observed}


def conclude(cases: list[Case], passed: str) -> Judgement:
    """Pass if every case held; otherwise fail with the first problem as the summary."""
    evidence = {c.name: c.as_json() for c in cases}
    failed = [c for c in cases if not c.held]
    if not failed:
        return Judgement("pass", passed, evidence)
    first = failed[0]
    more = sum(len(c.problems) for c in failed) - 1
    tail = f" (+{more} more)" if more > 0 else ""
    return Judgement("fail", f"{first.name}: {first.problems[0]}{tail}", evidence)


def leaves(exc: BaseException | None) -> list[BaseException]:
    """The leaf exceptions of ``exc``: itself, or every leaf of a (nested) group."""
    if exc is None:
        return []
    if isinstance(exc, BaseExceptionGroup):
        out: list[BaseException] = []
        for sub in exc.exceptions:
            out.extend(leaves(sub))
        return out
    return [exc]


def contains(exc: BaseException | None, target: BaseException) -> bool:
    """True if ``target`` (by identity) is ``exc`` or one of its group leaves."""
    return any(leaf is target for leaf in leaves(exc))


def describe(exc: BaseException | None) -> str | None:
    """A short text of an exception, groups shown with their leaves."""
    if exc is None:
        return None
    if isinstance(exc, BaseExceptionGroup):
        inner = ", ".join(d or "" for d in (describe(e) for e in exc.exceptions))
        return f"{type(exc).__name__}({exc.message!r}, [{inner}])"
    return repr(exc)


def describe_outcome(out: Outcome) -> dict[str, Any]:
    """An :class:`Outcome` as evidence."""
    return {
        "ended_at": finite(out.ended_at),
        "returned": repr(out.value) if out.returned and not out.cancelled else None,
        "raised": describe(out.error),
        "cancelled": out.cancelled,
        "hung": out.hung,
        "interrupted": out.interrupted,
        **({"notes": out.notes} if out.notes else {}),
    }


def describe_report(report: LabReport[Any]) -> dict[str, Any]:
    """What the lab saw around the experiment, as evidence."""
    out: dict[str, Any] = {"calls": [c.as_json() for c in report.journal.calls]}
    if report.error is not None:
        where = "escaped the event loop" if report.escaped_loop else "escaped the experiment"
        out["experiment_error"] = f"{describe(report.error)} ({where})"
        if not report.escaped_loop and not isinstance(report.error, KeyboardInterrupt):
            out["experiment_traceback"] = "".join(traceback.format_exception(report.error))[-2000:]
    for key, value in (
        ("leftover_tasks", report.leftovers),
        ("open_calls_at_end", [c.as_json() for c in report.open_at_end]),
        ("loop_errors", report.loop_errors),
        ("warnings", report.warnings),
        ("teardown", report.notes),
    ):
        if value:
            out[key] = value
    return out


# -- evidence that reads the same on every machine ------------------------------------
#
# A traceback says File "/home/ci/.venv/lib/python3.11/site-packages/trio/_core/_run.py";
# a loop error says <Task pending coro=<...> at 0x7f3a...>. Both differ between machines
# and runs, so every judgement is rewritten here, once, as the suite records it.

# 0x7f3a5c2e1d40, and the bare form trio and anyio print ("cancel scope 7f3a5c2e1d40").
_ADDRESS = re.compile(
    r"\b0x[0-9a-fA-F]{4,}\b|\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{9,16}\b"
)
_ABSOLUTE = re.compile(r"(?<![\w.~<>/-])(?:/|[A-Za-z]:[\\/])[\w.+-]+(?:[\\/][\w.+-]+)+")


@functools.cache
def _roots() -> list[tuple[str, str]]:
    """(absolute prefix, stand-in), longest first: the places paths on this machine start."""
    repo = Path(__file__).resolve().parents[3]  # impls/joinery/conformance -> root
    paths = sysconfig.get_paths()
    pairs = {
        paths["purelib"]: "<site-packages>",
        paths["platlib"]: "<site-packages>",
        paths["stdlib"]: "<stdlib>",
        paths["platstdlib"]: "<stdlib>",
        str(repo): ".",
        sys.prefix: "<venv>",
        sys.base_prefix: "<python>",
        tempfile.gettempdir(): "<tmp>",
        str(Path.home()): "~",
    }
    for site_dir in site.getsitepackages():
        pairs.setdefault(site_dir, "<site-packages>")
    out: list[tuple[str, str]] = []
    for prefix, stand_in in pairs.items():
        for variant in {prefix, os.path.realpath(prefix)}:
            if variant and variant != os.sep:
                out.append((variant.rstrip("/\\"), stand_in))
    return sorted(out, key=lambda p: -len(p[0]))


def _clean_text(text: str) -> str:
    for prefix, stand_in in _roots():
        text = text.replace(prefix, stand_in)
    # Whatever absolute path is left (a model file outside the repository): its name only.
    text = _ABSOLUTE.sub(lambda m: "<abs>/" + re.split(r"[\\/]", m.group(0))[-1], text)
    return _ADDRESS.sub("0x…", text)


def sanitise(value: Any) -> Any:
    """``value`` with machine-specific text replaced: absolute paths, memory addresses.

    Paths under the repository become relative (``./impls/...``), under the
    interpreter ``<stdlib>/...`` or ``<site-packages>/...``, anything else
    ``<abs>/<file name>``; ``0x7f3a...`` becomes ``0x…``. Keys and values alike.
    """
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {sanitise(k): sanitise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sanitise(v) for v in value]
    return value


def sanitised(judgement: Judgement) -> Judgement:
    """The judgement with its summary and evidence passed through :func:`sanitise`."""
    return Judgement(judgement.verdict, sanitise(judgement.summary), sanitise(judgement.evidence))
