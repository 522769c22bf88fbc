"""Deliberately broken programs: proof that every property can fail.

Each mutant is a reference model with exactly one scenario broken in one way, named
``broken_<what>``. The suite expects each to fail the property it targets (see
``expected.toml``); if a check stopped noticing, that expectation turns the run red.
Together with the control model, every property is failed by at least one program.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import trio

from joinery.models import SCENARIOS, AsyncFn, Dashboard, DashboardAPI, Model, load_model
from joinery.models import _check_module as check_module

T = TypeVar("T")


def _derive(base: str, name: str, targets: str, why: str, **overrides: Any) -> Model:
    """A copy of model ``base`` with the ``overrides`` scenario functions."""
    parent = load_model(base)
    module = types.ModuleType(f"{__name__}.{name}", why)
    for scenario in SCENARIOS:
        if hasattr(parent.module, scenario):
            setattr(module, scenario, getattr(parent.module, scenario))
    for scenario, fn in overrides.items():
        if scenario not in SCENARIOS:
            raise ValueError(f"mutant {name}: {scenario!r} is not a scenario")
        setattr(module, scenario, fn)
    module.__file__ = __file__
    module.MODEL = replace(  # type: ignore[attr-defined]
        parent.info,
        name=name,
        title=f"{name} (breaks {targets})",
        summary=f"{parent.info.title} with one deliberate bug: {why}",
        control=True,
    )
    return check_module(module, module.__name__)


# -- the broken scenario functions ----------------------------------------------------


async def _fetch_all_unbounded(
    fetch: Callable[[str], Awaitable[T]], urls: Sequence[str], limit: int
) -> list[T]:
    async with asyncio.TaskGroup() as tg:  # the limit is ignored
        tasks = [tg.create_task(_await(fetch(url))) for url in urls]
    return [t.result() for t in tasks]


async def _fetch_all_serial(
    fetch: Callable[[str], Awaitable[T]], urls: Sequence[str], limit: int
) -> list[T]:
    return [await fetch(url) for url in urls]  # safe, but the bound is never used


async def _fetch_all_completion_order(
    fetch: Callable[[str], Awaitable[T]], urls: Sequence[str], limit: int
) -> list[T]:
    slots = asyncio.Semaphore(limit)
    results: list[T] = []

    async def one(url: str) -> None:
        async with slots:
            results.append(await fetch(url))  # appended as they finish

    async with asyncio.TaskGroup() as tg:
        for url in urls:
            tg.create_task(one(url))
    return results


async def _await(aw: Awaitable[T]) -> T:
    return await aw


async def _run_shedded_overrun(jobs: Sequence[AsyncFn], limit: int) -> tuple[int, int]:
    async with asyncio.TaskGroup() as tg:
        for job in jobs:
            tg.create_task(job())  # counted as dropped past the limit, but run anyway
    return min(limit, len(jobs)), max(0, len(jobs) - limit)


async def _run_scope_no_traceback(body: Callable[[Any], Awaitable[None]]) -> None:
    from joinery.models.taskgroup import run_scope

    try:
        await run_scope(body)
    except ExceptionGroup as group:
        raise group.exceptions[0].with_traceback(None) from None


async def _run_scope_body_waits(body: Callable[[Any], Awaitable[None]]) -> None:
    from joinery.models.taskgroup import _Scope

    children: list[asyncio.Task[Any]] = []

    class Scope(_Scope):
        def spawn(self, fn: AsyncFn) -> None:
            children.append(asyncio.ensure_future(fn()))

    try:
        await body(Scope(asyncio.TaskGroup()))
    finally:
        await asyncio.gather(*children, return_exceptions=True)  # waits, cancels nothing


async def _cause_of_cancel_as_text(
    failing: AsyncFn, sibling: AsyncFn, report: Callable[[object], None]
) -> None:
    from joinery.models import bare

    async def watched() -> None:
        try:
            await sibling()
        except asyncio.CancelledError as exc:
            report(str(exc.args[0]) if exc.args else None)  # the text, not the object
            raise

    tasks = bare._Tasks()
    tasks.spawn(bare._call(failing))
    tasks.spawn(watched())
    await tasks.join()


async def _load_dashboard_shielded(api: DashboardAPI, user_id: str) -> Dashboard:
    from joinery.models.taskgroup import load_dashboard

    # shield() keeps the group alive when our caller is cancelled: children run on.
    return await asyncio.shield(load_dashboard(api, user_id))


async def _run_scope_supervised(body: Callable[[Any], Awaitable[None]]) -> None:
    errors: list[Exception] = []

    class Scope:
        def __init__(self, nursery: trio.Nursery) -> None:
            self._nursery = nursery

        def spawn(self, fn: AsyncFn) -> None:
            async def kept() -> None:
                try:
                    await fn()
                except Exception as exc:  # kept for later: the siblings are not cancelled
                    errors.append(exc)

            self._nursery.start_soon(kept)

    async with trio.open_nursery() as nursery:
        await body(Scope(nursery))
    if errors:
        raise ExceptionGroup("children failed", errors)


async def _run_scope_swallows_interrupt(body: Callable[[Any], Awaitable[None]]) -> None:
    from joinery.models.nursery import run_scope

    try:
        await run_scope(body)
    except BaseExceptionGroup as group:
        if group.subgroup((KeyboardInterrupt, SystemExit)) is not None:
            raise RuntimeError("a child was interrupted") from None  # the interrupt is gone
        raise


async def _check_all_fail_fast(checks: Sequence[AsyncFn]) -> None:
    async with asyncio.TaskGroup() as tg:  # the first failure cancels the other checks
        for check in checks:
            tg.create_task(check())


# -- issue 12: the properties that tell Python versions apart -----------------------------


async def _run_scope_forgets_cancel(body: Callable[[Any], Awaitable[None]]) -> None:
    from joinery.models.taskgroup import run_scope

    try:
        await run_scope(body)
    finally:  # "tidies" the task's cancel count: an outside cancellation is dropped
        me = asyncio.current_task()
        while me is not None and me.cancelling():
            me.uncancel()


class _StartedCoroutine(Coroutine[Any, Any, Any]):
    """A coroutine already run to its first await; the task that gets it resumes it there."""

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._coro = coro
        self._first: Any = coro.send(None)  # the child's code runs here, in spawn()
        self._fresh = True

    def send(self, value: Any) -> Any:
        if self._fresh:
            self._fresh = False
            return self._first
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        self._fresh = False
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, Any]:
        raise TypeError("handed to a task, never awaited")


async def _run_scope_eager(body: Callable[[Any], Awaitable[None]]) -> None:
    from joinery.models.taskgroup import _Scope

    class Scope(_Scope):
        def spawn(self, fn: AsyncFn) -> None:
            try:
                started = _StartedCoroutine(fn())
            except StopIteration:
                return  # the child ended before its first await
            try:
                self._tg.create_task(started)
            except RuntimeError:  # a finished group: end the started child here, in the loop
                started.close()
                raise

    async with asyncio.TaskGroup() as tg:
        await body(Scope(tg))


def mutants() -> dict[str, Model]:
    """Every deliberately broken program, by name."""
    made = [
        _derive(
            "taskgroup",
            "broken_unbounded",
            "bound",
            "fetch_all ignores its limit",
            fetch_all=_fetch_all_unbounded,
        ),
        _derive(
            "taskgroup",
            "broken_serial",
            "bound",
            "fetch_all fetches one at a time",
            fetch_all=_fetch_all_serial,
        ),
        _derive(
            "taskgroup",
            "broken_unordered",
            "results_in_order",
            "fetch_all returns results in completion order",
            fetch_all=_fetch_all_completion_order,
        ),
        _derive(
            "taskgroup",
            "broken_shed_overrun",
            "shed",
            "run_shedded runs the jobs it reports as dropped",
            run_shedded=_run_shedded_overrun,
        ),
        _derive(
            "taskgroup",
            "broken_no_traceback",
            "child_traceback",
            "run_scope re-raises the child's error with its traceback stripped",
            run_scope=_run_scope_no_traceback,
        ),
        _derive(
            "taskgroup",
            "broken_body_waits",
            "body_error_cancels",
            "run_scope lets the children finish when the body fails",
            run_scope=_run_scope_body_waits,
        ),
        _derive(
            "bare",
            "broken_cause_text",
            "cause",
            "the sibling gets the failure's text, not the object",
            cause_of_cancel=_cause_of_cancel_as_text,
        ),
        _derive(
            "taskgroup",
            "broken_shielded_group",
            "outer_cancel",
            "load_dashboard shields its group from the caller's cancellation",
            load_dashboard=_load_dashboard_shielded,
        ),
        _derive(
            "nursery",
            "broken_supervised",
            "catch_cancel_once",
            "run_scope waits for every child instead of cancelling the siblings of a failure",
            run_scope=_run_scope_supervised,
        ),
        _derive(
            "nursery",
            "broken_swallows_interrupt",
            "keyboard_interrupt",
            "run_scope turns KeyboardInterrupt/SystemExit into RuntimeError",
            run_scope=_run_scope_swallows_interrupt,
        ),
        _derive(
            "taskgroup",
            "broken_fail_fast_checks",
            "all_errors_kept",
            "check_all cancels the remaining checks at the first failure",
            check_all=_check_all_fail_fast,
        ),
        _derive(
            "taskgroup",
            "broken_forgets_cancel",
            "cancel_while_failing",
            "run_scope uncancels its task after the group, dropping an outside cancellation",
            run_scope=_run_scope_forgets_cancel,
        ),
        _derive(
            "taskgroup",
            "broken_eager_spawn",
            "spawn_returns_first",
            "spawn runs the child to its first await before handing it to the group",
            run_scope=_run_scope_eager,
        ),
    ]
    return {m.name: m for m in made}
