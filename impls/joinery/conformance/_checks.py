"""The checks: one function per property of ``properties.toml``.

A check drives a model's scenario functions from outside, through fake services on a
virtual clock, and judges only what the harness saw: call records, times, the objects
that reached the caller, what was left alive. It never asks the model how it did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from joinery.conformance._verdict import (
    Case,
    Judgement,
    conclude,
    contains,
    describe,
    describe_outcome,
    describe_report,
    leaves,
)
from joinery.harness import FOREVER, Failure, FakeService, Lab, LabReport, Outcome, Script, run_lab
from joinery.models import Backend, Dashboard, Model, Unsupported

Check = Callable[[Model, Backend], Judgement]
CHECKS: dict[str, Check] = {}

SETTLE = 100.0
"""Virtual seconds the observer keeps watching after a call returned, to catch orphans."""


def check(property_id: str) -> Callable[[Check], Check]:
    """Register a check for ``property_id``."""

    def register(fn: Check) -> Check:
        CHECKS[property_id] = fn
        return fn

    return register


# -- shared pieces -------------------------------------------------------------------


class _Api:
    """T1's DashboardAPI over one fake service with keys user, posts, stats."""

    def __init__(self, svc: FakeService) -> None:
        self._svc = svc

    async def fetch_user(self, user_id: str) -> object:
        return await self._svc.call("user")

    async def fetch_posts(self, user_id: str) -> object:
        return await self._svc.call("posts")

    async def fetch_stats(self, user_id: str) -> object:
        return await self._svc.call("stats")


@contextmanager
def _case(cases: list[Case], name: str) -> Iterator[Case]:
    case = Case(name)
    try:
        yield case
    except Unsupported as exc:
        case.note(unsupported=str(exc))
    cases.append(case)


def _judge(model: Model, cases: list[Case], passed: str) -> Judgement:
    supported = [c for c in cases if "unsupported" not in c.observed]
    if not supported:
        reasons = "; ".join(sorted({str(c.observed["unsupported"]) for c in cases}))
        return Judgement(
            "unsupported",
            f"{model.name} cannot express it: {reasons}",
            {c.name: c.as_json() for c in cases},
        )
    judgement = conclude(supported, passed)
    for c in cases:
        if c not in supported:
            judgement.evidence[c.name] = c.as_json()
    return judgement


def _run(
    case: Case,
    backend: Backend,
    experiment: Callable[[Lab], Awaitable[Outcome]],
    *,
    may_escape: bool = False,
) -> tuple[LabReport[Outcome], Outcome | None]:
    """Run one experiment; record the lab's view and the caller's outcome in ``case``.

    An exception escaping the experiment is a failure of the case, unless ``may_escape``
    says the check judges that itself.
    """
    report = run_lab(backend, experiment)
    case.note(lab=describe_report(report))
    out = report.value
    if out is not None:
        case.note(outcome=describe_outcome(out))
    elif report.error is not None and not may_escape:
        case.require(False, f"the experiment itself failed: {describe(report.error)}")
    return report, out


def _require_quiet_after(case: Case, report: LabReport[Outcome], out: Outcome) -> None:
    """No call may start or end after the call returned, or still be open at the end."""
    late = report.journal.active_after(out.end_seq)
    case.require(
        not late,
        "children ran after the call returned: "
        + ", ".join(f"{c.key} ({c.ending} at t={c.ended:g})" for c in late),
    )


def _require_not_hung(case: Case, out: Outcome) -> None:
    case.require(not out.hung, f"the call hung (still running at t={out.ended_at:g})")


# -- T1 --------------------------------------------------------------------------------


def _dashboard_experiment(
    model: Model,
    scripts: dict[str, Script],
    **observe: Any,
) -> Callable[[Lab], Awaitable[Outcome]]:
    load = model.scenario("load_dashboard")

    async def experiment(lab: Lab) -> Outcome:
        svc = lab.service("api", scripts)
        out = await lab.observe(load, _Api(svc), "u1", **observe)
        await lab.sleep(SETTLE)
        return out

    return experiment


def _fine(latency: float, value: object) -> Script:
    return Script(latency, result=value)


