"""Command line: ``python -m joinery.conformance run|list``.

``run`` judges every (model, backend, property) cell, writes the results document
(``--out``), prints the matrix, and exits 1 when a verdict differs from the declared
table (``expected.toml``). Point ``--model`` at your own module to judge your library.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from joinery.conformance._suite import (
    SCHEMA,
    Cell,
    cells,
    expectation_for,
    expected_models,
    judge,
    load_catalogue,
    load_expected,
    results_document,
)
from joinery.conformance.broken import mutants
from joinery.models import Model, load_model, registered_models

SYMBOL = {"pass": "✓", "fail": "✗", "unsupported": "○"}


def _models(names: Sequence[str], with_mutants: bool) -> list[Model]:
    if names:
        broken = mutants()
        return [broken[n] if n in broken else load_model(n) for n in names]
    models = [load_model(n) for n in registered_models()]
    if with_mutants:
        models += list(mutants().values())
    return models


def render_matrix(results: Sequence[dict[str, Any]], properties: Sequence[str]) -> str:
    """The matrix as a text table: a row per model and backend, a column per property.

    Args:
        results: the ``results`` entries of a results document.
        properties: the property ids, in column order.
    """
    rows: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in results:
        rows.setdefault((r["model"], r["backend"]), {})[r["property"]] = r
    width = max((len(f"{m} [{b}]") for m, b in rows), default=10)
    head = " " * width + " " + " ".join(f"{i + 1:>2}" for i in range(len(properties)))
    lines = [head]
    for (model, backend), row in rows.items():
        marks = []
        for pid in properties:
            cell = row.get(pid)
            mark = SYMBOL[cell["verdict"]] if cell else " "
            marks.append(f"{mark:>2}" if cell is None or cell["matches"] else f"!{mark}")
        lines.append(f"{f'{model} [{backend}]':<{width}} " + " ".join(marks))
    lines.append("")
    lines += [f"{i + 1:>2} {pid}" for i, pid in enumerate(properties)]
    lines.append("✓ pass  ✗ fail  ○ unsupported  !x differs from expected.toml")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    catalogue = load_catalogue()
    props = args.property or list(catalogue)
    unknown = [p for p in props if p not in catalogue]
    if unknown:
        print(f"unknown property {unknown}; known: {', '.join(catalogue)}", file=sys.stderr)
        return 2
    models = _models(args.model, with_mutants=not args.no_mutants)
    table = {} if args.no_expected else load_expected()
    declared = set() if args.no_expected else expected_models()
    judged: list[Cell] = []
    for model, backend, pid in cells(models, props):
        if args.backend and backend not in args.backend:
            continue
        expected = expectation_for(table, declared, model.name, backend, pid)
        judged.append(Cell(model.name, backend, pid, judge(model, backend, pid), expected))
    doc = results_document(models, {p: catalogue[p] for p in props}, judged)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"results: {out}")
    return _print(doc)


def _print(doc: dict[str, Any]) -> int:
    print(render_matrix(doc["results"], list(doc["properties"])))
    t = doc["totals"]
    print(
        f"\n{t['cells']} cells: {t['pass']} pass, {t['fail']} fail, "
        f"{t['unsupported']} unsupported; {t['mismatches']} differ from expected.toml"
    )
    for r in doc["results"]:
        if not r["matches"]:
            print(
                f"MISMATCH {r['model']} [{r['backend']}] {r['property']}: expected "
                f"{r['expected']}, got {r['verdict']}: {r['summary']}"
            )
    return 1 if t["mismatches"] else 0


def _show(args: argparse.Namespace) -> int:
    path = Path(args.results)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        print(f"error: no results at {path}; write them with `run --out {path}`", file=sys.stderr)
        return 2
    if doc.get("schema") != SCHEMA:
        print(f"error: {path} is not a {SCHEMA} document", file=sys.stderr)
        return 2
    return _print(doc)


def _list(_: argparse.Namespace) -> int:
    for pid, prop in load_catalogue().items():
        print(f"{pid:22} {'/'.join(prop.tasks):14} {prop.statement}")
    print()
    for name in registered_models() + list(mutants()):
        print(name)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m joinery.conformance", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="judge models and print the matrix")
    run.add_argument(
        "--model",
        action="append",
        default=[],
        help="registry name, mutant name or module path (repeatable; default: all)",
    )
    run.add_argument("--backend", action="append", choices=["asyncio", "trio"], default=[])
    run.add_argument("--property", action="append", default=[], help="property id (repeatable)")
    run.add_argument("--out", help="write the results JSON document here")
    run.add_argument("--no-mutants", action="store_true", help="skip the broken programs")
    run.add_argument("--no-expected", action="store_true", help="do not compare with expected.toml")
    run.set_defaults(func=_run)
    sub.add_parser("list", help="list properties and models").set_defaults(func=_list)
    show = sub.add_parser("show", help="print the matrix of a results document")
    show.add_argument("results", help="a JSON document written by `run --out`")
    show.set_defaults(func=_show)
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
