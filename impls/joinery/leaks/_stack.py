"""Walking await chains and thread stacks into :class:`~joinery.leaks._model.Frame` lists.

A task's top frame alone says little: a task blocked in ``await ch.put(1)`` shows
``Queue.put`` at the top and the line that matters one frame below. So we follow the
whole chain: ``cr_await`` through coroutines, ``gi_yieldfrom`` through generator-based
coroutines, ``ag_await`` through async generators, and on into awaited tasks.
"""

from __future__ import annotations

import asyncio
import gc
from types import FrameType
from typing import Any

from joinery.leaks._model import Frame

_MAX_STEPS = 200
"""A chain longer than this is cut (a guard against a cycle we failed to spot)."""


def await_chain(coro: Any, leaf: Any = None) -> list[Frame]:
    """Frames of ``coro`` and everything it awaits, outermost first.

    Args:
        coro: a coroutine, generator-based coroutine or async generator.
        leaf: what the owner is blocked on when the chain itself cannot say (asyncio's
            ``Task._fut_waiter``: ``await fut`` leaves only an opaque ``FutureIter`` in
            ``cr_await``). A task found there is followed into its own chain.
    """
    out: list[Frame] = []
    seen: set[int] = set()
    _walk(coro, leaf, out, seen)
    return out


def _walk(obj: Any, leaf: Any, out: list[Frame], seen: set[int]) -> None:
    while obj is not None and len(out) < _MAX_STEPS:
        if id(obj) in seen:
            out.append(Frame("", note=f"... (cycle back to {_short(obj)})"))
            return
        seen.add(id(obj))
        if hasattr(obj, "cr_frame"):  # coroutine
            _add(out, obj.cr_frame)
            obj = obj.cr_await
        elif hasattr(obj, "ag_frame"):  # async generator
            _add(out, obj.ag_frame)
            obj = obj.ag_await
        elif hasattr(obj, "gi_frame"):  # generator (@types.coroutine, Future.__await__)
            _add(out, obj.gi_frame)
            obj = obj.gi_yieldfrom
        elif type(obj).__name__ in ("async_generator_asend", "async_generator_athrow"):
            # ``await agen.__anext__()``: the wrapper has no public link to its generator
            # (python/cpython#76991) but the garbage collector knows it, as trio's
            # Task.iter_await_frames also relies on.
            obj = next((r for r in gc.get_referents(obj) if hasattr(r, "ag_frame")), None)
        elif asyncio.isfuture(obj):
            _future(obj, out, seen)
            return
        else:
            # An opaque awaitable (asyncio's C FutureIter): what it wraps is ``leaf``.
            if leaf is None:
                referents = [r for r in gc.get_referents(obj) if asyncio.isfuture(r)]
                leaf = referents[0] if referents else None
            if leaf is None:
                out.append(Frame("", note=f"awaiting {_short(obj)}"))
                return
            obj, leaf = leaf, None
    if leaf is not None and id(leaf) not in seen:
        seen.add(id(leaf))
        _future(leaf, out, seen)


def _future(fut: Any, out: list[Frame], seen: set[int]) -> None:
    if isinstance(fut, asyncio.Task):
        out.append(Frame("", note=f"awaiting task {fut.get_name()!r}, which awaits:"))
        _walk(fut.get_coro(), getattr(fut, "_fut_waiter", None), out, seen)
        return
    children = getattr(fut, "_children", None)  # asyncio.gather's _GatheringFuture
    if children is not None:
        names = ", ".join(_short(c) for c in children)
        out.append(Frame("", note=f"awaiting gather() of {len(children)}: {names}"))
        return
    out.append(Frame("", note=f"awaiting {_short(fut)}"))


def _add(out: list[Frame], frame: FrameType | None) -> None:
    if frame is not None:  # None once a coroutine has finished
        out.append(Frame.of(frame))


def _short(obj: Any) -> str:
    if isinstance(obj, asyncio.Task):
        return f"task {obj.get_name()!r}"
    if asyncio.isfuture(obj):
        state = "cancelled" if obj.cancelled() else "done" if obj.done() else "pending"
        return f"<{type(obj).__name__} {state}>"
    return f"<{type(obj).__qualname__} object>"


def thread_stack(frame: FrameType | None) -> list[Frame]:
    """A thread's stack from its current frame, outermost first."""
    frames: list[Frame] = []
    while frame is not None:
        frames.append(Frame.of(frame))
        frame = frame.f_back
    frames.reverse()
    return frames


def shorten_paths(text: str) -> str:
    """Replace machine-specific path prefixes with stable placeholders.

    ``<site-packages>/``, ``<stdlib>/`` and ``<repo>/`` (the checkout joinery runs
    from), so that a report reads the same on every machine and in every clone.
    """
    import site
    import sysconfig
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]  # impls/joinery/leaks/_stack.py -> repo
    prefixes = [(str(p), "<site-packages>") for p in site.getsitepackages()]
    prefixes.append((sysconfig.get_paths()["stdlib"], "<stdlib>"))
    prefixes.append((str(repo), "<repo>"))
    for prefix, label in sorted(prefixes, key=lambda p: -len(p[0])):
        text = text.replace(prefix + "/", label + "/")
    return text