@check("join")
def join(model: Model, backend: Backend) -> Judgement:
    """Join on success, on failure, on outer cancellation (T1) and for a T2 scope."""
    cases: list[Case] = []
    with _case(cases, "T1 success") as case:
        scripts = {"user": _fine(1, "U"), "posts": _fine(2, "P"), "stats": _fine(3, "S")}
        report, out = _run(case, backend, _dashboard_experiment(model, scripts))
        if out is not None:
            _require_not_hung(case, out)
            case.require(
                out.value == Dashboard("U", "P", "S"),
                f"returned {out.value!r} instead of all three parts",
            )
            _require_quiet_after(case, report, out)
    with _case(cases, "T1 failure") as case:
        boom = Failure("user failed")
        scripts = {"user": Script(1, error=boom), "posts": _fine(5, "P"), "stats": _fine(5, "S")}
        report, out = _run(case, backend, _dashboard_experiment(model, scripts))
        if out is not None:
            _require_not_hung(case, out)
            _require_quiet_after(case, report, out)
    with _case(cases, "T1 outer cancellation") as case:
        scripts = {"user": _fine(10, "U"), "posts": _fine(10, "P"), "stats": _fine(10, "S")}
        exp = _dashboard_experiment(model, scripts, cancel_after=5)
        report, out = _run(case, backend, exp)
        if out is not None:
            _require_not_hung(case, out)
            _require_quiet_after(case, report, out)
    with _case(cases, "T2 scope") as case:
        run_scope = model.scenario("run_scope")

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("child", {"a": _fine(1, "a"), "b": _fine(2, "b"), "c": _fine(3, "c")})

            async def body(scope: Any) -> None:
                for key in "abc":
                    scope.spawn(lambda key=key: svc.call(key))

            out = await lab.observe(run_scope, body)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            _require_not_hung(case, out)
            case.require(out.returned, f"run() raised {describe(out.error)}")
            case.require(len(report.journal.calls) == 3, "not all three children ran")
            _require_quiet_after(case, report, out)
    return _judge(model, cases, "returned only after every child ended, in all four cases")


@check("no_fixed_wait")
def no_fixed_wait(model: Model, backend: Backend) -> Judgement:
    """Return time equals the slowest fetch's end, for fast and for slow fetches."""
    cases: list[Case] = []
    for label, lat in (("fast fetches", (0.5, 1.0, 1.5)), ("slow fetches", (10.0, 20.0, 30.0))):
        with _case(cases, label) as case:
            scripts = {k: _fine(t, k) for k, t in zip(("user", "posts", "stats"), lat, strict=True)}
            report, out = _run(case, backend, _dashboard_experiment(model, scripts))
            if out is not None:
                last_end = max((c.ended for c in report.journal.calls), default=float("nan"))
                case.note(slowest_fetch_ended=last_end)
                case.require(out.returned, f"raised {describe(out.error)}")
                case.require(
                    out.ended_at == last_end,
                    f"returned at t={out.ended_at:g}, the slowest fetch ended at t={last_end:g}",
                )
    return _judge(model, cases, "returned exactly when the slowest fetch ended")


@check("sibling_cancellation")
def sibling_cancellation(model: Model, backend: Backend) -> Judgement:
    """fetch_user fails at t=1: the two 100 s siblings must be cancelled at t=1."""
    cases: list[Case] = []
    with _case(cases, "T1 user fails") as case:
        boom = Failure("user failed")
        scripts = {
            "user": Script(1, error=boom),
            "posts": _fine(100, "P"),
            "stats": _fine(100, "S"),
        }
        report, _ = _run(case, backend, _dashboard_experiment(model, scripts))
        for key in ("posts", "stats"):
            calls = report.journal.by_key(key)
            case.require(bool(calls), f"{key} never started")
            for c in calls:
                case.require(
                    c.ending == "cancelled" and c.ended == 1.0,
                    f"{key} was not cancelled at t=1: it ended {c.ending} at t={c.ended:g}",
                )
    return _judge(model, cases, "both siblings were cancelled at the instant of the failure")


