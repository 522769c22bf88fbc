"""Checks for the properties whose verdicts moved between CPython releases.

Two behaviours changed under asyncio's models between 3.11 and 3.13, and no other
property looks at them:

* an outside cancellation that lands while a child is failing: 3.11 and 3.12.0-3.12.2
  TaskGroups lose it (the failure comes out, the task runs on with ``cancelling() == 1``);
  3.13 re-cancels the parent after raising the group (gh-116720);
* eager start (3.12's ``asyncio.eager_task_factory``): the child runs to its first await
  inside ``create_task``, before the spawning statement returns.

Like every check, these drive the scenarios from outside and judge what the harness saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from joinery.conformance._checks import SETTLE, _case, _fine, _judge, _run, check
from joinery.conformance._verdict import Case, Judgement, describe
from joinery.harness import Failure, FakeService, Lab, Outcome, Script
from joinery.models import Backend, Dashboard, Model


class _OutsideCancel:
    """A cancellation of the caller from outside the model, fired at a chosen instant.

    asyncio: ``Task.cancel()`` on the caller's task (what a timeout or a supervisor does);
    trio: ``cancel()`` on a cancel scope the caller opened around the call. Firing it from
    a child's code makes it land at an exact step, with no race between timers.
    """

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        self._fire: Callable[[], object] | None = None
        self.fired_at: float | None = None
        self.took_effect = False  # trio: the caller's scope caught the Cancelled

    def fire(self) -> None:
        assert self._fire is not None, "fire() before the caller started"
        self.fired_at = self._lab.now()
        self._fire()

    async def run(self, fn: Callable[[], Awaitable[None]]) -> None:
        """Run ``fn()`` as the caller, cancellable by :meth:`fire`."""
        if self._lab.backend == "trio":
            with trio.CancelScope() as scope:
                self._fire = scope.cancel
                await fn()
            self.took_effect = scope.cancelled_caught
            return
        me = asyncio.current_task()
        assert me is not None
        self._fire = me.cancel
        await fn()


def _caller(
    scenario: Callable[[], Awaitable[Any]], after: FakeService, caught: list[str]
) -> Callable[[], Awaitable[None]]:
    """The model's caller: it handles the failure, then awaits once more.

    The failure is an ordinary error a caller may handle; the outside cancellation is not
    the caller's to drop: it must still end the caller at its next await.
    """

    async def caller() -> None:
        try:
            await scenario()
        except Exception as exc:  # handled on purpose: the cancellation must survive it
            caught.append(describe(exc) or repr(exc))
        await after.call("next-await")

    return caller


def _judge_cancel_kept(
    case: Case, report: Any, out: Outcome, caught: list[str], outside: _OutsideCancel
) -> None:
    nexts = report.journal.by_key("next-await")
    # Ending with the failure is fine when the cancellation travelled with it (trio raises
    # both in one BaseExceptionGroup, which the caller's `except Exception` cannot catch).
    kept = out.cancelled or outside.took_effect or out.error is not None
    case.note(
        outside_cancel_fired_at=outside.fired_at,
        caller_caught=caught[0] if caught else "nothing",
        next_await=nexts[0].ending if nexts else "never started",
        caller_ended=(
            "cancelled"
            if out.cancelled or outside.took_effect
            else f"raised {describe(out.error)}"
            if out.error is not None
            else f"returned at t={out.ended_at:g}"
        ),
    )
    if outside.fired_at is None:
        # Only a model that cancels the sibling gives it the chance to fire; one that
        # does not is judged by sibling_cancellation, not here.
        case.note(not_applicable="the scope never cancelled the sibling, so nothing fired")
        return
    case.require(not out.hung, f"the call hung (still running at t={out.ended_at:g})")
    case.require(kept, "the outside cancellation was lost: the caller returned normally")
    case.require(
        not any(c.ending == "ok" for c in nexts),
        "the caller ran on past the cancellation: its next await completed at "
        + ", ".join(f"t={c.ended:g}" for c in nexts if c.ending == "ok"),
    )


def _firing_when_cancelled(
    lab: Lab, svc: FakeService, key: str, outside: _OutsideCancel
) -> Callable[[], Awaitable[Any]]:
    """A sibling that, cancelled because another child failed, cancels the caller too."""
    cancelled = lab.ops.cancelled_class()

    async def child() -> Any:
        try:
            return await svc.call(key)
        except cancelled:
            outside.fire()  # the scope is handling the failure right now
            raise

    return child


class _FiringApi:
    """T1's API: fetch_user fails at t=1 and cancels the caller in that same step."""

    def __init__(self, svc: FakeService, outside: _OutsideCancel) -> None:
        self._svc = svc
        self._outside = outside

    async def fetch_user(self, user_id: str) -> object:
        try:
            return await self._svc.call("user")
        except Failure:
            self._outside.fire()
            raise

    async def fetch_posts(self, user_id: str) -> object:
        return await self._svc.call("posts")

    async def fetch_stats(self, user_id: str) -> object:
        return await self._svc.call("stats")


