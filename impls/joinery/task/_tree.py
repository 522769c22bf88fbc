"""Introspection: a text dump of the live tree of scopes and tasks, with spawn sites.

Used in error messages and by leak detectors: an empty dump after a run means that no
scope and no child of joinery is left alive on this event loop.
"""

from __future__ import annotations

from asyncio import events
from collections.abc import Iterable
from typing import Protocol


class Snapshots(Protocol):
    """What a dump asks of a scope (declared here: this module imports no scope)."""

    def _snapshot(self, depth: int, lines: list[str]) -> None:
        """Append this scope's live subtree to ``lines``, indented by ``depth``."""


def current_loop_key() -> object:
    """The running asyncio loop or trio run, as recorded by scopes on entry (or None)."""
    loop = events._get_running_loop()
    if loop is not None:
        return loop
    try:
        import trio

        return trio.lowlevel.current_trio_token()
    except RuntimeError:
        return None


def dump(scopes: Iterable[Snapshots]) -> str:
    """Render ``scopes`` and everything alive under them, one line per node.

    Each scope gives its own snapshot (:meth:`Scope._snapshot`): this module only knows
    the loop key and the :class:`Snapshots` interface, so it imports no scope at all.
    """
    lines: list[str] = []
    for s in scopes:
        s._snapshot(0, lines)
    return "\n".join(lines)
