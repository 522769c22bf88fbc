"""``python -m benchmarks quick|full``: run a profile, write its JSON and its report.

quick: build/bench/quick.json, then its report in build/reports/bench/ (``make.py main``).
full:  build/bench/full.json, then its report in build/reports/bench/ (for publication).
The report names its profile; the last run written is the one the site shows.
Arguments after ``--`` go to pytest (e.g. ``-- -k spawn_join``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from comparisons.bench_report import load, write

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("profile", choices=("quick", "full"))
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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
