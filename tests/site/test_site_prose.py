"""The hand-written pages as a reader gets them: no team-internal references."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _site_build import ROOT

PAGES = sorted((ROOT / "docs").rglob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT / "docs")))
def test_no_page_cites_the_teams_internal_issue_numbers(page: Path) -> None:
    # "Measured in issue 3" sends a reader to a tracker they cannot see: a claim
    # links to the page or the result behind it instead. Go proposals (golang/go#N,
    # [#N]) and CPython issues (gh-N) are public and stay.
    text = page.read_text(encoding="utf-8")
    found = re.findall(r"\bissues? \d+(?: §[\d.?]+)?", text)
    assert not found, f"{page}: {found}"


def test_the_check_finds_an_internal_issue_number() -> None:
    # The control: the pattern does catch the forms the pages used to hold.
    for text in ("Measured in issue 3: it costs", "naming the issue 10 item", "issue 10 §1.8"):
        assert re.search(r"\bissues? \d+(?: §[\d.?]+)?", text)
