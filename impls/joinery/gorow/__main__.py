"""Command line: ``python -m joinery.gorow run --out build/results/conformance-go.json``.

``run`` vets the Go code, runs its tests (goleak on every solution test; with ``--race``
also under the race detector), judges the Go models with the Go checks ``--count``
times (every run must give the same verdicts and evidence), writes the results
document and, with ``--leak-report``, goleak's report of the seed's ``Buggy()``. It
prints the matrix and exits 1 when a verdict differs from ``expected-go.toml`` or a Go
step fails. Without a Go toolchain or Debian's Go sources it prints why the row is
skipped, writes that line to ``<out>.skipped`` (the site shows it) instead of a
document, and exits 0 (2 with ``--require``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from joinery.conformance.__main__ import render_matrix
from joinery.conformance._suite import HERE, expected_models, load_catalogue, load_expected
from joinery.gorow._results import BadOutput, collapse, document, load_lines
from joinery.gorow._toolchain import ROOT, Toolchain, Unavailable, Variant, find_toolchain

EXPECTED = HERE / "expected-go.toml"


class StepFailed(Exception):
    """A go command failed; the message holds its output."""


def _go(tc: Toolchain, variant: Variant, *args: str, env: dict[str, str] | None = None) -> None:
    print(f"+ [{variant.label}] go {' '.join(args)}", flush=True)
    out = tc.go_cmd(variant, *args, extra_env=env)
    if out.returncode != 0:
        raise StepFailed(
            f"go {' '.join(args)} ({variant.x_sync}) failed:\n{out.stdout}{out.stderr}"
        )


def _judge(
    tc: Toolchain, count: int, leak_report: Path | None, race: bool
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    first = tc.variants[0]
    _go(tc, first, "vet", "joinery/...")
    if race and shutil.which("gcc"):
        # The seed: "run every solution under go test -race". Slow to build the first
        # time (a race-instrumented runtime), so the test command leaves it out.
        env = {"CGO_ENABLED": "1"}
        _go(
            tc,
            first,
            "test",
            "-race",
            "-count=1",
            "joinery/solutions",
            "joinery/conformance",
            env=env,
        )
    elif race:
        print("note: go test -race skipped: it needs a C compiler (gcc) for cgo", flush=True)
    lines: list[dict[str, Any]] = []
    cards: dict[str, dict[str, Any]] = {}
    for variant in tc.variants:
        env = {}
        if leak_report is not None and variant is first:
            leak_report.parent.mkdir(parents=True, exist_ok=True)
            env["JOINERY_GO_LEAK_REPORT"] = str(leak_report.resolve())
        _go(tc, variant, "test", "-count=1", "joinery/solutions", "joinery/buggy", env=env)
        jsonl = tc.build / f"verdicts-{variant.label}.jsonl"
        jsonl.unlink(missing_ok=True)
        # Every Go model on the first build; on another x/sync only the solutions.
        models = "" if variant is first else "errgroup"
        env = {
            "JOINERY_GO_RESULTS": str(jsonl),
            "JOINERY_GO_MODELS": models,
            "JOINERY_GO_LABEL": variant.label,
        }
        _go(
            tc,
            variant,
            "test",
            f"-count={count}",
            "-run=TestConformance",
            "joinery/conformance",
            env=env,
        )
        more_cards, more_lines = load_lines(jsonl)
        cards.update(more_cards)
        lines += more_lines
    environment = {
        "packages": tc.packages,
        "x_sync": {v.label: v.x_sync for v in tc.variants},
        "determinism": {"runs": count, "identical": True},
    }
    if leak_report is not None:  # the report names our files relative to the repository
        text = leak_report.read_text(encoding="utf-8")
        leak_report.write_text(text.replace(f"{ROOT}{os.sep}", ""), encoding="utf-8")
    return cards, lines, environment


def _run(args: argparse.Namespace) -> int:
    catalogue = load_catalogue()
    table, declared = load_expected(EXPECTED), expected_models(EXPECTED)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    skipped = out.with_suffix(".skipped")
    try:
        tc = find_toolchain(ROOT / "build" / "go")
    except Unavailable as exc:
        reason = f"Go row skipped: {exc}"
        print(reason, flush=True)
        out.unlink(missing_ok=True)
        skipped.write_text(reason + "\n", encoding="utf-8")
        return 2 if args.require else 0
    skipped.unlink(missing_ok=True)
    try:
        leak = Path(args.leak_report) if args.leak_report else None
        cards, lines, environment = _judge(tc, args.count, leak, args.race)
        cells = collapse(lines, catalogue, args.count)
        variants = {v.label: v.x_sync for v in tc.variants}
        doc = document(cards, cells, catalogue, table, declared, tc.version, environment, variants)
    except (StepFailed, BadOutput) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results: {out}")
    print(render_matrix(doc["results"], list(doc["properties"])))
    t = doc["totals"]
    print(
        f"\n{t['cells']} Go cells ({args.count} identical runs each): {t['pass']} pass, "
        f"{t['fail']} fail, {t['unsupported']} unsupported; {t['mismatches']} differ from "
        f"{EXPECTED.name}"
    )
    for r in doc["results"]:
        if not r["matches"]:
            print(
                f"MISMATCH {r['model']} [go] {r['property']}: expected {r['expected']}, "
                f"got {r['verdict']}: {r['summary']}"
            )
    return 1 if t["mismatches"] else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m joinery.gorow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="vet, test and judge the Go code; write the results")
    run.add_argument("--out", required=True, help="write the results JSON document here")
    run.add_argument("--count", type=int, default=20, help="runs of every check (default 20)")
    run.add_argument("--leak-report", help="write goleak's report of Buggy() here")
    run.add_argument("--require", action="store_true", help="exit 2 when Go is unavailable")
    run.add_argument("--race", action="store_true", help="also run the Go tests under -race")
    run.set_defaults(func=_run)
    args = parser.parse_args(argv)
    if getattr(args, "count", 1) < 1:
        parser.error("--count must be at least 1")
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
