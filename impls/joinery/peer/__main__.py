"""Command line: ``python -m joinery.peer run|show|mutate``.

``run`` runs the peer suites, writes the results document (``--out``), prints the
counts and every mismatch, and exits 1 when an outcome differs from ``expected.toml``.
``show`` prints a results document again, with a suggested table line per mismatch.
``mutate`` runs mutation testing of joinery.task (see :mod:`joinery.peer._mutate`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from joinery.peer import _run, _table


def _cmd_run(args: argparse.Namespace) -> int:
    try:
        doc = _run.run(args.suite or list(_run.SUITES), Path(args.table))
    except (_table.TableError, RuntimeError) as exc:  # a bad table; a suite that crashed
        print(f"joinery.peer: {exc}", file=sys.stderr)
        return 2
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(_run.render(doc))
    return 1 if doc["mismatches"] else 0


def _cmd_show(args: argparse.Namespace) -> int:
    path = Path(args.results)
    if not path.exists():
        print(f"joinery.peer show: no results at {path}; run `python -m joinery.peer run "
              f"--out {path}` first", file=sys.stderr)  # fmt: skip
        return 2
    doc = json.loads(path.read_text(encoding="utf-8"))
    print(_run.render(doc))
    return 1 if doc["mismatches"] else 0


def _cmd_mutate(args: argparse.Namespace) -> int:
    from joinery.peer import _mutate

    return _mutate.main(args)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the command."""
    parser = argparse.ArgumentParser(prog="python -m joinery.peer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the peer suites against the declared table")
    run.add_argument("--out", help="write the results document here (JSON)")
    run.add_argument("--table", default=str(_table.TABLE), help="the declared outcomes")
    run.add_argument("--suite", action="append", choices=list(_run.SUITES))
    run.set_defaults(fn=_cmd_run)
    show = sub.add_parser("show", help="print a results document's counts and mismatches")
    show.add_argument("results", nargs="?", default="build/results/peer.json")
    show.set_defaults(fn=_cmd_show)
    from joinery.peer import _mutate

    _mutate.add_parser(sub).set_defaults(fn=_cmd_mutate)
    args = parser.parse_args(argv)
    code: int = args.fn(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