@check("error_surfaced")
def error_surfaced(model: Model, backend: Backend) -> Judgement:
    """The failing child's exception object reaches the caller; two at once: both do."""
    cases: list[Case] = []
    with _case(cases, "one failure") as case:
        boom = Failure("user failed")
        scripts = {"user": Script(3, error=boom), "posts": _fine(1, "P"), "stats": _fine(1, "S")}
        _, out = _run(case, backend, _dashboard_experiment(model, scripts))
        if out is not None:
            case.require(
                contains(out.error, boom),
                f"the caller got {describe(out.error) or 'no error'}, not the failure",
            )
    with _case(cases, "two failures at once") as case:
        boom1, boom2 = Failure("user failed"), Failure("posts failed")
        scripts = {
            "user": Script(3, error=boom1),
            "posts": Script(3, error=boom2),
            "stats": _fine(100, "S"),
        }
        report, out = _run(case, backend, _dashboard_experiment(model, scripts))
        if out is not None:
            # Only what a child really raised can be lost: a model may cancel the second
            # child at the instant the first fails (trio does), and then it never raises.
            raised = [c.error for c in report.journal.calls if c.ending == "error" and c.error]
            case.note(raised_by_children=[repr(e) for e in raised])
            lost = [e for e in raised if not contains(out.error, e)]
            case.require(
                not lost,
                f"lost {', '.join(repr(b) for b in lost)}; the caller got {describe(out.error)}",
            )
    return _judge(model, cases, "the very exception objects reached the caller, none lost")


# -- T2 / T6 ---------------------------------------------------------------------------


@check("spawn_after_close")
def spawn_after_close(model: Model, backend: Backend) -> Judgement:
    """T6 Wait-before-Go, and a spawn on a T2 scope after run() returned."""
    cases: list[Case] = []
    with _case(cases, "T6 Wait before Go") as case:
        bad = model.scenario("wait_then_spawn")

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("work", default=_fine(1, "done"))
            out = await lab.observe(bad, lambda: svc.call("work"))
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            case.note(behaviour=f"refused: {describe(out.error)}" if out.error else "no-op")
            case.require(
                not report.journal.calls,
                "the work started after the wait: an orphan nobody joins",
            )
    with _case(cases, "T2 spawn after run() returned") as case:
        run_scope = model.scenario("run_scope")

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("work", default=_fine(1, "done"))
            kept: list[Any] = []

            async def body(scope: Any) -> None:
                kept.append(scope)

            await lab.observe(run_scope, body)

            async def late_spawn() -> None:
                kept[0].spawn(lambda: svc.call("late"))

            out = await lab.observe(late_spawn)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            case.note(behaviour=f"refused: {describe(out.error)}" if out.error else "no-op")
            case.require(
                not report.journal.calls,
                "the late child started outside any scope: an orphan nobody joins",
            )
    return _judge(model, cases, "no late spawn ever started")


def _scope_experiment(
    model: Model,
    body_factory: Callable[[Lab], Callable[[Any], Awaitable[None]]],
    **observe: Any,
) -> Callable[[Lab], Awaitable[Outcome]]:
    run_scope = model.scenario("run_scope")

    async def experiment(lab: Lab) -> Outcome:
        out = await lab.observe(run_scope, body_factory(lab), **observe)
        await lab.sleep(SETTLE)
        return out

    return experiment


def _in_traceback(exc: BaseException, function: str, filename_end: str) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == function and code.co_filename.endswith(filename_end):
            return True
        tb = tb.tb_next
    return False


@check("child_traceback")
def child_traceback(model: Model, backend: Backend) -> Judgement:
    """The child's exception reaches the caller with the frame that raised it."""
    cases: list[Case] = []
    with _case(cases, "T2 child fails") as case:
        boom = Failure("child failed")

        def body_factory(lab: Lab) -> Callable[[Any], Awaitable[None]]:
            svc = lab.service("child", {"bad": Script(1, error=boom)})

            async def body(scope: Any) -> None:
                scope.spawn(lambda: svc.call("bad"))

            return body

        _, out = _run(case, backend, _scope_experiment(model, body_factory))
        if out is not None:
            got = next((leaf for leaf in leaves(out.error) if leaf is boom), None)
            case.require(got is not None, f"the caller got {describe(out.error) or 'no error'}")
            if got is not None:
                case.require(
                    _in_traceback(got, "call", "_services.py"),
                    "the exception reached the caller without the frame that raised it",
                )
    return _judge(model, cases, "the caller's exception still shows the raising frame")


