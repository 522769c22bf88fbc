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

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
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


# -- one virtual environment per CPython 3.11+ ----------------------------------------
# Verdicts moved between asyncio releases (eager tasks in 3.12, TaskGroup's handling of an
# outside cancellation in 3.13), so the suite and the task/leaks tests run on each one found.

WANTED_PYTHONS = ("3.11", "3.12", "3.13")
"""Versions a reader expects a matrix for: a missing one is reported, never skipped silently."""

EXTRA_DEPS = ("uvloop", "pytest", "pytest-timeout", "pytest-benchmark", "hypothesis")
"""What the extra venvs install besides the package: the test deps, not mkdocs/playwright."""

_PROBE = (
    "import platform, sys; print(platform.python_implementation(), '%d.%d' % sys.version_info[:2])"
)


@dataclass(frozen=True)
class Interpreter:
    """One CPython found on this machine and the venv ``make.py`` keeps for it."""

    impl: str  # "cpython"
    version: str  # "3.12"
    executable: Path
    venv: Path

    @property
    def python(self) -> Path:
        """The venv's interpreter."""
        return self.venv / BIN.name / "python"

    @property
    def label(self) -> str:
        """``cpython-3.12``, as in the results file names."""
        return f"{self.impl}-{self.version}"


def _candidates() -> list[Path]:
    """The running interpreter first, then pyenv's versions, then ``python3.X`` on PATH."""
    found = [Path(sys.executable)]
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        if root:
            found += [Path(p) for p in sorted(glob.glob(f"{root}/versions/*/bin/python3"))]
    for minor in range(11, 20):
        on_path = shutil.which(f"python3.{minor}")
        if on_path:
            found.append(Path(on_path))
    return found


def find_interpreters() -> tuple[list[Interpreter], list[str]]:
    """Every CPython 3.11+ here (one per X.Y, the running one first) and the skip lines."""
    by_version: dict[str, Interpreter] = {}
    for exe in _candidates():
        probe = subprocess.run([str(exe), "-c", _PROBE], capture_output=True, text=True)
        if probe.returncode != 0:
            continue
        impl, version = probe.stdout.split()
        if impl != "CPython" or tuple(map(int, version.split("."))) < (3, 11):
            continue
        if version not in by_version:
            venv = VENV if not by_version else ROOT / f".venv-{version}"
            by_version[version] = Interpreter("cpython", version, exe, venv)
    skipped = [f"python {v}: not found, skipped" for v in WANTED_PYTHONS if v not in by_version]
    return list(by_version.values()), skipped


def ensure_extra_env(interp: Interpreter) -> None:
    """A venv for a non-default interpreter: the package and its test deps, same stamp logic."""
    stamp = interp.venv / ".joinery-installed"
    key = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + interp.label.encode())
    key.update(" ".join(EXTRA_DEPS).encode())
    if not interp.python.exists():
        _run(interp.executable, "-m", "venv", interp.venv)
    if not stamp.exists() or stamp.read_text() != key.hexdigest():
        _run(interp.python, "-m", "pip", "install", "-q", "--upgrade", "pip")
        _run(interp.python, "-m", "pip", "install", "-q", "-e", ".", *_dev_pins(EXTRA_DEPS))
        stamp.write_text(key.hexdigest())


def _dev_pins(names: tuple[str, ...]) -> list[str]:
    """The ``dev`` extra's requirement strings for ``names``, so every venv pins alike."""
    import tomllib

    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pins = {}
    for req in dev["dev"]:
        name = req.split(";")[0].split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip()
        pins[name] = req
    return [pins.get(n, n) for n in names]


def ensure_interpreters() -> list[Interpreter]:
    """Find the interpreters, set up their venvs, write and print what was found/skipped."""
    found, skipped = find_interpreters()
    for interp in found[1:]:
        ensure_extra_env(interp)
    for line in skipped:
        print(line, flush=True)
    doc = {
        "found": [
            {
                "implementation": i.impl,
                "version": i.version,
                "label": i.label,
                "executable": str(i.executable),
                "venv": i.venv.name,
                "default": i.venv == VENV,
            }
            for i in found
        ],
        "wanted": list(WANTED_PYTHONS),
        "skipped": skipped,
    }
    out = BUILD / "results" / "interpreters.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    return found


def _run_together(cmds: dict[str, list[str]]) -> None:
    """Run the commands at once; print each one's output whole; fail naming those that failed."""
    BUILD.mkdir(exist_ok=True)
    jobs = []
    for name, cmd in cmds.items():
        print("+", " ".join(cmd), flush=True)
        log = (BUILD / f"{name}.log").open("w+")
        jobs.append((name, log, subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=log)))
    failed = []
    for name, log, proc in jobs:
        code = proc.wait()
        log.seek(0)
        print(f"== {name} (exit {code})\n{log.read()}", flush=True)
        log.close()
        if code:
            failed.append(name)
    if failed:
        raise subprocess.CalledProcessError(1, ", ".join(failed))


def conformance_everywhere(interps: list[Interpreter]) -> None:
    """The suite on every interpreter at once (virtual clocks: parallel runs stay exact).

    Each writes ``conformance-<impl>-<X.Y>.json``; the default one also ``conformance.json``,
    which the site and the other tools read.
    """
    results = BUILD / "results"
    cmds = {
        f"conformance-{i.label}": [
            str(i.python), "-m", "joinery.conformance", "run",
            "--out", str(results / f"conformance-{i.label}.json"),
        ]
        for i in interps
    }  # fmt: skip
    _run_together(cmds)
    shutil.copyfile(results / f"conformance-{interps[0].label}.json", results / "conformance.json")


