"""mkdocs hooks (``hooks:`` in mkdocs.yml): load the run's data, generate pages, fill markers.

mkdocs loads this file by path, so the repository root is put on ``sys.path`` first
to import the rest of :mod:`comparisons.sitegen`.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

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
    BENCH_DIR,
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
    report_pages = [f"{BENCH_DIR}/{data.bench.rel(p)}" for p in data.bench.pages]
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
    bench = data.bench
    for p in [*bench.pages, *bench.figures, *bench.assets]:
        uri = f"{BENCH_DIR}/{bench.rel(p)}"
        files.append(File.generated(config, uri, abs_src_path=str(p)))
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
