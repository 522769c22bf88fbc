"""Mutation testing of joinery.task: ``python -m joinery.peer mutate``.

cosmic-ray (the ``mutation`` extra) finds and applies the mutations; this module picks
which to run, runs the tests against each in throw-away copies of the repository (in
parallel), and judges the outcome against the committed list of equivalent mutants.

Why not ``cosmic-ray exec``: it mutates the files of the working tree in place and
runs one mutant at a time; here every worker owns a copy (``impls/``, ``tests/``,
``pyproject.toml``) and imports it first through ``PYTHONPATH``, so the worktree is
never touched and a killed run leaves nothing behind.

Configured in ``pyproject.toml``::

    [tool.joinery.mutation]
    paths = ["impls/joinery/task"]          # the code to mutate
    tests = ["tests/task", "tests/peer"]    # the tests that must kill the mutants
    pytest-args = ["-x", "-q"]
    equivalents = "impls/joinery/peer/equivalents.toml"
    sample = 150                            # mutants per run unless --all/--sample
    seed = 10

Which mutants: cosmic-ray's core operators over every line of ``paths``, minus those
inside annotations (never evaluated under ``from __future__ import annotations``: an
equivalent by rule), reduced to one mutant per (line, operator family) and then to a
seeded random sample. A mutant is killed when the tests fail, error or time out.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import importlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "joinery.mutation/1"


@dataclass(frozen=True)
class Mutant:
    """One mutation: which operator at which occurrence in which file, and what it does."""

    file: str  # relative to the project root
    operator: str
    occurrence: int
    line: int
    before: str = ""  # the original line, stripped
    after: str = ""  # the mutated line, stripped

    @property
    def family(self) -> str:
        """The operator without its variant (``core/ReplaceComparisonOperator``)."""
        return self.operator.split("_")[0]

    def key(self) -> tuple[str, str, str, str]:
        """What an equivalents entry matches: stable while the line's text is."""
        return (self.file, self.operator, self.before, self.after)


@dataclass
class Config:
    """``[tool.joinery.mutation]`` of the project's pyproject.toml."""

    root: Path
    paths: list[str]
    tests: list[str]
    pytest_args: list[str] = field(default_factory=lambda: ["-x", "-q"])
    equivalents: str = ""
    sample: int = 0  # 0: every candidate
    seed: int = 0
    operators: list[str] = field(default_factory=list)  # substrings; empty: all

    @classmethod
    def load(cls, root: Path) -> Config:
        """Read the table from ``root/pyproject.toml``.

        Raises:
            ValueError: the table is missing or has unknown keys.
        """
        with (root / "pyproject.toml").open("rb") as f:
            data = tomllib.load(f)
        table = data.get("tool", {}).get("joinery", {}).get("mutation")
        if table is None:
            raise ValueError(f"{root}/pyproject.toml has no [tool.joinery.mutation] table")
        known = {"paths", "tests", "pytest-args", "equivalents", "sample", "seed", "operators"}
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"[tool.joinery.mutation]: unknown keys {sorted(unknown)}")
        return cls(
            root=root,
            paths=list(table["paths"]),
            tests=list(table["tests"]),
            pytest_args=list(table.get("pytest-args", ["-x", "-q"])),
            equivalents=str(table.get("equivalents", "")),
            sample=int(table.get("sample", 0)),
            seed=int(table.get("seed", 0)),
            operators=list(table.get("operators", [])),
        )


# -- finding mutants -------------------------------------------------------------------


def _cosmic(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise SystemExit(
            "joinery.peer mutate needs cosmic-ray: pip install -e '.[mutation]'"
        ) from None


def _annotation_lines(source: str) -> set[tuple[int, int]]:
    """(line, column) positions inside annotations: mutating them changes nothing at run time."""
    spans: list[ast.expr] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.arg) and node.annotation is not None:
            spans.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            spans.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            spans.append(node.annotation)
    inside: set[tuple[int, int]] = set()
    for e in spans:
        end_line, end_col = e.end_lineno or e.lineno, e.end_col_offset or 0
        for line in range(e.lineno, end_line + 1):
            lo = e.col_offset if line == e.lineno else 0
            hi = end_col if line == end_line else 10_000
            inside.update((line, c) for c in range(lo, hi))
    return inside


