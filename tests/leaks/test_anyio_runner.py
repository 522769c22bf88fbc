"""Under anyio's pytest runner (asyncio, asyncio+uvloop, trio): no false positive, and a
leak is still caught from inside the test."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from joinery import leaks

pytestmark = pytest.mark.anyio


@pytest.fixture(
    params=[
        pytest.param("asyncio", id="asyncio"),
        pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop"),
        pytest.param("trio", id="trio"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> Any:
    return request.param


async def test_clean_code_is_clean(anyio_backend: Any) -> None:
    await anyio.to_thread.run_sync(sum, [1, 2])  # leaves an idle worker thread
    async with anyio.create_task_group() as tg:
        for i in range(3):
            tg.start_soon(anyio.sleep, 0.001 * i)
    # The runner's own task is not reported; a worker thread that has just delivered
    # its result is idle a moment later (the retries cover that moment).
    assert await leaks.afind() == []


async def test_buggy_is_caught_inside_the_runner(anyio_backend: Any) -> None:
    tx, rx = anyio.create_memory_object_stream[int](0)  # unbuffered, as in Go
    with tx, rx:
        async with anyio.create_task_group() as tg:
            tg.start_soon(tx.send, 1, name="buggy-sender")  # nobody reads
            with pytest.raises(leaks.LeakError) as info:
                await leaks.averify_none(retries=3)
            assert await rx.receive() == 1  # free it, so the group can close
    (leak,) = info.value.leaks
    assert leak.name == "buggy-sender"
    assert "anyio.streams.memory.MemoryObjectSendStream.send" in leak.functions


def test_nothing_left_between_tests() -> None:
    # Runs after the async tests of this module: anyio's runner task, if it is still
    # waiting for the next test, is machinery, not a leak.
    assert leaks.find() == []
