"""Linear handles: every spawned child's outcome is consumed exactly once.

A handle is *consumed* by awaiting it (you get the value, or the child's exception) or
by discarding it (``h.discard()``: the explicit, visible fire-and-forget). A handle
awaited twice, used after its scope exited, or still unconsumed when the scope's body
ends normally is a :class:`~joinery.task.LinearityError` naming the spawn site. This is
what Task 10 asks a ``task`` package to enforce and errgroup cannot: ``g.Go`` returns
nothing, so a forgotten result or error is silent.
"""

from __future__ import annotations

import sys
from collections.abc import Coroutine, Generator
from types import CodeType
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

from joinery.task._errors import LinearityError

if TYPE_CHECKING:
    from joinery.task._scope import Scope

T = TypeVar("T")

# Outcome of the child (``_kind``).
QUEUED, RUNNING, OK, FAILED, CANCELLED = 0, 1, 2, 3, 4
# Linear state of the handle (``_use``). A LAUNCHED handle is internal: Scope.launch
# consumes it at birth, and its child must return None (a value would be dropped).
PENDING, WAITING, DELIVERED, DISCARDED, LAUNCHED = 0, 1, 2, 3, 4
STARTING = 5  # Scope.start's child before it called started(): start() takes its end

_KIND_NAMES = ("queued", "running", "returned", "failed", "cancelled")


_OFFSETS: dict[int, int] = {}
"""One int object per instruction offset above 256 (smaller ints are shared by CPython):
thousands of parked handles spawned at one site would otherwise hold 32 bytes each."""


def site_of(code: CodeType, lasti: int) -> str:
    """``file:line`` of the instruction at byte offset ``lasti`` of ``code`` (as f_lineno)."""
    for start, end, line in code.co_lines():
        if start <= lasti < end and line is not None:
            return f"{code.co_filename}:{line}"
    return f"{code.co_filename}:{code.co_firstlineno}"


class Handle(Generic[T]):
    """The one claim on a spawned child's outcome; consume it exactly once.

    ``await handle`` returns the child's value or raises its exception (the same object
    the child raised). If the scope cancelled the child, it raises
    :class:`~joinery.task.Cancelled`, whose ``cause`` says why. ``handle.discard()``
    gives the claim up: use it only when you mean fire-and-forget; a failure of a
    discarded child is still raised by its scope, never dropped.

    Do not keep a handle past its scope: the scope joins every child before it exits,
    so a result must be taken inside it.
    """

    __slots__ = (
        "_code",
        "_coro",
        "_kind",
        "_lasti",
        "_scope",
        "_use",
        "_used_code",
        "_used_lasti",
        "_value",
        "_waiters",
    )

    def __init__(
        self, scope: Scope, coro: Coroutine[Any, Any, T], code: CodeType, lasti: int
    ) -> None:
        self._scope = scope
        self._coro = coro
        # The spawn site, as the caller frame's code and instruction offset: the line
        # number is looked up only when a message needs it (f_lineno costs a table scan
        # on every spawn).
        self._code = code
        self._lasti = lasti if lasti <= 256 else _OFFSETS.setdefault(lasti, lasti)
        self._kind = QUEUED
        self._use = PENDING
        # While the child runs (``_kind == RUNNING``): the asyncio task (trio's is found
        # through the nursery, see tree()); then the child's value or exception. One
        # slot for both keeps a handle small: thousands of them may be parked at once.
        self._value: Any = None
        self._waiters: Any = None  # backend-specific, created only if awaited early
        # Set when consumed (for the "consumed twice" message): _used_code, _used_lasti.

    @property
    def _task(self) -> Any:
        """The backend's task while the child runs (for cancelling it), else None."""
        return self._value if self._kind == RUNNING else None

    @property
    def site(self) -> str:
        """Where the child was spawned, as ``file:line``."""
        return site_of(self._code, self._lasti)

    @property
    def name(self) -> str:
        """The child's function name (its coroutine's qualified name)."""
        return getattr(self._coro, "__qualname__", type(self._coro).__name__)

    @property
    def done(self) -> bool:
        """Whether the child has finished (returned, failed or been cancelled)."""
        return self._kind > RUNNING

    def discard(self) -> None:
        """Give up the claim on this child's outcome: explicit fire-and-forget.

        The child still belongs to the scope and is joined by it; if it fails, the
        scope raises that failure when it exits. Only its return value is dropped.

        Raises:
            LinearityError: the handle was already consumed, or its scope has exited.
        """
        frame = sys._getframe(1)
        if self._use != PENDING or self._scope._exited():
            self._misuse(frame, "discarded")
        self._used_code = frame.f_code
        lasti = frame.f_lasti
        self._used_lasti = lasti if lasti <= 256 else _OFFSETS.setdefault(lasti, lasti)
        self._use = DISCARDED
        if self._kind > RUNNING:
            self._scope._release(self)

    def __await__(self) -> Generator[Any, Any, T]:
        """Wait for the child and return its value, or raise its exception."""
        frame = sys._getframe(1)
        if self._use != PENDING or self._scope._exited():
            self._misuse(frame, "awaited")
        self._used_code = frame.f_code
        lasti = frame.f_lasti
        self._used_lasti = lasti if lasti <= 256 else _OFFSETS.setdefault(lasti, lasti)
        if self._kind <= RUNNING:
            self._use = WAITING
            try:
                yield from self._scope._wait_done(self).__await__()
            except BaseException:
                # Interrupted (a timeout or cancel around the await): the claim is
                # still the caller's, so a retry gets the value instead of "consumed".
                if self._use == WAITING:
                    self._use = PENDING
                raise
        result: T = self._scope._take(self)
        return result

    def _misuse(self, frame: Any, how: str) -> NoReturn:
        here = site_of(frame.f_code, frame.f_lasti)
        if self._use != PENDING:
            # (a service's handle is consumed by its scope, which records no site)
            code = getattr(self, "_used_code", None)
            first = "by its scope" if code is None else f"at {site_of(code, self._used_lasti)}"
            raise LinearityError(
                f"handle of {self.name}() spawned at {self.site} consumed twice: "
                f"first {first}, then {how} at {here}"
            )
        raise LinearityError(
            f"handle of {self.name}() spawned at {self.site} {how} at {here}, "
            "after its scope exited: take results inside the scope"
        )

    def _describe(self) -> str:
        how = "launched" if self._use == LAUNCHED else "spawned"
        return f"{self.name}() {how} at {self.site} [{_KIND_NAMES[self._kind]}]"

    def __repr__(self) -> str:
        return f"<Handle {self._describe()}>"
