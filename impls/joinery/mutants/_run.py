"""Running mutants through the suite: in-process, at most a few worker processes.

A mutant is *killed* when one of its cells gets a verdict other than the original
model's (or, in a cell the original already fails, when the check finds other problems:
see :func:`seen`), when a check crashes on it, when it cannot be loaded, or when its run outlasts
a wall-clock budget (a mutant can spin without ever letting the virtual clock advance;
hangs in virtual time are already judged by the checks themselves). The run of a mutant
stops at its first differing cell, and the properties that drive the mutated scenario go
first, so only survivors pay for the whole suite.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import multiprocessing.connection
import re
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from joinery.conformance import Judgement, judge, load_catalogue
from joinery.models import load_model
from joinery.mutants._generate import Mutant, load

Status = Literal["killed", "survived"]
Baseline = dict[str, dict[str, Any]]
"""``"<backend> <property>"`` -> the original model's verdict and problems (see :func:`seen`)."""

DEFAULT_BUDGET = 60.0
"""Wall seconds one mutant may take (the whole suite takes ~3 s per backend, ~15 s under load)."""


@dataclass
class Result:
    """What happened to one mutant.

    Attributes:
        id: the mutant's name.
        status: killed or survived.
        how: for a killed mutant, ``verdict``, ``crash``, ``load`` or ``timeout``.
        cell: the first differing cell: backend, property, original and mutant verdicts,
            and the check's summary.
        cells_run: how many cells were judged before the run stopped.
        seconds: wall time of the mutant's run.
        detail: what the crash, load error or timeout was.
        evidence_differs: the cells (judged so far) whose evidence differs from the
            original's beyond names and addresses; for a survivor, empty means the checks
            saw exactly the same behaviour in every cell.
    """

    id: str
    status: Status
    how: str | None = None
    cell: dict[str, Any] | None = None
    cells_run: int = 0
    seconds: float = 0.0
    detail: str | None = None
    evidence_differs: list[str] = field(default_factory=list)


def seen(judgement: Judgement) -> dict[str, Any]:
    """What a cell's check saw, as compared between a mutant and its original.

    The verdict, and for a failing cell the problems it found, case by case: a mutant of
    a scenario whose property the original already fails is caught when the check finds
    a different defect (addresses are blanked: they differ between runs).
    """
    problems = [
        [case, _ADDRESS.sub("0x…", problem)]
        for case, ev in judgement.evidence.items()
        if isinstance(ev, dict)
        for problem in ev.get("problems", ())
    ]
    return {
        "verdict": judgement.verdict,
        "problems": problems,
        "evidence": hashlib.sha256(_neutral(judgement.evidence).encode()).hexdigest()[:16],
    }


_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_NAMES = re.compile(
    r"0x[0-9a-fA-F]+|'Task-\d+'|File \\\"[^\"\\]*\\\", line \d+"
    r"|joinery\.models\.\w+\.|joinery\.mutants\.loaded\.\w+\.|mutant:\w+:\d+"
)


def _neutral(evidence: dict[str, Any]) -> str:
    """The evidence with what names the module rather than its behaviour blanked.

    Addresses, task numbers, file names and line numbers, module names: what differs
    between a mutant and its original even when they behave the same.
    """
    return _NAMES.sub("…", json.dumps(evidence, sort_keys=True, default=repr))


def baseline(model: str) -> Baseline:
    """What the checks see of the original model, cell by cell."""
    m = load_model(model)
    return {f"{b} {p}": seen(judge(m, b, p)) for b in m.info.backends for p in load_catalogue()}


def property_order(mutant: Mutant) -> list[str]:
    """The catalogue, the properties that drive the mutated scenario first."""
    scenario = mutant.site.function.split(".")[0]
    catalogue = load_catalogue()
    first = [p for p, prop in catalogue.items() if scenario in prop.scenarios]
    return first + [p for p in catalogue if p not in first]


def run_mutant(mutant: Mutant, base: Baseline) -> Result:
    """Judge ``mutant`` cell by cell until a verdict differs from ``base``."""
    start = time.perf_counter()
    result = Result(mutant.id, "survived")
    try:
        model = load(mutant)
    except Exception as exc:
        result.status, result.how = "killed", "load"
        result.detail = f"{type(exc).__name__}: {exc}"
        result.seconds = time.perf_counter() - start
        return result
    for pid in property_order(mutant):
        for backend in model.info.backends:
            result.cells_run += 1
            try:
                judgement = judge(model, backend, pid)
            except BaseException as exc:  # a crash of the check is a kill, whatever it is
                result.status, result.how = "killed", "crash"
                result.cell = {"backend": backend, "property": pid}
                result.detail = "".join(traceback.format_exception_only(exc)).strip()
                result.seconds = time.perf_counter() - start
                return result
            was, now = base[f"{backend} {pid}"], seen(judgement)
            if now["evidence"] != was["evidence"]:
                result.evidence_differs.append(f"{backend} {pid}")
            if (now["verdict"], now["problems"]) != (was["verdict"], was["problems"]):
                result.status = "killed"
                result.how = "verdict" if now["verdict"] != was["verdict"] else "problems"
                result.cell = {
                    "backend": backend,
                    "property": pid,
                    "original": was["verdict"],
                    "mutant": now["verdict"],
                    "summary": judgement.summary,
                }
                if result.how == "problems":
                    result.cell["original_problems"] = was["problems"]
                    result.cell["mutant_problems"] = now["problems"]
                result.seconds = time.perf_counter() - start
                return result
    result.seconds = time.perf_counter() - start
    return result


