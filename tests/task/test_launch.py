"""Item 2's fire-and-forget, as a verb: ``launch`` starts a child with no handle.

Each test runs on both backends. On trio a plain scope launches without a handle (the
nursery does the bookkeeping) and a scope with a limit, a policy or a deadline launches
through one, so both paths are covered where it matters: ``plain`` and ``bounded``.
"""

from __future__ import annotations

import sys
from typing import Any

import anyio
import pytest
from joinery import task

SCOPES = {
    "plain": {},
    "bounded": {"limit": 10},  # no handle-less path on trio: launched through a handle
}


@pytest.fixture(params=sorted(SCOPES))
def scope_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _scope(kind: str, **more: Any) -> task.Scope:
    return task.scope(**{**SCOPES[kind], **more})


async def _work(log: list[str], name: str, delay: float) -> None:
    await anyio.sleep(delay)
    log.append(name)


async def _fail(delay: float, exc: BaseException) -> None:
    await anyio.sleep(delay)
    raise exc


async def _answer() -> int:
    return 42


async def _watched(causes: list[BaseException | None]) -> None:
    """Wait until cancelled; record the cause the scope gives (task.cause())."""
    try:
        await anyio.sleep_forever()
    finally:
        causes.append(task.cause())


def test_launched_children_are_joined_before_the_scope_exits(run: Any, scope_kind: str) -> None:
    log: list[str] = []

    async def main() -> None:
        async with _scope(scope_kind) as s:
            s.launch(_work, log, "slow", 5)
            s.launch(_work, log, "fast", 1)
        log.append("exited")
        assert anyio.current_time() == 5

    run(main)
    assert log == ["fast", "slow", "exited"]


def test_a_launched_failure_is_raised_and_cancels_the_siblings_with_its_cause(
    run: Any, scope_kind: str
) -> None:
    boom = ValueError("boom")
    causes: list[BaseException | None] = []

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with _scope(scope_kind) as s:
                s.launch(_watched, causes)
                s.launch(_fail, 1, boom)
        assert info.value.exceptions == (boom,)  # the object itself: nothing lost
        assert anyio.current_time() == 1
        assert s.cause is boom

    run(main)
    assert causes == [boom]


def test_a_launched_child_that_returns_a_value_fails_naming_the_launch_site(
    run: Any, scope_kind: str
) -> None:
    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with _scope(scope_kind) as s:
                s.launch(_answer)  # type: ignore[arg-type]
                line = sys._getframe().f_lineno - 1
        (error,) = info.value.exceptions
        assert isinstance(error, task.LinearityError)
        message = str(error)
        assert f"_answer() launched at {__file__}:{line} returned 42" in message
        assert "spawn() it and await the handle" in message

    run(main)


def test_launch_after_exit_is_refused_and_calls_nothing(run: Any, scope_kind: str) -> None:
    called: list[str] = []

    async def work() -> None:
        called.append("work")

    async def main() -> None:
        async with _scope(scope_kind) as s:
            pass
        with pytest.raises(task.ScopeClosedError, match="has exited"):
            s.launch(work)

    run(main)
    assert called == []


def test_launch_into_a_cancelled_scope_is_refused(run: Any, scope_kind: str) -> None:
    async def main() -> None:
        async with _scope(scope_kind) as s:
            s.cancel()
            with pytest.raises(task.ScopeClosedError, match="is cancelled"):
                s.launch(_work, [], "x", 1)

    run(main)


def test_launch_refuses_bad_input_by_name(run: Any, scope_kind: str) -> None:
    def not_async() -> None:
        return None

    async def main() -> None:
        coro = _work([], "x", 1)
        async with _scope(scope_kind) as s:
            with pytest.raises(TypeError, match="not_async is a plain function"):
                s.launch(not_async)  # type: ignore[arg-type]
            with pytest.raises(TypeError, match=r"not a coroutine object.*launch\(_work, \.\.\.\)"):
                s.launch(coro)  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="needs an async function, got 42"):
                s.launch(42)  # type: ignore[arg-type]
        assert coro.cr_frame is None  # closed: no "never awaited" warning

    run(main)


def test_launch_waits_for_a_slot_in_a_bounded_scope(run: Any) -> None:
    running: list[int] = []
    peak: list[int] = [0]

    async def counted() -> None:
        running.append(1)
        peak[0] = max(peak[0], len(running))
        await anyio.sleep(1)
        running.pop()

    async def main() -> None:
        async with task.scope(limit=2) as s:
            for _ in range(5):
                s.launch(counted)
        assert anyio.current_time() == 3  # 5 children, 2 at a time

    run(main)
    assert peak == [2]


