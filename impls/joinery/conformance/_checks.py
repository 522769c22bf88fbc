"""The checks: one function per property of ``properties.toml``.

A check drives a model's scenario functions from outside, through fake services on a
virtual clock, and judges only what the harness saw: call records, times, the objects
that reached the caller, what was left alive. It never asks the model how it did.

Each case of a check is a :class:`~joinery.conformance._variants.Family`: the scripted
case ``properties.toml`` describes plus variants generated from a fixed seed (which child
fails and when, latencies, how many children, the limit). A case fails if any of its
variants fails, and its evidence is the smallest failing variant.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from joinery.conformance._variants import Family, Params, halves, run_family
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
from joinery.harness import (
    FOREVER,
    Failure,
    FakeService,
    Lab,
    LabReport,
    Outcome,
    Script,
    Signal,
    run_lab,
)
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


T1_KEYS = ("user", "posts", "stats")


@contextmanager
def _case(cases: list[Case], name: str) -> Iterator[Case]:
    """A single case without variants (kept for checks that need no generator)."""
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


def _fine(latency: float, value: object) -> Script:
    return Script(latency, result=value)


def _others(fails: str) -> list[str]:
    return [k for k in T1_KEYS if k != fails]


def _gen_t1_failure(rng: random.Random, *, longest: float = 10.0) -> Params:
    fails = rng.choice(T1_KEYS)
    at = halves(rng, 0.5, 6)
    return {"fails": fails, "fails_at": at, "others": [halves(rng, 0.5, longest) for _ in "ab"]}


def _t1_failure_scripts(params: Params, boom: BaseException) -> dict[str, Script]:
    scripts = {params["fails"]: Script(params["fails_at"], error=boom)}
    for key, latency in zip(_others(params["fails"]), params["others"], strict=True):
        scripts[key] = _fine(latency, key.upper()[0])
    return scripts


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


def _latencies(rng: random.Random, n: int, low: float, high: float) -> list[float]:
    return [halves(rng, low, high) for _ in range(n)]


@check("join")
def join(model: Model, backend: Backend) -> Judgement:
    """Join on success, on failure, on outer cancellation (T1), a T2 scope and T6 fixed."""
    cases: list[Case] = []

    def t1_success(case: Case, p: Params) -> None:
        scripts = {k: _fine(t, k.upper()[0]) for k, t in zip(T1_KEYS, p["latency"], strict=True)}
        report, out = _run(case, backend, _dashboard_experiment(model, scripts))
        if out is not None:
            _require_not_hung(case, out)
            case.require(
                out.value == Dashboard("U", "P", "S"),
                f"returned {out.value!r} instead of all three parts",
            )
            _require_quiet_after(case, report, out)

    run_family(
        cases,
        "join",
        Family(
            "T1 success",
            {"latency": [1.0, 2.0, 3.0]},
            lambda rng: {"latency": _latencies(rng, 3, 0.5, 10)},
        ),
        t1_success,
    )

    def t1_failure(case: Case, p: Params) -> None:
        scripts = _t1_failure_scripts(p, Failure(f"{p['fails']} failed"))
        report, out = _run(case, backend, _dashboard_experiment(model, scripts))
        if out is not None:
            _require_not_hung(case, out)
            _require_quiet_after(case, report, out)

    run_family(
        cases,
        "join",
        Family(
            "T1 failure",
            {"fails": "user", "fails_at": 1.0, "others": [5.0, 5.0]},
            _gen_t1_failure,
        ),
        t1_failure,
    )

    def t1_cancelled(case: Case, p: Params) -> None:
        scripts = {k: _fine(t, k) for k, t in zip(T1_KEYS, p["latency"], strict=True)}
        exp = _dashboard_experiment(model, scripts, cancel_after=p["cancel_at"])
        report, out = _run(case, backend, exp)
        if out is not None:
            _require_not_hung(case, out)
            _require_quiet_after(case, report, out)

    run_family(
        cases,
        "join",
        Family(
            "T1 outer cancellation",
            {"cancel_at": 5.0, "latency": [10.0, 10.0, 10.0]},
            lambda rng: {"cancel_at": halves(rng, 0.5, 8), "latency": _latencies(rng, 3, 0.5, 12)},
        ),
        t1_cancelled,
    )

    def t2_scope(case: Case, p: Params) -> None:
        # When the body returns normally, every child runs to its own end: a scope that
        # cancels the rest as soon as the body returns has not joined anything.
        run_scope = model.scenario("run_scope")
        latency = {f"c{i}": t for i, t in enumerate(p["children"])}

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("child", {k: _fine(t, k) for k, t in latency.items()})

            async def body(scope: Any) -> None:
                for i, key in enumerate(latency):
                    if i and p["spawn_gap"]:
                        await lab.sleep(p["spawn_gap"])
                    scope.spawn(lambda key=key: svc.call(key))

            out = await lab.observe(run_scope, body)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            _require_not_hung(case, out)
            case.require(out.returned, f"run() raised {describe(out.error)}")
            ran = {c.key: c for c in report.journal.calls}
            case.require(
                set(ran) == set(latency),
                f"children that never ran: {', '.join(sorted(set(latency) - set(ran)))}",
            )
            for key, c in ran.items():
                case.require(
                    c.ending == "ok" and c.ended - c.started == latency[key],
                    f"child {key} did not run to its end ({latency[key]:g} s): it ended "
                    f"{c.ending} at t={c.ended:g}",
                )
            _require_quiet_after(case, report, out)

    run_family(
        cases,
        "join",
        Family(
            "T2 scope",
            {"children": [1.0, 2.0, 3.0], "spawn_gap": 0.0},
            lambda rng: {
                "children": _latencies(rng, rng.randint(1, 5), 0.5, 8),
                "spawn_gap": halves(rng, 0, 2),
            },
        ),
        t2_scope,
    )

    def t6_fixed(case: Case, p: Params) -> None:
        spawn_then_wait = model.scenario("spawn_then_wait")

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("work", default=_fine(p["work"], "done"))
            out = await lab.observe(spawn_then_wait, lambda: svc.call("work"))
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            _require_not_hung(case, out)
            case.require(out.returned, f"spawn_then_wait raised {describe(out.error)}")
            work = report.journal.by_key("work")
            case.require(len(work) == 1, f"the work ran {len(work)} times, not once")
            for c in work:
                case.require(
                    c.ending == "ok" and c.seq_end < out.end_seq,
                    f"the call returned before the work ended (it ended {c.ending} at "
                    f"t={c.ended:g}, the call returned at t={out.ended_at:g})",
                )
            _require_quiet_after(case, report, out)

    run_family(
        cases,
        "join",
        Family(
            "T6 spawn then wait",
            {"work": 1.0},
            lambda rng: {"work": halves(rng, 0.5, 10)},
            count=3,
        ),
        t6_fixed,
    )
    return _judge(model, cases, "returned only after every child ended, in all five cases")


@check("no_fixed_wait")
def no_fixed_wait(model: Model, backend: Backend) -> Judgement:
    """Return time equals the slowest fetch's end, for fast and for slow fetches."""
    cases: list[Case] = []

    def fetches(case: Case, p: Params) -> None:
        scripts = {k: _fine(t, k) for k, t in zip(T1_KEYS, p["latency"], strict=True)}
        report, out = _run(case, backend, _dashboard_experiment(model, scripts))
        if out is not None:
            last_end = max((c.ended for c in report.journal.calls), default=float("nan"))
            case.note(slowest_fetch_ended=last_end)
            case.require(out.returned, f"raised {describe(out.error)}")
            case.require(
                out.ended_at == last_end,
                f"returned at t={out.ended_at:g}, the slowest fetch ended at t={last_end:g}",
            )

    # Faster and slower than the seed's 2 s sleep: a fixed wait fails one or the other.
    run_family(
        cases,
        "no_fixed_wait",
        Family(
            "fast fetches",
            {"latency": [0.5, 1.0, 1.5]},
            lambda rng: {"latency": _latencies(rng, 3, 0.5, 1.5)},
            count=3,
        ),
        fetches,
    )
    run_family(
        cases,
        "no_fixed_wait",
        Family(
            "slow fetches",
            {"latency": [10.0, 20.0, 30.0]},
            lambda rng: {"latency": _latencies(rng, 3, 2.5, 40)},
            count=3,
        ),
        fetches,
    )
    return _judge(model, cases, "returned exactly when the slowest fetch ended")


