"""Run trio's shipped nursery tests with ``open_nursery`` mapped onto a joinery.task scope.

Run in a subprocess by :mod:`joinery.peer._run` (``python -m joinery.peer._trio OUT``).
pytest collects :data:`MODULES` from the installed trio (``--pyargs``, trio's own test
plugin for its fixtures), keeps the tests whose source opens a nursery (the
selection rule, so a new trio release selects its new nursery tests by itself),
replaces each module's ``_core``/``trio`` global by an :class:`Overlay` whose
``open_nursery`` is the shim, and writes each test's outcome to ``OUT`` as JSON.
"""

from __future__ import annotations

import inspect
import json
import os
import signal
import sys
import tempfile
from typing import Any

import pytest
import trio

from joinery.peer import _record
from joinery.peer._shim_trio import Overlay

MODULES = (
    "trio._core._tests.test_run",
    "trio._core._tests.test_ki",
    "trio._core._tests.test_cancelled",
)


class Collector:
    """pytest plugin: select, patch, and record one outcome per selected test."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.outcomes: dict[str, dict[str, str]] = {}
        self.selected = 0
        self.collected = 0

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        keep, drop = [], []
        for item in items:
            fn = getattr(item, "function", None)
            if fn is not None and "open_nursery" in inspect.getsource(fn):
                keep.append(item)
                module = item.module  # type: ignore[attr-defined]
                self.ids[item.nodeid] = f"{module.__name__.rsplit('.', 1)[1]}::{item.name}"
                _patch(module)
            else:
                drop.append(item)
        self.collected, self.selected = len(items), len(keep)
        config.hook.pytest_deselected(items=drop)
        items[:] = keep

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        _record.HITS.clear()
        # trio reverses each batch of runnable tasks at random; where a test's outcome
        # hangs on which of two same-instant tasks runs first (unspecified, semantics
        # section 1.2) a fixed seed makes the declared outcome the same on every run.
        trio._core._run._r.seed(0)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        tid = self.ids.get(report.nodeid)
        if tid is None:
            return
        entry = self.outcomes.setdefault(tid, {"observed": "pass", "detail": ""})
        if report.skipped and entry["observed"] == "pass":
            entry["observed"], entry["detail"] = "skip", _message(report)
        elif report.failed and entry["observed"] in ("pass", "skip"):
            entry["observed"], entry["detail"] = "fail", _message(report)
        if report.when == "teardown" and _record.HITS:
            entry["observed"], entry["detail"] = "not_mappable", _record.HITS[0]


def _message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)[:400]
    if isinstance(report.longrepr, tuple):  # a skip: (file, line, reason)
        return str(report.longrepr[2])[:400]
    return str(report.longrepr)[-400:]


def _patch(module: Any) -> None:
    for name in ("_core", "trio"):
        value = getattr(module, name, None)
        if value is trio._core or value is trio:
            setattr(module, name, Overlay(value))


def run() -> dict[str, Any]:
    """Run the selected tests under the shim; return their outcomes."""
    # trio's KI tests raise SIGINT in their own process. A shell starts background jobs
    # (`cmd &`, nohup, a CI step) with SIGINT ignored, Python then keeps it ignored, and
    # test_reason_delayed_ki waited for a KeyboardInterrupt that never came. Restore
    # Python's own handler, as an interactive start would have it.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    collector = Collector()
    with tempfile.TemporaryDirectory() as tmp:
        ini = os.path.join(tmp, "pytest.ini")
        with open(ini, "w", encoding="utf-8") as f:
            f.write("[pytest]\n")
        args = [
            "-c", ini, "--rootdir", tmp, "-q", "-p", "no:cacheprovider",
            "-p", "no:joinery_leaks", "-p", "trio._tests.pytest_plugin",
            "-o", "timeout=30", "--pyargs", *MODULES,
        ]  # fmt: skip
        code = pytest.main(args, plugins=[collector])
    return {
        "modules": list(MODULES),
        "pytest_exit": int(code),
        "collected": collector.collected,
        "selected": collector.selected,
        "tests": collector.outcomes,
    }


if __name__ == "__main__":
    out = run()
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
