"""Generated joinery.task programs: a small dataclass tree, its Python source, its strategy.

A :class:`Program` is a root :class:`Scope` (policy, limit, timeout, body) run under an
optional outer cancellation of the backend (``asyncio.timeout``/``trio.move_on_after``).
A body spawns children (kept, discarded or launched), starts services, awaits handles,
stops services, sleeps, swallows a cancellation, cancels its scope, raises, or nests a
scope; a child sleeps, swallows, nests a scope, then returns, raises or just ends.

``repr(program)`` is Python code that rebuilds the tree; :func:`to_source` is the
joinery program itself, run by both backends (see ``_diff_runtime``) and printed for a
counterexample. Times: sleeps are whole seconds; deadlines and the outer cancellation
fall on half seconds, so that they never tie with a sleep (ties are their own switch).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

FOREVER = 100
"""A sleep that outlives every deadline: the child runs until something cancels it."""


@dataclass(frozen=True)
class Sleep:
    t: float


@dataclass(frozen=True)
class Swallow:
    """Sleep ``t`` and swallow a cancellation that arrives meanwhile."""

    t: float


@dataclass(frozen=True)
class Return:
    value: int


@dataclass(frozen=True)
class Raise:
    kind: str  # "ValueError", "KeyError" or "Halt" (a BaseException)
    msg: str


@dataclass(frozen=True)
class Nest:
    scope: Scope


@dataclass(frozen=True)
class Spawn:
    name: str
    steps: tuple[Step, ...]
    how: str = "handle"  # "handle" (awaited later), "discard" or "launch"


@dataclass(frozen=True)
class Service:
    name: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Await:
    name: str


@dataclass(frozen=True)
class Stop:
    name: str


@dataclass(frozen=True)
class Cancel:
    pass


@dataclass(frozen=True)
class Scope:
    name: str
    policy: str = "FAIL_FAST"
    limit: int | None = None
    timeout: float | None = None
    body: tuple[Stmt, ...] = ()


@dataclass(frozen=True)
class Program:
    root: Scope
    outer: float | None = None  # the backend's own cancellation after this many seconds


Step = Sleep | Swallow | Return | Raise | Nest
Stmt = Sleep | Swallow | Raise | Nest | Spawn | Service | Await | Stop | Cancel


# -- source ------------------------------------------------------------------------------


def to_source(program: Program) -> str:
    """The program as joinery code: ``async def program()`` (run by ``_diff_runtime.run``)."""
    lines = ["async def program():"]
    _scope(program.root, lines, 1)
    return "\n".join(lines) + "\n"


def _emit(lines: list[str], depth: int, text: str) -> None:
    lines.append("    " * depth + text)


def _scope(sc: Scope, lines: list[str], depth: int) -> None:
    args = [f"policy=task.{sc.policy}"] if sc.policy != "FAIL_FAST" else []
    if sc.limit is not None:
        args.append(f"limit={sc.limit}")
    if sc.timeout is not None:
        args.append(f"timeout={sc.timeout}")
    _emit(lines, depth, f"async with task.scope({', '.join(args)}) as {sc.name}:")
    _emit(lines, depth + 1, "try:")
    for stmt in sc.body:
        _stmt(sc.name, stmt, lines, depth + 2)
    _emit(lines, depth + 2, "pass")
    _emit(lines, depth + 1, "except anyio.get_cancelled_exc_class():")
    _emit(lines, depth + 2, f'log("{sc.name}", f"body cancelled cause={{cause()}}")')
    _emit(lines, depth + 2, "raise")


def _stmt(s: str, stmt: Stmt, lines: list[str], depth: int) -> None:
    match stmt:
        case Spawn(name, steps, how):
            _script(name, steps, lines, depth)
            call = "launch" if how == "launch" else "spawn"
            spawn = f'{s}.{call}(child, "{name}", {name}_)'
            if how == "handle":
                _emit(lines, depth, f"h_{name} = {spawn}")
            elif how == "discard":
                _emit(lines, depth, f"{spawn}.discard()")
            else:
                _emit(lines, depth, spawn)
        case Service(name, steps):
            _script(name, steps, lines, depth)
            _emit(lines, depth, f'v_{name} = {s}.service(child, "{name}", {name}_)')
        case Await(name):
            _emit(lines, depth, f'await take("{s}", "{name}", h_{name})')
        case Stop(name):
            _emit(lines, depth, f'await stop("{s}", "{name}", v_{name})')
        case Cancel():
            _emit(lines, depth, f"{s}.cancel()")
        case _:
            _step(s, stmt, lines, depth)


def _script(name: str, steps: tuple[Step, ...], lines: list[str], depth: int) -> None:
    _emit(lines, depth, f"async def {name}_():")
    for step in steps:
        _step(name, step, lines, depth + 1)
    _emit(lines, depth + 1, "pass")


def _step(who: str, step: Step, lines: list[str], depth: int) -> None:
    match step:
        case Sleep(t):
            _emit(lines, depth, f"await anyio.sleep({t})")
        case Swallow(t):
            _emit(lines, depth, f'await swallow("{who}", {t})')
        case Return(value):
            _emit(lines, depth, f"return {value}")
        case Raise(kind, msg):
            _emit(lines, depth, f"raise {kind}({msg!r})")
        case Nest(scope):
            _scope(scope, lines, depth)
        case _:
            raise TypeError(f"not a step: {step!r}")


RUNTIME = Path(__file__).with_name("_diff_runtime.py")


def reproducer(program: Program) -> str:
    """A standalone script: the runtime, the program, and a run on both backends."""
    from _diff_reference import expected

    want, _ = expected(program)
    return (
        RUNTIME.read_text()
        + "\n\n# -- the program -------------------------------------------------\n"
        + f"# {program!r}\n"
        + f"# the reference interpreter expects: {want}\n"
        + to_source(program)
        + textwrap.dedent(
            f"""
            if __name__ == "__main__":
                for backend in ("asyncio", "trio"):
                    print(backend, run(backend, {program.outer!r}, program))
            """
        )
    )


def compile_program(program: Program) -> Any:
    """The program's ``program`` coroutine function, with the runtime's names in scope."""
    import _diff_runtime

    namespace = dict(vars(_diff_runtime))
    exec(compile(to_source(program), f"<program {id(program)}>", "exec"), namespace)
    return namespace["program"]


# -- generation ----------------------------------------------------------------------------

POLICIES = ("FAIL_FAST", "SUPERVISE", "RACE")
SLEEPS = (0, 1, 2, 3, FOREVER)
HALF_TIMES = (0.5, 1.5, 2.5, 4.5)


@dataclass(frozen=True)
class Switches:
    """What the generator may produce. Every switch is on by default: the full language.

    Turning one off leaves out one class of program (see ``KNOWN_DIFFERENCES`` in
    test_differential.py, which names the issue item each stands for).
    """

    nested: bool = True  # scopes nested in a body or in a child
    services: bool = True
    services_in_race: bool = True  # a service in a RACE scope
    services_with_limit: bool = True  # a service in a scope with a limit
    service_swallow: bool = True  # a service that swallows a cancellation
    limits: bool = True
    queue_cancelled_from_outside: bool = True  # a limit scope under a deadline or outer cancel
    base_exceptions: bool = True  # children and bodies raising a BaseException (Halt)
    launch_value: bool = True  # a launched child returning a value (a LinearityError)
    swallow: bool = True  # a child that swallows a cancellation and goes on
    body_swallow: bool = True  # a body that does
    sleep0_after_swallow: bool = True  # ``sleep(0)`` after a swallowed cancellation
    swallow_with_outer: bool = True  # swallowing under the outer (native) cancellation
    swallow_under_deadline: bool = True  # swallowing inside a scope with a timeout
    zero_sleeps: bool = True  # ``sleep(0)``: same-instant interleavings
    timeout_zero: bool = True  # ``timeout=0``: the deadline is due at entry
    deadline_ties: bool = True  # off: deadlines and the outer cancel never fall together
    cancel_then_spawn: bool = True  # a spawn after ``s.cancel()`` in the same step
    cancel_before_first_step: bool = True  # ``s.cancel()``/raise right after a spawn

    def off(self, *names: str) -> Switches:
        return replace(self, **{n: False for n in names})


class _Names:
    def __init__(self) -> None:
        self.children = 0
        self.scopes = 0

    def child(self) -> str:
        self.children += 1
        n = self.children - 1
        return "abcdefghijklmnopqrstuvwxyz"[n % 26] + ("" if n < 26 else str(n // 26))

    def scope(self) -> str:
        self.scopes += 1
        return f"s{self.scopes - 1}"


@st.composite
def programs(draw: st.DrawFn, switches: Switches = Switches()) -> Program:
    """A random program (hypothesis shrinks towards fewer, shorter, earlier choices)."""
    sw = switches
    outers = HALF_TIMES if sw.deadline_ties else tuple(t - 0.375 for t in HALF_TIMES)
    outer = draw(st.one_of(st.none(), st.sampled_from(outers)))
    if outer is not None and not sw.swallow_with_outer:
        sw = sw.off("swallow", "body_swallow")
    if outer is not None and not sw.queue_cancelled_from_outside:
        sw = sw.off("limits")
    root = _draw_scope(draw, sw, _Names(), depth=0)
    return Program(root, outer)


def _sleep(draw: st.DrawFn, sw: Switches, after_swallow: bool = False) -> float:
    zero = sw.zero_sleeps and (sw.sleep0_after_swallow or not after_swallow)
    return draw(st.sampled_from(SLEEPS if zero else SLEEPS[1:]))


def _draw_scope(draw: st.DrawFn, sw: Switches, names: _Names, depth: int) -> Scope:
    name = names.scope()
    policy = draw(st.sampled_from(POLICIES))
    limit = draw(st.one_of(st.none(), st.integers(1, 3))) if sw.limits else None
    timeouts = HALF_TIMES if sw.deadline_ties else tuple(t - depth / 8 for t in HALF_TIMES)
    timeouts += (0,) if sw.timeout_zero else ()
    timeout = draw(st.one_of(st.none(), st.sampled_from(timeouts)))
    if limit is not None and not sw.queue_cancelled_from_outside:
        timeout = None
    if timeout is not None and not sw.swallow_under_deadline:
        sw = sw.off("swallow", "body_swallow")
    body: list[Stmt] = []
    pending: list[str] = []  # handles not consumed yet
    services: list[str] = []
    swallowed = False
    for _ in range(draw(st.integers(0, 5))):
        kinds = ["spawn", "spawn", "sleep", "cancel", "raise"]
        if pending:
            kinds.append("await")
        if (
            sw.services
            and (policy != "RACE" or sw.services_in_race)
            and (limit is None or sw.services_with_limit)
        ):
            kinds.append("service")
        if services:
            kinds.append("stop")
        if sw.swallow and sw.body_swallow:
            kinds.append("swallow")
        if sw.nested and depth < 2:
            kinds.append("nest")
        kind = draw(st.sampled_from(kinds))
        if kind == "spawn":
            how = draw(st.sampled_from(("handle", "discard", "launch")))
            child = names.child()
            steps = _draw_steps(draw, sw, names, depth, child, launched=how == "launch")
            body.append(Spawn(child, steps, how))
            if how == "handle":
                pending.append(child)
        elif kind == "service":
            child = names.child()
            body.append(Service(child, _draw_steps(draw, sw, names, depth, child, service=True)))
            services.append(child)
        elif kind == "await":
            body.append(Await(pending.pop(draw(st.integers(0, len(pending) - 1)))))
        elif kind == "stop":
            body.append(Stop(draw(st.sampled_from(services))))
        elif kind == "sleep":
            body.append(Sleep(_sleep(draw, sw, swallowed)))
        elif kind == "swallow":
            body.append(Swallow(_sleep(draw, sw, swallowed)))
            swallowed = True
        elif kind == "cancel":
            body.append(Cancel())
        elif kind == "raise":
            body.append(_draw_raise(draw, sw, name))
        else:
            body.append(Nest(_draw_scope(draw, sw, names, depth + 1)))
    for child in pending:  # mostly consume what was spawned; sometimes forget it
        if draw(st.sampled_from((True, True, True, False))):
            body.append(Await(child))
    if not sw.cancel_then_spawn:
        body = _checkpoint_after_cancel(body)
    if not sw.cancel_before_first_step:
        body = _checkpoint_before_cancel(body)
    return Scope(name, policy, limit, timeout, tuple(body))


def _checkpoint_after_cancel(body: list[Stmt]) -> list[Stmt]:
    """A ``sleep(1)`` after each ``cancel()`` that another statement follows."""
    out: list[Stmt] = []
    for i, stmt in enumerate(body):
        out.append(stmt)
        if isinstance(stmt, Cancel) and i + 1 < len(body):
            out.append(Sleep(1))
    return out


def _checkpoint_before_cancel(body: list[Stmt]) -> list[Stmt]:
    """A ``sleep(1)`` before each ``cancel()``, raise or nested scope (which may raise)
    that follows a spawn, and at the
    end of a body that spawned: every child gets its first step before the body can
    cancel the scope."""
    out: list[Stmt] = []
    spawned = False
    for stmt in body:
        if isinstance(stmt, Cancel | Raise | Nest) and spawned:
            out.append(Sleep(1))
            spawned = False
        out.append(stmt)
        spawned = spawned or isinstance(stmt, Spawn | Service)
    if spawned:
        out.append(Sleep(1))
    return out


def _draw_raise(draw: st.DrawFn, sw: Switches, msg: str) -> Raise:
    kinds = ("ValueError", "KeyError", "Halt") if sw.base_exceptions else ("ValueError", "KeyError")
    return Raise(draw(st.sampled_from(kinds)), msg)


def _draw_steps(
    draw: st.DrawFn,
    sw: Switches,
    names: _Names,
    depth: int,
    who: str,
    *,
    launched: bool = False,
    service: bool = False,
) -> tuple[Step, ...]:
    steps: list[Step] = []
    swallowed = False
    for _ in range(draw(st.integers(0, 3))):
        kinds = ["sleep", "sleep"]
        if sw.swallow and (sw.service_swallow or not service):
            kinds.append("swallow")
        if sw.nested and depth < 2 and not service:
            kinds.append("nest")
        kind = draw(st.sampled_from(kinds))
        if kind == "sleep":
            steps.append(Sleep(_sleep(draw, sw, swallowed)))
        elif kind == "swallow":
            steps.append(Swallow(_sleep(draw, sw, swallowed)))
            swallowed = True
        else:
            steps.append(Nest(_draw_scope(draw, sw, names, depth + 1)))
    ends = ["none", "raise"]
    if not launched or sw.launch_value:
        ends.append("return")
    if not launched and not service:
        ends += ["return", "return"]
    end = draw(st.sampled_from(ends))
    if end == "return":
        steps.append(Return(names.children))
    elif end == "raise":
        steps.append(_draw_raise(draw, sw, who))
    return tuple(steps)