@check("body_error_cancels")
def body_error_cancels(model: Model, backend: Backend) -> Judgement:
    """The body fails at t=1 s: both 100 s children are cancelled at t=1 s."""
    cases: list[Case] = []
    with _case(cases, "T2 body fails") as case:
        body_error = Failure("body failed")

        def body_factory(lab: Lab) -> Callable[[Any], Awaitable[None]]:
            svc = lab.service("child", default=_fine(100, "late"))
            timer = lab.service("body", {"tick": _fine(1, None)})

            async def body(scope: Any) -> None:
                scope.spawn(lambda: svc.call("a"))
                scope.spawn(lambda: svc.call("b"))
                await timer.call("tick")
                raise body_error

            return body

        report, out = _run(case, backend, _scope_experiment(model, body_factory))
        if out is not None:
            case.require(
                contains(out.error, body_error),
                f"the caller got {describe(out.error) or 'no error'}, not the body's error",
            )
            for c in [c for c in report.journal.calls if c.service == "child"]:
                case.require(
                    c.ending == "cancelled" and c.ended == 1.0,
                    f"child {c.key} was not cancelled at t=1: it ended {c.ending} at t={c.ended:g}",
                )
    return _judge(model, cases, "both children were cancelled when the body failed")


# -- T3 / T5 ---------------------------------------------------------------------------


def _fetch_experiment(
    model: Model, n: int, limit: int, latency: Callable[[int], float], **observe: Any
) -> Callable[[Lab], Awaitable[Outcome]]:
    fetch_all = model.scenario("fetch_all")
    urls = [f"u{i}" for i in range(n)]

    async def experiment(lab: Lab) -> Outcome:
        svc = lab.service("http", {u: _fine(latency(i), f"r{i}") for i, u in enumerate(urls)})
        out = await lab.observe(fetch_all, svc.call, urls, limit, **observe)
        await lab.sleep(SETTLE)
        return out

    return experiment


def _uneven(i: int) -> float:
    return float(1 + (i * 7) % 5)


@check("bound")
def bound(model: Model, backend: Backend) -> Judgement:
    """40 fetches at limit 4: the service's maximum in flight must be exactly 4."""
    cases: list[Case] = []
    with _case(cases, "T3 40 urls, limit 4") as case:
        report, _ = _run(case, backend, _fetch_experiment(model, 40, 4, _uneven))
        seen = report.journal.max_in_flight
        case.note(max_in_flight=seen, calls=len(report.journal.calls))
        case.require(seen <= 4, f"{seen} calls in flight at once, over the limit of 4")
        case.require(seen >= 4, f"at most {seen} in flight: the bound of 4 was never used")
        case.require(len(report.journal.calls) == 40, "not every url was fetched")
    return _judge(model, cases, "never more than 4 in flight, and 4 reached")


@check("results_in_order")
def results_in_order(model: Model, backend: Backend) -> Judgement:
    """Uneven latencies; the result list must follow the input order."""
    cases: list[Case] = []
    with _case(cases, "T3 40 urls, limit 4") as case:
        _, out = _run(case, backend, _fetch_experiment(model, 40, 4, _uneven))
        if out is not None:
            want = [f"r{i}" for i in range(40)]
            case.require(out.returned, f"raised {describe(out.error)}")
            case.require(out.value == want, f"results out of order or missing: {out.value!r}")
    return _judge(model, cases, "every result, in input order")


@check("shed")
def shed(model: Model, backend: Backend) -> Judgement:
    """20 jobs of 5 s at limit 4: the books must balance, as the service counts them."""
    cases: list[Case] = []
    with _case(cases, "T5 20 jobs, limit 4") as case:
        run_shedded = model.scenario("run_shedded")

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("jobs", default=_fine(5, None))
            jobs = [lambda i=i: svc.call(f"job{i}") for i in range(20)]
            out = await lab.observe(run_shedded, jobs, 4)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            calls = report.journal.calls
            completed = sum(c.ending == "ok" for c in calls)
            case.note(
                returned_counts=repr(out.value),
                started=len(calls),
                completed=completed,
                max_in_flight=report.journal.max_in_flight,
            )
            case.require(out.returned, f"raised {describe(out.error)}")
            if out.returned:
                accepted, dropped = out.value
                case.require(accepted + dropped == 20, f"{accepted} + {dropped} != 20 submitted")
                case.require(
                    completed == accepted == len(calls),
                    f"accepted {accepted}, but the service saw {len(calls)} start and "
                    f"{completed} complete",
                )
            case.require(
                report.journal.max_in_flight <= 4,
                f"{report.journal.max_in_flight} in flight, over the limit of 4",
            )
    return _judge(model, cases, "accepted + dropped = 20, every accepted job ran, ≤ 4 in flight")


