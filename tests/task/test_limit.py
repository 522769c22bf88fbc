"""Item 6: the bound and try-spawn (errgroup's SetLimit and TryGo)."""

from __future__ import annotations

from typing import Any

import anyio
from joinery import task


class Gauge:
    """Counts children in flight, as an independent observer."""

    def __init__(self) -> None:
        self.now = 0
        self.max = 0
        self.started: list[int] = []

    async def work(self, i: int, delay: float = 1) -> int:
        self.now += 1
        self.max = max(self.max, self.now)
        self.started.append(i)
        try:
            await anyio.sleep(delay)
            return i
        finally:
            self.now -= 1


def test_bound_is_respected_and_reached_and_order_kept(run: Any) -> None:
    async def main() -> None:
        g = Gauge()
        async with task.scope(limit=3) as s:
            handles = [s.spawn(g.work, i) for i in range(10)]  # returns at once
            assert g.started == []  # nothing ran yet: spawn did not block
            assert [await h for h in handles] == list(range(10))
        assert g.max == 3
        # First come, first served, round by round (trio shuffles order within a batch).
        rounds = [sorted(g.started[i : i + 3]) for i in range(0, 10, 3)]
        assert rounds == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
        assert anyio.current_time() == 4  # ceil(10 / 3) rounds of 1 s

    run(main)


def test_try_spawn_returns_none_when_full_and_does_not_call_fn(run: Any) -> None:
    async def main() -> None:
        g = Gauge()
        accepted = dropped = 0
        async with task.scope(limit=4) as s:
            for i in range(10):
                h = s.try_spawn(g.work, i)
                if h is None:
                    dropped += 1
                else:
                    accepted += 1
                    h.discard()
        assert (accepted, dropped) == (4, 6)
        assert sorted(g.started) == [0, 1, 2, 3] and g.max == 4

    run(main)


def test_try_spawn_succeeds_again_when_a_slot_frees(run: Any) -> None:
    async def main() -> None:
        g = Gauge()
        async with task.scope(limit=1) as s:
            first = s.try_spawn(g.work, 0)
            assert first is not None
            assert s.try_spawn(g.work, 1) is None
            await first
            second = s.try_spawn(g.work, 2)
            assert second is not None
            await second
        assert g.started == [0, 2]

    run(main)


def test_try_spawn_without_limit_always_spawns(run: Any) -> None:
    async def main() -> None:
        g = Gauge()
        async with task.scope() as s:
            hs = [s.try_spawn(g.work, i) for i in range(50)]
            assert all(h is not None for h in hs)
            for h in hs:
                assert h is not None
                await h
        assert g.max == 50

    run(main)
