"""Internal links and anchors of the built site, and nothing fetched from the web."""

from __future__ import annotations

import shutil
from pathlib import Path

from _site_html import broken_links, external_resources


def test_every_internal_link_and_anchor_resolves(built_site: Path) -> None:
    assert broken_links(built_site) == []


def test_nothing_is_fetched_from_another_host(built_site: Path) -> None:
    assert external_resources(built_site) == []
    assert "fonts.googleapis" not in (built_site / "index.html").read_text()


def test_the_checker_sees_a_broken_link_and_anchor(built_site: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    index = site / "index.html"
    html = index.read_text()
    index.write_text(
        html.replace(
            "</body>",
            '<a href="nowhere/">x</a><a href="matrix.html#no-such-anchor">y</a>'
            '<script src="https://cdn.example/x.js"></script></body>',
        )
    )
    problems = broken_links(site)
    assert any("nowhere" in p for p in problems)
    assert any("no-such-anchor" in p for p in problems)
    assert any("cdn.example" in p for p in external_resources(site))


def test_every_svg_is_well_formed_xml(built_site: Path) -> None:
    # A browser shows nothing for an SVG that is not well-formed XML (a duplicated
    # attribute is enough), and no link checker notices: parse every one.
    import xml.etree.ElementTree as ET

    bad = []
    for svg in sorted(built_site.rglob("*.svg")):
        try:
            ET.parse(svg)
        except ET.ParseError as exc:
            bad.append(f"{svg.relative_to(built_site)}: {exc}")
    assert bad == []
