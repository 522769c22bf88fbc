"""The observer must be able to see what it claims to see: each test shows a failure
the lab records, on both backends where the backend allows it."""

from __future__ import annotations

import asyncio
import gc

import pytest
import trio
from joinery.harness import FOREVER, Failure, Script, run_lab

BACKENDS = ["asyncio", "trio"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_service_records_calls_endings_and_in_flight(backend):
    boom = Failure("boom")

    async def experiment(lab):
        svc = lab.service("s", {"ok": Script(2, "v"), "bad": Script(1, error=boom)})
        ok = await lab.observe(svc.call, "ok")
        bad = await lab.observe(svc.call, "bad")
        cut = await lab.observe(svc.call, "ok", cancel_after=1)
        return ok, bad, cut

    report = run_lab(backend, experiment)
    ok, bad, cut = report.value
    assert ok.value == "v" and ok.ended_at == 2.0
    assert bad.error is boom
    assert cut.cancelled and cut.interrupted
    endings = [(c.key, c.ending, c.started, c.ended) for c in report.journal.calls]
    assert endings == [
        ("ok", "ok", 0.0, 2.0),
        ("bad", "error", 2.0, 3.0),
        ("ok", "cancelled", 3.0, 4.0),
    ]
    assert report.journal.max_in_flight == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_timeout_mode_interrupts_and_reports(backend):
    async def experiment(lab):
        svc = lab.service("s", default=Script(100))
        return await lab.observe(svc.call, "x", timeout_after=5)

    out = run_lab(backend, experiment).value
    assert out.interrupted and not out.returned
    assert out.ended_at == 5.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_call_that_never_ends_is_recorded_as_hung(backend):
    async def experiment(lab):
        cancelled = lab.ops.cancelled_class()
        svc = lab.service("s", default=Script(FOREVER))

        async def stubborn():
            try:  # noqa: SIM105
                await svc.call("first")
            except cancelled:
                pass
            await svc.call("second")

        async def waits_for_it():
            await stubborn()

        return await lab.observe(waits_for_it, hang_after=50)

    out = run_lab(backend, experiment).value
    assert out.hung
    assert out.ended_at == 50.0


def test_asyncio_leftover_tasks_are_seen_before_any_cleanup():
    async def experiment(lab):
        svc = lab.service("s", default=Script(30))
        asyncio.get_running_loop().create_task(svc.call("orphan"), name="the-orphan")
        await lab.sleep(1)

    report = run_lab("asyncio", experiment)
    assert any("the-orphan" in t for t in report.leftovers)
    assert [c.key for c in report.open_at_end] == ["orphan"]
    # and the lab's own clean-up then cancelled it: the record shows it, after the end mark
    assert report.journal.calls[0].ending == "cancelled"
    assert report.journal.calls[0].seq_end > report.end_seq


def test_trio_system_task_leftovers_are_seen():
    async def experiment(lab):
        svc = lab.service("s", default=Script(30))
        trio.lowlevel.spawn_system_task(svc.call, "orphan", name="the-orphan")
        await lab.sleep(1)

    report = run_lab("trio", experiment)
    assert any("the-orphan" in t for t in report.leftovers)


def test_keyboard_interrupt_escaping_the_asyncio_loop_is_recorded():
    async def experiment(lab):
        svc = lab.service("s", default=Script(30))

        async def interrupt():
            await lab.sleep(1)
            raise KeyboardInterrupt

        sibling = asyncio.get_running_loop().create_task(svc.call("sibling"))
        await asyncio.gather(interrupt(), sibling)

    report = run_lab("asyncio", experiment)
    assert isinstance(report.error, KeyboardInterrupt)
    assert report.escaped_loop
    assert [c.key for c in report.open_at_end] == ["sibling"]


def test_never_awaited_coroutines_are_recorded_not_leaked_into_the_next_test():
    async def experiment(lab):
        svc = lab.service("s")
        svc.call("never awaited")

    report = run_lab("asyncio", experiment)
    assert any("never awaited" in w for w in report.warnings)


def test_unhandled_task_errors_reach_the_report():
    async def experiment(lab):
        async def fails():
            raise Failure("nobody awaits me")

        asyncio.get_running_loop().create_task(fails())
        await lab.sleep(1)

    report = run_lab("asyncio", experiment)
    # The failed task is done, so it is no leftover: only the loop's exception handler
    # can tell that its error was never retrieved, and the report must carry that.
    assert report.leftovers == []
    assert [e for e in report.loop_errors if "nobody awaits me" in e] == [
        "Task exception was never retrieved: Failure('nobody awaits me')"
    ]


def test_unknown_backend_is_named():
    async def experiment(lab):
        return None

    with pytest.raises(ValueError, match="unknown backend 'curio'"):
        run_lab("curio", experiment)  # type: ignore[arg-type]


async def _together(backend, *fns):
    if backend == "asyncio":
        await asyncio.gather(*(fn() for fn in fns))
    else:
        async with trio.open_nursery() as nursery:
            for fn in fns:
                nursery.start_soon(fn)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lab_waits_for_an_event_or_gives_up_at_its_timeout(backend):
    seen = []

    async def experiment(lab):
        svc = lab.service("s", default=Script(3))
        started = lab.event()

        async def flagged():
            await svc.call("before")
            started.set()
            await svc.call("after")

        async def waiter():
            seen.append((await lab.wait(started, timeout=10), lab.now()))
            seen.append((await lab.wait(lab.event(), timeout=2), lab.now()))

        await _together(lab.backend, flagged, waiter)

    report = run_lab(backend, experiment)
    assert report.error is None
    assert seen == [(True, 3.0), (False, 5.0)]


def test_a_never_awaited_coroutine_in_a_cycle_is_found_by_the_labs_young_collection():
    # Only the cycle collector frees it: the lab's gc.collect(0) must see it, because no
    # automatic collection promoted it to an older generation during the run.
    async def experiment(lab):
        svc = lab.service("s")
        cycle = [svc.call("never awaited, in a cycle")]
        cycle.append(cycle)
        for _ in range(5000):  # plenty of allocations, which would trigger collections
            [object()]
        await lab.sleep(1)

    gc_was_enabled = gc.isenabled()
    report = run_lab("asyncio", experiment)
    assert gc.isenabled() == gc_was_enabled  # the lab restores what it found
    assert any("never awaited" in w for w in report.warnings)
