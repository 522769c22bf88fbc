"""Command line: ``python -m joinery.conformance run|show|validate|list``.

``run`` judges every (model, backend, property) cell, writes the results document
(``--out``), prints the matrix and the reason for every cell that is not a plain pass,
and exits 1 when a verdict differs from the declared table (``expected.toml``, or your
own with ``--expected FILE``). Point ``--model`` at your own module or ``.py`` file to
judge your library; it must be installed in the environment that runs the suite.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from joinery.conformance._results import SCHEMA, ResultsError, read_results
from joinery.conformance._suite import (
    HERE,
    Cell,
    Expectation,
    cell,
    cells,
    expectation_for,
    expected_models,
    load_catalogue,
    load_expected,
    results_document,
)
from joinery.conformance.broken import mutants
from joinery.models import BACKENDS, KINDS, Model, kind_of, load_model, registered_models

SYMBOL = {"pass": "✓", "fail": "✗", "unsupported": "○"}
ASSISTED = "◐"


def _models(names: Sequence[str], with_mutants: bool) -> list[Model]:
    if names:
        broken = mutants()
        return [broken[n] if n in broken else load_model(n) for n in names]
    models = []
    for name in registered_models():
        try:
            models.append(load_model(name))
        except LookupError as exc:
            if kind_of(name) != "third-party" or "failed to import" not in str(exc):
                raise
            # A library nobody here wrote may be absent (pip install -e .[thirdparty]):
            # its row is left out, loudly, rather than failing every other model.
            print(f"skipped third-party model {name}: {exc}", file=sys.stderr)
    if with_mutants:
        models += list(mutants().values())
    return models


def _mark(cell: dict[str, Any]) -> str:
    return ASSISTED if cell.get("assisted") else SYMBOL[cell["verdict"]]


def render_matrix(
    results: Sequence[dict[str, Any]], properties: Sequence[str], expected_name: str = "expected"
) -> str:
    """The matrix as a text table: a row per model and backend, a column per property.

    Args:
        results: the ``results`` entries of a results document.
        properties: the property ids, in column order.
        expected_name: what the declared verdicts are called in the legend.
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
            judged = row.get(pid)
            mark = _mark(judged) if judged else " "
            marks.append(f"{mark:>2}" if judged is None or judged["matches"] else f"!{mark}")
        lines.append(f"{f'{model} [{backend}]':<{width}} " + " ".join(marks))
    lines.append("")
    lines += [f"{i + 1:>2} {pid}" for i, pid in enumerate(properties)]
    lines.append(
        f"✓ pass  {ASSISTED} pass, assisted by the adapter (not the library)  ✗ fail  "
        f"○ unsupported  !x differs from {expected_name}"
    )
    return "\n".join(lines)


def render_why(doc: dict[str, Any]) -> str:
    """Every cell that is not a plain pass: the declared reason and what the observer saw."""
    lines = []
    for r in doc["results"]:
        if r["verdict"] == "pass" and not r["assisted"] and r["matches"]:
            continue
        where = f"{r['model']} [{r['backend']}] {r['property']}"
        verdict = "pass, assisted" if r["assisted"] else r["verdict"]
        if r["expected"] is not None and not r["matches"]:
            verdict += f" (expected {r['expected']})"
        lines.append(f"{where}: {verdict}")
        if r["assisted"]:
            lines.append(f"    the adapter adds: {r['assisted']}")
        if r["reason"]:
            lines.append(f"    declared: {r['reason']}")
        lines.append(f"    observed: {r['summary']}")
    return "\n".join(lines)


def _print(doc: dict[str, Any], *, why: bool) -> int:
    expected_name = doc["expected_from"] or "nothing (no declared verdicts)"
    print(render_matrix(doc["results"], list(doc["properties"]), expected_name))
    if why:
        text = render_why(doc)
        print("\n" + (text or "every cell is a plain pass"))
    t = doc["totals"]
    print(
        f"\n{t['cells']} cells: {t['pass']} pass ({t['assisted']} assisted), {t['fail']} fail, "
        f"{t['unsupported']} unsupported; {t['mismatches']} differ from {expected_name}"
    )
    for r in doc["results"]:
        if not r["matches"]:
            print(
                f"MISMATCH {r['model']} [{r['backend']}] {r['property']}: expected "
                f"{r['expected']}, got {r['verdict']}: {r['summary']}"
            )
    return 1 if t["mismatches"] else 0


