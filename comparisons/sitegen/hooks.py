"""mkdocs hooks (``hooks:`` in mkdocs.yml): load the run's data, generate pages, fill markers.

mkdocs loads this file by path, so the repository root is put on ``sys.path`` first
to import the rest of :mod:`comparisons.sitegen`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from comparisons.sitegen._compat import PAGE as COMPAT_PAGE
from comparisons.sitegen._compat import compatibility_page
from comparisons.sitegen._data import MissingData, SiteData, load_site_data
from comparisons.sitegen._go import merge_go
from comparisons.sitegen._mutants import PAGE as MUTANTS_PAGE
from comparisons.sitegen._mutants import mutants_page
from comparisons.sitegen._render import (
    MarkerError,
    evidence,
    evidence_page,
    expand,
    property_doc,
    property_page,
    source_doc,
    source_page,
)
from comparisons.sitegen._tasks import TASKS
from comparisons.sitegen._versions import PAGE as VERSIONS_PAGE
from comparisons.sitegen._versions import versions_page

log = logging.getLogger("mkdocs.plugins.joinery")

_state: dict[str, Any] = {}


def _data() -> SiteData:
    data: SiteData = _state["data"]
    return data


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Load every input (failing loudly if one is missing) and list the report pages."""
    try:
        data = load_site_data()
        # The Go row (python -m joinery.gorow) is a second results file beside the first.
        data = replace(data, conformance=merge_go(data.conformance, data.build / "results"))
    except MissingData as exc:
        raise PluginError(f"joinery site: {exc}") from exc
    _state["data"] = data
    _state["generated"] = set()
    log.info("joinery site: reading the run's data from %s", data.build)
    report_pages = [{p.nav_title: p.page} for p in data.bench.pages()]
    for entry in config.nav or []:
        if isinstance(entry, dict) and isinstance(entry.get("Benchmarks"), list):
            entry["Benchmarks"] += report_pages
            break
    else:
        raise PluginError("joinery site: mkdocs.yml's nav has no 'Benchmarks' section")
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated evidence pages and the benchmark report to the site."""
    data = _data()
    conf = data.conformance
    for model in conf.models:
        uri = evidence_page(model)
        files.append(File.generated(config, uri, content=evidence(conf, model)))
        _state["generated"].add(uri)
    for model in conf.shown_models():
        uri = source_page(model)
        files.append(File.generated(config, uri, content=source_doc(conf, model)))
        _state["generated"].add(uri)
    task_pages = {t.id: t.page for t in TASKS}
    for pid in conf.properties:
        uri = property_page(pid)
        files.append(File.generated(config, uri, content=property_doc(conf, pid, task_pages)))
        _state["generated"].add(uri)
    versions = File.generated(config, VERSIONS_PAGE, content=versions_page(data.build))
    files.append(versions)  # the Python versions page
    _state["generated"].add(VERSIONS_PAGE)
    compat = File.generated(config, COMPAT_PAGE, content=compatibility_page(data.build))
    files.append(compat)  # joinery.task in its peers' test suites
    _state["generated"].add(COMPAT_PAGE)
    files.append(File.generated(config, MUTANTS_PAGE, content=mutants_page()))
    _state["generated"].add(MUTANTS_PAGE)  # the committed mutation report
    for report in data.bench.pages():  # the published run and this machine's quick run
        files.append(File.generated(config, report.page, content=report.markdown))
        _state["generated"].add(report.page)
        for name, svg in report.charts.items():
            uri = f"{report.folder}/{name}"
            files.append(File.generated(config, uri, content=svg))
            _state["generated"].add(uri)
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Expand the ``[[marker]]`` placeholders of a hand-written page."""
    uri = page.file.src_uri
    if uri in _state["generated"]:
        return markdown
    try:
        return expand(markdown, uri, _data())
    except (MarkerError, MissingData) as exc:
        raise PluginError(f"joinery site: {exc}") from exc


# -- the 404 page -----------------------------------------------------------------------
# mkdocs writes 404.html with absolute URLs ("/assets/...", from site_url's path, or "/"
# without one) because a server shows it for a missing page at any depth. Opened from
# file://, "/assets/" is the disk's root: the page had no stylesheet. Here its URLs are
# relative to the site's root, where the file sits, and when it is served over HTTP a
# first script in <head> puts a <base> naming the root's path on the page.
# Scenario: a server answers /tasks/nope/x.html with 404.html. The browser's preload
# scanner reads ahead of any script, so a plain "./assets/x.css" would be fetched from
# /tasks/nope/assets/ before the <base> exists: each stylesheet and script tag is written
# by document.write instead, after the base, where the scanner cannot see it.

_RESOURCE = re.compile(
    r'<link\b[^>]*\bhref="\./[^"]*"[^>]*>|<script\b[^>]*\bsrc="\./[^"]*"[^>]*></script>'
)
_CONFIG = re.compile(r'<script id="__config" type="application/json">.*?</script>', re.S)


def on_template_context(
    context: dict[str, Any], template_name: str, config: MkDocsConfig
) -> dict[str, Any]:
    """Give the 404 page URLs relative to the site root (it sits there)."""
    if template_name == "404.html":
        context["base_url"] = "."
    return context


def _written(tag: str) -> str:
    return "<script>document.write(" + json.dumps(tag).replace("</", "<\\/") + ")</script>"


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    """Make the 404 page work from file:// and from a server, at any depth."""
    if template_name != "404.html":
        return output_content
    root = urlsplit(config.site_url or "/").path or "/"
    root = json.dumps(root if root.endswith("/") else root + "/")
    head = output_content.find("<head>")
    config_tag = _CONFIG.search(output_content)
    if head < 0 or config_tag is None:
        raise PluginError("joinery site: 404.html has no <head> or no __config to adapt")
    base = (
        f"<script>var __joinery_root = location.protocol === 'file:' ? null : {root};"
        " if (__joinery_root) { var b = document.createElement('base');"
        " b.href = __joinery_root; document.head.appendChild(b); }</script>"
    )
    # Material's scripts find the search index from its config's "base", not the page's.
    patch = (
        "<script>if (__joinery_root) { var c = document.getElementById('__config');"
        " var j = JSON.parse(c.textContent); j.base = __joinery_root.replace(/\\/$/, '') || '/';"
        " c.textContent = JSON.stringify(j); }</script>"
    )
    out = output_content[: config_tag.end()] + patch + output_content[config_tag.end() :]
    at = head + len("<head>")
    out = out[:at] + base + out[at:]
    return _RESOURCE.sub(lambda m: _written(m.group(0)), out)
