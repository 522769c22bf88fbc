"""Reading the built HTML: links, anchors and text, with the standard library only."""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

_REF_ATTRS = {"href", "src"}


@dataclass
class Page:
    path: Path
    ids: set[str] = field(default_factory=set)
    refs: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, attr, url)


class _Parser(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and not (tag == "meta" or tag == "input"):
                self.page.ids.add(value)
            if name in _REF_ATTRS:
                self.page.refs.append((tag, name, value))


def parse(path: Path) -> Page:
    page = Page(path)
    _Parser(page).feed(path.read_text(encoding="utf-8"))
    return page


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def broken_links(site: Path) -> list[str]:
    """Every relative href/src that resolves to no file, and every #anchor that no id matches."""
    pages = {p: parse(p) for p in site.rglob("*.html")}
    problems = []
    for path, page in pages.items():
        for tag, attr, url in page.refs:
            if is_external(url) or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            parts = urlsplit(url)
            target = path
            if parts.path:
                base = (
                    "" if parts.path.startswith("/") else path.parent.relative_to(site).as_posix()
                )
                rel = posixpath.normpath(posixpath.join(base, unquote(parts.path).lstrip("/")))
                target = site / rel
                if parts.path.endswith("/") or target.is_dir():
                    target = target / "index.html"
            where = f"{path.relative_to(site)}: <{tag} {attr}={url!r}>"
            if not target.is_file():
                problems.append(f"{where}: no file {target.relative_to(site)}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where}: no id {parts.fragment!r} in {target.name}")
    return problems


def external_resources(site: Path) -> list[str]:
    """Resources a browser would fetch from another host (scripts, styles, images, fonts)."""
    found = []
    for path in site.rglob("*.html"):
        for tag, attr, url in parse(path).refs:
            if tag == "a":
                continue  # a link the reader may follow is not fetched when viewing
            if is_external(url):
                found.append(f"{path.relative_to(site)}: <{tag} {attr}={url!r}>")
    for css in site.rglob("*.css"):
        for url in re.findall(r"url\(['\"]?(https?:)?//", css.read_text(encoding="utf-8")):
            found.append(f"{css.relative_to(site)}: url({url}//...)")
        if "@import" in css.read_text(encoding="utf-8") and "//" in css.read_text():
            for m in re.findall(r"@import[^;]*//[^;]*;", css.read_text()):
                found.append(f"{css.relative_to(site)}: {m}")
    return found


def text(path: Path) -> str:
    """The visible text of a page, tags stripped, entities decoded, spaces kept."""
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", "", raw, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def page_file(site: Path, src_uri: str) -> Path:
    """The built HTML file of a docs page (``tasks/t1.md`` -> ``tasks/t1.html``).

    mkdocs.yml sets ``use_directory_urls: false`` so that the site works from file://.
    """
    return site / (src_uri.removesuffix(".md") + ".html")
