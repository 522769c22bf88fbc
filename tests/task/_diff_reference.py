"""A reference interpreter of joinery.task's documented semantics: no asyncio, no trio.

It runs a generated ``_diff_programs.Program`` on a tiny event-driven
scheduler of Python generators and returns what the real run must observe (the same
dict as ``_diff_runtime.observe``). It is meant to be read: each rule below is one sentence
of the semantics (notes/task-semantics.md, joinery.task's docstrings, issue 10 §1, §15).

The scheduler, trio's model:
* Tasks run in *batches*: every task made runnable while a batch runs, runs in the next
  one. When no task is runnable, virtual time jumps to the next timer.
* Cancellation is level-triggered: a task at a checkpoint (a sleep, waiting for a
  handle or for a scope's children) while any scope around it is cancelled gets a
  cancellation, again at every checkpoint until it leaves the cancelled scopes. A task
  woken in the same batch as its scope is cancelled, before it ran, is cancelled
  instead (semantics §1.2; for a handle's waiter that case is left unspecified).
* Two tasks in one batch run in an unspecified order: a program whose outcome depends
  on it has no expected outcome (the interpreter tries several orders).
* A checkpoint always yields (even ``sleep(0)``); awaiting a finished handle does not,
  nor does entering a scope. Leaving a scope is a checkpoint for the enclosing scopes'
  cancellations (it yields once, even with no child left).

The semantics:
* A child cancelled before its first step never runs (no "start", no effect). An
  enclosing cancellation counts once it reached the scope: a task inside it got it.
* FAIL_FAST: a child's failure cancels the scope (cause: that failure); every failure
  is raised at exit. SUPERVISE: nothing cancels; a failure no handle delivered is
  raised at exit. RACE: the first child to succeed (never a service) cancels the rest
  (cause: Superseded); with a winner no failure is raised, without one as SUPERVISE.
* Any child BaseException cancels the scope under every policy.
* A body error cancels the scope (cause: the error) and is raised at exit.
* ``s.cancel()``: cause CancelRequested; the scope then exits quietly.
* ``timeout``: at the deadline the scope is cancelled (cause DeadlineExceeded), unless it
  or an enclosing scope was already cancelled (the first cancel wins; in the same
  instant the enclosing one). The clock is read at every checkpoint, spawn and
  ``cause()``, not only when the timer runs. DeadlineExceeded is raised only if that
  cancelled something: the body or a child ended by the cancellation (one that
  swallowed it does not count, as with ``asyncio.timeout``), a queued child was
  dropped, a spawn was refused.
* Spawning into a cancelled scope raises ScopeClosedError; escaping the body, it counts
  as the scope's own cancellation, not as an error. A spawn also finds the scope
  cancelled when an enclosing joinery scope is (inherited, whether it reached it or not).
* ``limit``: at most N children run (services take no slot); the rest wait first come
  first served, and never start once the scope is cancelled.
* A cancellation from outside the scope (an enclosing scope's) cancels the scope with
  no cause of its own (children read the enclosing cause) and propagates after the join
  unless the scope has errors to raise. It propagates even if the body or every child
  swallowed it, once it reached the scope (a task inside got it).
* At exit: errors in order (child failures per policy, the body's error, the deadline's
  DeadlineExceeded, a LinearityError if the body ended normally with a handle never
  consumed and not cancelled) make an ExceptionGroup, a BaseExceptionGroup if any is
  not an Exception; nothing is raised bare (services' private scopes excepted: a lone
  body error of the service is its outcome).
* An awaited handle gives the value, the child's exception, or Cancelled(cause).
* Services: started at once, run ``fn`` as the body of a private scope; ``stop()`` (or
  the owner's body ending) cancels that scope with CancelRequested and waits for the
  service; ``stop()`` raises the service's failure.
* A launched child that returns a value fails with a LinearityError.
"""

from __future__ import annotations

import contextlib
import heapq
import random
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import _diff_programs as P
from _diff_runtime import USER_ERRORS, WATCHDOG, norm
from joinery.task import (
    Cancelled,
    CancelRequested,
    DeadlineExceeded,
    LinearityError,
    ScopeClosedError,
    Superseded,
)

Gen = Generator[Any, Any, Any]


class Cancel(BaseException):
    """The backend's cancellation, in the model."""


