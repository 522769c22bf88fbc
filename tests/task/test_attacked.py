"""Issue 10 §1: the behaviours found wrong by attacking joinery.task, one test (or more) each.

Each test names its §1 item. Every test runs on asyncio and trio (the ``run`` fixture);
the cross-backend ones run one program on both and compare a normalised outcome. The
rules they check are written down in docs/task-semantics.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import pytest
import sniffio
import trio
from joinery import task
from joinery.harness import VirtualClockEventLoop


async def _sleep_then(delay: float, exc: BaseException | None = None, value: Any = None) -> Any:
    await anyio.sleep(delay)
    if exc is not None:
        raise exc
    return value


class Custom(BaseException):
    """A BaseException subclass that is neither KeyboardInterrupt nor SystemExit."""


def _shape(exc: BaseException | None) -> Any:
    """A backend-neutral picture of an outcome: types and group nesting, oldest first."""
    if exc is None:
        return None
    if isinstance(exc, BaseExceptionGroup):
        return (type(exc).__name__, [_shape(e) for e in exc.exceptions])
    if isinstance(exc, asyncio.CancelledError | trio.Cancelled):
        return "Cancelled(backend)"
    return type(exc).__name__


def _on_both(run_on: Any, fn: Callable[[], Awaitable[Any]]) -> list[Any]:
    """Run ``fn`` on asyncio and trio; return each backend's normalised outcome."""
    outcomes = []
    for backend in ("asyncio", "trio"):
        try:
            outcomes.append(("returned", run_on(backend, fn)))
        except BaseException as e:
            outcomes.append(("raised", _shape(e)))
    return outcomes


# -- §1.1 errors dropped -----------------------------------------------------------------


@pytest.mark.parametrize("exc_type", [Custom, GeneratorExit])
def test_1_1_base_exceptions_are_grouped_with_every_other_failure(run: Any, exc_type: type) -> None:
    boom, base = ValueError("boom"), exc_type("base")

    async def main() -> None:
        with pytest.raises(BaseExceptionGroup) as info:
            async with task.scope(policy=task.SUPERVISE) as s:
                s.spawn(_sleep_then, 1, boom).discard()
                s.spawn(_sleep_then, 2, base).discard()
        assert list(info.value.exceptions) == [boom, base]

    run(main)


def test_1_1_body_base_exception_is_grouped_with_the_child_failures(run: Any) -> None:
    boom, base = ValueError("boom"), Custom("body")

    async def main() -> None:
        with pytest.raises(BaseExceptionGroup) as info:
            async with task.scope(policy=task.SUPERVISE) as s:
                s.spawn(_sleep_then, 0, boom).discard()
                await anyio.sleep(1)
                raise base
        assert set(map(id, info.value.exceptions)) == {id(boom), id(base)}

    run(main)


def test_1_1_keyboard_interrupt_is_bare_but_the_other_failures_are_reachable(run: Any) -> None:
    boom = ValueError("boom")

    async def main() -> None:
        with pytest.raises(KeyboardInterrupt) as info:
            async with task.scope(policy=task.SUPERVISE) as s:
                s.spawn(_sleep_then, 1, boom).discard()
                s.spawn(_sleep_then, 2, KeyboardInterrupt()).discard()
        ctx = info.value.__context__
        assert isinstance(ctx, BaseExceptionGroup)
        assert list(ctx.exceptions) == [boom]

    run(main)


# -- §1.2 cancelled work starts ----------------------------------------------------------


@pytest.mark.parametrize("how", ["outside", "deadline"])
def test_1_2_queued_children_never_start_once_the_scope_is_cancelled(run: Any, how: str) -> None:
    started: list[int] = []

    async def worker(i: int) -> None:
        started.append(i)
        await anyio.sleep(10)

    async def main() -> None:
        with anyio.move_on_after(5 if how == "outside" else 100):
            async with task.scope(limit=1, timeout=5 if how == "deadline" else None) as s:
                for i in range(4):
                    s.spawn(worker, i).discard()
        assert started == [0]

    if how == "deadline":
        with pytest.raises(ExceptionGroup):
            run(main)
    else:
        run(main)


# -- §1.3 spurious group members ---------------------------------------------------------


def test_1_3_a_sibling_woken_as_the_scope_fails_that_spawns_adds_no_scope_closed_error(
    run_on: Any,
) -> None:
    boom = ValueError("boom")

    async def main() -> None:
        async def spawner(s: task.Scope) -> None:
            await anyio.sleep(1)
            s.spawn(_sleep_then, 1).discard()

        async with task.scope() as s:
            s.spawn(_sleep_then, 1, boom).discard()
            s.spawn(spawner, s).discard()

    outcomes = _on_both(run_on, main)
    assert outcomes[0] == outcomes[1] == ("raised", ("ExceptionGroup", ["ValueError"]))


