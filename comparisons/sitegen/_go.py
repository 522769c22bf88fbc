"""The Go row on the site: its verdicts merged into the matrix, its code in Go tabs.

``python -m joinery.gorow`` writes ``results/conformance-go.json`` (or, when Go is not
installed, ``results/conformance-go.skipped`` with the reason). The site shows the Go
models beside the Python ones: a Go model with the name of a Python model
(``seed_given``) gains a ``go`` backend; the others are new columns. Go code is cut
from the real files by the ``// scenario: NAME`` line in a declaration's doc comment,
as the Python tabs are cut by the AST.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comparisons.sitegen._data import ROOT, Conformance, MissingData

GO_RESULTS = "conformance-go.json"
GO_SKIPPED = "conformance-go.skipped"
GO_PRODUCER = ".venv/bin/python -m joinery.gorow run --out <build dir>/results/conformance-go.json"

_MARK = re.compile(r"^//\s*scenario:\s*(\S+)\s*$")


def merge_go(conf: Conformance, results_dir: Path) -> Conformance:
    """``conf`` with the Go row's models and verdicts added, if the row ran.

    A skipped row leaves the verdicts alone and records its reason under ``go_skipped``
    (the matrix page prints it), so a reader never mistakes a missing row for a pass.

    Raises:
        MissingData: the Go results file is not JSON or lacks models or results.
    """
    path = results_dir / GO_RESULTS
    skipped = results_dir / GO_SKIPPED
    if not path.is_file():
        if not skipped.is_file():
            return conf
        return Conformance(conf.path, {**conf.doc, "go_skipped": skipped.read_text().strip()})
    try:
        go = json.loads(path.read_text(encoding="utf-8"))
        go_models: Mapping[str, Mapping[str, Any]] = go["models"]
        go_results: list[Mapping[str, Any]] = go["results"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MissingData(f"{path}: not a Go results document ({exc}). Produce it with: "
                          f"{GO_PRODUCER}") from exc  # fmt: skip
    models = {name: dict(card) for name, card in conf.models.items()}
    for name, card in go_models.items():
        go_card = {k: card[k] for k in ("title", "summary", "source", "unsupported", "kind")}
        if name in models:  # the same model in Go: one more backend
            models[name]["backends"] = [*models[name]["backends"], "go"]
        else:
            models[name] = {
                **go_card,
                "backends": ["go"],
                "kind": card["kind"],
                "module": card.get("module"),
                "assisted": card.get("assisted", {}),
                # What results format /1 calls it: meant to fail (controls and mutants).
                "control": card["kind"] in ("control", "mutant"),
                "language": "go",
            }
        models[name]["go"] = go_card
    doc = {**conf.doc, "models": models, "results": [*conf.results, *go_results]}
    doc["go_environment"] = {**go.get("environment", {}), "interpreter": go.get("interpreter")}
    return Conformance(conf.path, doc)


def is_go_only(card: Mapping[str, Any]) -> bool:
    """True for a model that exists only in Go (no Python source to cut code from)."""
    return card.get("language") == "go"


@dataclass(frozen=True)
class GoBlock:
    """One top-level Go declaration, with its doc comment."""

    path: Path
    first: int
    last: int
    text: str


def _declarations(path: Path) -> Iterator[tuple[set[str], int, int]]:
    """(scenarios named in the doc comment, first line, last line) of each marked decl.

    gofmt puts the closing brace or parenthesis of a top-level declaration alone at the
    start of a line: that line ends the declaration.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("//"):
            i += 1
            continue
        start, names = i, set()
        while i < len(lines) and lines[i].startswith("//"):
            m = _MARK.match(lines[i])
            if m:
                names.add(m.group(1))
            i += 1
        if not names or i >= len(lines):
            continue
        end = i
        if lines[i].rstrip().endswith(("{", "(")):
            while end < len(lines) and lines[end] not in ("}", ")"):
                end += 1
        yield names, start + 1, end + 1
        i = end + 1


def go_blocks(source: Path, scenario: str) -> list[GoBlock]:
    """Every declaration of the Go package at ``source`` marked for ``scenario``."""
    if not source.is_dir():
        raise LookupError(f"{source}: Go package directory does not exist")
    out = []
    for path in sorted(source.glob("*.go")):
        if path.name.endswith("_test.go"):
            continue
        text = path.read_text(encoding="utf-8").splitlines()
        for names, first, last in _declarations(path):
            if scenario in names:
                out.append(GoBlock(path, first, last, "\n".join(text[first - 1 : last])))
    return out


def go_sources(conf: Conformance) -> list[tuple[str, Mapping[str, Any]]]:
    """(model, its Go card) of every model with Go code to show, each source once.

    The deliberately broken programs are left out, as the Python tabs leave them out.
    """
    seen: set[str] = set()
    out = []
    for model, card in conf.models.items():
        go = card.get("go")
        if go and go.get("kind") != "mutant" and go["source"] not in seen:
            seen.add(go["source"])
            out.append((model, go))
    return out


def count_go_lines(text: str) -> tuple[int, int]:
    """(all lines, code lines) of a Go snippet: code lines hold more than a comment."""
    lines = text.splitlines()
    code = [s for s in (line.strip() for line in lines) if s and not s.startswith("//")]
    return len(lines), len(code)


def source_dir(card: Mapping[str, Any]) -> Path:
    """A Go card's package directory."""
    src = Path(card["source"])
    return src if src.is_absolute() else ROOT / src