@check("sibling_cancellation")
def sibling_cancellation(model: Model, backend: Backend) -> Judgement:
    """One fetch fails: the two long siblings must be cancelled at that instant."""
    cases: list[Case] = []

    def one_fails(case: Case, p: Params) -> None:
        scripts = _t1_failure_scripts(p, Failure(f"{p['fails']} failed"))
        report, _ = _run(case, backend, _dashboard_experiment(model, scripts))
        at = p["fails_at"]
        for key in _others(p["fails"]):
            calls = report.journal.by_key(key)
            case.require(bool(calls), f"{key} never started")
            for c in calls:
                case.require(
                    c.ending == "cancelled" and c.ended == at,
                    f"{key} was not cancelled at t={at:g}: it ended {c.ending} at t={c.ended:g}",
                )

    def generate(rng: random.Random) -> Params:
        at = halves(rng, 0.5, 5)
        fails = rng.choice(T1_KEYS)
        return {"fails": fails, "fails_at": at, "others": _latencies(rng, 2, at + 0.5, 100)}

    run_family(
        cases,
        "sibling_cancellation",
        Family(
            "T1 one fetch fails",
            {"fails": "user", "fails_at": 1.0, "others": [100.0, 100.0]},
            generate,
        ),
        one_fails,
    )
    return _judge(model, cases, "both siblings were cancelled at the instant of the failure")


@check("error_surfaced")
def error_surfaced(model: Model, backend: Backend) -> Judgement:
    """The failing child's exception object reaches the caller; two at once: both do."""
    cases: list[Case] = []

    def one_failure(case: Case, p: Params) -> None:
        boom = Failure(f"{p['fails']} failed")
        scripts = _t1_failure_scripts(p, boom)
        _, out = _run(case, backend, _dashboard_experiment(model, scripts))
        if out is not None:
            case.require(
                contains(out.error, boom),
                f"the caller got {describe(out.error) or 'no error'}, not the failure",
            )

    run_family(
        cases,
        "error_surfaced",
        Family(
            "one failure",
            {"fails": "user", "fails_at": 3.0, "others": [1.0, 1.0]},
            _gen_t1_failure,
        ),
        one_failure,
    )

    def two_failures(case: Case, p: Params) -> None:
        scripts = {k: Script(p["fail_at"], error=Failure(f"{k} failed")) for k in p["fail"]}
        (other,) = [k for k in T1_KEYS if k not in p["fail"]]
        scripts[other] = _fine(p["other"], other)
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

    def generate(rng: random.Random) -> Params:
        pair = sorted(rng.sample(range(3), 2))
        return {
            "fail": [T1_KEYS[i] for i in pair],
            "fail_at": halves(rng, 0.5, 6),
            "other": halves(rng, 0.5, 10),
        }

    run_family(
        cases,
        "error_surfaced",
        Family(
            "two failures at once",
            {"fail": ["user", "posts"], "fail_at": 3.0, "other": 100.0},
            generate,
        ),
        two_failures,
    )
    return _judge(model, cases, "the very exception objects reached the caller, none lost")