def test_1_3_awaiting_a_queued_sibling_in_a_cancelled_scope_is_not_a_failure(run_on: Any) -> None:
    async def waits_for(h: task.Handle[Any]) -> None:
        await h

    async def main() -> None:
        async with task.scope(limit=1) as s:
            s.spawn(_sleep_then, 10).discard()
            h = s.spawn(_sleep_then, 1)
            s.spawn(waits_for, h).discard()
            await anyio.sleep(1)
            s.cancel()

    outcomes = _on_both(run_on, main)
    assert outcomes[0] == outcomes[1] == ("returned", None)


@pytest.mark.parametrize("timeout", [0, 1e-9])
def test_1_3_tiny_timeouts_raise_deadline_exceeded_alone(run_on: Any, timeout: float) -> None:
    async def main() -> None:
        async with task.scope(timeout=timeout) as s:
            s.spawn(_sleep_then, 1).discard()
            await anyio.lowlevel.checkpoint()
            s.spawn(_sleep_then, 1).discard()

    outcomes = _on_both(run_on, main)
    assert outcomes[0] == outcomes[1] == ("raised", ("ExceptionGroup", ["DeadlineExceeded"]))


# -- §1.4 deadlines ------------------------------------------------------------------------


def test_1_4_synchronous_code_past_the_deadline_raises_nothing(run: Any) -> None:
    async def main() -> None:
        async with task.scope(timeout=1) as s:
            s.spawn(_sleep_then, 0.5).discard()
            await anyio.sleep(0.9)
        # only synchronous code ran past the deadline: nothing was cancelled

    run(main)


def test_1_4_empty_body_with_timeout_zero_returns(run_on: Any) -> None:
    async def main() -> None:
        async with task.scope(timeout=0):
            pass

    assert _on_both(run_on, main) == [("returned", None)] * 2


def test_1_4_an_enclosing_cancel_that_fired_first_wins(backend: str, run: Any) -> None:
    async def main() -> str:
        with anyio.move_on_after(1) as outer:
            async with task.scope(timeout=1):
                await anyio.sleep(5)
        return "moved on" if outer.cancelled_caught else "not caught"

    # the outer move_on_after was created first with the same deadline: it fired first
    assert run(main) == "moved on"


# -- §1.5 results lost -------------------------------------------------------------------


def test_1_5_an_interrupted_await_leaves_the_handle_unconsumed(run: Any) -> None:
    async def main() -> int:
        async with task.scope() as s:
            h = s.spawn(_sleep_then, 5, None, 42)
            with anyio.move_on_after(1):
                await h
            return int(await h)

    assert run(main) == 42


# -- §1.6 services -------------------------------------------------------------------------


async def _stubborn_service() -> None:
    with contextlib.suppress(BaseException):  # swallow one cancellation
        await anyio.sleep(100)
    await anyio.sleep(100)


def test_1_6_a_service_that_swallows_one_cancel_is_cancelled_again(run: Any) -> None:
    async def main() -> float:
        async with task.scope() as s:
            svc = s.service(_stubborn_service)
            await anyio.sleep(1)
            await svc.stop()
        return anyio.current_time()

    assert run(main) == 1


def test_1_6_services_do_not_take_limit_slots(run: Any) -> None:
    async def daemon() -> None:
        await anyio.sleep(100)

    async def main() -> int:
        async with task.scope(limit=2) as s:
            for _ in range(3):
                s.service(daemon)
            h = s.spawn(_sleep_then, 1, None, 7)
            value = int(await h)
            s.cancel()
        return value

    assert run(main) == 7


# -- §1.7 misuse -----------------------------------------------------------------------------


def test_1_7_a_child_re_entering_its_parent_is_refused_and_the_scope_intact(run: Any) -> None:
    boom = ValueError("boom")

    async def reenter(s: task.Scope) -> None:
        async with s:
            pass

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope(policy=task.SUPERVISE) as s:
                s.spawn(reenter, s).discard()
                await anyio.sleep(1)
                assert not s.cancel_called and task.cause() is None
                raise boom  # still seen as the body's error: the owner is intact
        kinds = [type(e) for e in info.value.exceptions]
        assert kinds == [RuntimeError, ValueError]  # the misuse, then the body's error
        assert "already entered" in str(info.value.exceptions[0])

    run(main)


# -- §1.8 busy re-cancel and shielding ------------------------------------------------------


def test_1_8_shielded_cleanup_finishes(run: Any) -> None:
    log: list[str] = []

    async def child() -> None:
        try:
            await anyio.sleep(100)
        finally:
            async with task.scope(shield=True):
                await anyio.sleep(1)
                log.append("cleaned")

    async def main() -> None:
        async with task.scope() as s:
            s.spawn(child).discard()
            await anyio.sleep(1)
            s.cancel()
        assert log == ["cleaned"]
        assert anyio.current_time() == 2

    run(main)


