"""Run CPython's ``test.test_asyncio.test_taskgroups`` with ``TaskGroup`` mapped onto a scope.

Run in a subprocess by :mod:`joinery.peer._run` (``python -m joinery.peer._cpython OUT``):
the stdlib test module is imported from the running interpreter, its ``taskgroups``
global is replaced by :class:`~joinery.peer._shim_asyncio.TaskGroupsModule`, and every
test is run with unittest on a virtual clock: the tests sleep on real timers (0.1 s
here, 0.15 s there, ordered by the difference), which on a loaded machine reorders
them; the event loop policy hands IsolatedAsyncioTestCase a
:class:`~joinery.harness.VirtualClockEventLoop` instead, where time jumps to the next
timer when the loop is idle: the same order every run, and no waiting. Each test's
outcome (pass, fail, not_mappable, skip) and a one-line detail are written to ``OUT``
as JSON.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import unittest
import warnings
from types import TracebackType
from typing import Any

from joinery.harness import VirtualClockEventLoop
from joinery.peer import _record
from joinery.peer._shim_asyncio import TaskGroupsModule

MODULE = "test.test_asyncio.test_taskgroups"

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


def _short(exc: BaseException | None) -> str:
    return repr(exc)[:400]


class _Result(unittest.TestResult):
    """Collects one outcome per test, telling a shim's refusal from a failure."""

    def __init__(self) -> None:
        super().__init__()
        self.outcomes: dict[str, dict[str, str]] = {}

    def _id(self, test: unittest.TestCase) -> str:
        return test.id().removeprefix(MODULE + ".")

    def _put(self, test: unittest.TestCase, observed: str, detail: str = "") -> None:
        if _record.HITS:
            observed, detail = "not_mappable", _record.HITS[0]
        self.outcomes.setdefault(self._id(test), {"observed": observed, "detail": detail})

    def startTest(self, test: unittest.TestCase) -> None:
        _record.HITS.clear()
        super().startTest(test)

    def addSuccess(self, test: unittest.TestCase) -> None:
        self._put(test, "pass")

    def addFailure(self, test: unittest.TestCase, err: _ExcInfo) -> None:
        self._put(test, "fail", _short(err[1]))

    def addError(self, test: unittest.TestCase, err: _ExcInfo) -> None:
        self._put(test, "fail", _short(err[1]))

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        self._put(test, "skip", reason)

    def addExpectedFailure(self, test: unittest.TestCase, err: _ExcInfo) -> None:
        self._put(test, "fail", "expected failure in the suite: " + _short(err[1]))

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        self._put(test, "pass", "unexpected success in the suite")


class _VirtualClockPolicy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return VirtualClockEventLoop()


def run() -> dict[str, Any]:
    """Import the stdlib module, map its TaskGroup onto joinery.task, and run every test."""
    asyncio.set_event_loop_policy(_VirtualClockPolicy())
    module = importlib.import_module(MODULE)
    module.taskgroups = TaskGroupsModule()  # type: ignore[attr-defined]
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    result = _Result()
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        suite.run(result)
    teardown = getattr(module, "tearDownModule", None)
    if teardown is not None:
        teardown()
    return {
        "module": MODULE,
        "file": module.__file__,
        "clock": "virtual (joinery.harness.VirtualClockEventLoop)",
        "tests": result.outcomes,
    }


if __name__ == "__main__":
    out = run()
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