QUEUED, RUNNING, OK, FAILED, CANCELLED = "queued", "running", "ok", "failed", "cancelled"
PENDING, DELIVERED, DISCARDED, LAUNCHED = "pending", "delivered", "discarded", "launched"


class Outer:
    """The backend's own cancel scope around the program (not a joinery scope)."""

    joinery = False

    def __init__(self) -> None:
        self.cancelled = False


class RScope:
    joinery = True

    def __init__(self, spec: P.Scope | None, parent: RScope | None, bare: bool = False) -> None:
        self.name = spec.name if spec else "service"
        self.policy = spec.policy if spec else "FAIL_FAST"
        self.limit = spec.limit if spec else None
        self.timeout = spec.timeout if spec else None
        self.parent = parent  # the enclosing joinery scope (for cause())
        self.bare = bare
        self.open = True
        self.exited = False
        self.cancelled = False
        self.cause: BaseException | None = None
        self.deadline: float | None = None
        self.reached = False  # an enclosing cancellation reached it (a task inside got it)
        self.deadline_fired = False
        self.deadline_cancelled_something = False
        self.children: list[Handle] = []
        self.queue: deque[Handle] = deque()
        self.running = 0
        self.workers = 0  # running children that take a limit slot (services take none)
        self.failed: list[Handle] = []
        self.winner: Handle | None = None
        self.services: list[RService] = []
        self.exit_waiter: Task | None = None
        self.stack: list[Any] = []  # the scopes around the body, this one last


class Handle:
    def __init__(self, scope: RScope, name: str, steps: tuple[P.Step, ...], use: str) -> None:
        self.scope = scope
        self.name = name
        self.steps = steps
        self.use = use
        self.kind = QUEUED
        self.value: Any = None
        self.waiters: list[Task] = []
        self.service: RService | None = None


class RService:
    def __init__(self, h: Handle) -> None:
        self.handle = h
        self.inner: RScope | None = None
        self.stopping = False


class Task:
    def __init__(self, gen: Gen, stack: list[Any]) -> None:
        self.gen = gen
        self.stack = stack  # the scopes around the code now running, innermost last
        self.blocked: str | None = None  # what it waits for, while it waits
        self.shielded = False  # a scope's exit, once an outside cancellation was taken
        self.done = False
        self.recheck = False  # woken from a checkpoint: cancellation is checked once more
        self.waited_handle = False
        self.first_step: Callable[[], bool] | None = None  # False: never run
        # The program's own task swallowed the outside cancellation (asyncio.timeout /
        # trio.move_on_after) while no joinery scope around it was cancelled: see
        # semantics §13, what follows until the scope's exit differs by backend.
        self.foreign_swallowed = False
        self.spawn_after_foreign = False  # it swallowed one: its spawns are left open
        self.swallowed_in: list[Any] = []  # the scopes around it when it swallowed one

    def current(self) -> RScope | None:
        """The innermost joinery scope around the running code (joinery's CURRENT)."""
        return next((s for s in reversed(self.stack) if s.joinery), None)