def test_1_8_a_cancelled_scope_does_not_spin_while_its_children_wait() -> None:
    # The loop's steps are counted: a re-cancel polled at every step would spin the
    # virtual clock's loop without ever idling (no time would pass: a hang).
    steps = 0

    class Counting(VirtualClockEventLoop):
        def _run_once(self) -> None:
            nonlocal steps
            steps += 1
            if steps > 10_000:
                raise RuntimeError("the loop spins")
            super()._run_once()  # type: ignore[misc]

    async def child(job: asyncio.Future[None]) -> None:
        try:
            await asyncio.sleep(100)
        finally:
            async with task.scope(shield=True):
                await asyncio.shield(job)  # cleanup that must finish, shielded

    async def main() -> float:
        job: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(10, job.set_result, None)
        async with task.scope() as s:
            s.spawn(child, job).discard()
            await asyncio.sleep(1)
            s.cancel()
        return asyncio.get_running_loop().time()

    with asyncio.Runner(loop_factory=Counting) as runner:
        assert runner.run(main()) == 10
    assert steps < 50


# -- §1.9 threads ---------------------------------------------------------------------------


def test_1_9_cancel_from_another_thread_is_refused_with_the_state_unchanged(
    run: Any, from_another_thread: Any
) -> None:
    async def main() -> None:
        async with task.scope() as s:
            h = s.spawn(_sleep_then, 1, None, 1)
            err = await from_another_thread(s, s.cancel)
            assert isinstance(err, RuntimeError) and "thread" in str(err)
            assert not s.cancel_called
            assert await h == 1

    run(main)


def test_1_9_cancel_threadsafe_cancels_from_another_thread(run: Any) -> None:
    async def main() -> BaseException | None:
        async with task.scope() as s:
            h = s.spawn(_sleep_then, 10**6)
            t = threading.Thread(target=s.cancel_threadsafe, args=(KeyError("why"),))
            t.start()
            while not s.cancel_called:
                await anyio.sleep(0.01)
            t.join()
            with pytest.raises(task.Cancelled):
                await h
        return s.cause

    assert isinstance(run(main), KeyError)


# -- §1.13 shapes and messages ---------------------------------------------------------------


def test_1_13_an_async_generator_function_is_refused_by_name(run: Any) -> None:
    async def agen() -> Any:
        yield 1

    async def main() -> None:
        async with task.scope() as s:
            with pytest.raises(TypeError, match="async generator"):
                s.spawn(agen)  # type: ignore[arg-type]

    run(main)


def test_1_13_launch_errors_name_launch(run: Any) -> None:
    def plain() -> None:
        pass

    async def main() -> None:
        async with task.scope() as s:
            with pytest.raises(TypeError, match=r"launch\(\)"):
                s.launch(plain)  # type: ignore[arg-type]

    run(main)


def test_1_13_cancel_with_a_raising_repr_still_cancels(run: Any) -> None:
    class Ugly(Exception):
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    async def main() -> None:
        async with task.scope() as s:
            h = s.spawn(_sleep_then, 100)
            s.cancel(Ugly())
            with pytest.raises(task.Cancelled):
                await h
        assert isinstance(s.cause, Ugly)

    run(main)


def test_1_13_keyboard_interrupt_in_the_waiting_body_is_bare(run_on: Any) -> None:
    async def main() -> None:
        async def interrupt_body(t: Any) -> None:
            await anyio.sleep(1)
            raise KeyboardInterrupt

        async with task.scope() as s:
            s.spawn(interrupt_body, None).discard()
            s.spawn(_sleep_then, 10).discard()

    assert _on_both(run_on, main) == [("raised", "KeyboardInterrupt")] * 2


# -- §1.14 readiness ---------------------------------------------------------------------------


def test_1_14_start_returns_the_started_value_and_the_child_runs_on(run: Any) -> None:
    log: list[str] = []

    async def server(port: int, *, task_status: Any) -> None:
        await anyio.sleep(1)
        task_status.started(port + 1)
        await anyio.sleep(1)
        log.append("served")

    async def main() -> int:
        async with task.scope() as s:
            value = await s.start(server, 8000)
            assert anyio.current_time() == 1
        assert log == ["served"]
        return int(value)

    assert run(main) == 8001


def test_1_14_start_raises_the_childs_error_before_started(run: Any) -> None:
    async def broken(*, task_status: Any) -> None:
        await anyio.sleep(1)
        raise OSError("no port")

    async def main() -> None:
        async with task.scope() as s:
            with pytest.raises(OSError, match="no port"):
                await s.start(broken)

    run(main)


# -- §1.15 the backends agree -------------------------------------------------------------------


