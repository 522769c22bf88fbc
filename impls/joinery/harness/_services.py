"""Instrumented fake services: the observer's eyes inside a model's children.

A :class:`FakeService` answers calls after a scripted (virtual) latency, or fails with
a scripted exception, or never answers. Every call is recorded with when it started,
how and when it ended, and, when it was cancelled, the cause the model let it see. The
service also counts calls in flight and keeps the maximum. None of this depends on the
model: a model only ever awaits ``service.call(key)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from joinery.harness._backends import LoopOps

Ending = Literal["ok", "error", "cancelled", "open"]

FOREVER = math.inf
"""Latency of a call that never answers by itself."""


@dataclass(frozen=True)
class Script:
    """What one call does.

    Attributes:
        latency: virtual seconds before it answers or fails (``FOREVER``: never).
        result: the value it answers with.
        error: raised after ``latency`` instead of answering (the very same object, so the
            observer can check identity wherever it surfaces).
    """

    latency: float = 0.0
    result: Any = None
    error: BaseException | None = None


@dataclass
class CallRecord:
    """One call, as the service saw it."""

    service: str
    key: str
    started: float
    ended: float = math.nan
    ending: Ending = "open"
    error: BaseException | None = None
    seq_start: int = 0
    seq_end: int = -1

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready view (exceptions as their repr)."""
        return {
            "service": self.service,
            "key": self.key,
            "started": self.started,
            "ended": None if math.isnan(self.ended) else self.ended,
            "ending": self.ending,
            "error": None if self.error is None else repr(self.error),
        }


@dataclass
class Journal:
    """Every service call of one experiment, in order; shared by its services."""

    ops: LoopOps
    calls: list[CallRecord] = field(default_factory=list)
    marks: list[tuple[float, int, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    _seq: int = 0

    def next_seq(self) -> int:
        """A strictly increasing event number (orders events at the same virtual time)."""
        self._seq += 1
        return self._seq

    def mark(self, label: str) -> int:
        """Record a harness event (e.g. "scenario returned"); returns its sequence number."""
        seq = self.next_seq()
        self.marks.append((self.ops.now(), seq, label))
        return seq

    def open_calls(self) -> list[CallRecord]:
        """Calls that have started and not ended."""
        return [c for c in self.calls if c.ending == "open"]

    def active_after(self, seq: int) -> list[CallRecord]:
        """Calls that started or ended after event ``seq``, or never ended."""
        return [c for c in self.calls if c.seq_start > seq or c.seq_end > seq or c.seq_end < 0]

    def by_key(self, key: str) -> list[CallRecord]:
        """Calls of ``key``, in start order."""
        return [c for c in self.calls if c.key == key]


class FakeService:
    """A service whose calls follow a script and are all recorded in a :class:`Journal`.

    Args:
        journal: where calls are recorded.
        name: the service's name in the records.
        scripts: key -> :class:`Script`; keys not listed use ``default``.
        default: the script for unlisted keys.
    """

    def __init__(
        self,
        journal: Journal,
        name: str,
        scripts: Mapping[str, Script] | None = None,
        default: Script | None = None,
    ) -> None:
        self.journal = journal
        self.name = name
        self.scripts = dict(scripts or {})
        self.default = default or Script()

    async def call(self, key: str) -> Any:
        """Serve one call by its script, recording start, end and how it ended."""
        j = self.journal
        ops = j.ops
        script = self.scripts.get(key, self.default)
        rec = CallRecord(self.name, key, started=ops.now(), seq_start=j.next_seq())
        j.calls.append(rec)
        j.in_flight += 1
        j.max_in_flight = max(j.max_in_flight, j.in_flight)
        try:
            await ops.sleep(script.latency)
            if script.error is not None:
                rec.ending, rec.error = "error", script.error
                raise script.error
            rec.ending = "ok"
            return script.result
        except ops.cancelled_class():
            rec.ending = "cancelled"
            raise
        except BaseException as exc:
            if rec.ending == "open":  # anything else that interrupted the call
                rec.ending, rec.error = "error", exc
            raise
        finally:
            j.in_flight -= 1
            rec.ended = ops.now()
            rec.seq_end = j.next_seq()