# -- T2 / T6 ---------------------------------------------------------------------------


ADAPTER_CRASHES = (NameError, AttributeError, TypeError)
"""Errors that say the adapter crashed, not that the model refused the spawn."""


def _require_refused(case: Case, out: Outcome) -> None:
    """A spawn after the close must be refused loudly: an error for the caller.

    A silent no-op loses the work without a word (nothing may be lost silently), and a
    NameError or TypeError is the adapter crashing, not the model refusing.
    """
    case.note(behaviour=f"refused: {describe(out.error)}" if out.error else "no-op")
    crashed = [e for e in leaves(out.error) if isinstance(e, ADAPTER_CRASHES)]
    case.require(
        out.error is not None and not crashed,
        "the late spawn was silently dropped: the caller got no error"
        if out.error is None
        else f"the late spawn crashed instead of being refused: {describe(out.error)}",
    )


@check("spawn_after_close")
def spawn_after_close(model: Model, backend: Backend) -> Judgement:
    """T6 Wait-before-Go, and a spawn on a T2 scope after run() returned."""
    cases: list[Case] = []

    def wait_before_go(case: Case, p: Params) -> None:
        bad = model.scenario("wait_then_spawn")

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("work", default=_fine(p["work"], "done"))
            out = await lab.observe(bad, lambda: svc.call("work"))
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            _require_refused(case, out)
            case.require(
                not report.journal.calls,
                "the work started after the wait: an orphan nobody joins",
            )

    run_family(
        cases,
        "spawn_after_close",
        Family(
            "T6 Wait before Go", {"work": 1.0}, lambda rng: {"work": halves(rng, 0.5, 10)}, count=2
        ),
        wait_before_go,
    )

    def late_spawn(case: Case, p: Params) -> None:
        run_scope = model.scenario("run_scope")

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("work", default=_fine(1, "done"))
            children = lab.service(
                "child", {f"c{i}": _fine(t, i) for i, t in enumerate(p["children"])}
            )
            kept: list[Any] = []

            async def body(scope: Any) -> None:
                kept.append(scope)
                for i in range(len(p["children"])):
                    scope.spawn(lambda i=i: children.call(f"c{i}"))

            await lab.observe(run_scope, body)

            async def spawn_late() -> None:
                kept[0].spawn(lambda: svc.call("late"))

            out = await lab.observe(spawn_late)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            _require_refused(case, out)
            case.require(
                not report.journal.by_key("late"),
                "the late child started outside any scope: an orphan nobody joins",
            )

    run_family(
        cases,
        "spawn_after_close",
        Family(
            "T2 spawn after run() returned",
            {"children": []},
            lambda rng: {"children": _latencies(rng, rng.randint(1, 3), 0.5, 5)},
            count=2,
        ),
        late_spawn,
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

    def child_fails(case: Case, p: Params) -> None:
        boom = Failure("child failed")

        def body_factory(lab: Lab) -> Callable[[Any], Awaitable[None]]:
            scripts = {"bad": Script(p["fails_at"], error=boom)}
            scripts.update({f"s{i}": _fine(t, i) for i, t in enumerate(p["siblings"])})
            svc = lab.service("child", scripts)

            async def body(scope: Any) -> None:
                for key in scripts:
                    scope.spawn(lambda key=key: svc.call(key))

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

    def generate(rng: random.Random) -> Params:
        at = halves(rng, 0.5, 5)
        return {"fails_at": at, "siblings": _latencies(rng, rng.randint(0, 3), at + 0.5, 10)}

    run_family(
        cases,
        "child_traceback",
        Family("T2 child fails", {"fails_at": 1.0, "siblings": []}, generate, count=3),
        child_fails,
    )
    return _judge(model, cases, "the caller's exception still shows the raising frame")


@check("body_error_cancels")
def body_error_cancels(model: Model, backend: Backend) -> Judgement:
    """The body fails at t: every longer child is cancelled at t."""
    cases: list[Case] = []

    def body_fails(case: Case, p: Params) -> None:
        body_error = Failure("body failed")
        at = p["body_fails_at"]

        def body_factory(lab: Lab) -> Callable[[Any], Awaitable[None]]:
            svc = lab.service("child", {f"c{i}": _fine(t, i) for i, t in enumerate(p["children"])})
            timer = lab.service("body", {"tick": _fine(at, None)})

            async def body(scope: Any) -> None:
                for i in range(len(p["children"])):
                    scope.spawn(lambda i=i: svc.call(f"c{i}"))
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
                    c.ending == "cancelled" and c.ended == at,
                    f"child {c.key} was not cancelled at t={at:g}: it ended {c.ending} "
                    f"at t={c.ended:g}",
                )

    def generate(rng: random.Random) -> Params:
        at = halves(rng, 0.5, 5)
        return {
            "body_fails_at": at,
            "children": _latencies(rng, rng.randint(1, 4), at + 0.5, 100),
        }

    run_family(
        cases,
        "body_error_cancels",
        Family("T2 body fails", {"body_fails_at": 1.0, "children": [100.0, 100.0]}, generate),
        body_fails,
    )
    return _judge(model, cases, "the children were cancelled when the body failed")


# -- T3 / T5 ---------------------------------------------------------------------------


def _pattern(p: Params, i: int) -> float:
    """Uneven but reproducible latency of item ``i``: ``1 + (i * step) % spread``."""
    return float(1 + (i * p["step"]) % p["spread"])


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


