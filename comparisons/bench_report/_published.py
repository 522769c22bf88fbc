"""The published benchmark run: the committed full-profile JSON the site's figures come from.

A quick run scatters by tens of percent, so the site quotes a *full* run, committed with
its provenance (machine, CPU, interpreter, library versions, commit, date, profile). One
function, :func:`problems`, says what disqualifies a run; ``python -m benchmarks publish``
refuses to copy such a run here, and the site refuses to build from one (a committed file
edited by hand is checked as strictly as a fresh one).

Scenario: someone publishes the main job's quick run, or a full run made with
uncommitted changes: the site would quote figures no commit can reproduce. Refused.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from comparisons.bench_report._data import ReportError, Run, load

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "benchmarks" / "published" / "full.json"
"""Where the published run is committed (relative: ``benchmarks/published/full.json``)."""

PROFILE = "full"
LIBRARIES = ("joinery", "trio", "anyio", "pytest-benchmark")
"""Packages whose version a published run must name (uvloop may be absent on a platform)."""


class PublishError(ReportError):
    """A run that cannot be published; the message lists every reason."""


def _get(doc: Mapping[str, Any], *keys: str) -> Any:
    node: Any = doc
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def problems(doc: Mapping[str, Any]) -> list[str]:
    """Every reason the run ``doc`` (a parsed pytest-benchmark JSON) cannot be published."""
    out = []
    profile = _get(doc, "joinery", "profile")
    if profile is None:
        out.append("no joinery.profile: was it written by `python -m benchmarks`?")
    elif profile != PROFILE:
        out.append(
            f"profile is {profile!r}, not {PROFILE!r}: only a full run is published "
            "(a quick run's ratios scatter by tens of percent)"
        )
    commit = _get(doc, "commit_info") or {}
    if _get(commit, "error"):
        out.append(f"commit_info has an error ({commit['error']}): not run from a git checkout")
    cid = _get(commit, "id")
    if not isinstance(cid, str) or not re.fullmatch(r"[0-9a-f]{40}", cid):
        out.append(f"commit_info.id is {cid!r}, not a 40-digit commit id")
    dirty = _get(commit, "dirty")
    if dirty is not False:
        out.append(
            "the run was made from a dirty tree (commit_info.dirty is "
            f"{dirty!r}): commit or stash the changes and run again"
        )
    if not _get(doc, "datetime"):
        out.append("no datetime: the date of the run is unknown")
    machine = _get(doc, "machine_info") or {}
    for path in (
        ("node",),
        ("machine",),
        ("python_implementation",),
        ("python_version",),
        ("cpu", "brand_raw"),
        ("joinery", "cpus"),
        ("joinery", "platform"),
    ):
        if not _get(machine, *path):
            out.append(f"machine_info.{'.'.join(path)} is missing")
    packages = _get(machine, "joinery", "packages") or {}
    for name in LIBRARIES:
        if not _get(packages, name):
            out.append(f"machine_info.joinery.packages has no version of {name}")
    if not _get(doc, "benchmarks"):
        out.append("no benchmarks in the run")
    return out


def _read(path: Path) -> Mapping[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PublishError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PublishError(f"{path}: cannot be read as JSON ({exc})") from exc
    if not isinstance(doc, Mapping):
        raise PublishError(f"{path}: not a JSON object")
    return doc


def check(path: Path) -> Run:
    """Read ``path`` and return the run, or raise listing every reason it is not publishable.

    Raises:
        PublishError: the file is absent, unreadable, not a joinery run, or fails
            :func:`problems`.
    """
    found = problems(_read(path))
    if found:
        raise PublishError(
            f"{path} is not a publishable run:\n" + "\n".join(f"  - {p}" for p in found)
        )
    return load(path)  # and the report can read every benchmark in it


def _commit_known(commit: str, repo: Path) -> bool:
    probe = subprocess.run(
        ["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=repo, capture_output=True
    )
    return probe.returncode == 0


def publish(src: Path, dest: Path = PUBLISHED, repo: Path = ROOT) -> Run:
    """Copy the run ``src`` to ``dest`` unchanged, after :func:`check` and a commit check.

    Raises:
        PublishError: the run is not publishable, or its commit is not in ``repo``'s
            history (a run of another tree).
    """
    run = check(src)
    commit = run.commit["id"]
    if not _commit_known(commit, repo):
        raise PublishError(
            f"{src} was run at commit {commit}, which is not in the history of {repo}: "
            "publish a run of this repository"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return run


def _date(iso: str) -> str:
    """``2026-12-01 08:01 UTC`` from pytest-benchmark's ISO time; as written if not ISO."""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if when.utcoffset() is not None:
        when = when.astimezone(UTC)
        return when.strftime("%Y-%m-%d %H:%M UTC")
    return when.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Provenance:
    """Where and how a run was made, as the site shows it (label -> text)."""

    rows: tuple[tuple[str, str], ...]

    def text(self, label: str) -> str:
        """The value of one row."""
        return dict(self.rows)[label]


def provenance(run: Run) -> Provenance:
    """The run's metadata, one labelled row each; ``?`` where the run did not record it."""
    m, meta = run.machine, run.meta
    extra = m.get("joinery") or {}
    cpu = m.get("cpu") or {}
    commit = run.commit.get("id") or "?"
    dirty = run.commit.get("dirty")
    packages = extra.get("packages") or {}
    libraries = ", ".join(f"{k} {v}" for k, v in packages.items() if v) or "?"
    absent = [k for k, v in packages.items() if not v]
    if absent:
        libraries += f" (not installed: {', '.join(absent)})"
    return Provenance(
        (
            ("Profile", str(meta.get("profile", "?"))),
            ("Date", _date(run.datetime)),
            ("Commit", f"{commit[:12]}" + (" (dirty tree)" if dirty else "")),
            ("Machine", f"{m.get('node', '?')} ({m.get('machine', '?')})"),
            ("CPU", f"{cpu.get('brand_raw') or m.get('processor') or '?'}"),
            ("CPUs", str(extra.get("cpus", cpu.get("count", "?")))),
            ("Platform", str(extra.get("platform") or m.get("system") or "?")),
            (
                "Interpreter",
                f"{m.get('python_implementation', '?')} {m.get('python_version', '?')}",
            ),
            ("Libraries", libraries),
        )
    )