class UsageError(Exception):
    """The command line asks for something that cannot be done; the message says what."""


def _expectations(
    args: argparse.Namespace,
) -> tuple[dict[tuple[str, str, str], Expectation], set[str], str | None]:
    if args.no_expected:
        return {}, set(), None
    path = Path(args.expected) if args.expected else HERE / "expected.toml"
    if not path.is_file():
        raise UsageError(f"--expected {path}: no such file")
    try:
        return load_expected(path), expected_models(path), path.name
    except ValueError as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise UsageError(f"{path}: {exc}") from exc


def _run(args: argparse.Namespace) -> int:
    catalogue = load_catalogue()
    props = args.property or list(catalogue)
    unknown = [p for p in props if p not in catalogue]
    if unknown:
        raise UsageError(f"unknown property {unknown}; known: {', '.join(catalogue)}")
    models = _models(args.model, with_mutants=not args.no_mutants)
    for model in models:
        bad = sorted(set(model.info.assisted) - set(catalogue))
        if bad:
            raise UsageError(f"model {model.name!r}: ModelInfo.assisted names unknown {bad}")
    backends = args.backend or list(BACKENDS)
    if args.model:
        for model in models:
            if not any(model.runs_on(b) for b in backends):
                raise UsageError(
                    f"model {model.name!r} runs on {', '.join(model.info.backends)}, "
                    f"not on {', '.join(backends)}: nothing to judge"
                )
    table, declared, expected_name = _expectations(args)
    judged: list[Cell] = []
    for model, backend, pid in cells(models, props):
        if backend not in backends:
            continue
        expected = expectation_for(table, declared, model.name, backend, pid)
        judged.append(cell(model, backend, pid, expected))
    if not judged:
        raise UsageError(f"no model runs on {', '.join(backends)}: nothing to judge")
    doc = results_document(models, {p: catalogue[p] for p in props}, judged, expected_name)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"results: {out}")
    return _print(doc, why=not args.quiet)


def _read(path: Path) -> dict[str, Any]:
    try:
        return read_results(path)
    except FileNotFoundError as exc:
        raise UsageError(f"no results at {path}; write them with `run --out {path}`") from exc
    except ResultsError as exc:
        raise UsageError(f"{path}: {exc}") from exc


def _show(args: argparse.Namespace) -> int:
    return _print(_read(Path(args.results)), why=args.why)


def _validate(args: argparse.Namespace) -> int:
    doc = _read(Path(args.results))
    print(f"{args.results}: a valid {SCHEMA} document, {doc['totals']['cells']} cells")
    return 0


def _list(_: argparse.Namespace) -> int:
    for pid, prop in load_catalogue().items():
        print(f"{pid:22} {'/'.join(prop.tasks):14} {prop.statement}")
    print()
    for name in registered_models():
        print(f"{name:26} {kind_of(name)}")
    for name in mutants():
        print(f"{name:26} mutant")
    print()
    for kind, meaning in KINDS.items():
        print(f"{kind:12} {meaning}")
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
        help="registry name, mutant name, module path or .py file (repeatable; default: all)",
    )
    run.add_argument("--backend", action="append", choices=list(BACKENDS), default=[])
    run.add_argument("--property", action="append", default=[], help="property id (repeatable)")
    run.add_argument("--out", help="write the results JSON document here")
    run.add_argument("--no-mutants", action="store_true", help="skip the broken programs")
    expect = run.add_mutually_exclusive_group()
    expect.add_argument(
        "--expected",
        metavar="FILE",
        help="declared verdicts to compare with (expected.toml format)",
    )
    expect.add_argument("--no-expected", action="store_true", help="compare with nothing")
    run.add_argument(
        "--quiet", action="store_true", help="print the matrix without each cell's reason"
    )
    run.set_defaults(func=_run)
    sub.add_parser("list", help="list properties and models").set_defaults(func=_list)
    show = sub.add_parser("show", help="print the matrix of a results document")
    show.add_argument("results", help="a JSON document written by `run --out`")
    show.add_argument(
        "--why", action="store_true", help="give each non-pass cell's reason and summary"
    )
    show.set_defaults(func=_show)
    validate = sub.add_parser("validate", help=f"check a results file against {SCHEMA}")
    validate.add_argument("results", help="a results JSON document")
    validate.set_defaults(func=_validate)
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except (LookupError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
