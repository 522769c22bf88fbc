"""The detector on asyncio (virtual clock), uvloop and trio: Buggy, retries, ignores."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import TYPE_CHECKING, Any

import pytest
import trio
import trio.testing
from joinery import leaks
from joinery.leaks import demo

if TYPE_CHECKING:
    from tests.leaks.conftest import Backend

SEND_LINES = ("await ch.put(1)", "await ch.send(1)", "channel.put(1)")


def send_frame(leak: leaks.Leak) -> leaks.Frame:
    """The frame of Buggy's goroutine body, the one a reader needs."""
    (frame,) = [f for f in leak.stack if f.function.endswith(".<locals>.send")]
    return frame


def goleak_schedule(retries: int, max_sleep: float) -> float:
    return sum(min(1e-6 * 2**i, max_sleep) for i in range(retries))


# ---------------------------------------------------------------- Buggy, on every backend


def test_buggy_is_caught_with_the_send_line(backend: Backend) -> None:
    async def main() -> list[leaks.Leak]:
        async with backend.buggy():
            return await leaks.afind()

    found = backend.run(main)
    assert [(leak.kind, leak.name) for leak in found] == [(backend.kind, "buggy-sender")]
    frame = send_frame(found[0])
    assert frame.filename == demo.__file__
    assert frame.line.startswith(SEND_LINES), frame.line
    # The whole chain, not the top frame only: the send, then the channel's internals.
    assert found[0].stack[0] == frame
    assert len(found[0].functions) >= 2


def test_averify_none_raises_a_readable_report(backend: Backend) -> None:
    async def main() -> str:
        async with backend.buggy():
            with pytest.raises(leaks.LeakError) as info:
                await leaks.averify_none(retries=2)
            assert [leak.name for leak in info.value.leaks] == ["buggy-sender"]
            return str(info.value)

    report = backend.run(main)
    assert "found 1 leaked task(s) or thread(s) after 3 checks" in report
    assert f"{backend.kind} task 'buggy-sender'" in report
    assert f'File "{demo.__file__}"' in report
    assert any(line in report for line in SEND_LINES)
    assert "created at: unknown" in report


def test_buggy_thread_is_caught_with_the_send_line() -> None:
    ch = demo.full_thread_channel()
    thread = demo.buggy_thread(ch)
    try:
        with pytest.raises(leaks.LeakError) as info:
            leaks.verify_none(retries=3)
    finally:
        demo.drain(ch)
        thread.join()
    (leak,) = info.value.leaks
    assert (leak.kind, leak.name, leak.obj) == ("thread", "buggy-sender", thread)
    assert send_frame(leak).line == "channel.put(1)  # blocks for ever: nobody reads channel"
    assert leak.entry_function == send_frame(leak).function
    assert leak.top_function == "threading.Condition.wait"
    assert leaks.find() == []


def test_buggy_trio_system_task_is_caught() -> None:
    async def main() -> list[leaks.Leak]:
        tx, rx = trio.open_memory_channel[int](0)
        async with tx, rx:
            demo.buggy_trio_system(tx)
            found = await leaks.afind()
            await rx.receive()
        return found

    found = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    (leak,) = found
    assert "system task" in leak.state
    assert send_frame(leak).line.startswith("await ch.send(1)")


# ---------------------------------------------------------------- retries


def test_a_task_ending_inside_the_retry_window_is_not_a_leak(backend: Backend) -> None:
    async def main() -> tuple[list[leaks.Leak], float]:
        async with backend.group() as spawn:
            spawn(backend.sleep, 0.05, name="late")  # ends 50 ms from now
            start = backend.now()
            found = await leaks.afind()
            return found, backend.now() - start

    found, waited = backend.run(main)
    assert found == []
    assert waited >= 0.05  # the detector waited for it, on the loop's clock


def test_a_task_outliving_the_retry_window_is_a_leak(backend: Backend) -> None:
    async def main() -> tuple[list[leaks.Leak], float, float]:
        async with backend.group() as spawn:
            spawn(backend.sleep, 0.3, name="too-late")
            start = backend.now()
            found = await leaks.afind(retries=5, max_sleep=0.01)
            waited = backend.now() - start
            await backend.sleep(0.3)
            return found, start, waited

    found, _, waited = backend.run(main)
    assert [leak.name for leak in found] == ["too-late"]
    if backend.name != "uvloop":  # virtual clocks: the back-off schedule exactly
        assert waited == pytest.approx(goleak_schedule(5, 0.01))


