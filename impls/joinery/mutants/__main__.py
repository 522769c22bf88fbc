"""Command line: ``python -m joinery.mutants run|list|show``.

``run`` makes every mutant of the reference models, judges each with the conformance
suite (two worker processes by default), writes the report (``--out``), prints the score
per model and every survivor, and exits 1 when a survivor is not judged in
``survivors.toml`` or a judgment is stale. ``show ID`` prints a mutant's diff and its key
(the fields a ``[[survivor]]`` judgment names); ``report FILE [--markdown]`` prints a
saved report. The site shows the committed report, ``impls/joinery/mutants/report.json``:
rewrite it with ``run --out impls/joinery/mutants/report.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from joinery.mutants._generate import MUTATED_MODELS, Mutant, diff, generate
from joinery.mutants._markdown import render_markdown
from joinery.mutants._report import SCHEMA, build_report, key_fields, load_judgments
from joinery.mutants._run import DEFAULT_BUDGET, Result, run_all


def _select(models: Sequence[str], ids: Sequence[str]) -> list[Mutant]:
    names = list(models) or list({i.split(":")[1] for i in ids if i.count(":") == 2})
    names = names or list(MUTATED_MODELS)
    made = [m for name in names for m in generate(name)]
    if ids:
        wanted = set(ids)
        made = [m for m in made if m.id in wanted]
        missing = wanted - {m.id for m in made}
        if missing:
            raise LookupError(f"no such mutant: {', '.join(sorted(missing))}")
    return made


def _run(args: argparse.Namespace) -> int:
    mutants = _select(args.model, args.id)
    judgments = load_judgments()
    print(f"{len(mutants)} mutants of {', '.join(sorted({m.model for m in mutants}))}", flush=True)
    done = 0

    def progress(result: Result) -> None:
        nonlocal done
        done += 1
        if args.verbose:
            print(f"{done:4}/{len(mutants)} {result.id} {result.status} {result.how or ''}")
        elif done % 50 == 0:
            print(f"  {done}/{len(mutants)}", flush=True)

    start = time.perf_counter()
    bases, results = run_all(mutants, processes=args.jobs, budget=args.budget, progress=progress)
    wall = time.perf_counter() - start
    doc = build_report(mutants, bases, results, judgments, wall_seconds=wall, processes=args.jobs)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"report: {out}")
    return _print(doc)


def _print(doc: dict[str, Any]) -> int:
    print(f"checks: {doc['checks']['file']} (sha256 {doc['checks']['sha256'][:12]})")
    where = doc.get("provenance") or {}
    if where.get("uncommitted"):
        print(f"run with uncommitted changes to: {', '.join(where['uncommitted'])}")
    head = f"{'model':16} {'total':>5} {'killed':>6} {'equiv':>5} {'surv':>5} {'unrun':>5}"
    print(f"{head} {'score':>7}")
    for name, m in [*doc["models"].items(), ("all", doc["totals"])]:
        score = "n/a" if m["score"] is None else f"{m['score']:.1%}"
        print(
            f"{name:16} {m['total']:5} {m['killed']:6} {m['equivalent']:5} {m['survived']:5} "
            f"{m['unsupported']:5} {score:>7}"
        )
    print(f"({doc['wall_seconds']} s on {doc['processes']} processes)")
    for e in doc["mutants"]:
        if e["status"] == "survived":
            j = e["judgment"]
            if j is None:
                verdict = "NOT JUDGED"
            elif j["judgment"] == "needs property":
                verdict = f"needs {j['property']} [{j['group']}]: {j['why']}"
            else:
                verdict = f"{j['judgment']} [{j['group']}]: {j['why']}"
            print(f"survivor {e['id']} {e['description']}\n    {verdict}")
    for p in doc["problems"]:
        print(f"PROBLEM {p}")
    return 1 if doc["problems"] else 0


def _list(args: argparse.Namespace) -> int:
    for m in _select(args.model, []):
        print(f"{m.id} {m.description}")
    return 0


def _show(args: argparse.Namespace) -> int:
    for m in _select([], args.id):
        print(f"{m.id} {m.description}")
        print("[[survivor]]")
        for name, value in key_fields(m).items():
            print(f"{name} = {json.dumps(value, ensure_ascii=False)}")
        print(diff(m))
    return 0


def _report(args: argparse.Namespace) -> int:
    path = Path(args.report)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        print(f"error: no report at {path}; write it with `run --out {path}`", file=sys.stderr)
        return 2
    if doc.get("schema") != SCHEMA:
        print(f"error: {path} is not a {SCHEMA} document", file=sys.stderr)
        return 2
    if args.markdown:
        print(render_markdown(doc), end="")
        return 0
    return _print(doc)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m joinery.mutants", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="judge every mutant with the suite; print the scores")
    run.add_argument("--model", action="append", default=[], choices=MUTATED_MODELS)
    run.add_argument("--id", action="append", default=[], help="only this mutant (repeatable)")
    run.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    run.add_argument("--budget", type=float, default=DEFAULT_BUDGET, help="wall seconds per mutant")
    run.add_argument("--out", help="write the JSON report here")
    run.add_argument("-v", "--verbose", action="store_true", help="a line per mutant")
    run.set_defaults(func=_run)
    lst = sub.add_parser("list", help="list the mutants")
    lst.add_argument("--model", action="append", default=[], choices=MUTATED_MODELS)
    lst.set_defaults(func=_list)
    show = sub.add_parser("show", help="print mutants' diffs")
    show.add_argument("id", nargs="+")
    show.set_defaults(func=_show)
    report = sub.add_parser("report", help="print a report written by `run --out`")
    report.add_argument("report", help="a joinery.mutants/1 JSON document")
    report.add_argument("--markdown", action="store_true", help="as markdown, with the diffs")
    report.set_defaults(func=_report)
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
