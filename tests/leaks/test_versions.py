"""The detector across CPython versions: eager tasks (3.12+) and the task registries.

3.11 keeps every task in ``asyncio.tasks._all_tasks``; 3.12 and 3.13 split it into
``_scheduled_tasks`` and ``_eager_tasks``. A task that started eagerly and then blocked,
or one that is still inside its eager first step, must be seen like any other.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
from joinery import leaks

needs_eager = pytest.mark.skipif(
    sys.version_info < (3, 12), reason="asyncio.eager_task_factory is new in Python 3.12"
)


def _names(found: list[leaks.Leak]) -> list[str]:
    return sorted(leak.name for leak in found)


def _run_eager(main: Any) -> Any:
    async def with_eager_factory() -> Any:
        eager: Any = getattr(asyncio, "eager_task_factory")  # noqa: B009 - 3.12+ only
        asyncio.get_running_loop().set_task_factory(eager)
        return await main()

    return asyncio.run(with_eager_factory())


@needs_eager
def test_an_eager_task_that_blocked_is_found_with_its_await_line() -> None:
    async def main() -> list[leaks.Leak]:
        gate = asyncio.Event()

        async def stuck() -> None:
            await gate.wait()  # the line the report must show

        task = asyncio.create_task(stuck(), name="eager-stuck")
        assert not task.done()  # it ran to its first await inside create_task
        found = await leaks.afind(retries=0)
        gate.set()
        await task
        return found

    found = _run_eager(main)
    assert _names(found) == ["eager-stuck"]
    assert any("await gate.wait()" in f.line for f in found[0].stack)


@needs_eager
def test_an_eager_task_that_finished_inside_create_task_is_not_a_leak() -> None:
    async def main() -> list[leaks.Leak]:
        async def instant() -> int:
            return 1

        task = asyncio.create_task(instant(), name="eager-done")
        assert task.done()
        return await leaks.afind(retries=0)

    assert _run_eager(main) == []


@needs_eager
def test_a_look_from_inside_an_eager_first_step_sees_the_others_not_itself() -> None:
    seen: list[list[leaks.Leak]] = []

    async def main() -> None:
        gate = asyncio.Event()

        async def blocked() -> None:
            await gate.wait()

        async def looker() -> None:
            # Still in its eager first step (in _eager_tasks), inside main's create_task:
            # main is running, not blocked, so it is not left behind.
            seen.append(leaks.find(retries=0))

        other = asyncio.create_task(blocked(), name="eager-blocked")
        look = asyncio.create_task(looker(), name="eager-looker")
        gate.set()
        await other
        await look

    _run_eager(main)
    assert [_names(s) for s in seen] == [["eager-blocked"]]


def test_the_registries_of_this_version_are_the_ones_read() -> None:
    # If a release renames them, the detector would silently see only the running loop's
    # tasks: this test names what this interpreter has, so the change is noticed.
    mod: Any = asyncio.tasks
    have = {a for a in ("_all_tasks", "_scheduled_tasks", "_eager_tasks") if hasattr(mod, a)}
    expected = (
        {"_all_tasks"} if sys.version_info < (3, 12) else {"_scheduled_tasks", "_eager_tasks"}
    )
    assert have == expected


def test_a_task_on_a_loop_of_another_thread_is_found() -> None:
    # Not visible through asyncio.all_tasks() of the caller's loop: only the registry.
    import threading

    ready, release = threading.Event(), threading.Event()

    def other_loop() -> None:
        async def main() -> None:
            gate = asyncio.Event()

            async def stuck() -> None:
                await gate.wait()

            task = asyncio.create_task(stuck(), name="other-thread-task")
            await asyncio.sleep(0)
            ready.set()
            await asyncio.get_running_loop().run_in_executor(None, release.wait)
            gate.set()
            await task

        asyncio.run(main())

    thread = threading.Thread(target=other_loop, name="other-loop")
    thread.start()
    try:
        assert ready.wait(10)
        found = leaks.find(retries=0, ignore=lambda leak: leak.kind == "thread")
        assert "other-thread-task" in _names(found)
    finally:
        release.set()
        thread.join(10)