def test_full_back_off_schedule_is_goleaks(backend: Backend) -> None:
    if backend.name == "uvloop":
        pytest.skip("needs a virtual clock to measure the schedule")

    async def main() -> float:
        async with backend.buggy():
            start = backend.now()
            await leaks.afind()
            return backend.now() - start

    waited = backend.run(main)
    assert waited == pytest.approx(goleak_schedule(20, 0.1))
    assert 0.4 < waited < 0.5  # 1 µs doubling to 100 ms: ~0.43 s in all


def test_clean_check_does_not_sleep(backend: Backend) -> None:
    async def main() -> tuple[list[leaks.Leak], float]:
        start = backend.now()
        found = await leaks.afind()
        return found, backend.now() - start

    found, waited = backend.run(main)
    assert found == []
    if backend.name != "uvloop":
        assert waited == 0.0


# ---------------------------------------------------------------- ignore options


def _ignores(leak: leaks.Leak) -> dict[str, Any]:
    return {
        "top": leaks.ignore_top_function(leak.top_function),
        "any": leaks.ignore_any_function(send_frame(leak).function),
        "entry": leaks.ignore_entry_function(send_frame(leak).function),
        "name": leaks.ignore_name("buggy-*"),
        "predicate": lambda lk: lk.name == "buggy-sender",
    }


@pytest.mark.parametrize("option", ["top", "any", "entry", "name", "predicate", "current"])
def test_ignore_options_hide_the_leak_and_only_it(backend: Backend, option: str) -> None:
    async def main() -> tuple[list[leaks.Leak], list[leaks.Leak], list[leaks.Leak]]:
        before = leaks.ignore_current()
        async with backend.buggy():
            found = await leaks.afind(retries=3)
            (leak,) = found
            chosen = leaks.ignore_current() if option == "current" else _ignores(leak)[option]
            hidden = await leaks.afind(ignore=[chosen], retries=3)
            not_hidden = await leaks.afind(ignore=[before], retries=3)
            return found, hidden, not_hidden

    found, hidden, not_hidden = backend.run(main)
    assert len(found) == 1
    assert hidden == []
    assert [leak.name for leak in not_hidden] == ["buggy-sender"]


def test_non_matching_function_options_do_not_hide(backend: Backend) -> None:
    async def main() -> list[leaks.Leak]:
        async with backend.buggy():
            return await leaks.afind(
                ignore=[
                    leaks.ignore_top_function(demo.buggy_asyncio),  # a caller, not the top
                    leaks.ignore_any_function("joinery.leaks.demo.nothing"),
                    leaks.ignore_entry_function("asyncio.queues.Queue.put"),  # top, not entry
                    leaks.ignore_name("buggy"),  # a pattern matches the whole name
                ],
                retries=2,
            )

    assert [leak.name for leak in backend.run(main)] == ["buggy-sender"]


def test_a_single_option_need_not_be_wrapped_in_a_list(backend: Backend) -> None:
    async def main() -> list[leaks.Leak]:
        async with backend.buggy():
            return await leaks.afind(ignore=leaks.ignore_name("buggy-*"), retries=2)

    assert backend.run(main) == []


# ---------------------------------------------------------------- what a report shows


def test_await_chain_goes_through_awaited_tasks_and_async_generators() -> None:
    async def blocked_gen(ch: asyncio.Queue[int]) -> Any:
        await ch.put(1)
        yield 1

    async def inner(ch: asyncio.Queue[int]) -> None:
        async for _ in blocked_gen(ch):
            pass

    async def outer(task: asyncio.Task[None]) -> None:
        await task

    async def main() -> list[leaks.Leak]:
        ch = demo.full_asyncio_channel()
        inner_task = asyncio.create_task(inner(ch), name="inner")
        outer_task = asyncio.create_task(outer(inner_task), name="outer")
        found = await leaks.afind(retries=3)
        demo.drain(ch)
        await outer_task
        return found

    found = asyncio.run(main())
    by_name = {leak.name: leak for leak in found}
    assert set(by_name) == {"inner", "outer"}
    outer_functions = [f.function.rsplit(".", 1)[-1] for f in by_name["outer"].stack]
    notes = [f.note for f in by_name["outer"].stack if f.note]
    assert notes[0] == "awaiting task 'inner', which awaits:"
    assert outer_functions[:1] == ["outer"]
    assert "blocked_gen" in outer_functions  # through ``async for`` into the generator
    assert "put" in outer_functions  # and down to where it blocks
    assert by_name["inner"].top_function == "asyncio.queues.Queue.put"


