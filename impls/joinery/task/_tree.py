"""Introspection: a text dump of the live tree of scopes and tasks, with spawn sites.

Used in error messages and by leak detectors: an empty dump after a run means that no
scope and no child of joinery is left alive on this event loop.
"""

from __future__ import annotations

from asyncio import events
from collections.abc import Iterable
from typing import TYPE_CHECKING

from joinery.task._scope import OPEN

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
    """Render ``scopes`` and everything alive under them, one line per node."""
    lines: list[str] = []
    for s in scopes:
        _dump(s, 0, lines)
    return "\n".join(lines)


def _dump(s: Scope, depth: int, lines: list[str]) -> None:
    pad = "    " * depth
    tasks, launched = s._live_tasks()
    bits = [s._policy.name.lower(), f"running={s._running + len(launched)}"]
    if s._limit is not None:
        bits.append(f"limit={s._limit}")
    if s._queue:
        bits.append(f"queued={len(s._queue)}")
    if s._cancel_called:
        bits.append(f"cancelled, cause={s._cause!r}")
    name = f" {s._name!r}" if s._name else ""
    lines.append(f"{pad}scope{name} opened at {s._site} [{', '.join(bits)}]")
    placed: set[int] = set()
    body = "body" if s._state == OPEN else "body (exiting)"
    lines.append(f"{pad}  {body}")
    for n in s._nested:
        if n._owner is s._owner:
            placed.add(id(n))
            _dump(n, depth + 1, lines)
    for h in s._children:  # running, queued, or done but not yet consumed
        lines.append(f"{pad}  task {h._describe()}")
        task = tasks.get(h)
        if task is None:  # queued, or done
            continue
        for n in s._nested:
            if n._owner is task:
                placed.add(id(n))
                _dump(n, depth + 1, lines)
    for line, task in launched:
        lines.append(f"{pad}  task {line}")
        for n in s._nested:
            if n._owner is task:
                placed.add(id(n))
                _dump(n, depth + 1, lines)
    for n in s._nested:
        if id(n) not in placed:
            lines.append(f"{pad}  (entered by another task)")
            _dump(n, depth + 1, lines)