def _fetch_family() -> Family:
    # The scripted case: 40 urls at limit 4, latencies 1 + (i * 7) % 5 s, so that the
    # completion order differs from the input order.
    return Family(
        "T3 fetch_all",
        {"urls": 40, "limit": 4, "step": 7, "spread": 5},
        lambda rng: {
            "urls": rng.randint(1, 30),
            "limit": rng.randint(1, 8),
            "step": rng.randint(1, 9),
            "spread": rng.randint(1, 6),
        },
        extra=[{"urls": 3, "limit": 5, "step": 2, "spread": 3}],  # fewer urls than slots
    )


@check("bound")
def bound(model: Model, backend: Backend) -> Judgement:
    """Fetches at a limit: the service's maximum in flight must be exactly min(urls, limit)."""
    cases: list[Case] = []

    def fetches(case: Case, p: Params) -> None:
        n, limit = p["urls"], p["limit"]
        exp = _fetch_experiment(model, n, limit, lambda i: _pattern(p, i))
        report, _ = _run(case, backend, exp)
        seen = report.journal.max_in_flight
        # All urls are handed over at once, so a bound that is used reaches min(n, limit).
        reach = min(n, limit)
        case.note(max_in_flight=seen, calls=len(report.journal.calls))
        case.require(seen <= limit, f"{seen} calls in flight at once, over the limit of {limit}")
        case.require(
            seen >= reach, f"at most {seen} in flight: the bound of {limit} was never used"
        )
        case.require(len(report.journal.calls) == n, "not every url was fetched")

    run_family(cases, "bound", _fetch_family(), fetches)
    return _judge(model, cases, "never more than the limit in flight, and the limit reached")


@check("results_in_order")
def results_in_order(model: Model, backend: Backend) -> Judgement:
    """Uneven latencies; the result list must follow the input order."""
    cases: list[Case] = []

    def fetches(case: Case, p: Params) -> None:
        n = p["urls"]
        exp = _fetch_experiment(model, n, p["limit"], lambda i: _pattern(p, i))
        _, out = _run(case, backend, exp)
        if out is not None:
            want = [f"r{i}" for i in range(n)]
            case.require(out.returned, f"raised {describe(out.error)}")
            case.require(out.value == want, f"results out of order or missing: {out.value!r}")

    run_family(cases, "results_in_order", _fetch_family(), fetches)
    return _judge(model, cases, "every result, in input order")


@check("shed")
def shed(model: Model, backend: Backend) -> Judgement:
    """All jobs at once: exactly min(n, limit) accepted and run, the books balance."""
    cases: list[Case] = []

    def all_at_once(case: Case, p: Params) -> None:
        run_shedded = model.scenario("run_shedded")
        n, limit = p["jobs"], p["limit"]

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("jobs", {f"job{i}": _fine(_pattern(p, i), None) for i in range(n)})
            jobs = [lambda i=i: svc.call(f"job{i}") for i in range(n)]
            out = await lab.observe(run_shedded, jobs, limit)
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
            counts = out.value
            well_formed = (
                isinstance(counts, tuple)
                and len(counts) == 2
                and all(type(c) is int for c in counts)
            )
            case.require(
                not out.returned or well_formed,
                f"returned {counts!r}, not the (accepted, dropped) pair of ints",
            )
            if out.returned and well_formed:
                accepted, dropped = counts
                case.require(accepted + dropped == n, f"{accepted} + {dropped} != {n} submitted")
                case.require(
                    completed == accepted == len(calls),
                    f"accepted {accepted}, but the service saw {len(calls)} start and "
                    f"{completed} complete",
                )
                # Every job arrives before any could finish, so a limiter that uses its
                # limit accepts exactly that many: fewer is a smaller limit, or none.
                case.require(
                    accepted == min(n, limit),
                    f"accepted {accepted} of {n} jobs arriving at once, with room for "
                    f"{min(n, limit)}: the limit is not used",
                )
            case.require(
                report.journal.max_in_flight <= limit,
                f"{report.journal.max_in_flight} in flight, over the limit of {limit}",
            )
            # The accepted jobs are its children: they end before it returns.
            _require_quiet_after(case, report, out)
            # An error only the loop's exception handler saw is an error lost.
            case.require(
                not report.loop_errors,
                "errors nobody received reached the event loop: " + "; ".join(report.loop_errors),
            )

    run_family(
        cases,
        "shed",
        Family(
            "T5 jobs arrive at once",
            {"jobs": 20, "limit": 4, "step": 0, "spread": 5},  # 20 jobs of 1 + 0 = 1 s each
            lambda rng: {
                "jobs": rng.randint(1, 25),
                "limit": rng.randint(1, 6),
                "step": rng.randint(0, 9),
                "spread": rng.randint(1, 6),
            },
        ),
        all_at_once,
    )
    return _judge(model, cases, "exactly the limit accepted and run, the books balance")


# -- T7 --------------------------------------------------------------------------------


