"""Introspection: a text dump of the live tree of scopes and tasks, with spawn sites.

Used in error messages and by leak detectors: an empty dump after a run means that no
scope and no child of joinery is left alive on this event loop.
"""

from __future__ import annotations

from asyncio import events
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from joinery.task._scope import Scope


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


def dump(scopes: Iterable[Scope]) -> str:
    """Render ``scopes`` and everything alive under them, one line per node.

    Each scope gives its own snapshot (:meth:`Scope._snapshot`): this module only knows
    the loop key, so it imports nothing of the scope at run time.
    """
    lines: list[str] = []
    for s in scopes:
        s._snapshot(0, lines)
    return "\n".join(lines)
