"""Items 5 and 8: the cancellation cause as an exception object; the scope's deadline."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from joinery import task


async def _wait_and_report(seen: list[BaseException | None], delay: float = 100) -> None:
    try:
        await anyio.sleep(delay)
    finally:
        seen.append(task.cause())


async def _fail(exc: BaseException, delay: float) -> None:
    await anyio.sleep(delay)
    raise exc


def test_sibling_failure_is_the_cause_seen_by_child_and_caller(run: Any) -> None:
    boom = ValueError("boom")

    async def main() -> None:
        seen: list[BaseException | None] = []
        with pytest.raises(ExceptionGroup):
            async with task.scope() as s:
                s.spawn(_wait_and_report, seen).discard()
                s.spawn(_fail, boom, 1).discard()
        assert seen == [boom] and seen[0] is boom  # the object, not its repr
        assert s.cause is boom  # the caller, after exit

    run(main)


def test_explicit_cancel_cause(run: Any) -> None:
    why = ConnectionResetError("client went away")

    async def main() -> None:
        seen: list[BaseException | None] = []
        async with task.scope() as s:
            s.spawn(_wait_and_report, seen).discard()
            await anyio.sleep(1)
            s.cancel(why)
            assert task.cause() is why  # the body sees it too
        assert seen[0] is why
        assert s.cause is why

    run(main)


def test_cancel_without_cause_records_where(run: Any) -> None:
    async def main() -> None:
        async with task.scope() as s:
            s.cancel()
        assert isinstance(s.cause, task.CancelRequested)
        assert f"{__file__}:" in str(s.cause)
        with pytest.raises(TypeError, match="cause must be an exception object"):
            s.cancel("why")  # type: ignore[arg-type]

    run(main)


def test_no_cause_when_nothing_was_cancelled(run: Any) -> None:
    async def main() -> None:
        assert task.cause() is None
        seen: list[BaseException | None] = []
        async with task.scope() as s:
            s.spawn(_wait_and_report, seen, 1).discard()
        assert seen == [None]
        assert s.cause is None

    run(main)


def test_nested_scope_child_sees_the_outer_cause(run: Any) -> None:
    boom = ValueError("boom")

    async def inner_work(seen: list[BaseException | None]) -> None:
        async with task.scope() as inner:
            inner.spawn(_wait_and_report, seen).discard()

    async def main() -> None:
        seen: list[BaseException | None] = []
        with pytest.raises(ExceptionGroup):
            async with task.scope() as s:
                s.spawn(inner_work, seen).discard()
                s.spawn(_fail, boom, 1).discard()
        assert seen == [boom]

    run(main)


def test_deadline_cancels_everything_and_raises_a_timeout(run: Any) -> None:
    async def main() -> None:
        seen: list[BaseException | None] = []
        t0 = anyio.current_time()
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope(timeout=5) as s:
                assert s.deadline == t0 + 5
                s.spawn(_wait_and_report, seen).discard()
                await anyio.sleep(100)
        assert anyio.current_time() == t0 + 5
        (err,) = info.value.exceptions
        assert isinstance(err, task.DeadlineExceeded) and isinstance(err, TimeoutError)
        assert seen == [err] and s.cause is err

    run(main)


def test_deadline_not_reached_raises_nothing(run: Any) -> None:
    async def main() -> None:
        seen: list[BaseException | None] = []
        async with task.scope(timeout=5) as s:
            s.spawn(_wait_and_report, seen, 1).discard()
        assert seen == [None] and s.cause is None
        await anyio.sleep(10)  # the timer was disarmed: nothing fires later

    run(main)


def test_spawn_after_the_deadline_is_refused(run: Any) -> None:
    async def main() -> None:
        with pytest.raises(ExceptionGroup):
            async with task.scope(timeout=1) as s:
                with anyio.CancelScope(shield=True):
                    await anyio.sleep(2)
                with pytest.raises(task.ScopeClosedError, match="DeadlineExceeded"):
                    s.spawn(_wait_and_report, [])

    run(main)