def test_1_15_a_child_cancelled_before_its_first_step_never_runs(run_on: Any) -> None:
    ran: list[str] = []

    async def fails_at_once() -> None:
        ran.append("ran")
        raise ValueError("boom")

    async def main() -> None:
        async with task.scope() as s:
            s.spawn(fails_at_once).discard()
            s.cancel()

    assert _on_both(run_on, main) == [("returned", None)] * 2
    assert ran == []


def test_1_15_a_sibling_finishing_in_the_same_instant_as_a_failure(run_on: Any) -> None:
    async def main() -> list[str]:
        async with task.scope(policy=task.FAIL_FAST) as s:
            s.spawn(_sleep_then, 1, ValueError("x")).discard()
            same = s.spawn(_sleep_then, 1, None, "same")
            later = s.spawn(_sleep_then, 2, None, "later")
            out = []
            for h in (same, later):
                try:
                    out.append(await h)
                except task.Cancelled:
                    out.append("cancelled")
        return out

    outcomes = _on_both(run_on, main)
    assert outcomes[0] == outcomes[1]


def test_1_15_a_body_that_swallowed_its_cancel_is_cancelled_at_its_next_checkpoint(
    run_on: Any,
) -> None:
    async def main() -> str:
        async with task.scope() as s:
            s.spawn(_sleep_then, 1, ValueError("x")).discard()
            with contextlib.suppress(BaseException):
                await anyio.sleep(10)
            try:
                await anyio.lowlevel.checkpoint()
            except BaseException:
                return "cancelled again"
            return "not cancelled again"
        return "unreachable"

    outcomes = _on_both(run_on, main)
    assert outcomes[0] == outcomes[1]


# -- §1.16 services inside other policies ---------------------------------------------------------


def test_1_16_a_service_ending_is_not_a_race_result(run: Any) -> None:
    async def quick_service() -> None:
        await anyio.sleep(1)

    async def main() -> Any:
        async with task.scope(policy=task.RACE) as s:
            s.service(quick_service)
            s.spawn(_sleep_then, 2, None, "winner").discard()
        return s.result()

    assert run(main) == "winner"


def test_1_16_a_service_cancelled_before_it_starts_leaves_no_warning(run: Any) -> None:
    async def daemon() -> None:
        await anyio.sleep(100)

    async def main() -> None:
        async with task.scope() as s:
            s.service(daemon)
            s.cancel()

    with _no_warnings():
        run(main)


def _no_warnings() -> Any:
    import warnings

    class _Ctx:
        def __enter__(self) -> None:
            self._w = warnings.catch_warnings(record=True)
            self.caught = self._w.__enter__()
            warnings.simplefilter("always")

        def __exit__(self, *a: object) -> None:
            gc.collect()
            self._w.__exit__(*a)
            assert not [str(w.message) for w in self.caught]

    return _Ctx()


# -- §1.12 garbage ---------------------------------------------------------------------------


@pytest.mark.parametrize("policy", [task.FAIL_FAST, task.SUPERVISE])
def test_1_12_a_failing_scope_leaves_no_cyclic_garbage(run: Any, policy: task.Policy) -> None:
    async def crash() -> None:
        await anyio.sleep(1)
        raise ValueError("boom")

    async def idle() -> None:
        big = list(range(100))  # noqa: F841 - locals that must not outlive the scope
        await anyio.sleep(100)

    async def main() -> int:
        gc.collect()
        gc.disable()
        try:
            try:
                async with task.scope(policy=policy) as s:
                    s.spawn(crash).discard()
                    s.launch(idle) if policy is task.FAIL_FAST else None
            except ExceptionGroup:
                pass
            return gc.collect()
        finally:
            gc.enable()

    assert run(main) == 0


# -- §1.13 tracebacks and chaining -------------------------------------------------------------


def test_1_13_the_group_does_not_hold_the_bodys_error_as_its_context(run: Any) -> None:
    # found by trio's test_nursery_exception_chaining_doesnt_make_context_loops
    async def crasher() -> None:
        raise KeyError

    async def main() -> None:
        with pytest.raises(BaseExceptionGroup) as info:
            async with task.scope(policy=task.SUPERVISE) as s:
                s.launch(crasher)
                await anyio.sleep(1)
                raise ValueError
        assert info.value.__context__ is None

    run(main)


def test_1_13_a_childs_traceback_starts_at_the_users_frame(run: Any) -> None:
    async def crasher() -> None:
        raise KeyError("here")

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope() as s:
                s.launch(crasher)
        (err,) = info.value.exceptions
        tb = err.__traceback__
        assert tb is not None and tb.tb_frame.f_code is crasher.__code__

    run(main)


# -- §1.3 (again), §1.7 (again), §1.11, §1.13 (again) ---------------------------------------------