def test_gather_is_named_in_the_chain() -> None:
    async def waiter(ch: asyncio.Queue[int]) -> None:
        await asyncio.gather(ch.put(1), asyncio.sleep(0))

    async def main() -> list[leaks.Leak]:
        ch = demo.full_asyncio_channel()
        task = asyncio.create_task(waiter(ch), name="gatherer")
        found = await leaks.afind(retries=3, ignore=lambda lk: lk.name != "gatherer")
        demo.drain(ch)
        await task
        return found

    (leak,) = asyncio.run(main())
    assert leak.stack[-1].note.startswith("awaiting gather() of 2:")


def test_creation_site_is_shown_in_asyncio_debug_mode() -> None:
    async def main() -> list[leaks.Leak]:
        ch = demo.full_asyncio_channel()
        demo.buggy_asyncio(ch)
        found = await leaks.afind(retries=3)
        demo.drain(ch)
        await asyncio.sleep(0)
        return found

    (leak,) = asyncio.run(main(), debug=True)
    assert leak.created is not None
    assert any(f.filename == demo.__file__ and "create_task" in f.line for f in leak.created), (
        leak.format()
    )
    assert "created at (most recent call last):" in leak.format()


def test_a_task_left_on_a_closed_loop_is_reported_by_sync_find() -> None:
    loop = asyncio.new_event_loop()
    task = loop.create_task(asyncio.sleep(1), name="stranded")
    loop.close()  # before the task ever ran: it never will
    try:
        (leak,) = leaks.find(retries=1)
        assert leak.obj is task
        assert "closed" in leak.state and "never run again" in leak.state
        assert leak.state.endswith("never started")
    finally:
        task.get_coro().close()
        task._log_destroy_pending = False  # type: ignore[attr-defined]


# ---------------------------------------------------------------- never the caller's own


def test_asyncio_tasks_awaiting_the_caller_are_not_reported() -> None:
    async def checker() -> list[leaks.Leak]:
        return await leaks.afind(retries=0)

    async def main() -> list[leaks.Leak]:
        return await asyncio.create_task(checker())  # main awaits the checker

    assert asyncio.run(main()) == []


def test_trio_ancestors_and_system_tasks_are_not_reported() -> None:
    async def checker(out: list[list[leaks.Leak]]) -> None:
        out.append(await leaks.afind(retries=0))

    async def main() -> list[leaks.Leak]:
        out: list[list[leaks.Leak]] = []
        async with trio.open_nursery() as outer:
            outer.start_soon(checker, out)
        return out[0]

    assert trio.run(main) == []


# ---------------------------------------------------------------- no false positive


async def _clean_asyncio_work() -> None:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sum, [1, 2])  # leaves an idle default-executor thread
    async with asyncio.TaskGroup() as tg:
        for i in range(3):
            tg.create_task(asyncio.sleep(0.001 * i))
    await asyncio.gather(asyncio.sleep(0), asyncio.sleep(0))


def test_no_false_positive_under_asyncio_run() -> None:
    async def main() -> list[leaks.Leak]:
        await _clean_asyncio_work()
        return await leaks.afind()

    assert asyncio.run(main()) == []
    assert leaks.find() == []


def test_no_false_positive_under_uvloop_run() -> None:
    import uvloop

    async def main() -> list[leaks.Leak]:
        await _clean_asyncio_work()
        return await leaks.afind()

    assert uvloop.run(main()) == []
    assert leaks.find() == []


def test_no_false_positive_under_trio_run() -> None:
    async def main() -> list[leaks.Leak]:
        await trio.to_thread.run_sync(sum, [1, 2])  # leaves an idle thread-cache worker
        async with trio.open_nursery() as nursery:
            for i in range(3):
                nursery.start_soon(trio.sleep, 0.001 * i)
        return await leaks.afind()

    # A worker that just delivered its result is idle a moment later: the retries
    # cover that moment, as goleak's do.
    assert trio.run(main) == []
    assert leaks.find() == []  # the idle trio worker thread is not a leak


