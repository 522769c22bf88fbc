"""Item 7: the Joiner-like policies: fail-fast (default), supervise, race."""

from __future__ import annotations

import contextlib
from typing import Any

import anyio
import pytest
from joinery import task


async def _value(x: Any, delay: float) -> Any:
    await anyio.sleep(delay)
    return x


async def _fail(exc: BaseException, delay: float) -> None:
    await anyio.sleep(delay)
    raise exc


async def _report_cause(seen: list[BaseException | None], delay: float) -> str:
    try:
        await anyio.sleep(delay)
        return "done"
    finally:
        seen.append(task.cause())


def test_fail_fast_is_the_default_and_reports_even_delivered_failures(run: Any) -> None:
    boom = ValueError("boom")

    async def main() -> None:
        assert task.scope().policy is task.FAIL_FAST
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope() as s:
                h = s.spawn(_fail, boom, 0)
                with contextlib.suppress(ValueError):
                    await h  # handled here, yet the scope failed fast: still reported
                await anyio.sleep(1)
        assert info.value.exceptions == (boom,)

    run(main)


def test_supervise_cancels_nothing_and_keeps_every_outcome(run: Any) -> None:
    e1, e2 = ValueError("one"), KeyError("two")

    async def main() -> None:
        seen: list[BaseException | None] = []
        async with task.scope(policy=task.SUPERVISE) as s:
            a = s.spawn(_fail, e1, 1)
            b = s.spawn(_report_cause, seen, 5)
            c = s.spawn(_fail, e2, 2)
            d = s.spawn(_value, 4, 3)
            outcomes: list[Any] = []
            for h in (a, b, c, d):
                try:
                    outcomes.append(await h)
                except Exception as e:
                    outcomes.append(e)
        assert outcomes == [e1, "done", e2, 4]
        assert outcomes[0] is e1 and outcomes[2] is e2
        assert seen == [None]  # b ran to the end, never cancelled
        assert s.failures == (e1, e2)
        assert anyio.current_time() == 5

    run(main)


def test_supervise_raises_failures_nobody_received(run: Any) -> None:
    e1 = ValueError("one")

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope(policy=task.SUPERVISE) as s:
                s.spawn(_fail, e1, 1).discard()
                assert await s.spawn(_value, 2, 2) == 2
        assert info.value.exceptions == (e1,)

    run(main)


def test_race_first_success_wins_and_cancels_the_rest(run: Any) -> None:
    async def main() -> None:
        seen: list[BaseException | None] = []
        async with task.scope(policy=task.RACE) as s:
            s.spawn(_report_cause, seen, 10).discard()
            s.spawn(_fail, ValueError("fast failure"), 1).discard()
            s.spawn(_value, "winner", 2).discard()
        assert s.result() == "winner"
        assert anyio.current_time() == 2
        assert len(seen) == 1 and isinstance(seen[0], task.Superseded)
        assert isinstance(s.failures[0], ValueError)  # kept, not raised: someone won

    run(main)


def test_race_helper_and_all_failing(run: Any) -> None:
    e1, e2 = ValueError("a"), ValueError("b")

    async def main() -> None:
        assert await task.race(lambda: _value("slow", 3), lambda: _value("quick", 1)) == "quick"
        with pytest.raises(ExceptionGroup) as info:
            await task.race(lambda: _fail(e1, 1), lambda: _fail(e2, 2))
        assert info.value.exceptions == (e1, e2)
        with pytest.raises(ValueError, match="at least one"):
            await task.race()

    run(main)


def test_result_is_only_for_races(run: Any) -> None:
    async def main() -> None:
        async with task.scope() as s:
            pass
        with pytest.raises(TypeError, match="RACE"):
            s.result()
        async with task.scope(policy=task.RACE) as r:
            with pytest.raises(LookupError, match="no child"):
                r.result()

    run(main)
