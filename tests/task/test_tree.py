"""Item 10: a dump of the live tree of scopes and tasks with their spawn sites."""

from __future__ import annotations

import sys
from typing import Any

import anyio
from joinery import task


async def _nap(delay: float) -> None:
    await anyio.sleep(delay)


async def _with_inner(snapshot: list[str]) -> None:
    async with task.scope(name="inner") as inner:
        inner.spawn(_nap, 5).discard()
        snapshot.append(task.tree())


def test_tree_shows_scopes_tasks_sites_and_nesting(run: Any) -> None:
    async def main() -> None:
        snapshot: list[str] = []
        assert task.tree() == ""
        async with task.scope(name="outer", limit=2) as s:
            opened = sys._getframe().f_lineno - 1
            s.spawn(_with_inner, snapshot).discard()
            spawned = sys._getframe().f_lineno - 1
            s.spawn(_nap, 10).discard()
            s.spawn(_nap, 10).discard()  # queued: the limit is 2
            await anyio.sleep(1)
            own = s.tree()
        text = snapshot[0]
        lines = text.splitlines()
        assert lines[0].startswith(f"scope 'outer' opened at {__file__}:{opened} [fail_fast")
        assert f"task _with_inner() spawned at {__file__}:{spawned} [running]" in text
        inner_at = next(i for i, line in enumerate(lines) if "scope 'inner'" in line)
        owner_at = next(i for i, line in enumerate(lines) if "_with_inner()" in line)
        assert inner_at == owner_at + 1  # nested under the task that opened it
        assert lines[inner_at].startswith("    scope 'inner'")
        assert "_nap() spawned at" in lines[inner_at + 2]
        assert "[queued]" in text
        assert own.startswith("scope 'outer'")
        assert task.tree() == ""  # nothing alive after exit

    run(main)


def test_tree_lists_unconsumed_handles_and_cancellation(run: Any) -> None:
    async def main() -> None:
        async with task.scope() as s:
            h = s.spawn(_nap, 0)
            await anyio.sleep(1)
            assert "_nap() spawned at" in s.tree() and "[returned]" in s.tree()
            await h
            assert "_nap()" not in s.tree()  # consumed: gone from the live tree
            s.cancel(ValueError("stop"))
            assert "cancelled, cause=ValueError('stop')" in s.tree()

    run(main)


def test_finished_discarded_children_leave_the_live_tree_at_once(run: Any) -> None:
    async def main() -> None:
        async with task.scope() as s:
            for _ in range(3):
                s.spawn(_nap, 0).discard()
            s.spawn(_nap, 5).discard()
            await anyio.sleep(1)
            assert s.tree().count("_nap() spawned at") == 1  # only the one still running

    run(main)