# -- T7 --------------------------------------------------------------------------------


@check("cause")
def cause(model: Model, backend: Backend) -> Judgement:
    """The cancelled sibling must be able to obtain the failure object itself."""
    cases: list[Case] = []
    with _case(cases, "T7 sibling's cause") as case:
        cause_of_cancel = model.scenario("cause_of_cancel")
        boom = Failure("boom")
        reported: list[object] = []

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("svc", {"fail": Script(1, error=boom), "wait": _fine(100, None)})
            out = await lab.observe(
                cause_of_cancel, lambda: svc.call("fail"), lambda: svc.call("wait"), reported.append
            )
            await lab.sleep(SETTLE)
            return out

        _, out = _run(case, backend, experiment)
        case.note(reported=[f"{type(r).__name__}: {r!r}" for r in reported])
        if out is not None:
            case.require(bool(reported), "the sibling was never cancelled, so it saw no cause")
            for r in reported:
                case.require(
                    r is boom,
                    f"the sibling's cause was {type(r).__name__} {r!r}, not the failure object",
                )
            case.require(
                contains(out.error, boom), f"the caller got {describe(out.error) or 'no error'}"
            )
    return _judge(model, cases, "the sibling obtained the very exception object")


# -- T8 --------------------------------------------------------------------------------


def _flush_counter(svc: FakeService) -> Callable[[], Awaitable[None]]:
    n = 0

    async def flush() -> None:
        nonlocal n
        n += 1
        await svc.call(f"flush{n}")

    return flush


@check("daemon")
def daemon(model: Model, backend: Backend) -> Judgement:
    """stop() joins, is idempotent, and a flush error reaches the owner."""
    cases: list[Case] = []
    with _case(cases, "T8 stop mid-flush") as case:
        flusher = model.scenario("flusher")
        marks: dict[str, int] = {}

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("store", default=_fine(5, None))

            async def owner() -> None:
                async with flusher(10.0, _flush_counter(svc)) as f:
                    await lab.sleep(32)
                    await f.stop()
                    marks["stop"] = lab.mark("stop returned")
                    await f.stop()
                    marks["stop2"] = lab.mark("second stop returned")

            out = await lab.observe(owner)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            case.require(out.returned, f"the owner got {describe(out.error)}")
            case.require("stop2" in marks, "the second stop() did not return quietly")
            if "stop" in marks:
                late = report.journal.active_after(marks["stop"])
                case.require(
                    not late,
                    "flushes after stop() returned: "
                    + ", ".join(sorted({f"{c.key} at t={c.started:g}" for c in late})),
                )
    with _case(cases, "T8 flush fails") as case:
        flusher = model.scenario("flusher")
        boom = Failure("flush failed")

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("store", {"flush2": Script(5, error=boom)}, default=_fine(5, None))

            async def owner() -> None:
                async with flusher(10.0, _flush_counter(svc)) as f:
                    await lab.sleep(50)
                    await f.stop()

            out = await lab.observe(owner)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            case.require(
                contains(out.error, boom),
                f"the flush's exception never reached the owner (it got "
                f"{describe(out.error) or 'nothing'})",
            )
    return _judge(model, cases, "stop() joined, twice quietly; the flush error reached the owner")


# -- outer cancellation ----------------------------------------------------------------


def _require_cancelled_at(case: Case, report: LabReport[Outcome], out: Outcome, t: float) -> None:
    for c in report.journal.calls:
        case.require(
            c.ending == "cancelled" and c.ended == t and c.seq_end < out.end_seq,
            f"{c.key} was not cancelled at t={t:g} before the caller ended: "
            f"it ended {c.ending} at t={c.ended:g}",
        )