def test_1_3_a_child_awaiting_a_dropped_queued_sibling_is_not_a_failure(run_on: Any) -> None:
    async def waits_for(h: task.Handle[Any]) -> None:
        await h  # raises task.Cancelled: the scope dropped h, queued

    async def main() -> None:
        async with task.scope(limit=2) as s:
            s.spawn(_sleep_then, 10).discard()
            h = s.spawn(_sleep_then, 1)  # queued behind the two below? no: second slot
            s.spawn(waits_for, h).discard()
            await anyio.sleep(0.5)
            s.cancel()

    async def queued_main() -> None:
        async with task.scope(limit=2) as s:
            s.spawn(_sleep_then, 10).discard()
            waiter_slot = s.spawn(_sleep_then, 10)
            waiter_slot.discard()
            h = s.spawn(_sleep_then, 1)  # queued
            async with task.scope() as inner:
                inner.spawn(waits_for, h).discard()
                await anyio.sleep(0.5)
                s.cancel()

    assert _on_both(run_on, main) == [("returned", None)] * 2
    assert _on_both(run_on, queued_main) == [("returned", None)] * 2


def test_1_7_exiting_a_scope_from_another_task_is_refused_and_the_scope_intact(run: Any) -> None:
    async def main() -> None:
        s = task.scope()
        await s.__aenter__()
        err: list[BaseException] = []

        async def intruder() -> None:
            try:
                await s.__aexit__(None, None, None)
            except RuntimeError as e:
                err.append(e)

        async with task.scope() as other:
            other.spawn(intruder).discard()
        assert len(err) == 1 and "another task" in str(err[0])
        h = s.spawn(_sleep_then, 1, None, 5)
        assert await h == 5
        await s.__aexit__(None, None, None)

    run(main)


def test_1_11_a_supervised_failure_awaited_from_outside_is_reported_once(run_on: Any) -> None:
    async def await_it(h: task.Handle[Any]) -> None:
        await h

    async def main() -> None:
        async with task.scope() as outer, task.scope(policy=task.SUPERVISE) as s:
            h = s.spawn(_sleep_then, 1, ValueError("once"))
            outer.spawn(await_it, h).discard()

    for _ in range(20):
        assert _on_both(run_on, main) == [("raised", ("ExceptionGroup", ["ValueError"]))] * 2


def test_1_13_a_coroutine_refused_from_another_thread_is_closed(
    run: Any, from_another_thread: Any
) -> None:
    async def main() -> None:
        async with task.scope() as s:
            coro = _sleep_then(1)
            err = await from_another_thread(s, lambda: s.spawn(coro))  # type: ignore[arg-type]
            assert isinstance(err, (RuntimeError, TypeError))
            assert coro.cr_frame is None  # closed: no "never awaited" warning

    run(main)


# -- survivors of the mutation run (issue 10 §1, end) -------------------------------------------


def test_survivor_supervise_body_error_is_raised_once_with_the_unreceived_failure(
    run: Any,
) -> None:
    child_err, body_err = KeyError("child"), ValueError("body")

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope(policy=task.SUPERVISE) as s:
                s.spawn(_sleep_then, 1, child_err).discard()
                await anyio.sleep(2)
                raise body_err
        assert list(info.value.exceptions) == [child_err, body_err]

    run(main)


def test_survivor_supervise_awaited_failure_reraised_by_the_body_is_reported_once(
    run: Any,
) -> None:
    err = KeyError("child")

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope(policy=task.SUPERVISE) as s:
                await s.spawn(_sleep_then, 1, err)  # raises err: the body lets it go
        assert list(info.value.exceptions) == [err]

    run(main)


def test_survivor_one_shot_outer_cancel_around_a_childless_scope(run: Any) -> None:
    async def main() -> tuple[bool, float]:
        with anyio.CancelScope() as cs:
            async with task.scope():
                cs.cancel()
                await anyio.sleep(10)
        return cs.cancelled_caught, anyio.current_time()

    assert run(main) == (True, 0)


def test_survivor_one_shot_task_cancel_around_a_childless_scope_asyncio(run_on: Any) -> None:
    async def body() -> None:
        async with task.scope():
            await asyncio.sleep(10)

    async def main() -> bool:
        t = asyncio.get_running_loop().create_task(body())
        await asyncio.sleep(1)
        t.cancel()  # once
        with contextlib.suppress(asyncio.CancelledError):
            await t
        return t.cancelled()

    assert run_on("asyncio", main) is True


def test_survivor_scope_cancel_then_outer_task_cancel_propagates_asyncio(run_on: Any) -> None:
    async def body() -> None:
        async with task.scope() as s:
            s.spawn(_sleep_then, 10).discard()
            s.cancel()
            await asyncio.sleep(1)

    async def main() -> bool:
        t = asyncio.get_running_loop().create_task(body())
        await asyncio.sleep(0)
        t.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await t
        return t.cancelled()

    assert run_on("asyncio", main) is True


