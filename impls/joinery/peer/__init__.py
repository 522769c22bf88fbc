"""Peer test suites: CPython's TaskGroup tests and trio's nursery tests, run on joinery.task.

The suites are run from the installed packages (the interpreter's stdlib ``test``
package, the trio wheel's ``trio._core._tests``), never copied: a small shim maps
``asyncio.TaskGroup`` and ``trio.open_nursery`` onto ``task.scope()``, and every
selected test's outcome is declared in ``expected.toml`` (pass, differs by design,
not mappable, or fails with a pointer to the bug). ``python -m joinery.peer run``
judges a run against that table and writes the results document the site's
compatibility page reads.

Do not read a ``pass`` here as proof of more than the test checks: the shims map only
what has a counterpart (no names, no ``context=``, no per-task cancel, no trio
introspection), and such tests are reported as ``not_mappable``, not as passes.
"""

from __future__ import annotations

from joinery.peer._record import NotMappable
from joinery.peer._run import SCHEMA, render, run
from joinery.peer._table import TableError, load

__all__ = ["SCHEMA", "NotMappable", "TableError", "load", "render", "run"]
