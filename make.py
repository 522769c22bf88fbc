#!/usr/bin/env python3
"""The two commands of joinery: ``python3 make.py main`` and ``python3 make.py test``.

Both create (or refresh) the project's virtual environment in ``.venv`` from
``pyproject.toml`` first, so a fresh clone needs nothing but ``python3`` and ``pip``.

* ``main``: runs the conformance suite over every model and writes its results,
  runs the quick benchmarks and writes their report, builds the site.
* ``test``: ruff, strict mypy, then the whole pytest suite (the conformance suite
  included).

Only the standard library is used here: this file runs before the environment exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
BUILD = ROOT / "build"
STAMP = VENV / ".joinery-installed"


def _run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], cwd=ROOT, check=True, env=env)


def _install_key() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def ensure_env() -> None:
    """Create ``.venv`` if needed and install the project when pyproject.toml changed."""
    if not PY.exists():
        _run(sys.executable, "-m", "venv", VENV)
    if not STAMP.exists() or STAMP.read_text() != _install_key():
        _run(PY, "-m", "pip", "install", "-q", "--upgrade", "pip")
        _run(PY, "-m", "pip", "install", "-q", "-e", ".[dev]")
        STAMP.write_text(_install_key())


def ensure_browser() -> None:
    """Install Debian's headless Chromium for the site's browser smoke test, if missing."""
    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        return
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        print("note: no chromium and no root apt-get; the browser test will be skipped")
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run("apt-get", "update", "-qq", env=env)
    _run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", env=env)


def main_job() -> None:
    """Conformance suite, quick benchmarks and the site, from fresh results."""
    BUILD.mkdir(exist_ok=True)
    _run(PY, "-m", "joinery.conformance", "run", "--out", BUILD / "results" / "conformance.json")
    _run(PY, "-m", "joinery.peer", "run", "--out", BUILD / "results" / "peer.json")
    _run(PY, ROOT / "comparisons" / "leak_report.py", "--out", BUILD / "reports" / "leaks")
    _run(PY, "-m", "benchmarks", "quick")  # build/bench/quick.json -> build/reports/bench/
    # The site last: it reads everything above and fails if any of it is missing.
    # Never -q: with it, mkdocs --strict exits 0 on warnings.
    site_env = dict(os.environ, JOINERY_BUILD_DIR=str(BUILD), NO_MKDOCS_2_WARNING="1")
    _run(PY, "-m", "mkdocs", "build", "--strict", "-d", ROOT / "site", env=site_env)
    # And the verdict matrix once more, last, where a reader of the log looks first.
    _run(PY, "-m", "joinery.conformance", "show", BUILD / "results" / "conformance.json")


def test_job() -> None:
    """Lint, type-check and run every test."""
    ensure_browser()
    _run(PY, "-m", "ruff", "check", ".")
    _run(PY, "-m", "ruff", "format", "--check", ".")
    _run(PY, "-m", "mypy")
    _run(PY, "-m", "pytest", "-q", "-p", "no:randomly")


def main(argv: list[str]) -> int:
    """Dispatch ``main`` or ``test``."""
    jobs = {"main": main_job, "test": test_job}
    if len(argv) != 1 or argv[0] not in jobs:
        print(f"usage: python3 make.py {{{'|'.join(jobs)}}}", file=sys.stderr)
        return 2
    ensure_env()
    try:
        jobs[argv[0]]()
    except subprocess.CalledProcessError as exc:
        print(f"make.py {argv[0]}: step failed with exit code {exc.returncode}", file=sys.stderr)
        return exc.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
