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

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # As static hosts do: a missing page gets the site's 404.html, with status 404.
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


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
    _open(browser_page, served + "/tasks/t1.html")
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
    _open(browser_page, served + "/tasks/t1.html")
    images = browser_page.locator("article img")
    assert images.count() >= 1
    for i in range(images.count()):
        img = images.nth(i)
        img.scroll_into_view_if_needed()
        loaded = img.evaluate("el => el.complete && el.naturalWidth > 0")
        assert loaded, img.get_attribute("src")
    assert browser_page.problems == []


def test_matrix_page_table_and_evidence_link(browser_page: Any, served: str) -> None:
    _open(browser_page, served + "/matrix.html")
    table = browser_page.locator("article table").first
    assert table.locator("tbody tr").count() >= 5
    link = table.locator("a.jv-pass, a.jv-fail").first
    href = link.get_attribute("href")
    assert href and href.startswith("evidence/") and "#" in href
    link.click()
    browser_page.wait_for_load_state("networkidle")
    fragment = href.split("#", 1)[1]
    assert browser_page.locator(f"[id='{fragment}']").count() == 1
    assert browser_page.problems == []


def test_the_watch_sees_console_errors_and_missing_files(browser_page: Any, served: str) -> None:
    # The control for the checks above: a page that logs an error and a 404 are caught.
    probe = browser_page.watch()
    probe.set_content("<script>console.error('boom')</script>")
    _open(probe, served + "/no-such-page.html")
    probe.close()
    assert any("boom" in p for p in probe.problems)
    assert any("HTTP 404" in p for p in probe.problems)


WIDTHS = (1400, 400)
PAGES = ("index.html", "matrix.html", "tasks/t1.html", "tasks/t4.html", "tasks/t7.html",
         "tasks/t9.html", "task10.html", "api.html", "leaks.html", "task-semantics.html",
         "compatibility.html", "versions.html", "own-library.html", "benchmarks/index.html",
         "benchmarks/published/report.html", "benchmarks/now/report.html",
         "properties/cause.html", "evidence/linear.html", "sources/bare.html")  # fmt: skip


