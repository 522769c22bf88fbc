"""The benchmark pages: the published run's figures and metadata, and this machine's run.

Two builds: ``built_site`` with a published run (the real quick run dressed as a full
one, see ``_site_build.dress_as_published``) and ``built_site_unpublished`` as a fresh
clone builds before any run is committed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from _site_build import DRESSED_PROFILE, PUBLISHED_NAME
from _site_html import page_file, parse, text

from comparisons.bench_report import load
from comparisons.bench_report._published import provenance
from comparisons.sitegen import load_site_data
from comparisons.sitegen._tasks import TASKS

PUBLISHED_PAGE = "benchmarks/published/report.md"
NOW_PAGE = "benchmarks/now/report.md"


def _rows(page: Path) -> dict[str, list[str]]:
    # The provenance table: first cell -> the other cells, from the built HTML.
    raw = page.read_text(encoding="utf-8")
    out = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", raw, flags=re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh]>(.*?)</t[dh]>", tr, flags=re.S)
        ]
        if cells:
            out[cells[0]] = cells[1:]
    return out


def test_the_index_shows_both_runs_metadata_side_by_side(site_data: Path, built_site: Path) -> None:
    rows = _rows(page_file(built_site, "benchmarks/index.md"))
    assert rows[""] == ["Published run", "This machine, now"]
    published = provenance(load(site_data / PUBLISHED_NAME))
    now = provenance(load(site_data / "bench" / "quick.json"))
    for (label, pub_value), (_, now_value) in zip(published.rows, now.rows, strict=True):
        assert rows[label] == [pub_value, now_value], label
    assert rows["Profile"] == [DRESSED_PROFILE, "quick"]
    # The values are the JSON's own: the commit, the CPU, the interpreter's version.
    doc = json.loads((site_data / PUBLISHED_NAME).read_text())
    assert rows["Commit"][0] == doc["commit_info"]["id"][:12]
    assert doc["machine_info"]["python_version"] in rows["Interpreter"][0]
    assert rows["CPU"][0] == (doc["machine_info"]["cpu"].get("brand_raw") or "?")


def test_with_a_published_run_the_figures_and_findings_are_its_own(built_site: Path) -> None:
    index = text(page_file(built_site, "benchmarks/index.md"))
    assert "No published run" not in index
    assert "From the published run:" in index
    assert page_file(built_site, PUBLISHED_PAGE).is_file()
    report = text(page_file(built_site, PUBLISHED_PAGE))
    assert "Published run (full profile)" in report
    assert f"{DRESSED_PROFILE} profile" in report  # the report's own header, from the JSON
    for task in TASKS:
        if not task.figures:
            continue
        page = page_file(built_site, task.page)
        svgs = [u for tag, _, u in parse(page).refs if tag == "img" and u.endswith(".svg")]
        assert svgs and all("benchmarks/published/" in u for u in svgs), task.id
        assert "From the published run" in text(page), task.id


def test_this_machine_now_is_shown_beside_it_and_compared(built_site: Path) -> None:
    now = text(page_file(built_site, NOW_PAGE))
    assert "This machine, now (quick profile)" in now
    assert "Against the published run" in now
    index = text(page_file(built_site, "benchmarks/index.md"))
    assert "What this machine's quick run found" in index


def test_without_a_published_run_the_site_says_so_and_invents_nothing(
    built_site_unpublished: Path,
) -> None:
    site = built_site_unpublished
    index = text(page_file(site, "benchmarks/index.md"))
    assert "No published run" in index
    assert "benchmarks/published/full.json" in index and "python -m benchmarks publish" in index
    assert not (site / "benchmarks" / "published").exists()
    rows = _rows(page_file(site, "benchmarks/index.md"))
    assert rows[""] == ["This machine, now"], "no column for a run that does not exist"
    assert "From the published run" not in index
    assert "From this machine's quick run" in index
    for task in TASKS:
        if task.figures:
            page = text(page_file(site, task.page))
            assert "No published run is committed" in page, task.id
    task10 = text(page_file(site, "task10.md"))
    assert "No published run" in task10  # the essay's quoted figures are labelled too


def test_the_quick_run_is_never_labelled_published(site_data: Path) -> None:
    data = load_site_data(site_data, published=None)
    assert data.bench.published is None and data.bench.quoted is data.bench.now
    assert "Published run" not in data.bench.now.markdown.split("\n## ")[0]


def test_the_404_base_follows_site_url_when_there_is_one() -> None:
    # Deployed under a path (site_url set), the 404 page's root is that path, not "/";
    # every resource tag is written by a script, out of the preload scanner's sight.
    from types import SimpleNamespace

    from comparisons.sitegen import hooks

    page = (
        '<html><head><link rel="stylesheet" href="./assets/a.css"></head><body>'
        '<script id="__config" type="application/json">{"base": "."}</script>'
        '<script src="./assets/b.js"></script></body></html>'
    )
    config: Any = SimpleNamespace(site_url="https://example.org/joinery/")
    out = hooks.on_post_template(page, "404.html", config)
    assert '"/joinery/"' in out
    assert 'href="./assets/a.css"' not in out and 'href=\\"./assets/a.css\\"' in out
    assert "<\\/script>" in out  # the written script tag does not end the writing one
    config.site_url = None
    assert '"/"' in hooks.on_post_template(page, "404.html", config)
    assert hooks.on_post_template(page, "main.html", config) == page
