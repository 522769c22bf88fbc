"""The site tests' producers and builder, shared by conftest.py and the tests.

A module of its own, not conftest: ``from conftest import`` finds whichever of the
repository's conftest modules was imported first, so it failed in some test orders.

The data is produced by the real producers: the conformance CLI, a few seconds of the
benchmarks, and the leak reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


BENCH_SUBSET = (
    "noop_round or ((t1_ or t3_instant or t5_shed or cancel_fanout or (spawn_join and 100]))"
    " and not uvloop and not anyio)"
)
"""One benchmark per plotted scenario, plus the no-op rounds the report subtracts."""

PRODUCE_TIMEOUT = 900
"""Seconds for the producers and one build together (about 2 min idle, more under load).

The tests that use the producing fixtures get this pytest timeout (conftest.py); each
producer gets it as its own subprocess timeout, so a hung producer still fails, by name.
"""

PRODUCING_FIXTURES = frozenset({"site_data", "built_site", "built_site_unpublished"})
"""The session fixtures that run the producers (conftest.py)."""


class _Markable(Protocol):
    def get_closest_marker(self, name: str) -> pytest.Mark | None: ...
    def add_marker(self, marker: pytest.MarkDecorator) -> None: ...


def give_producers_their_timeout(items: Sequence[_Markable]) -> None:
    """Mark every test that may set up the producing fixtures with ``PRODUCE_TIMEOUT``.

    pytest-timeout counts a session fixture's setup against whichever test happens to
    set it up first: under load the producers alone took more than the project's 120 s
    (272 s measured), and that test failed. A test's own body stays fast, and a test
    with its own timeout mark keeps it.
    """
    for item in items:
        uses = PRODUCING_FIXTURES & set(getattr(item, "fixturenames", ()))
        if uses and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(PRODUCE_TIMEOUT))


def _run(cmd: list[str]) -> None:
    # A producer that fails must say why: its output is the first thing to read.
    try:
        result = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, timeout=PRODUCE_TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"producer still running after {PRODUCE_TIMEOUT} s: {' '.join(cmd)}"
        ) from exc
    if result.returncode != 0:
        raise AssertionError(
            f"producer failed ({result.returncode}): {' '.join(cmd)}\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )


def produce(build: Path) -> None:
    """Write every input of the site under ``build``, each by its real producer."""
    out = build / "results" / "conformance.json"
    _run([sys.executable, "-m", "joinery.conformance", "run", "--out", str(out)])
    # The real benchmarks, a few seconds' worth (one model, one loop, the smallest N),
    # where the main job writes its quick run: the site renders it at build time.
    run = build / "bench" / "quick.json"
    run.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [
            sys.executable, "-m", "pytest", "benchmarks", "-q", "-p", "no:cacheprovider",
            "--bench-models", "taskgroup", "-k", BENCH_SUBSET, "--benchmark-json", str(run),
        ]
    )  # fmt: skip
    dress_as_published(run, build / PUBLISHED_NAME)
    _run([sys.executable, str(ROOT / "comparisons" / "leak_report.py"), "--out",
          str(build / "reports" / "leaks")])  # fmt: skip


PUBLISHED_NAME = "published-full.json"
"""The dressed published run in a test build directory (never committed)."""

DRESSED_PROFILE = "full"


def dress_as_published(quick: Path, dest: Path) -> None:
    """Write the real quick run dressed as a publishable one: full profile, clean tree.

    The tests need a published run whatever the repository holds, and a full run takes
    18 minutes: the figures are the quick run's, only the labels the checks read change
    (profile, and a clean tree at this repository's HEAD). The page must then show these
    labels, which is what the tests compare.
    """
    doc = json.loads(quick.read_text())
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    doc["joinery"]["profile"] = DRESSED_PROFILE
    doc["commit_info"] = {**doc.get("commit_info", {}), "id": head, "dirty": False}
    doc["commit_info"].pop("error", None)
    dest.write_text(json.dumps(doc))


def build_site(
    build: Path,
    dest: Path,
    config: Path = ROOT / "mkdocs.yml",
    published: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict`` (never ``-q``: it hides strict-mode warnings).

    ``published``: the published benchmark run to show; None builds as if none were
    committed (whatever the repository holds).
    """
    env = {**os.environ, "JOINERY_BUILD_DIR": str(build), "NO_MKDOCS_2_WARNING": "1"}
    env["JOINERY_PUBLISHED_RUN"] = "none" if published is None else str(published)
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(dest)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