def _overflow(page: Any) -> list[str]:
    # What sticks out sideways: the page itself, or a block wider than the article that
    # is not inside a scroll container (a table wrapper or a code block may scroll).
    return list(
        page.evaluate(
            """() => {
            const out = [];
            const doc = document.documentElement;
            if (doc.scrollWidth > doc.clientWidth + 1)
                out.push(`page ${doc.scrollWidth}px > ${doc.clientWidth}px`);
            const art = document.querySelector('article');
            if (!art) return out;
            // Material lets code blocks reach the screen's edge on phones: the bound is
            // the viewport, not the article.
            const right = doc.clientWidth + 1;
            const scrolls = el => {
                for (let e = el.parentElement; e && e !== art; e = e.parentElement) {
                    const o = getComputedStyle(e).overflowX;
                    if (o === 'auto' || o === 'scroll') return true;
                }
                return false;
            };
            for (const el of art.querySelectorAll('table, pre, img, svg, .tabbed-set')) {
                const r = el.getBoundingClientRect();
                if (r.width && r.right > right && !scrolls(el))
                    out.push(`${el.tagName.toLowerCase()} ends at ${Math.round(r.right)}px`);
            }
            return out;
        }"""
        )
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_overflows_sideways(browser_page: Any, served: str, width: int) -> None:
    browser_page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for uri in PAGES:
        _open(browser_page, f"{served}/{uri}")
        if problems := _overflow(browser_page):
            found[uri] = problems
    browser_page.set_viewport_size({"width": 1400, "height": 900})
    assert found == {}
    assert browser_page.problems == []


def test_the_overflow_check_sees_a_wide_block(browser_page: Any, served: str) -> None:
    # The control: a block wider than the page that does not scroll is reported.
    _open(browser_page, f"{served}/index.html")
    browser_page.evaluate(
        "() => { const d = document.createElement('div');"
        ' d.innerHTML = \'<div class="tabbed-set" style="width:3000px">x</div>\';'
        " document.querySelector('article').appendChild(d.firstChild); }"
    )
    assert _overflow(browser_page)


_STYLED = "() => getComputedStyle(document.querySelector('.md-header')).position"
"""Material's stylesheet makes the header sticky: without it, it is static."""


def test_the_404_page_is_styled(browser_page: Any, served: str) -> None:
    _open(browser_page, f"{served}/404.html")
    assert "404" in browser_page.locator("article").inner_text()
    sheets = browser_page.evaluate("() => document.styleSheets.length")
    assert sheets >= 2
    assert browser_page.evaluate(_STYLED) == "sticky"
    assert browser_page.problems == []


def test_the_404_page_is_styled_for_a_missing_page_deep_in_the_site(
    served: str, browser_page: Any
) -> None:
    # The server answers any missing URL with 404.html: its stylesheets, scripts and
    # links must still come from the site's root, not from /tasks/no/.
    page = browser_page.watch()
    _open(page, f"{served}/tasks/no/such-page.html")
    assert "404" in page.locator("article").inner_text()
    assert page.evaluate(_STYLED) == "sticky"
    home = page.locator("a.md-header__button.md-logo").first.evaluate("a => a.href")
    page.close()
    assert home == f"{served}/index.html"
    # The page itself is a 404 (reported twice: the response, and the console's line).
    assert all("such-page.html" in p or "status of 404" in p for p in page.problems)
    assert sum("status of 404" in p for p in page.problems) == 1


def test_the_404_page_works_from_a_file_url(browser_page: Any, built_site: Path) -> None:
    # No site_url: mkdocs wrote "/assets/...", the disk's root from file://.
    page = browser_page.watch()
    _open(page, (built_site / "404.html").as_uri())
    assert "404" in page.locator("article").inner_text()
    assert page.evaluate("() => document.styleSheets.length") >= 2
    assert page.evaluate(_STYLED) == "sticky"
    page.locator("a.md-header__button.md-logo").first.click()
    page.wait_for_load_state("load")
    assert page.url == (built_site / "index.html").as_uri()
    page.close()
    assert [p for p in page.problems if "search" not in p] == []


def test_light_dark_toggle(browser_page: Any, served: str) -> None:
    _open(browser_page, f"{served}/index.html")
    scheme = "() => document.body.getAttribute('data-md-color-scheme')"
    before = browser_page.evaluate(scheme)
    browser_page.locator("label.md-header__button[for^='__palette']").first.click()
    after = browser_page.evaluate(scheme)
    assert {before, after} == {"default", "slate"}
    assert browser_page.problems == []


def test_pages_work_from_file_urls(browser_page: Any, built_site: Path) -> None:
    # Opened from disk: stylesheets load, tabs switch and an internal link leads to a file.
    page = browser_page.watch()
    _open(page, (built_site / "tasks" / "t1.html").as_uri())
    assert page.evaluate("() => document.styleSheets.length") >= 2
    assert page.locator(".tabbed-set").count() >= 1
    href = page.locator("a[href$='matrix.html']").first.get_attribute("href")
    assert href
    page.locator("a[href$='matrix.html']").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/matrix.html")
    assert page.locator("article table").count() >= 1
    page.close()
    assert [p for p in page.problems if "file://" not in p or "search" not in p] == []


def _hidden_columns(page: Any) -> list[str]:
    # On a wide screen nothing should need a sideways scroll to be read: a table whose
    # last column is cut off, or a code line running past its block.
    return list(
        page.evaluate(
            """() => {
            const out = [];
            const art = document.querySelector('article');
            if (!art) return out;
            for (const el of art.querySelectorAll('table, pre > code, .md-typeset__scrollwrap')) {
                if (el.offsetParent === null) continue;  // in a closed tab or details
                if (el.scrollWidth > el.clientWidth + 1)
                    out.push(`${el.tagName.toLowerCase()} needs `
                             + `${el.scrollWidth - el.clientWidth}px more: `
                             + el.innerText.slice(0, 60).replace(/\\s+/g, ' '));
            }
            return out;
        }"""
        )
    )


SCROLL_BY_DESIGN = {
    "matrix.html": "a column per model and backend, its property column pinned",
    "versions.html": "the matrix again, once per Python version",
    "evidence/linear.html": "raw observations, one per line, in code blocks that scroll",
    "sources/bare.html": "a whole source file (100-character lines) in a code block",
}
"""Pages whose wide blocks scroll sideways on purpose (still checked for page overflow)."""

REPORTS = ("benchmarks/published/report.html", "benchmarks/now/report.html")


@pytest.mark.parametrize("uri", REPORTS)
def test_the_benchmark_reports_fit_on_a_wide_screen(
    browser_page: Any, served: str, uri: str
) -> None:
    # Their tables needed 27-74 px more at 1400 px beside the table of contents; the
    # report pages hide it (a strict xfail until then).
    browser_page.set_viewport_size({"width": 1400, "height": 900})
    _open(browser_page, f"{served}/{uri}")
    assert browser_page.locator("article table").count() >= 3
    assert _hidden_columns(browser_page) == []
    assert browser_page.problems == []


def test_nothing_is_cut_off_on_a_wide_screen(browser_page: Any, served: str) -> None:
    browser_page.set_viewport_size({"width": 1400, "height": 900})
    found = {}
    # Every other page must fit.
    for uri in [u for u in PAGES if u not in SCROLL_BY_DESIGN]:
        _open(browser_page, f"{served}/{uri}")
        if problems := _hidden_columns(browser_page):
            found[uri] = problems
    assert found == {}


def _glance_fit(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => {
            const box = document.querySelector('.jglance');
            const table = box.querySelector('table');
            const wrap = table.closest('.md-typeset__scrollwrap') || table.parentElement;
            const width = document.documentElement.clientWidth;
            const cells = [...table.querySelectorAll('tbody td')];
            return {
                scrolls: wrap.scrollWidth > wrap.clientWidth + 1
                         || table.scrollWidth > table.clientWidth + 1,
                outside: cells.filter(td => td.getBoundingClientRect().right > width + 1).length,
                hidden: cells.filter(td => td.offsetParent === null).length,
                header: getComputedStyle(table.querySelector('thead')).display,
                icon: getComputedStyle(table.querySelector('tbody td:nth-child(3)'),
                                       '::before').content,
                rows: table.querySelectorAll('tbody tr').length,
            };
        }"""
        )
    )


def test_the_glance_table_fits_a_phone(browser_page: Any, served: str) -> None:
    # At 400 px the home page's summary is read without a sideways scroll: every row a
    # block, every count with its icon (the header row it replaces is hidden).
    browser_page.set_viewport_size({"width": 400, "height": 900})
    _open(browser_page, f"{served}/index.html")
    fit = _glance_fit(browser_page)
    browser_page.set_viewport_size({"width": 1400, "height": 900})
    assert fit["rows"] >= 5
    assert fit["scrolls"] is False and fit["outside"] == 0 and fit["hidden"] == 0
    assert fit["header"] == "none" and "✓" in fit["icon"]
    assert browser_page.problems == []


def test_the_glance_table_is_a_table_on_a_wide_screen(browser_page: Any, served: str) -> None:
    # The control: at 1400 px the same table keeps its header and needs no icons.
    browser_page.set_viewport_size({"width": 1400, "height": 900})
    _open(browser_page, f"{served}/index.html")
    fit = _glance_fit(browser_page)
    assert fit["scrolls"] is False
    assert fit["header"] != "none" and fit["icon"] in ("none", "normal")
