"""What the pages show is what the run produced: code from the sources, verdicts from the JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from _site_html import page_file, parse, text

from comparisons.sitegen import SiteData, count_lines, extract_scenario, load_site_data
from comparisons.sitegen._data import ROOT
from comparisons.sitegen._render import MarkerError, anchor, expand, property_doc, source_doc
from comparisons.sitegen._tasks import TASKS, TASKS_BY_ID


def _source(card: dict[str, object]) -> Path:
    src = Path(str(card["source"]))
    return src if src.is_absolute() else ROOT / src


def test_task_pages_show_each_models_code_from_its_source(
    site_data: Path, built_site: Path
) -> None:
    conf = load_site_data(site_data).conformance
    for task in TASKS:
        if not task.scenarios:
            continue
        page = text(page_file(built_site, task.page))
        for model in conf.shown_models():
            card = conf.models[model]
            assert card["title"] in page, (task.id, model)
            for scenario in task.scenarios:
                if scenario in card.get("unsupported", {}):
                    assert card["unsupported"][scenario] in page
                    continue
                for block in extract_scenario(_source(card), scenario):
                    for line in block.text.splitlines():
                        assert line.strip() in page, (task.id, model, line)


def test_no_marker_is_left_unexpanded(built_site: Path) -> None:
    for path in built_site.rglob("*.html"):
        if "evidence" in path.parts:
            continue  # raw observations may legitimately hold "[["
        assert not re.search(r"\[\[[a-z][^\]]*\]\]", text(path)), path


def test_matrix_links_every_verdict_to_its_evidence(site_data: Path, built_site: Path) -> None:
    conf = load_site_data(site_data).conformance
    matrix = parse(page_file(built_site, "matrix.md"))
    hrefs = {url for tag, _, url in matrix.refs if tag == "a"}
    page = text(page_file(built_site, "matrix.md"))
    for r in conf.results:
        if conf.is_mutant(r["model"]):
            continue
        assert f"evidence/{r['model']}.html#{anchor(r['property'], r['backend'])}" in hrefs
        if r["expected"] != "pass":
            assert " ".join(str(r["reason"]).split()) in page


def test_evidence_pages_hold_each_verdicts_observations(site_data: Path, built_site: Path) -> None:
    conf = load_site_data(site_data).conformance
    for model in conf.models:
        path = page_file(built_site, f"evidence/{model}.md")
        ids, page = parse(path).ids, text(path)
        for r in conf.results:
            if r["model"] != model:
                continue
            assert anchor(r["property"], r["backend"]) in ids
            dumped = json.dumps(r["evidence"], indent=2, sort_keys=True)
            for line in dumped.splitlines():
                assert line.strip() in page


def test_task9_line_counts_come_from_the_source(site_data: Path, built_site: Path) -> None:
    conf = load_site_data(site_data).conformance
    rows = {
        cells[0]: cells
        for cells in (
            [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, flags=re.S)]
            for tr in re.findall(
                r"<tr>(.*?)</tr>", page_file(built_site, "tasks/t9.md").read_text(), flags=re.S
            )
        )
        if cells
    }
    checked = 0
    for model in conf.shown_models():
        card = conf.models[model]
        if "check_all" in card.get("unsupported", {}):
            continue
        blocks = extract_scenario(_source(card), "check_all")
        total, code = count_lines("\n\n".join(b.text for b in blocks))
        assert rows[card["title"]][1:3] == [str(total), str(code)], model
        checked += 1
    assert checked


def test_task4_shows_the_real_leak_reports(site_data: Path, built_site: Path) -> None:
    page = text(page_file(built_site, "tasks/t4.md"))
    reports = load_site_data(site_data).leaks.reports
    assert reports
    for report in reports.values():
        for line in report.splitlines():
            assert line.strip() in page


def test_task_pages_show_their_benchmark_plots(site_data: Path, built_site: Path) -> None:
    for task in TASKS:
        imgs = [u for tag, _, u in parse(page_file(built_site, task.page)).refs if tag == "img"]
        svgs = [u for u in imgs if u.endswith(".svg")]
        assert bool(svgs) == bool(task.figures), task.id


@pytest.mark.parametrize("uri", ["api.md", "leaks.md"])
def test_api_pages_render_the_library(built_site: Path, uri: str) -> None:
    page = page_file(built_site, uri).read_text()
    assert 'class="doc doc-object' in page or "doc-heading" in page
    assert "is not in this build" not in page


@pytest.mark.parametrize("uri", ["api.md", "leaks.md"])
def test_api_pages_show_no_rest_markup_and_no_internals(built_site: Path, uri: str) -> None:
    html = page_file(built_site, uri).read_text()
    shown = text(page_file(built_site, uri))
    for role in (":class:", ":func:", ":meth:", ":mod:", ":attr:", ":exc:"):
        assert role not in shown, role
    assert not re.search(r"\S::(\s|$)", shown), "a reST literal-block marker is shown"
    # Constructors are the library's business (a Handle comes from spawn()).
    assert "Handle(scope" not in shown and "__init__" not in shown
    # Roles became links into the reference, not plain text.
    assert "autorefs-internal" in html


def test_roles_resolve_only_into_documented_exports() -> None:
    from comparisons.sitegen.griffe_roles import resolve

    exports = {"joinery.task": {"Handle", "scope"}, "joinery.leaks": {"find", "Leak"}}
    ctx = "joinery.task._scope.Scope.spawn"
    assert resolve("Handle", ctx, exports) == "joinery.task.Handle"
    assert resolve("Handle.discard", ctx, exports) == "joinery.task.Handle.discard"
    assert resolve("find", ctx, exports) == "joinery.leaks.find"
    assert resolve("joinery.leaks.Leak", ctx, exports) == "joinery.leaks.Leak"
    assert resolve("joinery.leaks", ctx, exports) == "joinery.leaks"
    # Private or unknown names are shown as code, never as a link that could break.
    assert resolve("joinery.task._scope.Scope", ctx, exports) is None
    assert resolve("asyncio.TaskGroup", ctx, exports) is None
    assert resolve("Unknown", ctx, exports) is None


def test_own_library_page_renders_the_real_protocol(built_site: Path) -> None:
    page = text(page_file(built_site, "own-library.md"))
    assert "ModelInfo" in page and "load_dashboard" in page


def test_a_cited_failure_the_run_did_not_see_stops_the_build(site_data: Path) -> None:
    data = load_site_data(site_data)
    conf = data.conformance
    passing = next(r for r in conf.results if r["verdict"] == "pass")
    marker = f"[[failure {passing['model']} {passing['property']} {passing['backend']}]]"
    with pytest.raises(MarkerError, match="cites a failure"):
        expand(marker, "task10.md", data)
    failing = next(r for r in conf.results if r["verdict"] == "fail")
    marker = f"[[failure {failing['model']} {failing['property']} {failing['backend']}]]"
    assert "fail" in expand(marker, "task10.md", data)


@pytest.mark.parametrize(
    "marker",
    ["[[nope]]", "[[verdict no_such_model join]]", "[[verdicts T11]]", "[[code nope]]", "[[x y"],
)
def test_bad_markers_stop_the_build(site_data: Path, marker: str) -> None:
    data = load_site_data(site_data)
    text_ = f"before {marker}]] after" if marker == "[[x y" else f"before {marker} after"
    with pytest.raises(MarkerError):
        expand(text_, "index.md", data)


def test_every_task_has_a_page_and_verdicts(site_data: Path, built_site: Path) -> None:
    conf = load_site_data(site_data).conformance
    for tid in TASKS_BY_ID:
        props = [p for p, v in conf.properties.items() if tid in v["tasks"]]
        assert props, f"the catalogue traces no property to {tid}"


def test_the_documented_suite_command_matches_the_cli() -> None:
    # own-library.md tells readers how to judge their own model: every flag it uses must
    # be one the conformance CLI accepts.
    import subprocess
    import sys

    doc = (ROOT / "docs" / "own-library.md").read_text()
    command = next(line for line in doc.splitlines() if "-m joinery.conformance run" in line)
    helptext = subprocess.run(
        [sys.executable, "-m", "joinery.conformance", "run", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for flag in re.findall(r"(?<!\S)--[a-z][a-z-]*", command):
        assert flag in helptext, flag


def test_every_property_has_a_page_linked_from_the_tables(
    site_data: Path, built_site: Path
) -> None:
    conf = load_site_data(site_data).conformance
    for pid, prop in conf.properties.items():
        page = text(page_file(built_site, f"properties/{pid}.md"))
        assert prop["statement"].split()[0] in page
        assert "How it is observed" in page and "prove it can fail" in page
    linked = set()
    for uri in ["matrix.md", *(t.page for t in TASKS)]:
        for tag, _, url in parse(page_file(built_site, uri)).refs:
            if tag == "a" and "properties/" in url:
                linked.add(url.rsplit("/", 1)[-1].removesuffix(".html"))
    assert linked == set(conf.properties)


def test_task_pages_explain_each_verdict_in_text(site_data: Path, built_site: Path) -> None:
    # Tooltips do not work on touch screens: the reason is written under the table.
    conf = load_site_data(site_data).conformance
    for task in TASKS:
        page = text(page_file(built_site, task.page))
        assert "Why each verdict" in page, task.id
        for pid in conf.properties:
            if task.id not in conf.properties[pid]["tasks"]:
                continue
            for r in conf.results:
                if r["property"] == pid and not conf.is_mutant(r["model"]):
                    assert f"{r['model']} on {r['backend']}:" in page, (task.id, pid, r["model"])


def test_code_tabs_open_on_a_working_model(site_data: Path, built_site: Path) -> None:
    conf = load_site_data(site_data).conformance
    for task in TASKS:
        if not task.scenarios:
            continue
        html = page_file(built_site, task.page).read_text()
        first_label = re.search(r'<label for="__tabbed_1_1">(.*?)</label>', html)
        assert first_label, task.id
        controls = {conf.models[m]["title"] for m in conf.models if conf.is_control(m)}
        assert not any(c in first_label.group(1) for c in controls), task.id


@pytest.mark.parametrize(
    ("verdict", "marker"), [("fail", "pass"), ("pass", "failure")], ids=["pass", "failure"]
)
def test_a_claim_the_run_contradicts_stops_the_build(
    site_data: Path, verdict: str, marker: str
) -> None:
    data = load_site_data(site_data)
    r = next(r for r in data.conformance.results if r["verdict"] == verdict)
    with pytest.raises(MarkerError, match="reword the page"):
        expand(f"[[{marker} {r['model']} {r['property']} {r['backend']}]]", "x.md", data)


def test_snippet_shows_the_file_as_it_is(site_data: Path) -> None:
    data = load_site_data(site_data)
    out = expand(
        "[[snippet tests/leaks/test_t4_example.py BUGGY_TEST test_verify_none_catches_buggy]]",
        "tasks/t4.md", data,
    )  # fmt: skip
    source = (ROOT / "tests/leaks/test_t4_example.py").read_text()
    assert "demo.buggy_asyncio(ch)" in out and "demo.buggy_asyncio(ch)" in source
    assert out.index("BUGGY_TEST") < out.index("def test_verify_none_catches_buggy")
    with pytest.raises(MarkerError, match="no top-level definition"):
        expand("[[snippet tests/leaks/test_t4_example.py nope]]", "x.md", data)


def test_home_page_glance_counts_come_from_the_results(site_data: Path) -> None:
    data = load_site_data(site_data)
    conf = data.conformance
    table = expand("[[glance]]", "index.md", data)
    assert table.startswith('<div class="jglance" markdown>')  # the phone layout's hook
    rows = [line for line in table.splitlines() if line.startswith("|")][2:]
    assert len(rows) == len(conf.columns(conf.shown_models()))
    for line in rows:
        cols = [c.strip() for c in line.strip("|").split("|")]
        title, backend, held, broken, unsupported = cols[:5]
        # By the whole title: "asyncio.TaskGroup" is also part of the eager model's title.
        model = next(
            m for m in conf.models if title.removesuffix(" *(control)*") == conf.models[m]["title"]
        )
        cells = [r for r in conf.results if r["model"] == model and r["backend"] == backend]
        assert int(held) == sum(r["verdict"] == "pass" for r in cells)
        assert int(broken) == sum(r["verdict"] == "fail" for r in cells)
        assert int(unsupported) == sum(r["verdict"] == "unsupported" for r in cells)
        helped = sum(r["verdict"] == "pass" and bool(r.get("assisted")) for r in cells)
        assert cols[5] == (str(helped) if helped else "—"), (model, backend)


def test_a_go_claim_without_the_go_row_says_it_was_not_measured(site_data: Path) -> None:
    # The site tests' data has no Go row (no Go toolchain needed): a page citing a Go
    # cell must still build, and say in the text that the claim went unchecked.
    data = load_site_data(site_data)
    assert "go_environment" not in data.conformance.doc
    out = expand("[[failure errgroup error_surfaced go]]", "tasks/t9.md", data)
    assert "not measured" in out and "no Go row" in out


def test_a_go_claim_with_the_go_row_is_checked(site_data: Path) -> None:
    # With a Go row in the results, the same marker is checked like any other: here
    # the row lacks the model, so the build stops instead of printing the note.
    data = load_site_data(site_data)
    conf = replace(data.conformance, doc={**data.conformance.doc, "go_environment": {}})
    with pytest.raises(MarkerError, match="no model 'errgroup'"):
        expand("[[failure errgroup error_surfaced go]]", "x.md", replace(data, conformance=conf))


def _assisted_cells(data: SiteData) -> list[Mapping[str, Any]]:
    conf = data.conformance
    cells = [r for r in conf.results if r.get("assisted") and not conf.is_mutant(r["model"])]
    assert cells, "the run has no assisted pass: the checks below would prove nothing"
    return cells


def test_an_assisted_pass_is_explained_in_the_text_under_its_table(site_data: Path) -> None:
    # The ◐ link's tooltip says what the adapter added; a touch screen never shows it,
    # so the why list under the task's table says it in words.
    data = load_site_data(site_data)
    for r in _assisted_cells(data):
        task = next(t for t in TASKS if t.id in data.conformance.properties[r["property"]]["tasks"])
        out = expand(f"[[verdicts {task.id}]]", task.page, data)
        why = out[out.index("**Why each verdict**") :]
        assert f"the adapter adds: {r['assisted']}" in why, (r["model"], r["property"])


def test_the_matrix_lists_every_assisted_pass_in_words(site_data: Path) -> None:
    data = load_site_data(site_data)
    out = expand("[[matrix]]", "matrix.md", data)
    section = out[out.index("## Passes assisted by the adapter") :]
    for r in _assisted_cells(data):
        assert f"the adapter adds {r['assisted']}" in section, (r["model"], r["property"])


def test_property_ids_in_table_headers_wrap_only_at_underscores(site_data: Path) -> None:
    # "all_errors_kept" in a narrow column used to read "all_errors_kep" / "t": the
    # header gets a break opportunity after each underscore, and the stylesheet no
    # longer lets a header break anywhere (which shrinks the column to one letter).
    data = load_site_data(site_data)
    header = expand("[[verdicts T9]]", "tasks/t9.md", data).splitlines()[0]
    assert "all&#95;<wbr>errors&#95;<wbr>kept" in header
    matrix_head = expand("[[matrix]]", "matrix.md", data).split("\n\n")[1].splitlines()[0]
    assert "<code>seed&#95;<wbr>given</code>" in matrix_head
    rows = expand("[[verdicts T9]]", "tasks/t9.md", data).splitlines()
    assert any(r.startswith("| <code>seed&#95;<wbr>given</code>") for r in rows)
    css = (ROOT / "docs" / "stylesheets" / "joinery.css").read_text()
    th_rules = re.findall(r"th\s*\{([^}]*)\}", css)
    assert th_rules and not any("anywhere" in rule for rule in th_rules)


def test_a_go_models_source_page_shows_its_package(site_data: Path) -> None:
    # A Go model's "source" is its package directory: the build used to stop with
    # IsADirectoryError as soon as the results held the Go row (make.py main does).
    data = load_site_data(site_data)
    card = {"title": "errgroup (our solutions)", "source": "impls/go/src/joinery/solutions"}
    models = {**data.conformance.models, "errgroup": card}
    conf = replace(data.conformance, doc={**data.conformance.doc, "models": models})
    page = source_doc(conf, "errgroup")
    package = ROOT / card["source"]
    shown = sorted(f.name for f in package.glob("*.go") if not f.name.endswith("_test.go"))
    assert shown and all(f'solutions/{name}"' in page for name in shown)
    assert "_test.go" not in page and "```go" in page
    assert "func CheckAll(" in page


def test_quoted_findings_point_into_the_report_not_below(site_data: Path) -> None:
    # Task 10 and the benchmarks index quote the report's findings; its "see ... below"
    # sent the reader down the wrong page.
    data = load_site_data(site_data, published=None)
    report = data.bench.quoted.markdown
    assert re.search(r"\bbelow\b", report), "the control: the report says below"
    for page in ("task10.md", "benchmarks/index.md"):
        out = expand("[[bench-findings]]", page, data)
        assert not re.search(r"\bbelow\b", out), page
        assert "in [the report](" in out


def test_a_model_the_go_row_also_runs_says_what_runs_on_go(site_data: Path) -> None:
    # seed_given runs on asyncio and on Go; its Python summary says "ported to asyncio",
    # which is not what the go backend runs: the home page adds the Go card's summary.
    data = load_site_data(site_data)
    go_card = {"summary": "The seed's own Go programs, unported.", "source": "x"}
    seed = {**data.conformance.models["seed_given"], "go": go_card}
    models = {**data.conformance.models, "seed_given": seed}
    conf = replace(data.conformance, doc={**data.conformance.doc, "models": models})
    out = expand("[[models]]", "index.md", replace(data, conformance=conf))
    assert "On Go: The seed's own Go programs, unported." in out
    assert "On Go:" not in expand("[[models]]", "index.md", data)


def test_a_property_page_lists_the_program_broken_on_purpose_first(site_data: Path) -> None:
    # broken_unbounded fails `cause` too, but only because it is built on TaskGroup: the
    # proof that `cause` can fail is broken_cause_text, which the page must show first.
    data = load_site_data(site_data)
    conf = data.conformance
    deliberate = {
        r["property"]
        for r in conf.results
        if r["verdict"] == "fail" and str(r.get("reason") or "").startswith("deliberate")
    }
    assert deliberate, "the run has no deliberately broken failure: nothing to check"
    for pid in deliberate:
        doc = property_doc(conf, pid, {t.id: t.page for t in TASKS})
        proof = doc[doc.index("## The programs that prove it can fail") :]
        items = [line for line in proof.splitlines() if line.startswith("- ")]
        assert "broken on purpose for this property" in items[0], pid


def test_compatibility_page_lists_the_other_interpreters_runs(tmp_path: Path) -> None:
    from comparisons.sitegen._compat import compatibility_page

    results = tmp_path / "results"
    results.mkdir()
    suite = {"counts": {"pass": 3, "differs": 1}, "mismatches": 0, "tests": []}
    doc = {"versions": {"python": "3.11.7"}, "suites": {"cpython": suite}}
    (results / "peer.json").write_text(json.dumps(doc))
    other = {"versions": {"python": "3.13.0"}, "suites": {"cpython": {**suite, "mismatches": 2}}}
    (results / "peer-cpython-3.13.json").write_text(json.dumps(other))
    page = compatibility_page(tmp_path)
    assert "| 3.13.0 | `cpython` | 3 passes, 1 differs by design | 2 |" in page
    (results / "peer-cpython-3.13.json").unlink()
    assert "3.13.0" not in compatibility_page(tmp_path)