@check("cause")
def cause(model: Model, backend: Backend) -> Judgement:
    """The cancelled sibling must be able to obtain the failure object itself."""
    cases: list[Case] = []

    def siblings_cause(case: Case, p: Params) -> None:
        cause_of_cancel = model.scenario("cause_of_cancel")
        boom = Failure("boom")
        reported: list[object] = []

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service(
                "svc",
                {"fail": Script(p["fails_at"], error=boom), "wait": _fine(p["sibling"], None)},
            )
            out = await lab.observe(
                cause_of_cancel, lambda: svc.call("fail"), lambda: svc.call("wait"), reported.append
            )
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        case.note(reported=[f"{type(r).__name__}: {r!r}" for r in reported])
        if out is not None:
            case.require(bool(report.journal.by_key("wait")), "the sibling never started")
            case.require(bool(reported), "the sibling was never cancelled, so it saw no cause")
            for r in reported:
                case.require(
                    r is boom,
                    f"the sibling's cause was {type(r).__name__} {r!r}, not the failure object",
                )
            case.require(
                contains(out.error, boom), f"the caller got {describe(out.error) or 'no error'}"
            )

    def generate(rng: random.Random) -> Params:
        at = halves(rng, 0.5, 5)
        return {"fails_at": at, "sibling": halves(rng, at + 0.5, 100)}

    run_family(
        cases,
        "cause",
        Family("T7 sibling's cause", {"fails_at": 1.0, "sibling": 100.0}, generate, count=3),
        siblings_cause,
    )
    return _judge(model, cases, "the sibling obtained the very exception object")


# -- T8 --------------------------------------------------------------------------------


def _flush_counter(
    svc: FakeService, started: dict[int, Signal] | None = None
) -> Callable[[], Awaitable[None]]:
    """The flush the daemon calls: flush n is service call ``flush<n>``.

    ``started[n]``, if given, is set the moment flush n begins, so the observer can act
    while a flush is in flight as the service sees it, however the model schedules it.
    """
    n = 0

    async def flush() -> None:
        nonlocal n
        n += 1
        if started is not None and n in started:
            started[n].set()
        await svc.call(f"flush{n}")

    return flush


def _gen_stop(rng: random.Random) -> Params:
    interval, flush = halves(rng, 1, 12), halves(rng, 1, 6)
    k = rng.randint(0, 3)
    if k == 0:  # before the first flush, or during it: counted from the start
        after = halves(rng, 0.5, interval + flush)
    elif rng.random() < 2 / 3:  # mid-flush: the case a stop() that does not wait fails
        after = halves(rng, 0.5, flush - 0.5)
    else:  # between flush k and the next one
        after = halves(rng, flush + 0.5, flush + interval - 0.5)
    return {"interval": interval, "flush": flush, "stop_in_flush": k, "after": after}


async def _stop_when(
    lab: Lab, started: dict[int, Signal], p: Params, marks: dict[str, Any]
) -> None:
    """Sleep until ``after`` seconds into flush ``stop_in_flush`` (0: from the start)."""
    k = p["stop_in_flush"]
    if k:
        horizon = k * (p["interval"] + p["flush"]) + SETTLE
        if not await lab.wait(started[k], horizon):
            marks["never_started"] = f"flush{k} never started within {horizon:g} s"
            return
    await lab.sleep(p["after"])


def _require_interval(case: Case, report: LabReport[Outcome], interval: float) -> None:
    """Flushes come every ``interval`` seconds: consecutive starts at least that far apart."""
    starts = [c.started for c in report.journal.calls if c.key.startswith("flush")]
    close = [(a, b) for a, b in itertools.pairwise(starts) if b - a < interval]
    case.require(
        not close,
        f"flushes closer than the {interval:g} s interval: "
        + ", ".join(f"t={a:g} then t={b:g}" for a, b in close),
    )


STOP_SCRIPTED: Params = {"interval": 10.0, "flush": 5.0, "stop_in_flush": 2, "after": 2.0}
"""The daemon is stopped 2 s into its second 5 s flush: mid-flush as the service sees it."""


