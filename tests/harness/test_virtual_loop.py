from __future__ import annotations

import asyncio
import time

from joinery.harness import new_virtual_loop


def run(coro_fn):
    loop = new_virtual_loop()
    try:
        return loop.run_until_complete(coro_fn())
    finally:
        loop.close()


def test_sleep_jumps_the_clock_not_the_wall():
    async def main():
        loop = asyncio.get_running_loop()
        start = time.monotonic()
        await asyncio.sleep(3600)
        return loop.time(), time.monotonic() - start

    virtual, real = run(main)
    assert virtual == 3600.0
    assert real < 60  # an hour of virtual time is not an hour of real time


def test_timers_fire_in_order_at_their_virtual_times():
    seen = []

    async def main():
        loop = asyncio.get_running_loop()

        async def at(t):
            await asyncio.sleep(t)
            seen.append((t, loop.time()))

        await asyncio.gather(at(3), at(1), at(2))

    run(main)
    assert seen == [(1, 1.0), (2, 2.0), (3, 3.0)]


def test_timeouts_use_the_virtual_clock():
    async def main():
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(5):
                await asyncio.sleep(100)
        except TimeoutError:
            return loop.time()

    assert run(main) == 5.0


def test_real_threads_still_wake_the_loop():
    async def main():
        return await asyncio.to_thread(lambda: "from a thread")

    assert run(main) == "from a thread"
