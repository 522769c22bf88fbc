"""Stale code stays gone: scripts nothing runs, dead readers, plugins not installed."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_py_disables_no_plugin_that_is_not_installed():
    # `-p no:randomly` for a plugin that is not installed only misleads the reader.
    text = (ROOT / "make.py").read_text()
    entry_points = {ep.name for ep in importlib.metadata.entry_points(group="pytest11")}
    for plugin in re.findall(r'"-p",\s*"no:([\w-]+)"', text):
        assert plugin in entry_points | {"cacheprovider"}, plugin


def test_every_comparisons_script_is_run_or_documented():
    # A script referenced nowhere is a measurement nobody reruns (leak_overhead.py was).
    mentioned = "\n".join(
        p.read_text(encoding="utf-8")
        for p in [ROOT / "make.py", ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    )
    for script in (ROOT / "comparisons").glob("*.py"):
        if script.name != "__init__.py":
            assert script.name in mentioned, script.name


def test_the_site_reads_no_figures_manifest_and_has_no_not_landed_branch():
    sitegen = "\n".join(p.read_text() for p in (ROOT / "comparisons" / "sitegen").glob("*.py"))
    assert "figures.json" not in sitegen
    assert "not in this build" not in sitegen and "module_available" not in sitegen


def test_user_facing_text_names_no_internal_issue_numbers():
    pattern = re.compile(r"\(issue \d")
    for base in (ROOT / "comparisons", ROOT / "impls" / "joinery"):
        for path in base.rglob("*.py"):
            assert not pattern.search(path.read_text(encoding="utf-8")), path
