"""The instrumented harness: observes a model from outside, never trusts it.

* :func:`run_lab` runs one experiment on a fresh virtual-clock loop (asyncio or trio).
* :class:`Lab` hands out :class:`FakeService` objects whose calls are recorded in a
  :class:`Journal`, and :meth:`Lab.observe` calls a scenario as its caller would,
  optionally cancelling it from outside or under a timeout.
* :class:`VirtualClockEventLoop` is the asyncio counterpart of trio's ``MockClock``.
"""

from joinery.harness._backends import Outcome, Signal
from joinery.harness._lab import DEFAULT_HANG_AFTER, Failure, Lab, LabReport, finite, run_lab
from joinery.harness._services import FOREVER, CallRecord, FakeService, Journal, Script
from joinery.harness._virtual_loop import VirtualClockEventLoop, new_virtual_loop

__all__ = [
    "DEFAULT_HANG_AFTER",
    "FOREVER",
    "CallRecord",
    "Failure",
    "FakeService",
    "Journal",
    "Lab",
    "LabReport",
    "Outcome",
    "Script",
    "Signal",
    "VirtualClockEventLoop",
    "finite",
    "new_virtual_loop",
    "run_lab",
]
