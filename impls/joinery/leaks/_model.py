"""The records a leak check returns: :class:`Frame`, :class:`Leak` and :class:`LeakError`.

Records are captured at detection time (a task's stack moves on as soon as it runs
again) but formatted only when somebody reads them: source lines are looked up lazily,
so a check that finds nothing costs no formatting at all.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass, field
from types import FrameType
from typing import Literal

_THREAD_BOOTSTRAP = frozenset(
    {"threading.Thread._bootstrap", "threading.Thread._bootstrap_inner", "threading.Thread.run"}
)

Kind = Literal["asyncio", "trio", "thread"]
"""What leaked: an asyncio task (any loop, uvloop included), a trio task, or a thread."""


@dataclass(frozen=True)
class Frame:
    """One step of a stack: a Python frame, or an awaited object that has no frame.

    Attributes:
        function: ``"module.qualname"`` of the code running in the frame (empty for an
            awaited object without a frame, such as a bare future).
        filename: the source file ("" when there is no frame).
        lineno: the line the frame is at (0 when there is no frame).
        note: for a step without a frame, what is awaited, e.g.
            ``"awaiting <Future pending>"``.
    """

    function: str
    filename: str = ""
    lineno: int = 0
    note: str = ""

    @classmethod
    def of(cls, frame: FrameType) -> Frame:
        """The record of a live frame, at the line it is at now."""
        module = frame.f_globals.get("__name__", "?")
        return cls(f"{module}.{frame.f_code.co_qualname}", frame.f_code.co_filename, frame.f_lineno)

    @property
    def line(self) -> str:
        """The source line, stripped ("" when unknown). Looked up only when asked."""
        if not self.filename:
            return ""
        return linecache.getline(self.filename, self.lineno).strip()

    def format(self) -> str:
        """Two lines in the style of a traceback, or the note for a frameless step."""
        if not self.filename:
            return self.note
        text = f'File "{self.filename}", line {self.lineno}, in {self.function}'
        line = self.line
        return f"{text}\n  {line}" if line else text


@dataclass(frozen=True, eq=False)
class Leak:
    """A task or thread still alive when it should not be.

    Attributes:
        kind: ``"asyncio"``, ``"trio"`` or ``"thread"``.
        name: the task's or thread's name.
        state: one line on where it lives, e.g. ``"pending on a running uvloop.Loop"``.
        stack: the full await chain of a task (outermost coroutine first, through every
            awaited coroutine, async generator and task, down to the awaited future or
            trio trap), or a thread's call stack; most recent call last, like a traceback.
        created: where the task was created, when known (asyncio in debug mode), else
            ``None``.
        created_note: why ``created`` is unknown, or extra context (a trio task's parent).
        obj: the leaked object itself (``asyncio.Task``, ``trio.lowlevel.Task`` or
            ``threading.Thread``; a thread ident for threads outside ``threading``), so
            that a test can clean up after it.
    """

    kind: Kind
    name: str
    state: str
    stack: tuple[Frame, ...]
    created: tuple[Frame, ...] | None
    created_note: str
    obj: object = field(repr=False)

    @property
    def functions(self) -> tuple[str, ...]:
        """Qualified names of the functions on the stack, outermost first."""
        return tuple(f.function for f in self.stack if f.function)

    @property
    def top_function(self) -> str:
        """The innermost function: where the task or thread is blocked ("" if none)."""
        names = self.functions
        return names[-1] if names else ""

    @property
    def entry_function(self) -> str:
        """The outermost function: the task's coroutine function or the thread's target."""
        names = [n for n in self.functions if n not in _THREAD_BOOTSTRAP]
        return names[0] if names else ""

    def format(self) -> str:
        """A readable, multi-line description: name, state, whole stack, creation site."""
        what = {"asyncio": "asyncio task", "trio": "trio task", "thread": "thread"}[self.kind]
        lines = [f"{what} {self.name!r}: {self.state}"]
        label = "await chain" if self.kind != "thread" else "stack"
        lines.append(f"  {label} (most recent call last):")
        lines += [_indent(f.format(), 4) for f in self.stack] or ["    (no frames)"]
        if self.created:
            lines.append("  created at (most recent call last):")
            lines += [_indent(f.format(), 4) for f in self.created]
            if self.created_note:
                lines.append(f"  {self.created_note}")
        else:
            lines.append(f"  created at: unknown ({self.created_note})")
        return "\n".join(lines)


def format_report(leaks: list[Leak], *, attempts: int) -> str:
    """The report :func:`joinery.leaks.verify_none` raises with."""
    tries = "1 check" if attempts == 1 else f"{attempts} checks"
    head = f"found {len(leaks)} leaked task(s) or thread(s) after {tries}:"
    body = [f"\n[{i}] {leak.format()}" for i, leak in enumerate(leaks, 1)]
    return "\n".join([head, *body])


class LeakError(AssertionError):
    """Raised by ``verify_none()`` when tasks or threads leaked; ``.leaks`` lists them.

    An ``AssertionError`` so that pytest reports a failed test, not a crashed one.
    """

    def __init__(self, leaks: list[Leak], *, attempts: int) -> None:
        super().__init__(format_report(leaks, attempts=attempts))
        self.leaks = leaks
        self.attempts = attempts


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + line for line in text.splitlines())
