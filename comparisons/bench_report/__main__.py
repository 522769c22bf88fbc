"""Command line: ``report RUN.json [--out DIR]`` and ``compare OLD.json NEW.json [--out FILE]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from comparisons.bench_report import ReportError, compare, headline, load, write


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and write the report or the comparison."""
    parser = argparse.ArgumentParser(prog="python -m comparisons.bench_report")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="tables and charts from one run")
    rep.add_argument("run", type=Path, help="pytest-benchmark JSON written by benchmarks/")
    rep.add_argument("--out", type=Path, default=Path("build/reports/bench"))
    cmp = sub.add_parser("compare", help="per-benchmark ratios of two runs")
    cmp.add_argument("old", type=Path)
    cmp.add_argument("new", type=Path)
    cmp.add_argument("--out", type=Path, default=None, help="write markdown here, not stdout")
    args = parser.parse_args(argv)
    try:
        if args.command == "report":
            run = load(args.run)
            written = write(run, args.out)
            print("\n".join(headline(run)))
            print(f"wrote {len(written)} files to {args.out} ({written[0].name} and charts)")
        else:
            text = compare(load(args.old), load(args.new))
            if args.out is None:
                print(text)
            else:
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(text)
                print(f"wrote {args.out}")
    except (ReportError, OSError) as exc:
        print(f"bench_report: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