def test_machinery_is_seen_when_asked() -> None:
    """The default ignores hide real objects: without them the same check sees them."""

    async def main() -> list[leaks.Leak]:
        await trio.to_thread.run_sync(sum, [1, 2])
        return await leaks.afind(retries=0, ignore_machinery=False)

    found = trio.run(main)
    names = {leak.name for leak in found}
    assert "<TrioToken.run_sync_soon task>" in names  # a trio system task
    worker = "trio._core._thread_cache.WorkerThread._work"
    assert any(leak.kind == "thread" and worker in leak.functions for leak in found)


def test_a_user_thread_pool_left_open_is_reported() -> None:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="mine")
    pool.submit(sum, [1]).result()
    try:
        found = leaks.find(retries=0)
    finally:
        pool.shutdown()
    assert [(leak.kind, leak.name) for leak in found] == [("thread", "mine_0")]
    assert leaks.find() == []


def test_a_busy_default_executor_thread_is_reported() -> None:
    release = threading.Event()

    async def main() -> list[leaks.Leak]:
        fut = asyncio.get_running_loop().run_in_executor(None, release.wait)
        found = await leaks.afind(retries=3)
        release.set()
        await fut
        return found

    (leak,) = asyncio.run(main())
    assert leak.kind == "thread" and leak.name.startswith("asyncio_")
    assert leak.top_function == "threading.Condition.wait"
    assert "threading.Event.wait" in leak.functions


# ---------------------------------------------------------------- misuse


def test_sync_find_with_retries_inside_a_loop_is_refused() -> None:
    async def main() -> None:
        with pytest.raises(RuntimeError, match="use `await afind\\(\\)`"):
            leaks.find()
        assert leaks.find(retries=0) == []

    asyncio.run(main())
    trio.run(main)


def test_afind_outside_a_loop_is_refused() -> None:
    coro = leaks.afind()
    with pytest.raises(RuntimeError, match="outside an event loop use find"):
        coro.send(None)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"retries": -1}, ValueError, "retries must be an int >= 0"),
        ({"retries": 1.5}, ValueError, "retries must be an int >= 0"),
        ({"max_sleep": float("inf")}, ValueError, "max_sleep must be a finite"),
        ({"ignore": "pkg.func"}, TypeError, "ignore= takes an ignore option"),
        ({"ignore": ["pkg.func"]}, TypeError, "must be wrapped, e.g. ignore_top_function"),
    ],
)
def test_bad_arguments_name_the_mistake(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        leaks.find(**kwargs)


def test_unqualified_function_names_are_refused() -> None:
    with pytest.raises(ValueError, match=r"not qualified: give 'module\.qualname'"):
        leaks.ignore_top_function("put")
    with pytest.raises(ValueError, match="non-empty fnmatch pattern"):
        leaks.ignore_name("")


# ---------------------------------------------------------------- what runners hide


@pytest.mark.parametrize("runner", ["asyncio.run", "uvloop.run"])
def test_watch_runner_cleanup_sees_what_the_runner_cancels(runner: str) -> None:
    import uvloop

    run = asyncio.run if runner == "asyncio.run" else uvloop.run

    async def main() -> None:
        ch = demo.full_asyncio_channel()
        demo.buggy_asyncio(ch)
        await asyncio.sleep(0)  # the sender runs and blocks

    with leaks.watch_runner_cleanup() as watch:
        run(main())
    assert leaks.find(retries=0) == []  # the runner cancelled it: invisible afterwards
    (leak,) = watch.leaks
    assert leak.name == "buggy-sender"
    assert "asyncio.Runner closed its loop" in leak.state
    assert send_frame(leak).line.startswith("await ch.put(1)")
    assert leak.obj.cancelled()  # type: ignore[attr-defined]


def test_watch_runner_cleanup_restores_asyncio() -> None:
    import asyncio.runners

    original = asyncio.runners._cancel_all_tasks  # type: ignore[attr-defined]
    with leaks.watch_runner_cleanup(), leaks.watch_runner_cleanup() as inner:
        asyncio.run(asyncio.sleep(0))
    assert asyncio.runners._cancel_all_tasks is original  # type: ignore[attr-defined]
    assert inner.leaks == []
