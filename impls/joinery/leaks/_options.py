"""The ``ignore=`` vocabulary, after goleak's options.

* :func:`ignore_top_function` (goleak ``IgnoreTopFunction``): the function a leak is
  blocked in, e.g. a pool's ``Queue.get``.
* :func:`ignore_any_function` (goleak ``IgnoreAnyFunction``): a function anywhere in the
  stack.
* :func:`ignore_entry_function`: the task's coroutine function or the thread's target
  (Python names a task by what it runs, so this is the precise way to exempt one).
* :func:`ignore_name`: a task or thread name pattern (``fnmatch``).
* :func:`ignore_current` (goleak ``IgnoreCurrent``): everything alive right now.
* any callable ``leak -> bool``.
"""

from __future__ import annotations

import fnmatch
import weakref
from collections.abc import Callable, Iterable
from typing import Any, Literal

from joinery.leaks._model import Leak
from joinery.leaks._sources import SOURCES, Here

Where = Literal["top", "any", "entry"]


class Ignore:
    """Base of the ``ignore=`` options: a leak it matches is not reported."""

    def matches(self, leak: Leak) -> bool:
        """True if ``leak`` is to be ignored."""
        raise NotImplementedError

    def covers(self, obj: object) -> bool:
        """Cheap identity test before any stack is captured (snapshots only)."""
        return False


class _Function(Ignore):
    def __init__(self, function: str | Callable[..., Any], where: Where) -> None:
        self.name = _qualified(function)
        self.where = where

    def matches(self, leak: Leak) -> bool:
        if self.where == "top":
            return leak.top_function == self.name
        if self.where == "entry":
            return leak.entry_function == self.name
        return self.name in leak.functions

    def __repr__(self) -> str:
        return f"ignore_{self.where}_function({self.name!r})"


class _Name(Ignore):
    def __init__(self, pattern: str) -> None:
        if not isinstance(pattern, str) or not pattern:
            raise ValueError(f"ignore_name() takes a non-empty fnmatch pattern, got {pattern!r}")
        self.pattern = pattern

    def matches(self, leak: Leak) -> bool:
        return fnmatch.fnmatchcase(leak.name, self.pattern)

    def __repr__(self) -> str:
        return f"ignore_name({self.pattern!r})"


class _Predicate(Ignore):
    def __init__(self, fn: Callable[[Leak], bool]) -> None:
        self.fn = fn

    def matches(self, leak: Leak) -> bool:
        return bool(self.fn(leak))

    def __repr__(self) -> str:
        return f"<ignore if {self.fn!r}>"


class Snapshot(Ignore):
    """Every task and thread alive when it was taken; see :func:`ignore_current`.

    Holds weak references only: taking a snapshot keeps nothing alive.
    """

    def __init__(self) -> None:
        here = Here.now()
        self._objects: weakref.WeakSet[Any] = weakref.WeakSet()
        self._idents: set[int] = set()  # threads started outside ``threading``
        for source in SOURCES:
            for obj in source.live(here):
                if isinstance(obj, int):
                    self._idents.add(obj)
                else:
                    self._objects.add(obj)

    def covers(self, obj: object) -> bool:
        if isinstance(obj, int):
            return obj in self._idents
        return obj in self._objects

    def matches(self, leak: Leak) -> bool:
        return self.covers(leak.obj)

    def __len__(self) -> int:
        return len(self._objects) + len(self._idents)

    def __repr__(self) -> str:
        return f"<leaks.Snapshot of {len(self)} tasks and threads>"


def ignore_top_function(function: str | Callable[..., Any]) -> Ignore:
    """Ignore leaks blocked in ``function`` (the innermost frame), like goleak's option.

    Args:
        function: the function object, or its qualified name
            ``"module.qualname"``, e.g. ``"asyncio.queues.Queue.get"``.
    """
    return _Function(function, "top")


def ignore_any_function(function: str | Callable[..., Any]) -> Ignore:
    """Ignore leaks with ``function`` anywhere in their stack, like goleak's option."""
    return _Function(function, "any")


def ignore_entry_function(function: str | Callable[..., Any]) -> Ignore:
    """Ignore tasks running ``function`` as their coroutine, threads running it as target."""
    return _Function(function, "entry")


def ignore_name(pattern: str) -> Ignore:
    """Ignore tasks and threads whose name matches ``pattern`` (``fnmatch``, case-sensitive)."""
    return _Name(pattern)


def ignore_current() -> Snapshot:
    """Ignore every task and thread alive now, like goleak's ``IgnoreCurrent``.

    Take it before the code under test runs; pass it as ``ignore=[snapshot]`` after.
    Inside trio, it sees trio tasks only when taken inside the same ``trio.run``.
    """
    return Snapshot()


def normalise(ignore: Ignore | Callable[[Leak], bool] | Iterable[Any] | None) -> tuple[Ignore, ...]:
    """Check ``ignore=`` and turn it into a tuple of :class:`Ignore`.

    Raises:
        TypeError: an item is neither an ignore option nor a callable.
    """
    if ignore is None:
        return ()
    if isinstance(ignore, Ignore):
        return (ignore,)
    if isinstance(ignore, str) or not isinstance(ignore, Iterable):
        if callable(ignore) and not isinstance(ignore, str):
            return (_Predicate(ignore),)
        raise TypeError(
            "ignore= takes an ignore option (ignore_current(), ignore_top_function(...), ...), "
            f"a callable leak -> bool, or an iterable of those; got {ignore!r}"
        )
    out: list[Ignore] = []
    for item in ignore:
        if isinstance(item, Ignore):
            out.append(item)
        elif callable(item):
            out.append(_Predicate(item))
        else:
            raise TypeError(
                f"ignore= item {item!r} is not an ignore option nor a callable leak -> bool; "
                "a function name must be wrapped, e.g. ignore_top_function('mod.func')"
            )
    return tuple(out)


def _qualified(function: str | Callable[..., Any]) -> str:
    if isinstance(function, str):
        if "." not in function or function.startswith(".") or function.endswith("."):
            raise ValueError(
                f"function name {function!r} is not qualified: give 'module.qualname', "
                "e.g. 'asyncio.queues.Queue.put', or pass the function object"
            )
        return function
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not module or not qualname:
        raise TypeError(f"expected a function or a 'module.qualname' string, got {function!r}")
    return f"{module}.{qualname}"