# -- the pool -------------------------------------------------------------------------

Job = tuple[str, Any]


def _work(job: Job) -> Any:
    kind, payload = job
    if kind == "baseline":
        return baseline(payload)
    mutant, base = payload
    return run_mutant(mutant, base)


def _worker(conn: multiprocessing.connection.Connection) -> None:
    # A mutant's garbage (a coroutine it never awaited) may warn after its lab has closed;
    # each lab records its own warnings, so the ones outside any lab are noise here.
    warnings.simplefilter("ignore")
    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(_work(job))


@dataclass
class _Slot:
    process: multiprocessing.process.BaseProcess
    conn: multiprocessing.connection.Connection
    job: int | None = None
    started: float = 0.0


def run_jobs(
    jobs: Sequence[Job],
    *,
    processes: int,
    budget: float,
    on_lost: Callable[[int, str], Any],
    progress: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """Run ``jobs`` on at most ``processes`` forked workers, each job within ``budget``.

    A worker whose job outlasts ``budget`` wall seconds is killed and replaced, as is one
    that dies; the job's result is then ``on_lost(index, why)``. With ``processes <= 1``
    the jobs run in this process (no budget: for tests and debugging).
    """
    if processes <= 1:
        results = []
        for i, job in enumerate(jobs):
            results.append(_work(job))
            if progress:
                progress(i, results[-1])
        return results
    ctx = multiprocessing.get_context("fork")  # workers inherit the loaded suite
    out: list[Any] = [None] * len(jobs)
    todo = list(range(len(jobs)))[::-1]
    slots: list[_Slot] = []

    def start() -> _Slot:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(child,), daemon=True)
        proc.start()
        child.close()
        return _Slot(proc, parent)

    def feed(slot: _Slot) -> None:
        if todo:
            slot.job = todo.pop()
            slot.started = time.monotonic()
            slot.conn.send(jobs[slot.job])
        else:
            slot.job = None

    slots = [start() for _ in range(min(processes, len(jobs)))]
    for slot in slots:
        feed(slot)
    try:
        while any(s.job is not None for s in slots):
            busy = [s for s in slots if s.job is not None]
            ready = multiprocessing.connection.wait([s.conn for s in busy], timeout=1.0)
            now = time.monotonic()
            for i, slot in enumerate(slots):
                index = slot.job
                if index is None:
                    continue
                if slot.conn in ready:
                    try:
                        out[index] = slot.conn.recv()
                    except EOFError:  # the worker died (os._exit, a signal): a kill
                        out[index] = on_lost(index, "its worker process died")
                        slot.process.join()
                        slots[i] = slot = start()
                elif now - slot.started > budget:
                    out[index] = on_lost(index, f"outlasted {budget:g} wall seconds")
                    slot.process.kill()
                    slot.process.join()
                    slots[i] = slot = start()
                else:
                    continue
                if progress:
                    progress(index, out[index])
                feed(slot)
    finally:
        for slot in slots:
            if slot.process.is_alive():
                slot.conn.send(None)
                slot.process.join(timeout=5)
                if slot.process.is_alive():
                    slot.process.kill()
                    slot.process.join()
    return out


def run_all(
    mutants: Iterable[Mutant],
    *,
    processes: int = 2,
    budget: float = DEFAULT_BUDGET,
    progress: Callable[[Result], None] | None = None,
) -> tuple[dict[str, Baseline], list[Result]]:
    """Baselines of the mutated models, then every mutant judged against its model's."""
    mutants = list(mutants)
    models = sorted({m.model for m in mutants})
    base_jobs: list[Job] = [("baseline", m) for m in models]

    def no_baseline(i: int, why: str) -> Any:
        raise RuntimeError(f"the original model {models[i]!r}: {why}")

    bases = dict(
        zip(
            models,
            run_jobs(base_jobs, processes=processes, budget=budget, on_lost=no_baseline),
            strict=True,
        )
    )
    jobs: list[Job] = [("mutant", (m, bases[m.model])) for m in mutants]

    def timed_out(i: int, why: str) -> Result:
        return Result(mutants[i].id, "killed", "timeout", detail=why)

    def report(_: int, result: Any) -> None:
        if progress:
            progress(result)

    results = run_jobs(jobs, processes=processes, budget=budget, on_lost=timed_out, progress=report)
    return bases, results