BENCH_MODELS = "taskgroup,taskgroup_eager,linear"
BENCH_ROWS = (
    "noop_round or ((spawn_join or cancel_fanout) and not 10000"
    " and not uvloop and not trio and not anyio and not await)"
)
"""The quick profile's rows compared across versions: TaskGroup's and joinery.task's
spawn+join (N = 100, 1000) and cancel fan-out on asyncio, what CPython's releases change;
the no-op rounds are what the report subtracts."""


def bench_everywhere(interps: list[Interpreter]) -> None:
    """The spawn+join and cancel fan-out rows under every interpreter, one JSON each."""
    out = BUILD / "bench" / "versions"
    out.mkdir(parents=True, exist_ok=True)
    for interp in interps:  # the default one too: the same rows, back to back, compare
        _run(
            interp.python, "-m", "benchmarks", "quick", "--models", BENCH_MODELS,
            "--json", out / f"{interp.label}.json", "--report", out / f"report-{interp.label}",
            "--", "-k", BENCH_ROWS,
        )  # fmt: skip


def versions_summary() -> None:
    """One line per interpreter's verdicts, and the skipped versions, for the end of the log."""
    results = BUILD / "results"
    index = json.loads((results / "interpreters.json").read_text())
    for interp in index["found"]:
        doc = json.loads((results / f"conformance-{interp['label']}.json").read_text())
        t, py = doc["totals"], doc["environment"]["python"]
        print(
            f"python {interp['version']} ({py}): {t['cells']} cells, {t['pass']} pass, "
            f"{t['fail']} fail, {t['unsupported']} unsupported; "
            f"{t['mismatches']} differ from expected.toml"
        )
    for line in index["skipped"]:
        print(line)


def tests_everywhere(interps: list[Interpreter]) -> None:
    """joinery.task's and joinery.leaks' tests under every extra interpreter, side by side.

    Two runs at once on two cores: the tests wait on events and virtual clocks, not on
    wall time, so running them together changes how long they take, not what they see.
    """
    tests = ["-m", "pytest", "-q", "tests/task", "tests/leaks"]
    _run_together({f"tests-{i.label}": [str(i.python), *tests] for i in interps[1:]})


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


def ensure_go_sources() -> None:
    """Install Debian's x/sync and goleak sources for the Go row, if missing and root."""
    packages = {
        "golang-golang-x-sync-dev": "/usr/share/gocode/src/golang.org/x/sync",
        "golang-uber-goleak-dev": "/usr/share/gocode/src/go.uber.org/goleak",
    }
    missing = [pkg for pkg, path in packages.items() if not Path(path).is_dir()]
    if not missing:
        return
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"note: no {', '.join(missing)} and no root apt-get; the Go row will be skipped")
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run("apt-get", "update", "-qq", env=env)
    _run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)


def main_job() -> None:
    """Conformance suite, quick benchmarks and the site, from fresh results."""
    BUILD.mkdir(exist_ok=True)
    interps = ensure_interpreters()
    conformance_everywhere(interps)  # build/results/conformance{,-cpython-3.X}.json
    _run(PY, "-m", "joinery.peer", "run", "--out", BUILD / "results" / "peer.json")
    for interp in interps[1:]:  # the peer suites' table is declared per Python version
        out = BUILD / "results" / f"peer-{interp.label}.json"
        _run(interp.python, "-m", "joinery.peer", "run", "--out", out)
    _run(PY, ROOT / "comparisons" / "leak_report.py", "--out", BUILD / "reports" / "leaks")
    # The Go row: errgroup and goleak compiled and judged (a line says so if it is skipped).
    ensure_go_sources()
    _run(
        PY,
        "-m",
        "joinery.gorow",
        "run",
        "--out",
        BUILD / "results" / "conformance-go.json",
        "--leak-report",
        BUILD / "reports" / "leaks" / "leak_buggy_go.txt",
        "--race",
    )
    _run(PY, "-m", "benchmarks", "quick")  # build/bench/quick.json -> build/reports/bench/
    bench_everywhere(interps)  # build/bench/versions/<label>.json: spawn+join, cancel rows
    # The site last: it reads everything above and fails if any of it is missing.
    # Never -q: with it, mkdocs --strict exits 0 on warnings.
    site_env = dict(os.environ, JOINERY_BUILD_DIR=str(BUILD), NO_MKDOCS_2_WARNING="1")
    _run(PY, "-m", "mkdocs", "build", "--strict", "-d", ROOT / "site", env=site_env)
    # And the verdict matrix once more, last, where a reader of the log looks first.
    _run(PY, "-m", "joinery.conformance", "show", BUILD / "results" / "conformance.json")
    versions_summary()  # and the other interpreters' totals, and what was skipped


def test_job() -> None:
    """Lint, type-check and run every test."""
    ensure_browser()
    ensure_go_sources()
    _run(PY, "-m", "ruff", "check", ".")
    _run(PY, "-m", "ruff", "format", "--check", ".")
    _run(PY, "-m", "mypy")
    _run(PY, "-m", "pytest", "-q")
    tests_everywhere(ensure_interpreters())


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