@check("outer_cancel")
def outer_cancel(model: Model, backend: Backend) -> Judgement:
    """Cancel the caller of T1 at t=5; run T3 under a 5 s timeout."""
    cases: list[Case] = []
    with _case(cases, "T1 caller cancelled") as case:
        scripts = {"user": _fine(100, "U"), "posts": _fine(100, "P"), "stats": _fine(100, "S")}
        exp = _dashboard_experiment(model, scripts, cancel_after=5)
        report, out = _run(case, backend, exp)
        if out is not None:
            case.require(out.cancelled, "the caller did not end cancelled")
            _require_cancelled_at(case, report, out, 5.0)
            _require_quiet_after(case, report, out)
    with _case(cases, "T3 under a timeout") as case:
        exp = _fetch_experiment(model, 20, 4, lambda _: 100.0, timeout_after=5)
        report, out = _run(case, backend, exp)
        if out is not None:
            case.require(not out.returned, f"returned {out.value!r} despite the timeout")
            _require_cancelled_at(case, report, out, 5.0)
            _require_quiet_after(case, report, out)
    return _judge(model, cases, "every child was cancelled at t=5 and joined before the caller")


# -- T2 edge cases ---------------------------------------------------------------------


@check("catch_cancel_once")
def catch_cancel_once(model: Model, backend: Backend) -> Judgement:
    """A stubborn child swallows one cancellation; the scope must still end."""
    cases: list[Case] = []
    with _case(cases, "T2 stubborn sibling") as case:
        boom = Failure("child failed")

        def body_factory(lab: Lab) -> Callable[[Any], Awaitable[None]]:
            svc = lab.service("child", {"bad": Script(1, error=boom)}, default=Script(FOREVER))
            cancelled = lab.ops.cancelled_class()

            async def stubborn() -> None:
                try:  # noqa: SIM105 - spelled out: this is the code a reader must recognise
                    await svc.call("stubborn-first-wait")
                except cancelled:
                    pass  # swallowed once, on purpose
                await svc.call("stubborn-second-wait")

            async def body(scope: Any) -> None:
                scope.spawn(lambda: svc.call("bad"))
                scope.spawn(stubborn)

            return body

        report, out = _run(case, backend, _scope_experiment(model, body_factory))
        if out is not None:
            second = report.journal.by_key("stubborn-second-wait")
            case.note(
                behaviour=(
                    "hung: the scope waited for the stubborn child until the observer gave up"
                    if out.hung
                    else f"ended at t={out.ended_at:g}; the stubborn child's second wait "
                    + (f"ended {second[0].ending}" if second else "never started")
                )
            )
            _require_not_hung(case, out)
            case.require(contains(out.error, boom) or out.hung, "the child's failure was lost")
    return _judge(model, cases, "the scope ended despite the swallowed cancellation")


def _interrupt_case(
    cases: list[Case], model: Model, backend: Backend, exc_type: type[BaseException]
) -> None:
    with _case(cases, f"T2 child raises {exc_type.__name__}") as case:
        interrupt = exc_type()

        def body_factory(lab: Lab) -> Callable[[Any], Awaitable[None]]:
            svc = lab.service("child", {"tick": _fine(1, None)}, default=_fine(100, None))

            async def interrupted() -> None:
                await svc.call("tick")
                raise interrupt

            async def body(scope: Any) -> None:
                scope.spawn(lambda: svc.call("sibling-a"))
                scope.spawn(lambda: svc.call("sibling-b"))
                scope.spawn(interrupted)

            return body

        report, out = _run(case, backend, _scope_experiment(model, body_factory), may_escape=True)
        reached = out.error if out is not None else report.error
        where = "the caller" if out is not None else "the runner (it escaped the event loop)"
        case.note(reached=f"{describe(reached)} reached {where}")
        case.require(
            contains(reached, interrupt), f"{exc_type.__name__} did not propagate: got {reached!r}"
        )
        if out is None:
            case.require(
                not report.open_at_end,
                f"{exc_type.__name__} escaped the event loop with sibling calls still open: "
                + ", ".join(c.key for c in report.open_at_end),
            )
        else:
            still = report.journal.active_after(out.end_seq)
            case.require(
                not still,
                "siblings still running when the caller got it: " + ", ".join(c.key for c in still),
            )


