"""Measure what the leak check adds to conformance-style experiments.

    python comparisons/leak_overhead.py [--rounds 15]

Runs the same experiments (every registered model on each of its backends: T3
``fetch_all`` of 32 urls with limit 16, T9 ``check_all`` of 8 checks, one failing, and
T2 ``run_scope`` spawning 8 children) through :func:`joinery.harness.run_lab`, with
and without the check the suite makes at the end of each experiment
(``ignore_current()`` at its start, ``await afind(ignore=[before])`` at its end, inside
the loop before teardown), alternating the two so that drift hits both alike. Prints
the per-experiment median and the relative overhead; writes it as JSON with ``--out``.
This is a one-off measurement script, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from joinery import leaks
from joinery.harness import Lab, Script, run_lab
from joinery.models import Model, Scope, load_model, registered_models

Experiment = Callable[[Lab], Awaitable[Any]]


def experiments(model: Model) -> list[Experiment]:
    """A few experiments per model, each a fresh set of fake services."""

    async def fetch_all(lab: Lab) -> Any:
        svc = lab.service("fetch", default=Script(latency=1.0, result="ok"))
        urls = [f"u{i}" for i in range(32)]
        return await lab.observe(model.scenario("fetch_all"), svc.call, urls, 16)

    async def check_all(lab: Lab) -> Any:
        svc = lab.service("check", {"c3": Script(latency=0.5, error=ValueError("c3"))})
        checks = [functools.partial(svc.call, f"c{i}") for i in range(8)]
        return await lab.observe(model.scenario("check_all"), checks)

    async def run_scope(lab: Lab) -> Any:
        svc = lab.service("work", default=Script(latency=1.0))

        async def body(scope: Scope) -> None:
            for i in range(8):
                scope.spawn(functools.partial(svc.call, f"w{i}"))

        return await lab.observe(model.scenario("run_scope"), body)

    wanted = {"fetch_all": fetch_all, "check_all": check_all, "run_scope": run_scope}
    return [fn for name, fn in wanted.items() if name not in model.info.unsupported]


def checked(experiment: Experiment, found: list[int]) -> Experiment:
    """``experiment`` with the suite's leak check around it."""

    async def wrapper(lab: Lab) -> Any:
        before = leaks.ignore_current()
        try:
            return await experiment(lab)
        finally:
            found.append(len(await leaks.afind(ignore=[before])))

    return wrapper


def measure(rounds: int) -> dict[str, Any]:
    """Median seconds per experiment without and with the check."""
    runs = [
        (backend, exp)
        for name in registered_models()
        for model in [load_model(name)]
        for backend in model.info.backends
        for exp in experiments(model)
    ]
    plain: list[float] = []
    with_check: list[float] = []
    found: list[int] = []
    for _ in range(rounds):
        for backend, exp in runs:
            for target, wrap in ((plain, False), (with_check, True)):
                fn = checked(exp, found) if wrap else exp
                start = time.perf_counter()
                run_lab(backend, fn)
                target.append(time.perf_counter() - start)
    base, extra = statistics.median(plain), statistics.median(with_check)
    return {
        "experiments_per_round": len(runs),
        "rounds": rounds,
        "median_s_without_check": base,
        "median_s_with_check": extra,
        "total_s_without_check": sum(plain),
        "total_s_with_check": sum(with_check),
        "overhead_total_pct": 100 * (sum(with_check) / sum(plain) - 1),
        "overhead_median_pct": 100 * (extra / base - 1),
        "experiments_with_leaks": sum(1 for n in found if n),
        "checks": len(found),
    }


def main(argv: list[str]) -> int:
    """Measure and print (and write with ``--out``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result = measure(args.rounds)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