def test_survivor_launched_child_returning_a_value_while_a_sibling_runs(run: Any) -> None:
    async def answer() -> int:
        await anyio.sleep(1)
        return 42

    async def main() -> None:
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope() as s:
                s.launch(answer)  # type: ignore[arg-type]
                s.spawn(_sleep_then, 10).discard()
        (err,) = info.value.exceptions
        assert isinstance(err, task.LinearityError) and "returned 42" in str(err)
        assert anyio.current_time() == 1  # the sibling was cancelled by it

    run(main)


def test_survivor_run_whose_body_cancels_its_scope_raises_cancelled(run: Any) -> None:
    async def body(s: task.Scope) -> int:
        s.cancel()
        await anyio.sleep(1)
        return 1

    async def main() -> None:
        with pytest.raises(task.Cancelled):
            await task.run(body)

    run(main)


def test_survivor_finished_children_do_not_accumulate_in_a_long_lived_limit_scope(
    run: Any,
) -> None:
    async def main() -> None:
        async with task.scope(limit=3) as s:
            for _ in range(300):
                s.spawn(_sleep_then, 0.01).discard()
                s.launch(_sleep_then, 0.01)
            await anyio.sleep(100)
            assert s.tree().count("\n") <= 1  # the scope and its body line: nothing kept
            assert repr(s).endswith("running=0>")

    run(main)


def test_survivor_tree_of_scopes_nested_in_bodies(run: Any) -> None:
    async def main() -> None:
        async with task.scope(name="a"), task.scope(name="b"), task.scope(name="c") as c:
            c.spawn(_sleep_then, 1).discard()
            lines = task.tree().splitlines()
        heads = [line for line in lines if "scope '" in line]
        assert [h.split("'")[1] for h in heads] == ["a", "b", "c"]
        assert [len(h) - len(h.lstrip()) for h in heads] == [0, 4, 8]
        assert any(line.startswith("          task _sleep_then()") for line in lines)

    run(main)


def test_1_8_cleanup_in_a_cancelled_child_is_cut_unless_shielded_on_both(run_on: Any) -> None:
    async def main() -> list[str]:
        log: list[str] = []

        async def child(shield: bool) -> None:
            try:
                await anyio.sleep(100)
            finally:
                async with task.scope(shield=shield):
                    await anyio.sleep(1)
                    log.append(f"cleaned shield={shield}")

        async with task.scope() as s:
            s.spawn(child, False).discard()
            s.spawn(child, True).discard()
            await anyio.sleep(1)
            s.cancel()
        return log

    assert _on_both(run_on, main) == [("returned", ["cleaned shield=True"])] * 2


def test_1_15_a_service_waking_exactly_at_the_deadline_sees_it_as_the_cause(run_on: Any) -> None:
    async def main() -> str:
        seen: list[str] = []

        async def daemon() -> None:
            try:
                await anyio.sleep(1)
            finally:
                seen.append(repr(type(task.cause())))

        with contextlib.suppress(ExceptionGroup):
            async with task.scope(timeout=1) as s:
                s.service(daemon)
                await anyio.sleep(5)
        return seen[0]

    for _ in range(10):  # trio runs the body and the service in either order
        assert _on_both(run_on, main) == [("returned", repr(task.DeadlineExceeded))] * 2


def test_1_10_the_factory_runs_in_the_childs_context_on_trio(run_on: Any) -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    def factory() -> Any:
        var.set("factory")
        return _sleep_then(0)

    async def main() -> str:
        async with task.scope() as s:
            s.spawn(factory).discard()
        return var.get()

    assert run_on("trio", main) == "unset"


def test_1_10_cause_in_a_task_of_a_foreign_outer_group_is_not_the_scopes(run: Any) -> None:
    async def main() -> Any:
        seen: list[Any] = []

        async def foreign() -> None:
            await anyio.sleep(2)
            seen.append(task.cause())

        async with anyio.create_task_group() as tg, task.scope() as s:
            tg.start_soon(foreign)  # owned by tg, outside the scope
            s.cancel(KeyError("scope's"))
        return seen

    assert run(main) == [None]


def test_1_10_cause_in_a_foreign_task_that_outlived_a_nested_scope_is_the_enclosings(
    run: Any,
) -> None:
    async def main() -> Any:
        seen: list[Any] = []

        async def foreign() -> None:
            await anyio.sleep(2)
            seen.append(task.cause())
            seen.append(task.tree().count("scope"))

        async with task.scope() as outer:
            async with anyio.create_task_group() as tg, task.scope() as inner:
                tg.start_soon(foreign)  # tg lives in outer's body, not in inner
                inner.cancel(KeyError("inner's"))
            return seen, outer.cancel_called

    # outer was not cancelled: None, not inner's KeyError; tree() from there shows the
    # live scope (outer), not the exited inner one.
    assert run(main) == ([None, 1], False)