def _t2_case(cases: list[Case], model: Model, backend: Backend, when: str) -> None:
    with _case(cases, f"T2 outside cancel {when}") as case:
        run_scope = model.scenario("run_scope")
        caught: list[str] = []
        outsides: list[_OutsideCancel] = []

        async def experiment(lab: Lab) -> Outcome:
            boom = Failure("child failed")
            svc = lab.service("child", {"tick": _fine(1, None)}, default=_fine(100, None))
            after = lab.service("caller", default=_fine(1, None))
            outside = _OutsideCancel(lab)
            outsides.append(outside)

            async def failing() -> None:
                await svc.call("tick")
                if when == "in the failing step":
                    outside.fire()
                raise boom

            sibling = (
                _firing_when_cancelled(lab, svc, "sibling", outside)
                if when == "as the sibling is cancelled"
                else (lambda: svc.call("sibling"))
            )

            async def body(scope: Any) -> None:
                scope.spawn(failing)
                scope.spawn(sibling)

            caller = _caller(lambda: run_scope(body), after, caught)
            out = await lab.observe(outside.run, caller)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            _judge_cancel_kept(case, report, out, caught, outsides[0])


@check("cancel_while_failing")
def cancel_while_failing(model: Model, backend: Backend) -> Judgement:
    """A cancellation of the caller lands while the scope handles a child's failure."""
    cases: list[Case] = []
    _t2_case(cases, model, backend, "in the failing step")
    _t2_case(cases, model, backend, "as the sibling is cancelled")
    with _case(cases, "T1 outside cancel in the failing step") as case:
        load = model.scenario("load_dashboard")
        caught: list[str] = []
        outsides: list[_OutsideCancel] = []

        async def experiment(lab: Lab) -> Outcome:
            scripts = {"user": Script(1, error=Failure("user failed"))}
            svc = lab.service("api", scripts, default=_fine(100, None))
            after = lab.service("caller", default=_fine(1, None))
            outside = _OutsideCancel(lab)
            outsides.append(outside)
            api = _FiringApi(svc, outside)

            async def scenario() -> Dashboard:
                result: Dashboard = await load(api, "u1")
                return result

            out = await lab.observe(outside.run, _caller(scenario, after, caught))
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            _judge_cancel_kept(case, report, out, caught, outsides[0])
    return _judge(
        model,
        cases,
        "the caller ended by the cancellation, never past its next await, in all three cases",
    )


@check("spawn_returns_first")
def spawn_returns_first(model: Model, backend: Backend) -> Judgement:
    """spawn() returns before the child runs: the body's next statement comes first."""
    cases: list[Case] = []
    with _case(cases, "T2 body marks right after spawn") as case:
        run_scope = model.scenario("run_scope")
        marks: dict[str, int] = {}

        def body_factory(lab: Lab) -> Callable[[Any], Awaitable[None]]:
            svc = lab.service("child", default=_fine(1, None))

            async def child() -> None:
                marks["child"] = lab.mark("child's first statement")
                await svc.call("child")

            async def body(scope: Any) -> None:
                scope.spawn(child)
                marks["spawned"] = lab.mark("spawn returned")  # no await in between

            return body

        async def experiment(lab: Lab) -> Outcome:
            out = await lab.observe(run_scope, body_factory(lab))
            await lab.sleep(SETTLE)
            return out

        _, out = _run(case, backend, experiment)
        if out is not None:
            case.require(out.returned, f"run() raised {describe(out.error)}")
            child, spawned = marks.get("child"), marks.get("spawned")
            case.note(
                order=(
                    "the child never ran"
                    if child is None
                    else "child's first statement ran inside spawn(), before it returned"
                    if spawned is None or child < spawned
                    else "spawn() returned first; the child ran at the body's next await"
                )
            )
            case.require(child is not None, "the child never ran")
            case.require(
                child is None or spawned is None or spawned < child,
                "eager start: the child ran to its first await inside spawn(), before the "
                "spawning statement returned to the body",
            )
    return _judge(model, cases, "spawn() returned before the child's first statement ran")
