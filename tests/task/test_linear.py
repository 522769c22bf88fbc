"""Items 2 and 3: linear handles, and spawning into a closed scope."""

from __future__ import annotations

import inspect
import sys
from typing import Any

import anyio
import pytest
from joinery import task


async def _value(x: int, delay: float = 0) -> int:
    await anyio.sleep(delay)
    return x


async def _fail(exc: BaseException, delay: float = 0) -> None:
    await anyio.sleep(delay)
    raise exc


def _line() -> int:
    """The line number of the caller's previous line (where the spawn happened)."""
    return sys._getframe(1).f_lineno - 1


def test_await_gives_value_or_the_childs_exception(run: Any) -> None:
    boom = ValueError("boom")

    async def main() -> None:
        async with task.scope(policy=task.SUPERVISE) as s:
            a = s.spawn(_value, 7, 1)
            b = s.spawn(_fail, boom)
            assert await a == 7
            with pytest.raises(ValueError) as info:
                await b
            assert info.value is boom  # the same object, not a copy or a wrapper

    run(main)


def test_consumed_twice_names_both_sites(run: Any) -> None:
    async def main() -> None:
        async with task.scope() as s:
            h = s.spawn(_value, 1)
            spawned = _line()
            await h
            first = _line()
            with pytest.raises(task.LinearityError) as info:
                await h
            message = str(info.value)
            assert f"spawned at {__file__}:{spawned}" in message
            assert f"first at {__file__}:{first}" in message
            with pytest.raises(task.LinearityError, match="consumed twice"):
                h.discard()

    run(main)


def test_handle_used_after_its_scope_exited(run: Any) -> None:
    async def main() -> None:
        async with task.scope() as s:
            h = s.spawn(_value, 1)
            spawned = _line()
            h.discard()
        here = sys._getframe()  # a second claim, forged: "spawned" on the next line
        leaked = task.Handle(s, _value(1), here.f_code, here.f_lasti)
        spawned = _line()
        leaked._coro.close()
        with pytest.raises(task.LinearityError, match=f"{spawned}.*after its scope exited"):
            await leaked

    run(main)


def test_handle_kept_unconsumed_past_scope_then_awaited(run: Any) -> None:
    async def main() -> None:
        kept: list[task.Handle[int]] = []
        with pytest.raises(ExceptionGroup):
            async with task.scope() as s:
                kept.append(s.spawn(_value, 1))
        with pytest.raises(task.LinearityError, match="after its scope exited"):
            await kept[0]

    run(main)


def test_never_consumed_is_an_error_naming_the_site(run: Any) -> None:
    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope() as s:
                s.spawn(_value, 1)
                spawned = _line()
                await s.spawn(_value, 2)
        (err,) = info.value.exceptions
        assert isinstance(err, task.LinearityError)
        assert f"_value() spawned at {__file__}:{spawned} [returned]" in str(err)

    run(main)


def test_forgotten_handle_is_added_not_replacing_the_real_error(run: Any) -> None:
    boom = ValueError("boom")

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope() as s:
                s.spawn(_value, 1)  # forgotten: a bug even though the scope also fails
                s.spawn(_fail, boom, 1).discard()
        kinds = [type(e) for e in info.value.exceptions]
        assert info.value.exceptions[0] is boom
        assert kinds == [ValueError, task.LinearityError]

    run(main)


def test_handles_of_cancelled_children_need_no_consuming(run: Any) -> None:
    boom = ValueError("boom")

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope() as s:
                slow = s.spawn(_value, 1, 100)  # cancelled by the failure below
                s.spawn(_fail, boom, 1).discard()
                await slow
        assert info.value.exceptions == (boom,)  # no LinearityError for `slow`

    run(main)


def test_interrupted_body_does_not_add_linearity_noise(run: Any) -> None:
    oops = KeyError("body")

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope() as s:
                s.spawn(_value, 1)
                await anyio.sleep(1)
                raise oops  # the body never got to consume: its error is the report
        assert info.value.exceptions == (oops,)

    run(main)


def test_discard_is_fire_and_forget_but_failures_still_surface(run: Any) -> None:
    boom = ValueError("boom")

    async def main() -> None:
        async with task.scope() as s:
            s.spawn(_value, 1).discard()  # fine: dropped on purpose
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope(policy=task.SUPERVISE) as s:
                s.spawn(_fail, boom).discard()
        assert info.value.exceptions == (boom,)

    run(main)


def test_awaiting_a_handle_of_a_cancelled_child_raises_cancelled_with_cause(run: Any) -> None:
    why = RuntimeError("enough")

    async def main() -> None:
        seen: list[BaseException] = []

        async def watcher(h: task.Handle[int]) -> None:
            try:
                await h
            except task.Cancelled as e:
                seen.append(e)

        async with task.scope(policy=task.SUPERVISE) as outer, task.scope() as inner:
            h = inner.spawn(_value, 1, 100)
            outer.spawn(watcher, h).discard()  # a task outside `inner` awaits it
            await anyio.sleep(1)
            inner.cancel(why)
        assert len(seen) == 1
        assert seen[0].cause is why  # type: ignore[attr-defined]

    run(main)


# -- item 3: spawn after close ----------------------------------------------------


def test_spawn_after_exit_raises_and_starts_nothing(run: Any) -> None:
    called: list[int] = []

    async def record() -> None:
        called.append(1)

    async def main() -> None:
        async with task.scope() as s:
            pass
        with pytest.raises(task.ScopeClosedError, match="has exited"):
            s.spawn(record)
        assert s.try_spawn is not None
        with pytest.raises(task.ScopeClosedError):
            s.try_spawn(record)
        await anyio.sleep(1)
        assert called == []

    run(main)


def test_spawn_after_exit_closes_a_coroutine_object(run: Any) -> None:
    async def main() -> None:
        async with task.scope() as s:
            pass
        coro = _value(1)
        with pytest.raises(task.ScopeClosedError):
            s.spawn(coro)  # type: ignore[arg-type]
        assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED

    run(main)


def test_spawn_after_cancel_raises(run: Any) -> None:
    async def main() -> None:
        async with task.scope() as s:
            s.cancel()
            with pytest.raises(task.ScopeClosedError, match="is cancelled"):
                s.spawn(_value, 1)

    run(main)


def test_spawn_before_entering_raises(run: Any) -> None:
    async def main() -> None:
        s = task.scope()
        with pytest.raises(task.ScopeClosedError, match="never entered"):
            s.spawn(_value, 1)

    run(main)


def test_queued_children_cancelled_before_start_are_closed(run: Any) -> None:
    async def main() -> None:
        boom = ValueError("boom")
        with pytest.raises(ExceptionGroup):
            async with task.scope(limit=1) as s:
                s.spawn(_fail, boom, 1).discard()
                queued = s.spawn(_value, 1)  # waits for the slot; never gets it
                queued.discard()
        assert inspect.getcoroutinestate(queued._coro) == inspect.CORO_CLOSED

    run(main)