def test_1_13_keyboard_interrupt_delivered_to_the_waiting_body_is_bare_on_trio(
    run_on: Any,
) -> None:
    # trio delivers a SIGINT raised in KI-protected code to the main task at its next
    # checkpoint: here the body, waiting in the scope's exit for its children.
    import signal

    @trio.lowlevel.enable_ki_protection
    async def child() -> None:
        signal.raise_signal(signal.SIGINT)
        await trio.sleep(10)

    async def main() -> None:
        async with task.scope() as s:
            s.spawn(child).discard()

    with pytest.raises(KeyboardInterrupt):
        run_on("trio", main)


# -- found by the differential and version tests (notes/findings-diff.md, -versions.md) ------


def _outer(program: Callable[[], Awaitable[Any]], after: float) -> Callable[[], Awaitable[str]]:
    async def main() -> str:
        with anyio.move_on_after(after) as cs:
            await program()
        return "outer cancel caught" if cs.cancelled_caught else "returned"

    return main


def test_diff_cancelled_in_group_an_enclosing_cancel_crosses_a_nested_scope_bare(
    run_on: Any,
) -> None:
    seen: list[str] = []

    async def program() -> None:
        async with task.scope():
            try:
                async with task.scope():
                    await anyio.sleep(1)
            except anyio.get_cancelled_exc_class():
                seen.append("caught bare")
                raise

    assert _on_both(run_on, _outer(program, 0.5)) == [("returned", "outer cancel caught")] * 2
    assert seen == ["caught bare"] * 2


def test_diff_nested_exit_is_a_schedule_point_on_asyncio_too(run_on: Any) -> None:
    # trio's nursery exit is a schedule point; asyncio's scope exit yields once too, so
    # a sibling spawned before it gets its step (on trio both are in one batch, whose
    # order trio randomises: there the outcome is a tie, see semantics §1.2).
    ran: list[str] = []

    async def main() -> None:
        async def a() -> None:
            ran.append("a")

        async with task.scope() as s0:
            s0.spawn(a).discard()
            async with task.scope():
                pass
            s0.cancel()

    run_on("asyncio", main)
    assert ran == ["a"]


def test_diff_timeout_zero_cancels_the_first_checkpoint_on_both(run_on: Any) -> None:
    async def main() -> None:
        async with task.scope(timeout=0):
            await anyio.lowlevel.checkpoint()

    expected = ("raised", ("ExceptionGroup", ["DeadlineExceeded"]))
    assert _on_both(run_on, main) == [expected] * 2


def test_diff_outer_cancel_while_joining_a_swallowing_child_propagates(run_on: Any) -> None:
    async def program() -> None:
        async def swallows() -> None:
            with contextlib.suppress(BaseException):
                await anyio.sleep(1)

        async with task.scope() as s:
            s.spawn(swallows).discard()

    assert _on_both(run_on, _outer(program, 0.5)) == [("returned", "outer cancel caught")] * 2


def test_versions_an_outside_cancel_landing_as_a_child_fails_is_kept_asyncio(
    run_on: Any,
) -> None:
    async def body(log: list[str]) -> None:
        try:
            async with task.scope() as s:
                s.spawn(_sleep_then, 1, ValueError("child")).discard()
                await asyncio.sleep(10)
        except ExceptionGroup:
            log.append("caught the failure")
        await asyncio.sleep(1)  # the outside cancellation must hit here
        log.append("ran on")

    async def main() -> list[str]:
        log: list[str] = []
        t = asyncio.get_running_loop().create_task(body(log))
        await asyncio.sleep(1)  # t=1: the child fails in this step...
        t.cancel()  # ...and the caller is cancelled from outside
        with contextlib.suppress(asyncio.CancelledError):
            await t
        return [*log, "cancelled" if t.cancelled() else "not cancelled"]

    # Kept from 3.13 on (as TaskGroup, gh-116720); before, a re-armed request could not
    # be withdrawn by an exiting timeout scope, so it is not re-armed (as TaskGroup).
    kept = ["caught the failure", "cancelled"]
    lost = ["caught the failure", "ran on", "not cancelled"]
    assert run_on("asyncio", main) == (kept if sys.version_info >= (3, 13) else lost)


def test_an_exited_outer_cancel_scope_does_not_leak_past_a_failing_scope(run_on: Any) -> None:
    async def main() -> str:
        async def crasher() -> None:
            raise ValueError

        with contextlib.suppress(ExceptionGroup), anyio.CancelScope() as outer:
            async with task.scope() as s:
                s.launch(anyio.sleep_forever)
                outer.cancel()
                s.launch(crasher)
                raise ValueError
        await anyio.sleep(1)  # outside the cancelled scope: not cancelled
        return "ran on"

    assert _on_both(run_on, main) == [("returned", "ran on")] * 2


