"""Verdicts and the evidence behind them."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
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