def find(cfg: Config) -> tuple[list[Mutant], int]:
    """Every candidate mutant of ``cfg.paths``, and how many were annotation equivalents."""
    init = _cosmic("cosmic_ray.commands.init")
    files = sorted(p for path in cfg.paths for p in sorted((cfg.root / path).rglob("*.py")))
    found: list[Mutant] = []
    in_annotations = 0
    for path in files:
        rel = path.relative_to(cfg.root).as_posix()
        inside = _annotation_lines(path.read_text(encoding="utf-8"))
        for item in init._all_work_items([path], {}):
            spec = item.mutations[0]
            if cfg.operators and not any(o in spec.operator_name for o in cfg.operators):
                continue
            if tuple(spec.start_pos) in inside:
                in_annotations += 1
                continue
            found.append(Mutant(rel, spec.operator_name, spec.occurrence, spec.start_pos[0]))
    return found, in_annotations


def choose(candidates: list[Mutant], sample: int | None, seed: int) -> list[Mutant]:
    """One mutant per (file, line, operator family), then ``sample`` of those.

    ``sample=0`` keeps one per group; ``None`` keeps every candidate (``--all``).
    """
    if sample is None:
        return list(candidates)
    rng = random.Random(seed)
    groups: dict[tuple[str, int, str], list[Mutant]] = {}
    for m in candidates:
        groups.setdefault((m.file, m.line, m.family), []).append(m)
    picked = [rng.choice(group) for group in groups.values()]
    if sample and sample < len(picked):
        picked = rng.sample(picked, sample)
    return sorted(picked, key=lambda m: (m.file, m.line, m.operator, m.occurrence))


def mutated_source(root: Path, m: Mutant) -> tuple[str, Mutant]:
    """The mutated text of ``m.file``, and ``m`` with its before/after lines filled in."""
    plugins = _cosmic("cosmic_ray.plugins")
    mutating = _cosmic("cosmic_ray.mutating")
    original = (root / m.file).read_text(encoding="utf-8")
    code = mutating.mutate_code(original, plugins.get_operator(m.operator)(), m.occurrence)
    if code is None:
        raise RuntimeError(f"cosmic-ray could not apply {m}")
    old, new = original.splitlines(), code.splitlines()
    line = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), m.line - 1)
    before = old[line].strip() if line < len(old) else ""
    after = new[line].strip() if line < len(new) else ""
    return code, Mutant(m.file, m.operator, m.occurrence, line + 1, before, after)


# -- equivalents ---------------------------------------------------------------------------


def load_equivalents(path: Path) -> dict[tuple[str, str, str, str], str]:
    """The committed equivalent mutants: key -> reason.

    Raises:
        ValueError: an entry lacks a field or its reason.
    """
    if not path.exists():
        return {}
    with path.open("rb") as f:
        data = tomllib.load(f)
    out = {}
    for i, e in enumerate(data.get("mutant", [])):
        missing = {"file", "operator", "before", "after", "reason"} - set(e)
        if missing or not e.get("reason"):
            raise ValueError(f"{path.name} mutant #{i + 1}: missing {sorted(missing) or 'reason'}")
        out[(e["file"], e["operator"], e["before"], e["after"])] = str(e["reason"])
    return out


# -- running ------------------------------------------------------------------------------


def _copy_project(root: Path, dest: Path, cfg: Config) -> None:
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    tops = {Path(p).parts[0] for p in [*cfg.paths, *cfg.tests]} | {"impls"}
    for top in sorted(tops):
        if (root / top).is_dir():
            shutil.copytree(root / top, dest / top, ignore=skip)
    shutil.copy2(root / "pyproject.toml", dest / "pyproject.toml")


def _run_tests(ws: Path, cfg: Config, timeout: float) -> tuple[str, float, str]:
    env = dict(os.environ)
    impls = str(ws / "impls")
    env["PYTHONPATH"] = impls + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a stale .pyc of the same size and second lies
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *cfg.pytest_args]
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [*cmd, *cfg.tests], cwd=ws, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return "killed: timeout", time.monotonic() - start, ""
    took = time.monotonic() - start
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    # The summary, and the peer suites' mismatch lines ("test: declared -> observed"),
    # which say which peer test killed the mutant.
    tail = [ln.strip() for ln in lines if " -> " in ln and ln.startswith("E ")][:10] + lines[-3:]
    if proc.returncode == 0:
        return "survived", took, "\n".join(tail)
    if proc.returncode == 1:
        return "killed: tests failed", took, "\n".join(tail)
    if proc.returncode == 5:
        return "error: no tests ran", took, "\n".join(tail)
    return f"killed: pytest exit {proc.returncode}", took, "\n".join(tail)


def run(cfg: Config, mutants: list[Mutant], workers: int, log: Any = print) -> dict[str, Any]:
    """Run the tests once unmutated, then once per mutant; return the report document."""
    equivalents = load_equivalents(cfg.root / cfg.equivalents) if cfg.equivalents else {}
    start = time.monotonic()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="joinery-mutate-") as tmp:
        spaces = []
        for i in range(max(1, workers)):
            ws = Path(tmp) / f"w{i}"
            _copy_project(cfg.root, ws, cfg)
            spaces.append(ws)
        outcome, baseline, tail = _run_tests(spaces[0], cfg, timeout=900)
        flaky = ""
        if outcome != "survived":
            # Once more before giving up, and say so in the report: a baseline that
            # fails only sometimes makes some kills doubtful.
            flaky = tail
            log(f"baseline failed once ({outcome}); running it again:\n{tail}")
            outcome, baseline, tail = _run_tests(spaces[0], cfg, timeout=900)
        if outcome != "survived":
            raise RuntimeError(f"the tests fail before any mutation ({outcome}):\n{tail}")
        timeout = max(30.0, 3 * baseline)
        log(f"baseline: tests pass in {baseline:.1f} s; timeout per mutant {timeout:.0f} s")
        free = list(spaces)
        lock = threading.Lock()

        def one(m: Mutant) -> dict[str, Any]:
            code, m = mutated_source(cfg.root, m)
            reason = equivalents.get(m.key())
            if reason is not None:
                return {**asdict(m), "status": "equivalent", "reason": reason, "seconds": 0.0}
            with lock:
                ws = free.pop()
            target = ws / m.file
            original = target.read_text(encoding="utf-8")
            try:
                target.write_text(code, encoding="utf-8")
                status, took, tail = _run_tests(ws, cfg, timeout)
            finally:
                target.write_text(original, encoding="utf-8")
                with lock:
                    free.append(ws)
            return {**asdict(m), "status": status, "seconds": round(took, 2), "tail": tail}

        with concurrent.futures.ThreadPoolExecutor(max_workers=len(spaces)) as pool:
            for n, r in enumerate(pool.map(one, mutants), 1):
                results.append(r)
                where = f"{r['file']}:{r['line']}"
                log(f"[{n}/{len(mutants)}] {r['status']:<22} {where} {r['operator']}")
    doc = report(results, baseline, time.monotonic() - start, workers)
    doc["baseline_flaky"] = flaky
    return doc


def report(
    results: list[dict[str, Any]], baseline: float, seconds: float, workers: int
) -> dict[str, Any]:
    """Counts and score: killed / (run - equivalent); errors count against the score."""
    killed = sum(r["status"].startswith("killed") for r in results)
    equivalent = sum(r["status"] == "equivalent" for r in results)
    judged = len(results) - equivalent
    return {
        "schema": SCHEMA,
        "python": sys.version.split()[0],
        "mutants": len(results),
        "killed": killed,
        "survived": sum(r["status"] == "survived" for r in results),
        "equivalent": equivalent,
        "errors": sum(r["status"].startswith("error") for r in results),
        "score": round(killed / judged, 4) if judged else None,
        "baseline_seconds": round(baseline, 1),
        "seconds": round(seconds, 1),
        "workers": workers,
        "results": results,
    }


def rejudge(doc: dict[str, Any], equivalents: dict[tuple[str, str, str, str], str]) -> int:
    """Mark the survivors of a past run that ``equivalents`` now lists; re-count in place.

    For judging survivors after a long run without running it again. Returns how many
    survivors were re-marked.
    """
    marked = 0
    for r in doc["results"]:
        reason = equivalents.get((r["file"], r["operator"], r["before"], r["after"]))
        if r["status"] == "survived" and reason is not None:
            r.update(status="equivalent", reason=reason)
            marked += 1
    keep: dict[str, Any] = {k: doc[k] for k in ("population", "in_annotations", "seed") if k in doc}
    doc.update(report(doc["results"], doc["baseline_seconds"], doc["seconds"], doc["workers"]))
    doc.update(keep)
    return marked


def render(doc: dict[str, Any]) -> str:
    """The summary and every survivor, one line each."""
    score = "n/a" if doc["score"] is None else f"{100 * doc['score']:.1f}%"
    lines = [
        f"mutation run on Python {doc['python']}: {doc['mutants']} mutants "
        f"({doc.get('population', '?')} candidates, {doc.get('in_annotations', '?')} "
        f"in annotations skipped) in {doc['seconds']:.0f} s with {doc['workers']} workers",
        f"  killed {doc['killed']}, survived {doc['survived']}, equivalent "
        f"{doc['equivalent']}, errors {doc['errors']}; score {score} of non-equivalent",
    ]
    for r in doc["results"]:
        if r["status"] in ("survived",) or r["status"].startswith("error"):
            lines.append(f"  {r['status']}: {r['file']}:{r['line']} {r['operator']}")
            lines.append(f"      {r['before']}  ->  {r['after']}")
    return "\n".join(lines)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register the ``mutate`` subcommand."""
    p: argparse.ArgumentParser = sub.add_parser(
        "mutate", help="mutation testing of joinery.task (needs the 'mutation' extra)"
    )
    p.add_argument("--root", default=".", help="the project (its pyproject.toml configures)")
    p.add_argument("--sample", type=int, help="mutants to run (default: the config's)")
    p.add_argument("--all", action="store_true", help="every candidate: no sampling, no dedup")
    p.add_argument("--seed", type=int, help="sampling seed (default: the config's)")
    p.add_argument("--operator", action="append", default=[], help="only operators matching")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--list", action="store_true", help="print the chosen mutants; run nothing")
    p.add_argument("--out", default="build/results/mutation.json")
    p.add_argument(
        "--rejudge",
        action="store_true",
        help="re-read equivalents.toml into the report at --out and re-score; run nothing",
    )
    return p


def main(args: argparse.Namespace) -> int:
    """Find, choose, run, report. Exit 1 if a mutant survived or errored."""
    cfg = Config.load(Path(args.root).resolve())
    out = Path(args.out)
    if not out.is_absolute():
        out = cfg.root / out
    if args.rejudge:
        doc = json.loads(out.read_text(encoding="utf-8"))
        eq = load_equivalents(cfg.root / cfg.equivalents) if cfg.equivalents else {}
        print(f"{rejudge(doc, eq)} survivors are listed equivalents now")
        out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(render(doc))
        return 1 if doc["survived"] or doc["errors"] else 0
    if args.operator:
        cfg.operators = args.operator
    candidates, in_annotations = find(cfg)
    sample = None if args.all else (args.sample if args.sample is not None else cfg.sample)
    seed = cfg.seed if args.seed is None else args.seed
    mutants = choose(candidates, sample, seed)
    if args.list:
        for m in mutants:
            print(f"{m.file}:{m.line} {m.operator} #{m.occurrence}")
        return 0
    print(f"{len(candidates)} candidates ({in_annotations} in annotations skipped); "
          f"running {len(mutants)} (seed {seed})")  # fmt: skip
    doc = run(cfg, mutants, args.workers)
    doc.update(population=len(candidates), in_annotations=in_annotations, seed=seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(render(doc))
    return 1 if doc["survived"] or doc["errors"] else 0
