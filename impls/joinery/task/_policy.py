"""What a scope does when a child finishes: the Joiner policies, after Java 25."""

from __future__ import annotations

import enum


class Policy(enum.Enum):
    """How a scope reacts to its children's outcomes.

    * ``FAIL_FAST`` (the default): the first failure cancels the body and the siblings;
      every failure is raised when the scope exits, whether or not a handle delivered it.
    * ``SUPERVISE``: no failure cancels anything. Each outcome is kept in its handle and
      delivered to whoever awaits it; a failure nobody received (the handle was
      discarded, or the body failed before awaiting it) is raised when the scope exits.
    * ``RACE``: the first child to *succeed* wins: the others and the body are cancelled
      (cause: :class:`~joinery.task.Superseded`) and ``Scope.result()`` gives the value.
      If none succeeds, every failure is raised when the scope exits; if one does, the
      losers' failures are kept in ``Scope.failures`` and not raised.
    """

    FAIL_FAST = "fail_fast"
    SUPERVISE = "supervise"
    RACE = "race"