@check("keyboard_interrupt")
def keyboard_interrupt(model: Model, backend: Backend) -> Judgement:
    """KeyboardInterrupt, then SystemExit, raised in a child."""
    cases: list[Case] = []
    _interrupt_case(cases, model, backend, KeyboardInterrupt)
    _interrupt_case(cases, model, backend, SystemExit)
    return _judge(model, cases, "propagated to the caller with every sibling already ended")


# -- T9 --------------------------------------------------------------------------------


@check("all_errors_kept")
def all_errors_kept(model: Model, backend: Backend) -> Judgement:
    """Three of four checks fail at different times: all run, all errors surface."""
    cases: list[Case] = []
    with _case(cases, "T9 three failures") as case:
        check_all = model.scenario("check_all")
        errors = [Failure("c1 failed"), Failure("c2 failed"), Failure("c4 failed")]

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service(
                "checks",
                {
                    "c1": Script(1, error=errors[0]),
                    "c2": Script(2, error=errors[1]),
                    "c3": _fine(3, None),
                    "c4": Script(4, error=errors[2]),
                },
            )
            checks = [lambda k=k: svc.call(k) for k in ("c1", "c2", "c3", "c4")]
            out = await lab.observe(check_all, checks)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            lost = [e for e in errors if not contains(out.error, e)]
            case.require(not lost, f"lost {', '.join(map(repr, lost))}; got {describe(out.error)}")
            unfinished = [c.key for c in report.journal.calls if c.ending in ("cancelled", "open")]
            case.require(not unfinished, f"checks cut short: {', '.join(unfinished)}")
            case.require(len(report.journal.calls) == 4, "not every check ran")
    return _judge(model, cases, "every check ran to its end and all three errors surfaced")


# -- leaks -----------------------------------------------------------------------------


LeakRun = Callable[[Lab, Callable[..., Any]], Awaitable[None]]


async def _leak_t1(lab: Lab, load_dashboard: Callable[..., Any]) -> None:
    svc = lab.service("api", {"user": Script(1, error=Failure("x"))}, default=_fine(30, 0))
    await load_dashboard(_Api(svc), "u1")


async def _leak_t2(lab: Lab, run_scope: Callable[..., Any]) -> None:
    svc = lab.service("child", default=_fine(30, 0))

    async def body(scope: Any) -> None:
        scope.spawn(lambda: svc.call("a"))
        raise Failure("body failed")

    await run_scope(body)


async def _leak_t6(lab: Lab, wait_then_spawn: Callable[..., Any]) -> None:
    svc = lab.service("work", default=_fine(30, 0))
    await wait_then_spawn(lambda: svc.call("work"))


async def _leak_t8(lab: Lab, flusher: Callable[..., Any]) -> None:
    svc = lab.service("store", default=_fine(5, None))
    async with flusher(10.0, _flush_counter(svc)) as f:
        await lab.sleep(32)
        await f.stop()


_LEAK_RUNS: list[tuple[str, str, LeakRun]] = [
    ("T1 with a failing fetch", "load_dashboard", _leak_t1),
    ("T2 with a failing body", "run_scope", _leak_t2),
    ("T6 Wait before Go", "wait_then_spawn", _leak_t6),
    ("T8 flusher stopped", "flusher", _leak_t8),
]


@check("leaves_nothing_behind")
def leaves_nothing_behind(model: Model, backend: Backend) -> Judgement:
    """Right after each scenario returns, nothing it started may be alive."""
    cases: list[Case] = []
    for name, scenario, run in _LEAK_RUNS:
        with _case(cases, name) as case:
            fn = model.scenario(scenario)  # Unsupported: the case says so

            async def experiment(lab: Lab, run: LeakRun = run, fn: Any = fn) -> Outcome:
                # No settling time: the detector looks right after the return.
                return await lab.observe(run, lab, fn)

            report, _ = _run(case, backend, experiment)
            alive = report.leftovers + [f"open call {c.key}" for c in report.open_at_end]
            case.require(not alive, "left behind: " + "; ".join(alive))
    return _judge(model, cases, "nothing alive after any of the scenarios returned")
