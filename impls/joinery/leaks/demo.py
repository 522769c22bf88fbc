"""The seed's ``Buggy()`` ported to each backend, for the tests, the docs and the site.

The Go original::

    func Buggy() {
        ch := make(chan int) // unbuffered, never read
        go func() { ch <- 1 }()
    }

Each port starts a task (or thread) that blocks for ever sending on a channel nobody
reads, and returns at once. Never call these outside a demonstration: they leak on
purpose. Each takes an optional channel so that a test can pass its own and free the
leak afterwards (by reading it); by default they make their own, as the seed does.

Neither asyncio nor ``queue`` has an unbuffered channel; the nearest stand-in is a
one-slot queue whose slot is already taken, on which a send waits for a reader exactly
as Go's unbuffered send does. Trio has the real thing: ``open_memory_channel(0)``.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any

import trio


def full_asyncio_channel() -> asyncio.Queue[int]:
    """A channel on which the next send blocks until someone reads."""
    ch: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
    ch.put_nowait(0)
    return ch


def buggy_asyncio(ch: asyncio.Queue[int] | None = None) -> None:
    """``Buggy()`` on asyncio (or uvloop): call it inside a running loop."""
    if ch is None:
        ch = full_asyncio_channel()

    async def send() -> None:
        await ch.put(1)  # blocks for ever: nobody reads ch

    # The task is deliberately not kept: that is the bug being demonstrated.
    asyncio.get_running_loop().create_task(send(), name="buggy-sender")


def buggy_trio(nursery: trio.Nursery, ch: trio.MemorySendChannel[int] | None = None) -> None:
    """``Buggy()`` on trio: the task goes into a nursery the caller forgot about.

    Trio cannot leak a task past its nursery: the leak becomes a hang of the ``async
    with``. Checking from inside, before the nursery closes, shows the stuck sender.
    """
    if ch is None:
        ch, _never_read = trio.open_memory_channel[int](0)

    async def send() -> None:
        await ch.send(1)  # blocks for ever: nobody reads ch

    nursery.start_soon(send, name="buggy-sender")


def buggy_trio_system(ch: trio.MemorySendChannel[int] | None = None) -> None:
    """``Buggy()`` as a trio system task: outlives every nursery until ``trio.run`` ends."""
    if ch is None:
        ch, _never_read = trio.open_memory_channel[int](0)

    async def send() -> None:
        await ch.send(1)  # blocks for ever: nobody reads ch

    trio.lowlevel.spawn_system_task(send, name="buggy-sender")


def full_thread_channel() -> queue.Queue[int]:
    """A channel on which the next send blocks until someone reads."""
    ch: queue.Queue[int] = queue.Queue(maxsize=1)
    ch.put_nowait(0)
    return ch


def buggy_thread(ch: queue.Queue[int] | None = None) -> threading.Thread:
    """``Buggy()`` with a thread for the goroutine (daemon, so the process can exit).

    Returns the thread only so that callers can join it after freeing it; the seed's
    version returns nothing.
    """
    channel = ch if ch is not None else full_thread_channel()

    def send() -> None:
        channel.put(1)  # blocks for ever: nobody reads channel

    thread = threading.Thread(target=send, name="buggy-sender", daemon=True)
    thread.start()
    return thread


def drain(ch: Any) -> None:
    """Read everything from a stand-in channel, which unblocks the leaked sender."""
    while True:
        try:
            ch.get_nowait()
        except (asyncio.QueueEmpty, queue.Empty):
            return