@check("daemon")
def daemon(model: Model, backend: Backend) -> Judgement:
    """stop() joins, even mid-flush; leaving the block joins too; a flush error is kept.

    stop() is idempotent, and the flushes keep the interval apart.
    """
    cases: list[Case] = []

    def stopped(case: Case, p: Params) -> None:
        flusher = model.scenario("flusher")
        marks: dict[str, Any] = {}

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("store", default=_fine(p["flush"], None))
            started = {k: lab.event() for k in range(1, 4)}

            async def owner() -> None:
                async with flusher(p["interval"], _flush_counter(svc, started)) as f:
                    await _stop_when(lab, started, p, marks)
                    marks["open_at_stop"] = [c.key for c in lab.journal.open_calls()]
                    await f.stop()
                    marks["stop"] = lab.mark("stop returned")
                    await f.stop()
                    marks["stop2"] = lab.mark("second stop returned")

            out = await lab.observe(owner)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        case.note(in_flight_at_stop=marks.get("open_at_stop"))
        if "never_started" in marks:
            case.require(False, marks["never_started"])
        k = p["stop_in_flush"]
        if k and p["after"] < p["flush"] and "open_at_stop" in marks:
            # The premise of the case: stop() really was called mid-flush.
            case.require(
                f"flush{k}" in marks["open_at_stop"],
                f"flush{k} was not in flight {p['after']:g} s after it started",
            )
        _require_interval(case, report, p["interval"])
        if out is not None:
            case.require(out.returned, f"the owner got {describe(out.error)}")
            case.require("stop2" in marks, "the second stop() did not return quietly")
            if "stop" in marks:
                late = report.journal.active_after(marks["stop"])
                case.require(
                    not late,
                    "stop() returned before the flusher exited: "
                    + ", ".join(
                        f"{c.key} (started t={c.started:g}, ended {c.ending} t={c.ended:g})"
                        for c in late
                    ),
                )

    run_family(
        cases,
        "daemon",
        Family(
            "T8 stop",
            STOP_SCRIPTED,
            _gen_stop,
            # and between two flushes, where even a stop that does not wait looks right
            extra=[{"interval": 10.0, "flush": 5.0, "stop_in_flush": 2, "after": 7.0}],
        ),
        stopped,
    )

    def left(case: Case, p: Params, *, failing: bool) -> None:
        # The manager owns the daemon: leaving its block, normally or by an error, stops
        # and joins it, without the owner calling stop().
        flusher = model.scenario("flusher")
        marks: dict[str, Any] = {}
        body_error = Failure("owner's block failed")

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("store", default=_fine(p["flush"], None))
            started = {k: lab.event() for k in range(1, 4)}

            async def owner() -> None:
                async with flusher(p["interval"], _flush_counter(svc, started)):
                    await _stop_when(lab, started, p, marks)
                    if failing:
                        raise body_error
                marks["exit"] = lab.mark("the block's exit returned")

            out = await lab.observe(owner)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            _require_not_hung(case, out)
            if failing:
                case.require(
                    contains(out.error, body_error),
                    f"the owner got {describe(out.error) or 'no error'}, not its own error",
                )
            else:
                case.require(out.returned, f"the owner got {describe(out.error)}")
            after = marks.get("exit", out.end_seq)
            late = report.journal.active_after(after)
            case.require(
                not late,
                "the daemon ran on after its block was left: "
                + ", ".join(f"{c.key} ({c.ending} at t={c.ended:g})" for c in late),
            )

    run_family(
        cases,
        "daemon",
        Family("T8 block left without stop()", STOP_SCRIPTED, _gen_stop, count=3),
        lambda case, p: left(case, p, failing=False),
    )
    run_family(
        cases,
        "daemon",
        Family("T8 owner's block fails", STOP_SCRIPTED, _gen_stop, count=3),
        lambda case, p: left(case, p, failing=True),
    )

    def flush_fails(case: Case, p: Params) -> None:
        flusher = model.scenario("flusher")
        boom = Failure("flush failed")
        k = p["failing_flush"]

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service(
                "store",
                {f"flush{k}": Script(p["flush"], error=boom)},
                default=_fine(p["flush"], None),
            )
            started = {k: lab.event()}

            async def owner() -> None:
                async with flusher(p["interval"], _flush_counter(svc, started)) as f:
                    await lab.wait(started[k], k * (p["interval"] + p["flush"]) + SETTLE)
                    await lab.sleep(p["stop_after"])
                    await f.stop()

            out = await lab.observe(owner)
            await lab.sleep(SETTLE)
            return out

        _, out = _run(case, backend, experiment)
        if out is not None:
            case.require(
                contains(out.error, boom),
                f"the flush's exception never reached the owner (it got "
                f"{describe(out.error) or 'nothing'})",
            )

    def generate(rng: random.Random) -> Params:
        interval, flush = halves(rng, 1, 12), halves(rng, 1, 6)
        return {
            "interval": interval,
            "flush": flush,
            "failing_flush": rng.randint(1, 3),
            "stop_after": halves(rng, flush + 0.5, flush + interval - 0.5),
        }

    run_family(
        cases,
        "daemon",
        Family(
            "T8 flush fails",
            {"interval": 10.0, "flush": 5.0, "failing_flush": 2, "stop_after": 10.0},
            generate,
            count=3,
        ),
        flush_fails,
    )
    return _judge(
        model,
        cases,
        "stop() and leaving the block joined the daemon; the flush error reached the owner",
    )


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
    """Cancel the caller of T1 at t; run T3 under a timeout of t."""
    cases: list[Case] = []

    def t1_cancelled(case: Case, p: Params) -> None:
        at = p["cancel_at"]
        scripts = {k: _fine(t, k) for k, t in zip(T1_KEYS, p["latency"], strict=True)}
        exp = _dashboard_experiment(model, scripts, cancel_after=at)
        report, out = _run(case, backend, exp)
        if out is not None:
            case.require(out.cancelled, "the caller did not end cancelled")
            _require_cancelled_at(case, report, out, at)
            _require_quiet_after(case, report, out)

    def gen_t1(rng: random.Random) -> Params:
        at = halves(rng, 0.5, 8)
        return {"cancel_at": at, "latency": _latencies(rng, 3, at + 0.5, 100)}

    run_family(
        cases,
        "outer_cancel",
        Family("T1 caller cancelled", {"cancel_at": 5.0, "latency": [100.0, 100.0, 100.0]}, gen_t1),
        t1_cancelled,
    )

    def t3_timeout(case: Case, p: Params) -> None:
        at = p["timeout"]
        exp = _fetch_experiment(
            model, p["urls"], p["limit"], lambda _: p["latency"], timeout_after=at
        )
        report, out = _run(case, backend, exp)
        if out is not None:
            case.require(not out.returned, f"returned {out.value!r} despite the timeout")
            _require_cancelled_at(case, report, out, at)
            _require_quiet_after(case, report, out)

    def gen_t3(rng: random.Random) -> Params:
        at = halves(rng, 0.5, 8)
        return {
            "urls": rng.randint(1, 25),
            "limit": rng.randint(1, 6),
            "timeout": at,
            "latency": halves(rng, at + 0.5, 100),
        }

    run_family(
        cases,
        "outer_cancel",
        Family(
            "T3 under a timeout",
            {"urls": 20, "limit": 4, "timeout": 5.0, "latency": 100.0},
            gen_t3,
            count=4,
        ),
        t3_timeout,
    )

    def t2_cancelled(case: Case, p: Params) -> None:
        at = p["cancel_at"]

        def body_factory(lab: Lab) -> Callable[[Any], Awaitable[None]]:
            svc = lab.service("child", {f"c{i}": _fine(t, i) for i, t in enumerate(p["children"])})

            async def body(scope: Any) -> None:
                for i in range(len(p["children"])):
                    scope.spawn(lambda i=i: svc.call(f"c{i}"))
                if p["body_waits"]:  # cancelled in the body, or while the scope joins
                    await lab.sleep(p["body_waits"])

            return body

        report, out = _run(case, backend, _scope_experiment(model, body_factory, cancel_after=at))
        if out is not None:
            case.require(out.cancelled, "the caller did not end cancelled")
            _require_cancelled_at(case, report, out, at)
            _require_quiet_after(case, report, out)

    def gen_t2(rng: random.Random) -> Params:
        at = halves(rng, 0.5, 8)
        return {
            "cancel_at": at,
            "children": _latencies(rng, rng.randint(1, 4), at + 0.5, 100),
            "body_waits": rng.choice((0.0, 100.0)),
        }

    run_family(
        cases,
        "outer_cancel",
        Family(
            "T2 caller cancelled",
            {"cancel_at": 5.0, "children": [100.0, 100.0], "body_waits": 0.0},
            gen_t2,
            count=3,
        ),
        t2_cancelled,
    )

    def t9_cancelled(case: Case, p: Params) -> None:
        at = p["cancel_at"]
        check_all = model.scenario("check_all")

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service("checks", {f"c{i}": _fine(t, i) for i, t in enumerate(p["checks"])})
            checks = [lambda i=i: svc.call(f"c{i}") for i in range(len(p["checks"]))]
            out = await lab.observe(check_all, checks, cancel_after=at)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            case.require(out.cancelled, "the caller did not end cancelled")
            _require_cancelled_at(case, report, out, at)
            _require_quiet_after(case, report, out)

    def gen_t9(rng: random.Random) -> Params:
        at = halves(rng, 0.5, 8)
        return {"cancel_at": at, "checks": _latencies(rng, rng.randint(1, 5), at + 0.5, 100)}

    run_family(
        cases,
        "outer_cancel",
        Family(
            "T9 caller cancelled",
            {"cancel_at": 5.0, "checks": [100.0, 100.0, 100.0]},
            gen_t9,
            count=3,
        ),
        t9_cancelled,
    )
    return _judge(model, cases, "every child was cancelled at once and joined before the caller")


