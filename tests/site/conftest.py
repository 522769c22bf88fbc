"""Fixtures of the site's tests: fresh data in a temporary build directory, one build.

The data is produced by the real producers when they are on the branch (the
conformance CLI today; the benchmark report and the leak reports once their branches
land), and only otherwise by the small, clearly marked fixture in ``_site_fixture.py``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _site_fixture import write_fixture  # noqa: E402


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


BENCH_SUBSET = (
    "noop_round or ((t1_ or t3_instant or t5_shed or cancel_fanout or (spawn_join and 100]))"
    " and not uvloop and not anyio)"
)
"""One benchmark per plotted scenario, plus the no-op rounds the report subtracts."""


def _run(cmd: list[str]) -> None:
    # A producer that fails must say why: its output is the first thing to read.
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(
            f"producer failed ({result.returncode}): {' '.join(cmd)}\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )


def produce(build: Path) -> dict[str, str]:
    """Write every input of the site under ``build``; return who produced each."""
    produced = {}
    if has_module("joinery.conformance"):
        out = build / "results" / "conformance.json"
        _run([sys.executable, "-m", "joinery.conformance", "run", "--out", str(out)])
        produced["conformance"] = "joinery.conformance"
    else:
        write_fixture(build, conformance=True, bench=False, leaks=False)
        produced["conformance"] = "fixture"
    if (ROOT / "comparisons" / "bench_report").is_dir() and (ROOT / "benchmarks").is_dir():
        # The real benchmarks, a few seconds' worth (one model, one loop, the smallest N),
        # and the real report generator: the site reads what they write.
        run = build / "bench" / "site-test.json"
        run.parent.mkdir(parents=True, exist_ok=True)
        _run(
            [
                sys.executable, "-m", "pytest", "benchmarks", "-q", "-p", "no:cacheprovider",
                "--bench-models", "taskgroup", "-k", BENCH_SUBSET, "--benchmark-json", str(run),
            ]
        )  # fmt: skip
        _run(
            [sys.executable, "-m", "comparisons.bench_report", "report", str(run),
             "--out", str(build / "reports" / "bench")]
        )  # fmt: skip
        produced["bench"] = "benchmarks + comparisons.bench_report"
    else:
        write_fixture(build, conformance=False, bench=True, leaks=False)
        produced["bench"] = "fixture"
    leak_report = ROOT / "comparisons" / "leak_report.py"
    if leak_report.exists():  # the leaks branch's producer: the real Buggy() reports
        out = build / "reports" / "leaks"
        _run([sys.executable, str(leak_report), "--out", str(out)])
        produced["leaks"] = str(leak_report)
    else:
        write_fixture(build, conformance=False, bench=False, leaks=True)
        produced["leaks"] = "fixture"
    return produced


def build_site(
    build: Path, dest: Path, config: Path = ROOT / "mkdocs.yml"
) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict`` (never ``-q``: it hides strict-mode warnings)."""
    env = {**os.environ, "JOINERY_BUILD_DIR": str(build), "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(dest)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="session")
def site_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("build")
    produce(build)
    return build


@pytest.fixture(scope="session")
def built_site(site_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("site")
    result = build_site(site_data, dest)
    assert result.returncode == 0, result.stdout + result.stderr
    return dest
