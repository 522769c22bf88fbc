"""The compatibility page: joinery.task run through its peers' own test suites.

Read from ``build/results/peer.json``, which ``python -m joinery.peer run`` writes (a step
of the main job): CPython's ``test_taskgroups`` through a TaskGroup shim and trio's
nursery tests through a nursery shim, each test with its declared and observed outcome.
Nothing here is typed in: a test shows what the run saw, and the reason the table gives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PAGE = "compatibility.md"
"""The generated page's docs-relative path."""

_WORD = {
    "pass": "passes",
    "differs": "differs by design",
    "not_mappable": "not mappable",
    "fails": "fails (a known bug)",
    "skipped": "skipped by the suite",
    "undeclared": "undeclared",
}
_ICON = {"pass": "✓", "differs": "≠", "not_mappable": "∅", "fails": "✗", "skipped": "·"}


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "/")


def load_peer(build: Path) -> Mapping[str, Any] | None:
    """The peer-suite results of the run, or None when the run wrote none."""
    path = build / "results" / "peer.json"
    if not path.is_file():
        return None
    doc: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def _other_interpreters(build: Path) -> list[str]:
    # The main job runs the peer suites under every other interpreter it found too
    # (peer-<impl>-<X.Y>.json): their totals, checked against the same table.
    rows = []
    for path in sorted((build / "results").glob("peer-*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        python = doc.get("versions", {}).get("python", path.stem.removeprefix("peer-"))
        for name, suite in doc["suites"].items():
            counts = ", ".join(f"{v} {_WORD.get(k, k)}" for k, v in suite.get("counts", {}).items())
            rows.append(f"| {python} | `{name}` | {counts} | {suite.get('mismatches', 0)} |")
    if not rows:
        return []
    return [
        "The same suites under the other interpreters the run found, against the same table "
        "(entries may be qualified by Python version):",
        "",
        "| Python | Suite | outcomes | mismatches |",
        "|---|---|---|--:|",
        *rows,
        "",
    ]


def compatibility_page(build: Path) -> str:
    """The page: counts per suite, then every test with its outcome and reason."""
    doc = load_peer(build)
    out = [
        "# Compatibility: joinery.task in its peers' test suites",
        "",
        "A library that passes only its own tests has been judged by its authors. Here "
        "joinery.task is run through the test suites of the two groups it is modelled on, "
        "as their authors wrote them, loaded from the installed packages (never copied): "
        "CPython's `test.test_asyncio.test_taskgroups`, with `asyncio.TaskGroup` mapped onto "
        "a joinery scope, and trio's own nursery tests, with `open_nursery` mapped onto one. "
        "Every test's outcome is declared in a table (`impls/joinery/peer/expected.toml`), "
        "strictly: a test that behaves otherwise than declared turns the test command red.",
        "",
        "- **passes**: the peer's test passes against joinery.task.",
        "- **differs by design**: joinery.task deliberately does something else (the "
        "reason says what, and why).",
        "- **not mappable**: the test uses something joinery.task does not offer (a "
        "child's own `cancel()`, `name=`...): it judges nothing of joinery.",
        "- **fails**: a known bug, with the issue or finding it belongs to.",
        "",
    ]
    if doc is None:
        return "\n".join(
            [*out, "!!! warning \"No peer-suite results in this build\"", "",
             "    The run behind this site wrote no `build/results/peer.json`."]
        )  # fmt: skip
    versions = ", ".join(f"{k} {v}" for k, v in sorted(doc.get("versions", {}).items()))
    out += [f"Run with {versions}.", ""]
    heads = [w for k, w in _WORD.items() if k != "undeclared"]
    out += [
        "| Suite | " + " | ".join(heads) + " | mismatches |",
        "|---|" + "--:|" * (len(heads) + 1),
    ]
    for name, suite in doc["suites"].items():
        counts = suite.get("counts", {})
        cells = [str(counts.get(k, 0)) for k in _WORD if k != "undeclared"]
        out.append(f"| `{name}` | " + " | ".join(cells) + f" | {suite.get('mismatches', 0)} |")
    out.append("")
    out += _other_interpreters(build)
    for name, suite in doc["suites"].items():
        out += [f"## `{name}`", ""]
        if suite.get("title") or suite.get("description"):
            out += [_cell(suite.get("description") or suite.get("title")), ""]
        out += ["| Test | Declared | Observed | Why |", "|---|---|---|---|"]
        for row in suite["tests"]:
            declared = row["declared"]
            label = f"{_ICON.get(declared, '?')} {_WORD.get(declared, declared)}"
            if not row["ok"]:
                label += " ⚠ **mismatch**"
            why = row.get("reason") or ""
            if row.get("pointer"):
                why += f" ({row['pointer']})"
            out.append(
                f"| `{_cell(row['test'])}` | {label} | {_cell(row['observed'])} | {_cell(why)} |"
            )
        out.append("")
    return "\n".join(out)


def peer_summary(build: Path, page: str, link: str) -> str:
    """One sentence per suite with its counts, for an essay (``[[peer-summary]]``).

    Args:
        build: the run's build directory.
        page: the page the sentence goes on (unused; links are given relative).
        link: the relative link from that page to the compatibility page.
    """
    doc = load_peer(build)
    if doc is None:
        return "*(The run behind this site wrote no peer-suite results.)*"
    parts = []
    for name, suite in doc["suites"].items():
        counts = suite.get("counts", {})
        total = sum(counts.values())
        said = ", ".join(f"{counts[k]} {_WORD[k]}" for k in _WORD if counts.get(k) and k != "pass")
        parts.append(
            f"of `{name}`'s {total} selected tests, {counts.get('pass', 0)} pass"
            + (f" ({said})" if said else "")
        )
    return "In the run behind this site, " + "; ".join(parts) + f" ([every test]({link}))."