class Reference:
    def __init__(self, program: P.Program, order: Callable[[list[Task]], list[Task]]) -> None:
        self.program = program
        self.order = order
        self.now = 0.0
        self.timers: list[tuple[float, int, Callable[[], None]]] = []
        self.seq = 0
        self.runq: list[tuple[Task, Any, BaseException | None]] = []
        self.log: list[tuple[float, str, str]] = []
        self.outer = Outer()
        self.tasks: list[Task] = []
        self.undefined = False  # the outcome rests on a tie the semantics leave open
        # For the ``same_instant_cancel`` switch: who ran a plain step at which instant,
        # and which scope was cancelled when by whom.
        self.running_task: Task | None = None
        self.plain_steps: list[tuple[float, Task, tuple[Any, ...]]] = []
        self.cancels: list[tuple[float, RScope, Task | None]] = []

    # -- scheduler -------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        main = self.new_task(lambda t: self.main(t, result), [self.outer], lambda: True)
        if self.program.outer is not None:
            self.at(self.program.outer, self.cancel_outer)
        while not main.done:
            if not self.runq:
                if not self.timers or self.timers[0][0] >= WATCHDOG:
                    return {"outcome": "hung", "time": WATCHDOG, "log": sorted(self.log)}
                when = self.timers[0][0]
                self.now = when
                # Timers of one instant fire in the order they were set: an enclosing
                # scope's deadline (or the outer cancel) before a nested one's, so the
                # enclosing cancel wins a tie.
                self.running_task = None
                while self.timers and self.timers[0][0] == when:
                    heapq.heappop(self.timers)[2]()
                continue
            batch, self.runq = self.runq, []
            by_task = {id(t): (t, v, e) for t, v, e in batch}
            for t in self.order([t for t, _, _ in batch]):
                self.step(*by_task[id(t)])
        result["time"] = self.now
        result["log"] = sorted(self.log)
        return result

    def at(self, when: float, fn: Callable[[], None]) -> None:
        self.seq += 1
        heapq.heappush(self.timers, (when, self.seq, fn))

    def schedule(
        self, t: Task, value: Any = None, exc: BaseException | None = None, recheck: bool = False
    ) -> None:
        t.blocked = None
        t.recheck = recheck
        self.runq.append((t, value, exc))

    def step(self, t: Task, value: Any, exc: BaseException | None) -> None:
        if t.first_step is not None:
            go, t.first_step = t.first_step(), None
            if not go:
                t.gen.close()
                t.done = True
                return
        if t.recheck and exc is None and self.cancelled_around(t):
            if t.waited_handle:
                self.undefined = True  # a trio Event wake-up beats the cancel (§1.2)
            # A task woken (its sleep ended, the handle it awaits is done) in the batch
            # its scope was cancelled in is cancelled all the same: the cancellation
            # is checked again as the task resumes.
            exc = Cancel()
        t.recheck = False
        t.waited_handle = False
        self.running_task = t
        if isinstance(exc, Cancel):
            self.reached(t)
        if exc is None:
            self.plain_steps.append((self.now, t, tuple(t.stack)))
        try:
            request = t.gen.throw(exc) if exc is not None else t.gen.send(value)
        except StopIteration:
            t.done = True
            return
        kind, arg = request
        if t.foreign_swallowed and (kind == "sleep" or isinstance(arg, Handle)):
            self.undefined = True  # a checkpoint after a swallowed outside cancel (§13)
        if kind == "sleep":
            self.checkpoint(t, "sleep")
            if t.blocked is not None and arg == 0:
                self.schedule(t, recheck=True)  # sleep(0): a checkpoint that yields one batch
            elif t.blocked is not None:
                token = object()
                t.blocked = token  # type: ignore[assignment]
                self.at(
                    self.now + arg, lambda: t.blocked is token and self.schedule(t, recheck=True)
                )
        elif kind == "yield":  # a schedule point that is not a cancellation point
            self.schedule(t)
        elif kind == "wait":  # for a handle, or a scope's children: woken by wake()
            self.checkpoint(t, "wait")
            t.waited_handle = isinstance(arg, Handle)
        else:
            raise AssertionError(request)

    def checkpoint(self, t: Task, what: str) -> None:
        """Block ``t`` at a checkpoint, or cancel it there if a scope around it is."""
        t.blocked = what
        if self.cancelled_around(t):
            self.deliver(t)

    def cancelled_around(self, t: Task) -> bool:
        if t.shielded:
            return False
        self.read_clock(t.stack)
        return any(s.cancelled for s in t.stack)

    def read_clock(self, stack: list[Any]) -> None:
        """Deadlines are read from the clock, not only when their timer runs."""
        for s in stack:  # outermost first: an enclosing deadline wins a tie
            if s.joinery and s.deadline is not None and self.now >= s.deadline:
                self.fire_deadline(s)

    def deliver(self, t: Task) -> None:
        if t.blocked is None:
            return  # already rescheduled (reading the clock may have cancelled it)
        self.schedule(t, exc=Cancel())

    def wake(self, t: Task) -> None:
        if t.blocked is not None:
            self.schedule(t, recheck=True)

    def reached(self, t: Task) -> None:
        """An enclosing cancellation reached the scopes around ``t``: now they know it."""
        enclosing_cancelled = False
        for s in t.stack:
            if enclosing_cancelled and s.joinery and not s.cancelled:
                s.reached = True
                self.cancel(s, None)
            enclosing_cancelled = enclosing_cancelled or s.cancelled

    def cancel_blocked(self) -> None:
        """Level-triggered: every task blocked inside a cancelled scope gets cancelled."""
        for t in self.tasks:
            if not t.done and t.blocked is not None and self.cancelled_around(t):
                self.deliver(t)

    def cancel_outer(self) -> None:
        self.outer.cancelled = True
        self.cancel_blocked()

    def new_task(
        self, gen: Callable[[Task], Gen], stack: list[Any], first_step: Callable[[], bool]
    ) -> Task:
        t = Task(iter(()), stack)
        t.gen = gen(t)
        t.first_step = first_step
        self.tasks.append(t)
        self.schedule(t)
        return t

    # -- the program ---------------------------------------------------------------------

    def main(self, t: Task, result: dict[str, Any]) -> Gen:
        try:
            yield from self.scope(t, self.program.root)
        except Cancel:
            result["outcome"] = "outer cancel caught" if self.outer.cancelled else "raised Cancel?"
        except BaseException as e:
            result["outcome"] = f"raised {norm(e)}"
        else:
            result["outcome"] = "returned"

    def log_event(self, who: str, what: str) -> None:
        self.log.append((self.now, who, what))

    def cause_seen(self, t: Task) -> str:
        self.read_clock(t.stack)
        if any(getattr(s, "tie_at", None) == self.now for s in t.stack):
            return "*"  # an enclosing cancel won a tie with a deadline: either cause
        s = t.current()
        while s is not None:
            if s.cause is not None:
                return norm(s.cause)
            if s.exited:
                return "None"
            s = s.parent
        return "None"

    def scope(self, t: Task, spec: P.Scope | None, bare: bool = False, body: Any = None) -> Gen:
        """``async with task.scope(...) as s: body`` run by task ``t``."""
        s = RScope(spec, t.current(), bare)
        s.stack = [*t.stack, s]
        if s.timeout is not None:
            s.deadline = self.now + s.timeout
            self.at(s.deadline, lambda: self.fire_deadline(s))
        t.stack = s.stack
        exc: BaseException | None = None
        try:
            if body is not None:
                yield from body(t, s)
            else:
                yield from self.body(t, s, spec.body if spec else ())
        except Cancel as e:
            if spec is not None:  # (a service's private scope is joinery's, not logged)
                self.log_event(s.name, f"body cancelled cause={self.cause_seen(t)}")
            exc = e
        except BaseException as e:
            exc = e
        t.stack = s.stack[:-1]
        # __aexit__
        s.open = False
        for svc in s.services:
            self.owner_exiting(svc)
        foreign: BaseException | None = None
        body_error: BaseException | None = None
        if isinstance(exc, ScopeClosedError) and s.cancelled:
            exc = Cancel()  # refused by our own cancellation: part of it, not an error
        if isinstance(exc, Cancel):
            if self.cancelled_around(t):
                foreign = exc
                self.cancel(s, None)
            elif s.deadline_fired:  # our own cancellation, absorbed
                s.deadline_cancelled_something = True
        elif exc is not None:
            body_error = exc
            self.cancel(s, exc)
        if not s.running:  # a scope's exit is a schedule point (semantics §1.2), where an
            # enclosing cancellation is delivered like at any checkpoint (and one the body
            # swallowed is re-raised on both backends: not a checkpoint of §13's case)
            # (a scope entered after the swallow is not: asyncio's exit counts only the
            # cancellations that arrived after its entry)
            swallowed = t.foreign_swallowed
            t.foreign_swallowed = swallowed and s not in t.swallowed_in
            try:
                yield ("sleep", 0)
            except Cancel as e:
                foreign = e
                self.cancel(s, None)
            finally:
                t.foreign_swallowed = swallowed
        while s.running:
            s.exit_waiter = t
            t.shielded = foreign is not None
            try:
                yield ("wait", s)
            except Cancel as e:
                foreign = e
                self.cancel(s, None)
            finally:
                t.shielded = False
                s.exit_waiter = None
        if foreign is None and exc is None and s.reached:
            foreign = Cancel()  # one that reached the scope propagates, though swallowed
        if foreign is not None and s.cause is None and s.parent is not None:
            s.cause = _cause_of(s.parent)  # cancelled with an enclosing joinery scope
        error = self.finish(s, body_error, exc is None)
        if error is not None:
            raise error
        if foreign is not None:
            raise foreign

    def finish(self, s: RScope, body_error: BaseException | None, normal: bool) -> Any:
        s.exited = True
        errors: list[BaseException] = []
        won = s.policy == "RACE" and s.winner is not None
        for h in s.failed:
            if s.policy == "FAIL_FAST" or (h.use != DELIVERED and not won):
                errors.append(h.value)
        if body_error is not None and not any(body_error is e for e in errors):
            errors.append(body_error)
        if s.deadline_fired and s.deadline_cancelled_something:
            errors.append(DeadlineExceeded("deadline"))
        if normal:
            forgotten = [h for h in s.children if h.use == PENDING and h.kind != CANCELLED]
            if forgotten:
                errors.append(LinearityError("never consumed"))
        if not errors:
            return None
        if s.bare and len(errors) == 1 and errors[0] is body_error:
            return body_error
        if all(isinstance(e, Exception) for e in errors):
            return ExceptionGroup("scope", errors)  # type: ignore[type-var]
        return BaseExceptionGroup("scope", errors)

    def fire_deadline(self, s: RScope) -> None:
        if s.exited or any(x.cancelled for x in s.stack):
            if not s.exited and not s.cancelled and self.now == s.deadline:
                s.tie_at = self.now  # cause() may name either now (semantics §3)
            return  # exited, fired, or a cancel that fired first wins
        s.deadline_fired = True
        self.cancel(s, DeadlineExceeded("deadline"))

    def cancel(self, s: RScope, cause: BaseException | None) -> None:
        if s.cancelled:
            return
        if cause is not None and any(x.cancelled for x in s.stack[:-1] if x.joinery):
            # An enclosing joinery scope was cancelled first: that cancellation is
            # inherited (as trio's cancel scopes) and wins; this one adds no cause.
            cause = None
            s.reached = True
        self.cancels.append((self.now, s, self.running_task))
        s.cancelled = True
        s.cause = cause
        while s.queue:  # never started
            h = s.queue.popleft()
            if s.deadline_fired:
                s.deadline_cancelled_something = True
            h.kind = CANCELLED
            self.wake_waiters(h)
        self.cancel_blocked()

    def body(self, t: Task, s: RScope, stmts: tuple[P.Stmt, ...]) -> Gen:
        handles: dict[str, Handle] = {}
        services: dict[str, RService] = {}
        for stmt in stmts:
            match stmt:
                case P.Spawn(name, steps, how):
                    self.admit(s)
                    h = Handle(s, name, steps, LAUNCHED if how == "launch" else PENDING)
                    s.children.append(h)
                    if how == "discard":
                        h.use = DISCARDED
                    handles[name] = h
                    if s.limit is not None and s.workers >= s.limit:
                        s.queue.append(h)
                    else:
                        self.start(h)
                case P.Service(name, steps):
                    self.admit(s)
                    h = Handle(s, name, steps, PENDING)
                    svc = h.service = RService(h)
                    s.children.append(h)
                    services[name] = svc
                    s.services.append(svc)
                    self.start(h)
                case P.Await(name):
                    yield from self.take(t, s, name, handles[name])
                case P.Stop(name):
                    yield from self.stop(t, s, name, services[name])
                case P.Cancel():
                    self.cancel(s, CancelRequested("cancel()"))
                case _:
                    yield from self.step_of(t, s.name, stmt)

    def step_of(self, t: Task, who: str, step: P.Step) -> Gen:
        match step:
            case P.Sleep(seconds):
                yield ("sleep", seconds)
            case P.Swallow(seconds):
                try:
                    yield ("sleep", seconds)
                except Cancel:
                    self.log_event(who, f"swallowed cause={self.cause_seen(t)}")
                    self.swallowed(t)
            case P.Raise(kind, msg):
                raise USER_ERRORS[kind](msg)
            case P.Nest(spec):
                yield from self.scope(t, spec)
            case P.Return(value):
                return value
        return None

    def swallowed(self, t: Task) -> None:
        """``t`` swallowed a cancellation: one from outside joinery has no defined sequel.

        On asyncio the outside cancellation is edge-triggered and joinery does not see it
        arrive (semantics §13): until the scope's exit re-raises it, the body's next
        checkpoints and the scope's running children are cancelled on trio, not on
        asyncio. So the outcome is left open if the body waits again or a child runs.
        """
        if not self.outer.cancelled:
            return
        if any(s.cancelled and not s.reached for s in t.stack if s.joinery):
            return  # a joinery scope's own cancellation: level-triggered on both
        # A spawn after it is left open too: trio's scope does not see a cancellation
        # a child swallowed (trio delivered it, not joinery), asyncio's body does not.
        t.spawn_after_foreign = True
        if t is not self.tasks[0]:
            return  # a child: joinery re-delivers it on asyncio, trio on trio
        t.foreign_swallowed = True
        t.swallowed_in = list(t.stack)
        if any(s.running for s in t.stack if s.joinery):
            self.undefined = True

    def inherit(self, s: RScope) -> None:
        """An enclosing joinery scope is cancelled: a spawn sees ``s`` cancelled too
        (inherited, as trio's cancel scopes), reached by it or not."""
        if not s.cancelled and any(x.cancelled for x in s.stack[:-1] if x.joinery):
            s.reached = True
            self.cancel(s, None)

    def admit(self, s: RScope) -> None:
        if self.running_task is not None and self.running_task.spawn_after_foreign:
            self.undefined = True  # a spawn after a swallowed outside cancel (§13)
        self.read_clock(s.stack)
        self.inherit(s)
        if not s.open or s.cancelled:
            if s.deadline_fired:
                s.deadline_cancelled_something = True  # a spawn refused because of it
            raise ScopeClosedError("spawn refused")

    def start(self, h: Handle) -> None:
        s = h.scope
        h.kind = RUNNING
        s.running += 1
        s.workers += h.service is None

        def first_step() -> bool:
            # A child cancelled before its first step never runs ("cancelled": the scope
            # knows it; an enclosing cancel that has not reached it yet lets it start).
            self.read_clock(s.stack)
            if s.cancelled:
                self.child_done(h, CANCELLED, None)
                return False
            return True

        self.new_task(lambda t: self.child(t, h), list(s.stack), first_step)

    def script(self, t: Task, h: Handle) -> Gen:
        """``child(name, script)`` of the runtime: log the start, run the steps."""
        self.log_event(h.name, "start")
        value = None
        for step in h.steps:
            value = yield from self.step_of(t, h.name, step)
            if isinstance(step, P.Return):
                break
        return value

    def child(self, t: Task, h: Handle) -> Gen:
        if h.service is not None:
            yield from self.service(t, h)
            return
        try:
            value = yield from self.script(t, h)
        except Cancel:
            self.log_event(h.name, f"cancelled cause={self.cause_seen(t)}")
            self.child_done(h, CANCELLED, None)
            return
        except BaseException as e:
            self.log_event(h.name, f"raise {norm(e)}")
            self.child_done(h, FAILED, e)
            return
        self.log_event(h.name, f"return {value!r}")
        if value is not None and h.use == LAUNCHED:
            self.child_done(h, FAILED, LinearityError("launched child returned a value"))
        else:
            self.child_done(h, OK, value)

    def service(self, t: Task, h: Handle) -> Gen:
        svc = h.service
        assert svc is not None
        if svc.stopping:
            self.child_done(h, OK, None)  # stopped before it started: never runs
            return

        def body(t: Task, inner: RScope) -> Gen:
            svc.inner = inner
            try:
                value = yield from self.script(t, h)
            except Cancel:
                self.log_event(h.name, f"cancelled cause={self.cause_seen(t)}")
                raise
            except BaseException as e:
                self.log_event(h.name, f"raise {norm(e)}")
                raise
            self.log_event(h.name, f"return {value!r}")

        try:
            yield from self.scope(t, None, bare=True, body=body)
        except Cancel:
            self.child_done(h, CANCELLED, None)
        except BaseException as e:
            self.child_done(h, FAILED, e)
        else:
            self.child_done(h, OK, None)

    def child_done(self, h: Handle, kind: str, value: Any) -> None:
        s = h.scope
        s.running -= 1
        s.workers -= h.service is None
        h.kind, h.value = kind, value
        if kind == CANCELLED and s.deadline_fired:
            s.deadline_cancelled_something = True
        if kind == FAILED:
            s.failed.append(h)
            if not isinstance(value, Exception) or s.policy == "FAIL_FAST":
                self.cancel(s, value)
        elif kind == OK and s.policy == "RACE" and s.winner is None and h.service is None:
            s.winner = h
            self.cancel(s, Superseded("won"))
        self.wake_waiters(h)
        if s.queue and not s.cancelled and s.workers < (s.limit or 0):
            self.start(s.queue.popleft())
        if s.running == 0 and s.exit_waiter is not None:
            self.wake(s.exit_waiter)

    def wake_waiters(self, h: Handle) -> None:
        for w in h.waiters:
            self.wake(w)
        h.waiters = []

    def take(self, t: Task, s: RScope, name: str, h: Handle) -> Gen:
        """``await take(...)``: await the handle; log its value or exception."""
        try:
            value = yield from self.await_handle(t, h)
        except Exception as e:
            self.log_event(s.name, f"got {name}: {norm(e)}")
        else:
            self.log_event(s.name, f"got {name}: {value!r}")

    def await_handle(self, t: Task, h: Handle) -> Gen:
        if h.use != PENDING:
            raise LinearityError("consumed twice")
        while h.kind in (QUEUED, RUNNING):
            h.waiters.append(t)
            try:
                yield ("wait", h)
            except Cancel:
                h.waiters = [w for w in h.waiters if w is not t]
                raise  # an interrupted await leaves the handle unconsumed
        h.use = DELIVERED
        if h.kind == OK:
            return h.value
        if h.kind == FAILED:
            raise h.value
        return_cause = _cause_of(h.scope)
        raise Cancelled("cancelled", cause=return_cause, site="")

    def stop(self, t: Task, s: RScope, name: str, svc: RService) -> Gen:
        self.request_stop(svc)
        h = svc.handle
        try:
            if h.use == PENDING:
                with contextlib.suppress(Cancelled):  # cancelled by its scope: exited all the same
                    yield from self.await_handle(t, h)
            else:
                while h.kind in (QUEUED, RUNNING):
                    h.waiters.append(t)
                    yield ("wait", h)
        except Exception as e:
            self.log_event(s.name, f"stopped {name}: {norm(e)}")
        else:
            self.log_event(s.name, f"stopped {name}")

    def request_stop(self, svc: RService) -> None:
        if not svc.stopping:
            svc.stopping = True
            if svc.inner is not None:
                self.cancel(svc.inner, CancelRequested("stop()"))

    def owner_exiting(self, svc: RService) -> None:
        self.request_stop(svc)
        if svc.handle.use == PENDING:
            svc.handle.use = DISCARDED


