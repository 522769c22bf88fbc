"""What a shim could not map, recorded per test so the runner can tell it from a failure.

A shim raises :class:`NotMappable` where the peer suite asks for something joinery.task
does not have (``name=``, ``context=``, ``nursery.child_tasks``...). The test then fails,
but it judged nothing of joinery: the runner reads :data:`HITS` to report it as
``not_mappable`` instead of ``fail``, even when the test caught the exception itself.
"""

from __future__ import annotations

from typing import NoReturn

HITS: list[str] = []  # reasons raised during the current test; the runner clears it


class NotMappable(Exception):
    """The peer suite used a feature the shim cannot map onto joinery.task."""


def not_mappable(reason: str) -> NoReturn:
    """Record ``reason`` for the running test and raise :class:`NotMappable`."""
    HITS.append(reason)
    raise NotMappable(reason)