# -- T2 edge cases ---------------------------------------------------------------------


@check("catch_cancel_once")
def catch_cancel_once(model: Model, backend: Backend) -> Judgement:
    """Stubborn children swallow one cancellation each; the scope must still end."""
    cases: list[Case] = []

    def stubborn_siblings(case: Case, p: Params) -> None:
        boom = Failure("child failed")

        def body_factory(lab: Lab) -> Callable[[Any], Awaitable[None]]:
            svc = lab.service(
                "child", {"bad": Script(p["fails_at"], error=boom)}, default=Script(FOREVER)
            )
            cancelled = lab.ops.cancelled_class()

            def stubborn(i: int) -> Callable[[], Awaitable[None]]:
                async def swallows_once() -> None:
                    try:  # noqa: SIM105 - spelled out: this is the code a reader must recognise
                        await svc.call(f"stubborn{i}-first-wait")
                    except cancelled:
                        pass  # swallowed once, on purpose
                    await svc.call(f"stubborn{i}-second-wait")

                return swallows_once

            async def body(scope: Any) -> None:
                scope.spawn(lambda: svc.call("bad"))
                for i in range(p["stubborn"]):
                    scope.spawn(stubborn(i))

            return body

        report, out = _run(case, backend, _scope_experiment(model, body_factory))
        if out is not None:
            second = [c for c in report.journal.calls if c.key.endswith("second-wait")]
            case.note(
                behaviour=(
                    "hung: the scope waited for a stubborn child until the observer gave up"
                    if out.hung
                    else f"ended at t={out.ended_at:g}; the stubborn children's second waits "
                    + (
                        ", ".join(f"ended {c.ending}" for c in second)
                        if second
                        else "never started"
                    )
                )
            )
            _require_not_hung(case, out)
            case.require(contains(out.error, boom) or out.hung, "the child's failure was lost")

    run_family(
        cases,
        "catch_cancel_once",
        Family(
            "T2 stubborn sibling",
            {"fails_at": 1.0, "stubborn": 1},
            lambda rng: {"fails_at": halves(rng, 0.5, 5), "stubborn": rng.randint(1, 3)},
            count=3,
        ),
        stubborn_siblings,
    )
    return _judge(model, cases, "the scope ended despite the swallowed cancellation")