def _cause_of(s: RScope | None) -> BaseException | None:
    while s is not None:
        if s.cause is not None:
            return s.cause
        if s.exited:
            return None
        s = s.parent
    return None


def _alternating() -> Callable[[list[Task]], list[Task]]:
    flip = [False]

    def order(batch: list[Task]) -> list[Task]:
        flip[0] = not flip[0]
        return batch[::-1] if flip[0] else batch

    return order


ORDERS: dict[str, Callable[[], Callable[[list[Task]], list[Task]]]] = {
    "fifo": lambda: lambda b: b,
    "lifo": lambda: lambda b: b[::-1],
    "alternating": _alternating,
}


def _shuffled(seed: int) -> Callable[[list[Task]], list[Task]]:
    def order(batch: list[Task]) -> list[Task]:
        out = list(batch)
        rng.shuffle(out)
        return out

    rng = random.Random(seed)
    return order


def same_instant_cancel(ref: Reference) -> bool:
    """Whether a scope was cancelled in an instant in which another task inside it ran a
    plain step (a wake-up, a first step): the case of issue 10 §1.15 where asyncio used
    to apply a failure one loop step later than trio."""
    return any(
        when == at and t is not by and s in stack
        for when, s, by in ref.cancels
        for at, t, stack in ref.plain_steps
    )


def expected(program: P.Program, shuffles: int = 6) -> tuple[dict[str, Any] | None, set[str]]:
    """What ``program`` must do (``None``: it depends on the order of one batch's tasks),
    and the tie classes it touches (``{"same_instant_cancel"}`` or nothing).

    A program whose outcome changes with the order of a batch races two tasks in the
    same instant (two failures, two race wins, a failure and a start...): trio shuffles
    a batch, so no single answer is right (semantics §1.2).
    """
    refs = [Reference(program, make()) for make in ORDERS.values()]
    refs += [Reference(program, _shuffled(i)) for i in range(shuffles)]
    results = [r.run() for r in refs]
    first = results[0]
    flags = {"same_instant_cancel"} if any(same_instant_cancel(r) for r in refs) else set()
    if any(r.undefined for r in refs) or any(r != first for r in results[1:]):
        return None, flags
    return first, flags
