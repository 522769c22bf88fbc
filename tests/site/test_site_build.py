"""The build itself: strict, fails on a warning, fails loudly on missing data."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from _site_build import (
    PRODUCE_TIMEOUT,
    PRODUCING_FIXTURES,
    PUBLISHED_NAME,
    ROOT,
    build_site,
    give_producers_their_timeout,
)
from _site_html import page_file

from comparisons.sitegen import MissingData, load_site_data
from comparisons.sitegen._tasks import TASKS


def _config_with_docs(tmp_path: Path, docs: Path) -> Path:
    # The same configuration, reading another docs directory (hooks stay in the repo).
    text = (ROOT / "mkdocs.yml").read_text()
    hooks = "  - comparisons/sitegen/hooks.py"
    assert "docs_dir: docs\n" in text and hooks in text
    text = text.replace("docs_dir: docs\n", f"docs_dir: {docs}\n")
    text = text.replace(hooks, f"  - {ROOT / 'comparisons/sitegen/hooks.py'}")
    config = tmp_path / "mkdocs.yml"
    config.write_text(text)
    return config


def test_every_page_is_built(built_site: Path) -> None:
    for uri in ["index.md", "matrix.md", "task10.md", "api.md", "leaks.md", "own-library.md"]:
        assert page_file(built_site, uri).is_file(), uri
    for task in TASKS:
        assert page_file(built_site, task.page).is_file(), task.page


def test_a_warning_fails_the_strict_build(site_data: Path, tmp_path: Path) -> None:
    # Guards the guard: `mkdocs build --strict -q` exits 0 on a broken link in this
    # setup, so the build must run without -q and really fail on any warning.
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    with (docs / "own-library.md").open("a") as f:
        f.write("\n[a broken link](no-such-page.md)\n")
    result = build_site(site_data, tmp_path / "site", _config_with_docs(tmp_path, docs))
    assert result.returncode != 0
    assert "no-such-page.md" in result.stdout + result.stderr


def test_the_unmodified_copy_builds(site_data: Path, tmp_path: Path) -> None:
    # The control for the test above: the copied configuration itself is sound.
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    result = build_site(site_data, tmp_path / "site", _config_with_docs(tmp_path, docs))
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_results_name_the_file_and_the_command(tmp_path: Path) -> None:
    result = build_site(tmp_path / "empty", tmp_path / "site")
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert str(tmp_path / "empty" / "results" / "conformance.json") in out
    assert "python3 make.py main" in out


@pytest.mark.parametrize(
    ("remove", "named"),
    [
        ("results/conformance.json", "results/conformance.json"),
        ("bench/quick.json", "bench/quick.json"),
        ("reports/leaks", "reports/leaks"),
    ],
)
def test_each_missing_input_is_named(
    site_data: Path, tmp_path: Path, remove: str, named: str
) -> None:
    build = tmp_path / "build"
    shutil.copytree(site_data, build)
    target = build / remove
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(MissingData, match=named.replace("/", r"[/\\]").replace(".", r"\.")) as exc:
        load_site_data(build, published=None)
    assert "make.py main" in str(exc.value)


def test_a_results_file_without_evidence_is_refused(site_data: Path, tmp_path: Path) -> None:
    build = tmp_path / "build"
    shutil.copytree(site_data, build)
    path = build / "results" / "conformance.json"
    doc = json.loads(path.read_text())
    del doc["results"][0]["evidence"]
    path.write_text(json.dumps(doc))
    with pytest.raises(MissingData, match=r"results\[0\]: 'evidence' is a required property"):
        load_site_data(build)


def test_an_empty_leak_report_is_refused(site_data: Path, tmp_path: Path) -> None:
    build = tmp_path / "build"
    shutil.copytree(site_data, build)
    for report in (build / "reports" / "leaks").glob("*.txt"):
        report.write_text("")
    with pytest.raises(MissingData, match="leak report is empty"):
        load_site_data(build)


def _published_with(site_data: Path, tmp_path: Path, **changes: Any) -> Path:
    doc = json.loads((site_data / PUBLISHED_NAME).read_text())
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        doc[section][key] = value
    path = tmp_path / "full.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"joinery__profile": "quick"}, "profile is 'quick', not 'full'"),
        ({"commit_info__dirty": True}, "dirty tree"),
        ({"machine_info__python_version": None}, "machine_info.python_version is missing"),
    ],
)
def test_a_published_run_that_fails_the_checks_stops_the_build(
    site_data: Path, tmp_path: Path, changes: dict[str, Any], named: str
) -> None:
    # A committed file edited by hand is checked as strictly as `benchmarks publish`.
    bad = _published_with(site_data, tmp_path, **changes)
    with pytest.raises(MissingData, match=re.escape(named)) as exc:
        load_site_data(site_data, published=bad)
    assert "python -m benchmarks publish" in str(exc.value)
    result = build_site(site_data, tmp_path / "site", published=bad)
    assert result.returncode != 0 and named in result.stdout + result.stderr


def test_the_dressed_published_run_passes_the_checks(site_data: Path) -> None:
    # The control for the test above: unchanged, the same file is accepted.
    data = load_site_data(site_data, published=site_data / PUBLISHED_NAME)
    assert data.bench.published is not None and data.bench.quoted is data.bench.published


def test_a_named_published_run_that_is_missing_is_an_error(site_data: Path, tmp_path: Path) -> None:
    with pytest.raises(MissingData, match="no such file"):
        load_site_data(site_data, published=tmp_path / "nope.json")


def test_every_test_that_may_produce_the_data_has_the_producers_timeout(
    request: pytest.FixtureRequest,
) -> None:
    # Whichever test sets the session fixtures up first pays for the producers; with the
    # project's 120 s default that test failed under load. Checked on the collected
    # session, so a test added later, in any file here, is covered too.
    producing = [
        item
        for item in request.session.items
        if PRODUCING_FIXTURES & set(getattr(item, "fixturenames", ()))
    ]
    if not producing:
        pytest.skip("no test of this selection uses the producing fixtures")
    for item in producing:
        mark = item.get_closest_marker("timeout")
        assert mark is not None, item.nodeid
        assert mark.args[0] >= PRODUCE_TIMEOUT, item.nodeid


class _FakeItem:
    def __init__(self, fixturenames: list[str], timeout: int | None = None) -> None:
        self.fixturenames = fixturenames
        self.marks = [] if timeout is None else [pytest.mark.timeout(timeout).mark]

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return next((m for m in self.marks if m.name == name), None)

    def add_marker(self, mark: pytest.MarkDecorator) -> None:
        self.marks.append(mark.mark)


def test_the_timeout_hook_marks_only_producers_and_keeps_an_explicit_mark() -> None:
    uses_data, builds, plain, own = (
        _FakeItem(["site_data", "tmp_path"]),
        _FakeItem(["built_site"]),
        _FakeItem(["tmp_path"]),
        _FakeItem(["built_site"], timeout=5),
    )
    give_producers_their_timeout([uses_data, builds, plain, own])
    for item in (uses_data, builds):
        mark = item.get_closest_marker("timeout")
        assert mark is not None and mark.args == (PRODUCE_TIMEOUT,)
    assert plain.get_closest_marker("timeout") is None
    own_mark = own.get_closest_marker("timeout")
    assert own_mark is not None and own_mark.args == (5,)
