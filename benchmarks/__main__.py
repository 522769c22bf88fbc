"""``python -m benchmarks quick|full|paired``: run a profile and report it, or pair rows.

quick: build/bench/quick.json, then its report in build/reports/bench/ (``make.py main``).
full:  build/bench/full.json, then its report in build/reports/bench/ (for publication).
The report names its profile; the last run written is the one the site shows.
Arguments after ``--`` go to pytest (e.g. ``-- -k spawn_join``).
paired: ratios to the loop's own group, taken round by round (see ``benchmarks._paired``):
``python -m benchmarks paired [--measure spawn|cancel|memory|rss] --flavor trio ROW...``.
publish: copy a full run (default build/bench/full.json) to benchmarks/published/full.json,
the committed run the site's figures come from, after checking its metadata (see
``comparisons.bench_report._published``): ``python -m benchmarks publish [RUN.json]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from comparisons.bench_report import load, write

ROOT = Path(__file__).resolve().parent.parent


def paired(argv: list[str]) -> int:
    """``python -m benchmarks paired``: print a table of paired ratios."""
    import os

    from benchmarks._drivers import FLAVORS
    from benchmarks._paired import MEASURES, render, run_paired, trial_for

    parser = argparse.ArgumentParser(prog="python -m benchmarks paired", description=__doc__)
    parser.add_argument("rows", nargs="+", help="row ids, e.g. direct:task.launch linear")
    parser.add_argument("--flavor", choices=FLAVORS, default="asyncio")
    parser.add_argument("--n", type=int, default=10_000, help="children per round")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument(
        "--measure",
        choices=MEASURES,
        default="spawn",
        help="spawn+join time (default), cancel fan-out time, tracemalloc bytes or "
        "peak-RSS bytes per parked task",
    )
    parser.add_argument(
        "--release",
        choices=("fail", "cancel"),
        default="fail",
        help="cancel only: one child fails (default, as test_cancel) or the group is "
        "cancelled from outside",
    )
    parser.add_argument(
        "--best-of",
        type=int,
        default=1,
        help="measure each row K times per round and keep its smallest figure (default 1)",
    )
    args = parser.parse_args(argv)
    trial = trial_for(args.measure, args.release)
    load = os.getloadavg()
    try:
        results = run_paired(
            args.flavor, args.rows, args.n, args.rounds, measure=trial, best_of=args.best_of
        )
    except (LookupError, ValueError) as exc:
        parser.error(str(exc))
    after = os.getloadavg()
    note = (
        f"load average (1 min) {load[0]:.2f} before, {after[0]:.2f} after, on {os.cpu_count()} CPUs"
    )
    print(render(args.flavor, args.n, results, measure=trial, note=note, best_of=args.best_of))
    return 0


def publish(argv: list[str]) -> int:
    """``python -m benchmarks publish``: check a full run and copy it where the site reads it."""
    from comparisons.bench_report._published import PUBLISHED, PublishError, provenance
    from comparisons.bench_report._published import publish as copy_run

    parser = argparse.ArgumentParser(prog="python -m benchmarks publish", description=__doc__)
    parser.add_argument(
        "run", type=Path, nargs="?", default=ROOT / "build" / "bench" / "full.json",
        help="a full-profile run (default: build/bench/full.json)",
    )  # fmt: skip
    parser.add_argument("--to", type=Path, default=PUBLISHED, help="default: %(default)s")
    args = parser.parse_args(argv)
    try:
        run = copy_run(args.run, args.to, ROOT)
    except PublishError as exc:
        print(f"benchmarks publish: refused: {exc}", file=sys.stderr)
        return 1
    print(f"benchmarks publish: {args.run} -> {args.to}")
    for label, value in provenance(run).rows:
        print(f"  {label}: {value}")
    shown = args.to.relative_to(ROOT) if args.to.is_relative_to(ROOT) else args.to
    print(f"Commit it: git add {shown} && git commit")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["paired"]:
        return paired(argv[1:])
    if argv[:1] == ["publish"]:
        return publish(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("profile", choices=("quick", "full", "paired", "publish"))
    parser.add_argument("--json", type=Path, default=None, help="where the run's JSON goes")
    parser.add_argument("--report", type=Path, default=None, help="where the report goes")
    parser.add_argument("--models", default=None, help="comma-separated models (default: all)")
    # argparse can't take "-- ARGS..." after a positional, so split them off first.
    pytest_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    parser.epilog = "Arguments after -- go to pytest, e.g. -- -k spawn_join"
    args = parser.parse_args(own)
    out = args.json or ROOT / "build" / "bench" / f"{args.profile}.json"
    report = args.report or ROOT / "build" / "reports" / "bench"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "pytest", "benchmarks", "-q",
        f"--bench-profile={args.profile}", f"--benchmark-json={out}",
        "--benchmark-columns=median,iqr,rounds", "--benchmark-sort=fullname",
    ]  # fmt: skip
    if args.models:
        cmd.append(f"--bench-models={args.models}")
    cmd += pytest_args
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, cwd=ROOT, check=False)
    if result.returncode != 0:
        print(f"benchmarks: pytest failed ({result.returncode}); no report", file=sys.stderr)
        return result.returncode
    written = write(load(out), report)
    print(f"benchmarks: {out} -> {written[0]} (+{len(written) - 1} charts)")
    if args.profile == "full":
        print(f"benchmarks: publish it for the site with: python -m benchmarks publish {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
