"""Browser smoke test: headless Chromium (Debian's package) against the built site.

Served from 127.0.0.1 by a stdlib http.server thread; the browser gets a fresh
profile and no background networking, and any console message of level error or
warning, failed request, HTTP error or request to another host fails the test.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium: run `python3 make.py test` as root"
)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(built_site: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def browser_page(served: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    problems: list[str] = []
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        page = context.new_page()
        host = urlsplit(served).netloc

        def on_console(msg: Any, problems: list[str]) -> None:
            if msg.type in ("error", "warning"):
                problems.append(f"console {msg.type}: {msg.text}")

        def on_request(req: Any, problems: list[str]) -> None:
            if urlsplit(req.url).netloc not in (host, ""):
                problems.append(f"request to another host: {req.url}")

        def on_response(resp: Any, problems: list[str]) -> None:
            if resp.status >= 400:
                problems.append(f"HTTP {resp.status}: {resp.url}")

        def watch(page: Any, problems: list[str]) -> Any:
            page.on("console", lambda msg: on_console(msg, problems))
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("requestfailed", lambda req: problems.append(f"failed request: {req.url}"))
            page.on("request", lambda req: on_request(req, problems))
            page.on("response", lambda resp: on_response(resp, problems))
            page.problems = problems
            page.watch = lambda: watch(context.new_page(), [])
            return page

        try:
            yield watch(page, problems)
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


def test_home_page(browser_page: Any, served: str) -> None:
    _open(browser_page, served + "/")
    assert browser_page.locator("h1").first.inner_text().startswith("joinery")
    assert browser_page.locator("table").count() >= 1
    assert browser_page.problems == []


def test_task_page_tabs_switch(browser_page: Any, served: str) -> None:
    _open(browser_page, served + "/tasks/t1/")
    tabbed = browser_page.locator(".tabbed-set").first
    labels = tabbed.locator(".tabbed-labels > label")
    blocks = tabbed.locator(".tabbed-content > .tabbed-block")
    assert labels.count() >= 2
    assert blocks.nth(0).is_visible() and not blocks.nth(1).is_visible()
    second_title = labels.nth(1).inner_text()
    labels.nth(1).click()
    assert blocks.nth(1).is_visible() and not blocks.nth(0).is_visible()
    assert blocks.nth(1).locator("code").first.inner_text().strip()
    assert second_title
    assert browser_page.problems == []


def test_task_page_plots_are_displayed(browser_page: Any, served: str) -> None:
    _open(browser_page, served + "/tasks/t1/")
    images = browser_page.locator("article img")
    assert images.count() >= 1
    for i in range(images.count()):
        img = images.nth(i)
        img.scroll_into_view_if_needed()
        loaded = img.evaluate("el => el.complete && el.naturalWidth > 0")
        assert loaded, img.get_attribute("src")
    assert browser_page.problems == []


def test_matrix_page_table_and_evidence_link(browser_page: Any, served: str) -> None:
    _open(browser_page, served + "/matrix/")
    table = browser_page.locator("article table").first
    assert table.locator("tbody tr").count() >= 5
    link = table.locator("a.jv-pass, a.jv-fail").first
    href = link.get_attribute("href")
    assert href and "/evidence/" in href and "#" in href
    link.click()
    browser_page.wait_for_load_state("networkidle")
    fragment = href.split("#", 1)[1]
    assert browser_page.locator(f"[id='{fragment}']").count() == 1
    assert browser_page.problems == []


def test_the_watch_sees_console_errors_and_missing_files(browser_page: Any, served: str) -> None:
    # The control for the checks above: a page that logs an error and a 404 are caught.
    probe = browser_page.watch()
    probe.set_content("<script>console.error('boom')</script>")
    _open(probe, served + "/no-such-page/")
    probe.close()
    assert any("boom" in p for p in probe.problems)
    assert any("HTTP 404" in p for p in probe.problems)
