"""Calling the user's function: insist on a coroutine, and name the mistake if not.

Shared by every verb (spawn, launch, start, service) and both backends; it imports
nothing of joinery.task, so anything may import it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Coroutine, Generator
from types import CoroutineType, FunctionType
from typing import Any


def coroutine_of(fn: Any, args: tuple[Any, ...], verb: str = "spawn") -> Coroutine[Any, Any, Any]:
    """Call ``fn(*args)`` and insist on getting a coroutine, naming the mistake if not."""
    try:
        coro = fn(*args)
    except TypeError:
        not_a_function(fn, verb)
        raise
    if type(coro) is CoroutineType:
        return coro
    return coroutine_or_error(fn, coro, verb)


def not_a_function(fn: Any, verb: str = "spawn") -> None:
    """Turn the TypeError of calling a coroutine object or a non-callable into a clear one."""
    if isinstance(fn, Coroutine):
        fn.close()
        name = getattr(fn, "__qualname__", "fn")
        raise TypeError(
            f"{verb}() takes an async function and its arguments, not a coroutine "
            f"object: write {verb}({name}, ...), not {verb}({name}(...))"
        ) from None
    if not callable(fn):
        raise TypeError(f"{verb}() needs an async function, got {fn!r}") from None


def coroutine_or_error(fn: Any, result: object, verb: str = "spawn") -> Coroutine[Any, Any, Any]:
    if isinstance(result, Coroutine):
        return result
    name = getattr(fn, "__qualname__", repr(fn))
    if isinstance(result, AsyncGenerator):
        raise TypeError(
            f"{verb}() needs an async function; {name} is an async generator function "
            "(it yields): iterate it inside an async function and spawn that"
        )
    if isinstance(result, Generator):
        result.close()
    raise TypeError(
        f"{verb}() needs an async function; {name} is a plain function "
        f"(calling it returned {type(result).__name__}, not a coroutine)"
    )


def strip_wrapper(exc: BaseException) -> BaseException:
    """Drop the wrapper's frame from a child's traceback: it starts in the user's code.

    Also breaks a cycle: the wrapper's frame holds the handle, which holds ``exc``.
    """
    tb = exc.__traceback__
    if tb is not None:
        exc.__traceback__ = tb.tb_next
    return exc


def runs_no_code(fn: object) -> bool:
    """Whether calling ``fn`` only creates a coroutine: a plain ``async def`` function.

    Such a call runs none of the user's code, so the context it is made in does not
    matter: trio's "call fn in the child's context" costs a context copy only for
    factories (a sync function or a partial returning a coroutine).
    """
    return type(fn) is FunctionType and bool(fn.__code__.co_flags & _CO_COROUTINE)


_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE
