"""Run the peer suites in subprocesses and judge them against the declared table.

Each suite runs in its own interpreter (``python -m joinery.peer._cpython`` /
``_trio``): the shims patch module globals and the suites install loop policies and
signal handlers, none of which may leak into the caller or into each other. Both run
at once; the CPython suite mostly sleeps on real timers.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from joinery.peer import _table

SCHEMA = "joinery.peer/1"
SUITES = {
    "cpython": {
        "module": "joinery.peer._cpython",
        "title": "CPython test.test_asyncio.test_taskgroups, TaskGroup as a task.scope()",
        "selection": "every test of the module",
    },
    "trio": {
        "module": "joinery.peer._trio",
        "title": "trio's nursery tests (test_run, test_ki, test_cancelled), nursery as a scope",
        "selection": "tests whose source contains 'open_nursery'",
    },
}
TIMEOUT = 600.0


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("joinery", "trio", "pytest", "sniffio", "outcome"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "absent"
    return out


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:  # outside the working directory: say where it is
        return str(path)


def run(names: list[str], table_path: Path = _table.TABLE) -> dict[str, Any]:
    """Run the suites ``names``; return the results document (see :data:`SCHEMA`)."""
    table = _table.load(table_path)
    version = sys.version_info[:2]
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "versions": _versions(),
        "table": _shown(table_path),
        "suites": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        procs = {}
        for name in names:
            out = Path(tmp) / f"{name}.json"
            cmd = [sys.executable, "-m", str(SUITES[name]["module"]), str(out)]
            procs[name] = (
                subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
                out,
            )
        for name, (proc, out) in procs.items():
            try:
                log, _ = proc.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                log, _ = proc.communicate()
            if not out.exists():
                raise RuntimeError(
                    f"peer suite {name!r} wrote no results (exit {proc.returncode}):\n"
                    + log[-3000:]
                )
            raw = json.loads(out.read_text(encoding="utf-8"))
            rows = _table.compare(raw.pop("tests"), table.get(name, []), version)
            counts: dict[str, int] = {}
            for row in rows:
                counts[row["declared"]] = counts.get(row["declared"], 0) + 1
            doc["suites"][name] = {
                **{k: v for k, v in SUITES[name].items() if k != "module"},
                **raw,
                "counts": counts,
                "mismatches": sum(not r["ok"] for r in rows),
                "tests": rows,
            }
    doc["mismatches"] = sum(s["mismatches"] for s in doc["suites"].values())
    return doc


def render(doc: dict[str, Any], *, suggest: bool = True) -> str:
    """Counts per suite, then every mismatch with the table line that would declare it."""
    lines = [
        "peer suites on Python {python}, trio {trio}".format(**doc["versions"]),
    ]
    for name, suite in doc["suites"].items():
        counts = ", ".join(f"{k} {v}" for k, v in sorted(suite["counts"].items()))
        lines.append(f"  {name}: {len(suite['tests'])} tests ({counts}); "
                     f"{suite['mismatches']} mismatches")  # fmt: skip
    for name, suite in doc["suites"].items():
        bad = [r for r in suite["tests"] if not r["ok"]]
        if not bad:
            continue
        lines.append(f"\nmismatches in [{name}] (declared -> observed):")
        for r in bad:
            pointer = f" ({r['pointer']})" if r["pointer"] else ""
            lines.append(f"  {r['test']}: {r['declared']}{pointer} -> {r['observed']}")
            if r["detail"]:
                lines.append(f"      {r['detail'][:200]}")
            if suggest:
                lines.append(f"      suggested: {_table.suggestion(r)}")
    if not doc["mismatches"]:
        lines.append("every outcome is as declared")
    return "\n".join(lines)
