"""Item 9: services (Task 8's daemon) with a join-able, idempotent stop()."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from joinery import task


class Flusher:
    """An independent record of what the daemon did."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.flushes = 0
        self.exited = False
        self.cause: BaseException | None = None
        self.fail_at = fail_at

    async def loop(self, interval: float) -> None:
        try:
            while True:
                await anyio.sleep(interval)
                self.flushes += 1
                if self.flushes == self.fail_at:
                    raise OSError("disk full")
        finally:
            self.cause = task.cause()
            self.exited = True


def test_stop_returns_only_after_the_service_exited(run: Any) -> None:
    async def main() -> None:
        f = Flusher()
        async with task.scope() as s:
            svc = s.service(f.loop, 1)
            assert svc.running
            await anyio.sleep(3.5)
            await svc.stop()
            assert f.exited and not svc.running  # exited before stop() returned
            flushes = f.flushes
            await anyio.sleep(10)
            assert f.flushes == flushes == 3  # nothing after stop()
        assert isinstance(f.cause, task.CancelRequested)

    run(main)


def test_stop_is_idempotent_and_concurrent_stops_all_wait(run: Any) -> None:
    async def main() -> None:
        f = Flusher()
        returned: list[bool] = []

        async def stopper(svc: task.Service) -> None:
            await svc.stop()
            returned.append(f.exited)

        async with task.scope() as s:
            svc = s.service(f.loop, 1)
            await anyio.sleep(1.5)
            s.spawn(stopper, svc).discard()
            s.spawn(stopper, svc).discard()
        assert returned == [True, True]

    run(main)


def test_stop_twice_in_a_row_and_stop_before_start(run: Any) -> None:
    async def main() -> None:
        f, g = Flusher(), Flusher()
        async with task.scope() as s:
            early = s.service(g.loop, 1)
            await early.stop()  # stopped before it ever ran: its function never starts
            assert not early.running and g.flushes == 0 and not g.exited
            svc = s.service(f.loop, 1)
            await anyio.sleep(1.5)
            await svc.stop()
            await svc.stop()
            assert f.exited and f.flushes == 1

    run(main)


def test_error_inside_the_service_is_not_lost(run: Any) -> None:
    async def main() -> None:
        f = Flusher(fail_at=2)
        with pytest.raises(ExceptionGroup) as info:
            async with task.scope() as s:
                s.service(f.loop, 1)
                await anyio.sleep(100)  # cancelled by the service's failure (fail-fast)
        (err,) = info.value.exceptions
        assert isinstance(err, OSError) and str(err) == "disk full"
        assert anyio.current_time() == 2

    run(main)


def test_stop_raises_the_service_failure_under_supervise(run: Any) -> None:
    async def main() -> None:
        f = Flusher(fail_at=1)
        async with task.scope(policy=task.SUPERVISE) as s:
            svc = s.service(f.loop, 1)
            await anyio.sleep(5)
            with pytest.raises(OSError, match="disk full"):
                await svc.stop()
            await svc.stop()  # idempotent: the failure was delivered once

    run(main)


def test_service_still_running_when_the_body_ends_is_stopped(run: Any) -> None:
    async def main() -> None:
        f = Flusher()
        async with task.scope() as s:
            s.service(f.loop, 1)
            await anyio.sleep(2.5)
        assert f.exited and f.flushes == 2
        assert anyio.current_time() == 2.5

    run(main)


def test_service_refuses_bad_input(run: Any) -> None:
    def plain() -> None:
        pass

    async def main() -> None:
        async with task.scope() as s:
            with pytest.raises(TypeError, match="plain function"):
                s.service(plain)
        with pytest.raises(task.ScopeClosedError):
            s.service(Flusher().loop, 1)

    run(main)