def test_launched_child_is_cancelled_by_the_deadline(run: Any) -> None:
    causes: list[BaseException | None] = []

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope(timeout=3) as s:
                s.launch(_watched, causes)
        (error,) = info.value.exceptions
        assert isinstance(error, task.DeadlineExceeded)
        assert causes == [error]
        assert anyio.current_time() == 3

    run(main)


def test_interrupt_in_a_launched_child_is_reraised_bare_after_the_siblings(
    run: Any, scope_kind: str
) -> None:
    log: list[str] = []

    async def main() -> None:
        with pytest.raises(KeyboardInterrupt):
            async with _scope(scope_kind) as s:
                s.launch(_work, log, "a", 100)
                s.launch(_fail, 1, KeyboardInterrupt())
        assert log == []
        assert anyio.current_time() == 1

    run(main)


def test_tree_shows_launched_children_with_their_sites(run: Any, scope_kind: str) -> None:
    async def inner_owner(snapshot: list[str]) -> None:
        async with task.scope(name="inner") as inner:
            inner.launch(_work, [], "x", 5)
            snapshot.append(task.tree())

    async def main() -> None:
        snapshot: list[str] = []
        async with _scope(scope_kind, name="outer") as s:
            s.launch(inner_owner, snapshot)
            line = sys._getframe().f_lineno - 1
            s.launch(_work, [], "y", 10)
            await anyio.sleep(1)
        lines = snapshot[0].splitlines()
        assert "running=2" in lines[0]
        owner_at = next(
            i for i, t in enumerate(lines) if f"inner_owner() launched at {__file__}:{line}" in t
        )
        assert "scope 'inner'" in lines[owner_at + 1]  # nested under the task that opened it
        assert sum("_work() launched at" in t for t in lines) == 2
        assert task.tree() == ""

    run(main)


def test_launch_from_a_nested_scopes_child_runs_in_the_outer_scope(run: Any) -> None:
    # The child launched into ``outer`` from inside ``inner`` reads outer's cause.
    boom = ValueError("outer failed")
    causes: list[BaseException | None] = []

    async def launcher(outer: task.Scope) -> None:
        async with task.scope() as inner:
            inner.launch(_work, [], "x", 0)
            outer.launch(_watched, causes)

    async def main() -> None:
        with pytest.raises(ExceptionGroup):
            async with task.scope() as outer:
                outer.launch(launcher, outer)
                outer.launch(_fail, 1, boom)

    run(main)
    assert causes == [boom]


def test_launch_from_another_thread_is_refused(
    run: Any, scope_kind: str, from_another_thread: Any
) -> None:
    async def main() -> None:
        async with _scope(scope_kind) as s:
            error = await from_another_thread(s, lambda: s.launch(_work, [], "x", 1))
        assert isinstance(error, RuntimeError)
        assert "from thread 'intruder'" in str(error)

    run(main)


@pytest.mark.parametrize("verb", ["launch", "spawn"])
def test_a_worker_thread_with_the_scopes_context_is_refused(
    run: Any, scope_kind: str, verb: str
) -> None:
    # to_thread copies the context, so the worker sees this scope as the current one;
    # only the thread check stands between it and the nursery or the loop.
    async def main() -> None:
        async with _scope(scope_kind) as s:

            def in_worker() -> BaseException | None:
                coro_fn = s.launch if verb == "launch" else s.spawn
                try:
                    coro_fn(_work, [], "x", 1)
                except RuntimeError as e:
                    return e
                return None

            error = await anyio.to_thread.run_sync(in_worker)
        assert isinstance(error, RuntimeError)
        assert "from thread" in str(error)

    run(main)


def test_launched_failures_under_supervise_cancel_nothing_and_are_all_raised(run: Any) -> None:
    first, second = ValueError("first"), KeyError("second")
    log: list[str] = []

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope(policy=task.SUPERVISE) as s:
                s.launch(_fail, 1, first)
                s.launch(_work, log, "sibling", 5)
                s.launch(_fail, 2, second)
        assert info.value.exceptions == (first, second)  # oldest first
        assert s.cause is None and not s.cancel_called
        assert anyio.current_time() == 5

    run(main)
    assert log == ["sibling"]  # ran to its end: nothing was cancelled
