"""The exceptions of :mod:`joinery.task`, each named for the mistake or event it reports."""

from __future__ import annotations


class LinearityError(RuntimeError):
    """A handle was misused: consumed twice, used after its scope exited, or never consumed.

    The message names the spawn site (``file:line``) of every handle concerned.
    """


class ScopeClosedError(RuntimeError):
    """``spawn`` was refused: the scope is cancelled, has exited, or was never entered.

    Nothing was started, so nothing is orphaned; a coroutine object passed by mistake is
    closed so that no "never awaited" warning follows the error.

    Attributes:
        scope: the scope that refused because it was cancelled (``None`` when it had
            exited or was never entered). Such a refusal escaping a child or the body
            of that scope is treated as part of its cancellation, never reported.
    """

    def __init__(self, message: str, *, scope: object = None) -> None:
        super().__init__(message)
        self.scope = scope


class Cancelled(Exception):
    """Raised by awaiting the handle of a child that its scope cancelled.

    It is an :class:`Exception`, not the backend's cancellation, because the *awaiting*
    task is not being cancelled: it only learns that the child was.

    Attributes:
        cause: the exception object that made the scope cancel the child (a sibling's
            failure, :class:`DeadlineExceeded`, the argument of ``Scope.cancel``...), or
            ``None`` when the cancellation came from outside joinery.
        site: ``file:line`` where the child was spawned.
    """

    def __init__(self, message: str, *, cause: BaseException | None, site: str) -> None:
        super().__init__(message)
        self.cause = cause
        self.site = site


class DeadlineExceeded(TimeoutError):
    """The scope's ``timeout`` expired; this object is the cause its children can read."""


class Superseded(Exception):
    """The cause given to the losers of a race: another child succeeded first."""


class CancelRequested(Exception):
    """The cause recorded by ``Scope.cancel()`` or ``Service.stop()`` called without one."""