def test_1_12_a_cancelled_childs_locals_die_with_the_scope(run: Any) -> None:
    import weakref

    class Big:
        pass

    refs: list[weakref.ref[Big]] = []

    async def child() -> None:
        big = Big()
        refs.append(weakref.ref(big))
        await anyio.sleep(100)

    async def main() -> bool:
        gc.collect()
        gc.disable()
        try:
            async with task.scope() as s:
                s.spawn(child).discard()
                s.launch(child)
                await anyio.sleep(1)
                s.cancel()
            return all(r() is None for r in refs)
        finally:
            gc.enable()

    assert run(main) is True


@pytest.mark.parametrize("verb", ["spawn", "launch", "try_spawn"])
def test_1_10_a_queued_child_runs_in_its_spawners_context(run: Any, verb: str) -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    seen: list[str] = []

    async def record() -> None:
        seen.append(var.get())

    async def main() -> None:
        async with task.scope(limit=1) as s:
            s.spawn(_sleep_then, 1).discard()  # holds the slot: the next one queues
            var.set("spawner's")
            if verb == "spawn":
                s.spawn(record).discard()
            elif verb == "launch":
                s.launch(record)
            else:
                assert s.try_spawn(record) is None  # full: refused, not queued
                await anyio.sleep(2)
                h = s.try_spawn(record)
                assert h is not None
                h.discard()

    run(main)
    assert seen == ["spawner's"]


def test_a_scope_cancelled_before_entry_is_cancelled_on_entry(run_on: Any) -> None:
    # (was an AttributeError on trio) As a trio CancelScope cancelled before entry.
    async def main() -> str:
        s = task.scope()
        s.cancel(KeyError("early"))
        async with s:
            with pytest.raises(task.ScopeClosedError):
                s.spawn(_sleep_then, 1)
            await anyio.sleep(10)
        return f"{type(s.cause).__name__} at {anyio.current_time()}"

    assert _on_both(run_on, main) == [("returned", "KeyError at 0.0")] * 2


# -- the three classes left open by the rebuild (notes/findings-diff.md) ------------------


def test_diff_timeout_zero_a_cancel_before_any_checkpoint_wins(run_on: Any) -> None:
    # timeout=0, but s.cancel() came first: the refused spawn belongs to *that*
    # cancellation, so no DeadlineExceeded (asyncio fired the deadline on entry).
    async def main() -> str:
        async with task.scope(timeout=0) as s:
            s.cancel()
            with pytest.raises(task.ScopeClosedError):
                s.spawn(_sleep_then, 1)
        return type(s.cause).__name__

    assert _on_both(run_on, main) == [("returned", "CancelRequested")] * 2


def test_diff_an_outer_cancel_the_body_swallowed_propagates_from_the_exit(run_on: Any) -> None:
    # Level-triggered: the enclosing timeout reached the scope; swallowing it in the body
    # does not make it go away, the exit re-raises it (as trio's checkpoint does).
    # The backends' own timeouts: anyio's CancelScope re-delivers by itself on asyncio.
    async def main() -> str:
        async def program() -> None:
            async with task.scope() as s:
                s.spawn(_sleep_then, 0).discard()
                with contextlib.suppress(BaseException):
                    await anyio.sleep(1)

        if sniffio.current_async_library() == "trio":
            with trio.move_on_after(0.5) as cs:
                await program()
            return "outer cancel caught" if cs.cancelled_caught else "returned"
        try:
            async with asyncio.timeout(0.5):
                await program()
        except TimeoutError:
            return "outer cancel caught"
        return "returned"

    assert _on_both(run_on, main) == [("returned", "outer cancel caught")] * 2


def test_diff_a_scope_an_enclosing_cancel_reached_refuses_spawns(run_on: Any) -> None:
    # s0's deadline reached s1's body, which swallowed it: s1 is cancelled (vocabulary
    # of the semantics page), so a spawn there is refused and the child never runs.
    ran: list[str] = []

    async def child() -> None:
        ran.append("child")

    async def main() -> str:
        async with task.scope(timeout=0.5), task.scope() as s1:
            with contextlib.suppress(BaseException):
                await anyio.sleep(1)
            with pytest.raises(task.ScopeClosedError):
                s1.spawn(child)
            await anyio.sleep(1)  # still cancelled: level-triggered
        return "not reached"

    expected = ("raised", ("ExceptionGroup", ["DeadlineExceeded"]))
    assert _on_both(run_on, main) == [expected] * 2
    assert ran == []