def _interrupt_case(
    cases: list[Case], model: Model, backend: Backend, exc_type: type[BaseException]
) -> None:
    def interrupted_child(case: Case, p: Params) -> None:
        interrupt = exc_type()

        def body_factory(lab: Lab) -> Callable[[Any], Awaitable[None]]:
            scripts = {f"sibling-{i}": _fine(t, None) for i, t in enumerate(p["siblings"])}
            svc = lab.service("child", {"tick": _fine(p["raises_at"], None), **scripts})

            async def interrupted() -> None:
                await svc.call("tick")
                raise interrupt

            async def body(scope: Any) -> None:
                for key in scripts:
                    scope.spawn(lambda key=key: svc.call(key))
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

    def generate(rng: random.Random) -> Params:
        at = halves(rng, 0.5, 5)
        return {"raises_at": at, "siblings": _latencies(rng, rng.randint(1, 3), at + 0.5, 100)}

    run_family(
        cases,
        "keyboard_interrupt",
        Family(
            f"T2 child raises {exc_type.__name__}",
            {"raises_at": 1.0, "siblings": [100.0, 100.0]},
            generate,
            count=3,
        ),
        interrupted_child,
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
    """Some checks fail at different times: all run to their end, all errors surface."""
    cases: list[Case] = []

    def checks_fail(case: Case, p: Params) -> None:
        check_all = model.scenario("check_all")
        keys = [f"c{i + 1}" for i in range(len(p["checks"]))]
        errors = {
            k: Failure(f"{k} failed")
            for k, (_, outcome) in zip(keys, p["checks"], strict=True)
            if outcome == "fails"
        }

        async def experiment(lab: Lab) -> Outcome:
            svc = lab.service(
                "checks",
                {
                    k: Script(t, error=errors.get(k))
                    for k, (t, _) in zip(keys, p["checks"], strict=True)
                },
            )
            checks = [lambda k=k: svc.call(k) for k in keys]
            out = await lab.observe(check_all, checks)
            await lab.sleep(SETTLE)
            return out

        report, out = _run(case, backend, experiment)
        if out is not None:
            lost = [e for e in errors.values() if not contains(out.error, e)]
            case.require(not lost, f"lost {', '.join(map(repr, lost))}; got {describe(out.error)}")
            unfinished = [c.key for c in report.journal.calls if c.ending in ("cancelled", "open")]
            case.require(not unfinished, f"checks cut short: {', '.join(unfinished)}")
            case.require(len(report.journal.calls) == len(keys), "not every check ran")

    def generate(rng: random.Random) -> Params:
        n = rng.randint(2, 6)
        checks = [[halves(rng, 0.5, 6), rng.choice(("fails", "ok"))] for _ in range(n)]
        checks[rng.randrange(n)][1] = "fails"
        return {"checks": checks}

    run_family(
        cases,
        "all_errors_kept",
        Family(
            "T9 checks fail",
            {"checks": [[1.0, "fails"], [2.0, "fails"], [3.0, "ok"], [4.0, "fails"]]},
            generate,
        ),
        checks_fail,
    )
    return _judge(model, cases, "every check ran to its end and every error surfaced")


# -- leaks -----------------------------------------------------------------------------


LeakRun = Callable[[Lab, Callable[..., Any], Params], Awaitable[None]]


async def _leak_t1(lab: Lab, load_dashboard: Callable[..., Any], p: Params) -> None:
    svc = lab.service("api", _t1_failure_scripts(p, Failure("x")))
    await load_dashboard(_Api(svc), "u1")


async def _leak_t2(lab: Lab, run_scope: Callable[..., Any], p: Params) -> None:
    svc = lab.service("child", default=_fine(p["child"], 0))

    async def body(scope: Any) -> None:
        scope.spawn(lambda: svc.call("a"))
        if p["body_fails_at"]:
            await lab.sleep(p["body_fails_at"])
        raise Failure("body failed")

    await run_scope(body)


async def _leak_t6(lab: Lab, wait_then_spawn: Callable[..., Any], p: Params) -> None:
    svc = lab.service("work", default=_fine(p["work"], 0))
    await wait_then_spawn(lambda: svc.call("work"))


async def _leak_t6_fixed(lab: Lab, spawn_then_wait: Callable[..., Any], p: Params) -> None:
    svc = lab.service("work", default=_fine(p["work"], 0))
    await spawn_then_wait(lambda: svc.call("work"))


async def _leak_t8(lab: Lab, flusher: Callable[..., Any], p: Params) -> None:
    svc = lab.service("store", default=_fine(p["flush"], None))
    started = {k: lab.event() for k in range(1, 4)}
    async with flusher(p["interval"], _flush_counter(svc, started)) as f:
        await _stop_when(lab, started, p, {})
        await f.stop()


_LEAK_RUNS: list[tuple[Family, str, LeakRun]] = [
    (
        Family(
            "T1 with a failing fetch",
            {"fails": "user", "fails_at": 1.0, "others": [30.0, 30.0]},
            lambda rng: _gen_t1_failure(rng, longest=30),
            count=2,
        ),
        "load_dashboard",
        _leak_t1,
    ),
    (
        Family(
            "T2 with a failing body",
            {"child": 30.0, "body_fails_at": 0.0},
            lambda rng: {"child": halves(rng, 1, 30), "body_fails_at": halves(rng, 0, 0.5)},
            count=2,
        ),
        "run_scope",
        _leak_t2,
    ),
    (Family("T6 Wait before Go", {"work": 30.0}), "wait_then_spawn", _leak_t6),
    (
        Family(
            "T6 spawn then wait",
            {"work": 30.0},
            lambda rng: {"work": halves(rng, 0.5, 30)},
            count=2,
        ),
        "spawn_then_wait",
        _leak_t6_fixed,
    ),
    (Family("T8 flusher stopped", STOP_SCRIPTED, _gen_stop, count=3), "flusher", _leak_t8),
]


@check("leaves_nothing_behind")
def leaves_nothing_behind(model: Model, backend: Backend) -> Judgement:
    """Right after each scenario returns, nothing it started may be alive."""
    cases: list[Case] = []
    for family, scenario, leak_run in _LEAK_RUNS:

        def one(
            case: Case, p: Params, scenario: str = scenario, leak_run: LeakRun = leak_run
        ) -> None:
            fn = model.scenario(scenario)  # Unsupported: the case says so

            async def experiment(lab: Lab) -> Outcome:
                # No settling time: the detector looks right after the return.
                return await lab.observe(leak_run, lab, fn, p)

            report, _ = _run(case, backend, experiment)
            alive = report.leftovers + [f"open call {c.key}" for c in report.open_at_end]
            case.require(not alive, "left behind: " + "; ".join(alive))

        run_family(cases, "leaves_nothing_behind", family, one)
    return _judge(model, cases, "nothing alive after any of the scenarios returned")
