"""Markdown for the generated parts of the site: markers, evidence pages, reports.

Every function here turns loaded data into markdown; none invents a value. Links are
written as relative ``.md`` links so that mkdocs (with ``validation`` set to warn and
``--strict``) checks every one of them, anchors included.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import posixpath
import re
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from comparisons.bench_report._published import provenance as run_provenance
from comparisons.sitegen._bench import (
    PUBLISH_STEPS,
    PUBLISHED_DIR,
    BenchPage,
    provenance_table,
)
from comparisons.sitegen._compat import PAGE as COMPAT_PAGE
from comparisons.sitegen._compat import peer_summary
from comparisons.sitegen._data import PRODUCERS, ROOT, Conformance, MissingData, SiteData
from comparisons.sitegen._go import (
    count_go_lines,
    go_blocks,
    go_sources,
    is_go_only,
    source_dir,
)
from comparisons.sitegen._source import CodeBlock, count_lines, extract_scenario
from comparisons.sitegen._tasks import TASKS, TASKS_BY_ID, Task

EVIDENCE_DIR = "evidence"
PROPERTY_DIR = "properties"
WHY_CHARS = 160
"""How much of a verdict's summary the "why" list under a table shows."""

_ICON = {"pass": "✓", "fail": "✗", "unsupported": "∅"}
_ASSISTED = "◐"


class MarkerError(Exception):
    """A ``[[marker]]`` in a page is unknown, malformed or names data the run lacks."""


def rel(page: str, target: str) -> str:
    """A link from the page at ``page`` (a docs-relative path) to ``target``."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def anchor(prop: str, backend: str) -> str:
    """The evidence page anchor of one verdict."""
    return f"{prop}-{backend}".replace("_", "-")


def evidence_page(model: str) -> str:
    """The docs-relative path of a model's evidence page."""
    return f"{EVIDENCE_DIR}/{model}.md"


def property_page(pid: str) -> str:
    """The docs-relative path of a property's own page."""
    return f"{PROPERTY_DIR}/{pid}.md"


def property_link(page: str, pid: str, *, header: bool = False) -> str:
    """The property's id, bold, linked to its page.

    In a table ``header`` the id may wrap after each underscore, and only there
    (``all_errors_kept`` over three lines, never ``all_errors_kep`` / ``t``).
    """
    text = pid.replace("_", "&#95;<wbr>") if header else pid
    return f"[**{text}**]({rel(page, property_page(pid))})"


def _inline(text: object) -> str:
    # One line, safe inside a table cell and a link title.
    s = " ".join(str(text).split())
    return s.replace("|", "/").replace('"', "'")


def _fence(text: str, lang: str, attrs: str = "", indent: str = "") -> str:
    ticks = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))
    head = f"{ticks}{lang}" + (f" {attrs}" if attrs else "")
    body = "\n".join(f"{indent}{line}" if line else "" for line in text.splitlines())
    return f"{indent}{head}\n{body}\n{indent}{ticks}"


def verdict_link(conf: Conformance, page: str, cell: Mapping[str, Any], *, long: bool) -> str:
    """A verdict as a link to its evidence; ``long`` spells the word out."""
    verdict, expected = cell["verdict"], cell["expected"]
    assisted = cell.get("assisted")
    if assisted:  # the library did not do it alone: say so, and what the adapter added
        label = _ASSISTED + (" pass, assisted by the adapter" if long else "")
        classes = [f".jv-{verdict}", ".jv-assisted"]
        title = f"pass, assisted: the adapter adds {_inline(assisted)}. Observed: "
        title += _inline(cell["summary"])
    else:
        label = _ICON[verdict] + (f" {verdict}" if long else "")
        classes = [f".jv-{verdict}"]
        title = f"{verdict} (expected {expected}): {_inline(cell['summary'])}"
    if cell.get("reason"):
        title += f" — why expected: {_inline(cell['reason'])}"
    if verdict != expected:
        label += " ⚠ unexpected"
        classes.append(".jv-mismatch")
    elif verdict != "pass":
        label += "*" if not long else " (expected)"
        classes.append(".jv-expected")
    href = rel(page, evidence_page(cell["model"])) + "#" + anchor(cell["property"], cell["backend"])
    # Parentheses in a summary (a repr such as Failure('boom')) would end the link
    # early: Markdown's link syntax does not balance them inside the title.
    title = title.replace("(", "&#40;").replace(")", "&#41;")
    return f'[{label}]({href} "{title}"){{ {" ".join(classes)} }}'


def _model_code(model: str) -> str:
    # A model id wraps after an underscore only ("taskgroup_eager", never "taskgroup_e").
    return "<code>" + model.replace("_", "&#95;<wbr>") + "</code>"


def _model_head(conf: Conformance, model: str, backend: str, *, short: bool) -> str:
    card = conf.models[model]
    name = _model_code(model) if short else card["title"]
    return f"{name}<br><small>{backend}</small>"


def verdict_table(conf: Conformance, page: str, props: list[str], models: list[str]) -> str:
    """Properties down, (model, backend) across; each cell links to its evidence."""
    cols = conf.columns(models)
    head = "| Property | " + " | ".join(_model_head(conf, m, b, short=True) for m, b in cols)
    rows = [head + " |", "|---|" + "---|" * len(cols)]
    for pid in props:
        prop = conf.properties[pid]
        cells = []
        for m, b in cols:
            cell = conf.cell(m, pid, b)
            cells.append(verdict_link(conf, page, cell, long=False) if cell else "not run")
        first = f"{property_link(page, pid)}<br><small>{_inline(prop['statement'])}</small>"
        rows.append(f"| {first} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _legend() -> str:
    return (
        "✓ the property held · ◐ it held with help: the adapter adds what the library "
        "lacks (said in words below the table) · ✗ the observer saw it broken · ∅ the model cannot "
        "express the scenario · `*` an expected failure (its reason is on the evidence page and in "
        "the link's tooltip) · ⚠ the verdict differs from the declared expectation. "
        "Every cell links to what the observer saw."
    )


def why_list(conf: Conformance, page: str, props: list[str], models: list[str]) -> str:
    """Under a verdict table: per property, each verdict with one line from its evidence.

    The table's links carry the same line as a tooltip, which a touch screen never
    shows; this list is the readable form.
    """
    out = ["**Why each verdict** — " + _legend(), ""]
    for pid in props:
        out.append(f"- {property_link(page, pid)}: {_inline(conf.properties[pid]['statement'])}")
        for m, b in conf.columns(models):
            cell = conf.cell(m, pid, b)
            if cell is None:
                continue
            line = _inline(cell["summary"])
            if len(line) > WHY_CHARS:  # the evidence page, one click away, has all of it
                line = line[:WHY_CHARS].rstrip() + " …"
            if cell["verdict"] != "pass" and cell.get("reason"):
                line += f" *({_inline(cell['reason'])})*"
            if cell.get("assisted"):  # in the text too: a tooltip is not read on touch
                line += f" *(the adapter adds: {_inline(cell['assisted'])})*"
            link = verdict_link(conf, page, cell, long=True)
            out.append(f"    - `{m}` on {b}: {link} — {line}")
    return "\n".join(out)


def task_verdicts(conf: Conformance, page: str, props: list[str], models: list[str]) -> str:
    """A task's verdicts: a row per model and backend, a column per property, then why.

    A task has a few properties and many models, so the models go down: the table keeps
    its width however many models the registry gains.
    """
    rows = [
        "| Model | " + " | ".join(property_link(page, pid, header=True) for pid in props) + " |",
        "|---|" + "---|" * len(props),
    ]
    for m, b in conf.columns(models):
        cells = []
        for pid in props:
            cell = conf.cell(m, pid, b)
            cells.append(verdict_link(conf, page, cell, long=False) if cell else "not run")
        rows.append(f"| {_model_code(m)} <small>{b}</small> | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n\n" + why_list(conf, page, props, models)


def property_doc(conf: Conformance, pid: str, tasks: dict[str, str]) -> str:
    """A property's own page: what it means, how it is observed, what proves it can fail.

    Args:
        conf: the results.
        pid: the property's id.
        tasks: task id -> the docs-relative page of that task.
    """
    prop = conf.properties[pid]
    page = property_page(pid)
    task_links = ", ".join(
        f"[{t}]({rel(page, tasks[t])})" if t in tasks else t for t in prop["tasks"]
    )
    fails = control_failures(conf, pid)

    # The program broken on purpose for *this* property is the proof; the others fail it
    # only because of the group they are built on. Theirs first, and said so.
    def on_purpose(r: Mapping[str, Any]) -> bool:
        return str(r.get("reason") or "").startswith("deliberate")

    failing = [
        f"- {verdict_link(conf, page, r, long=True)} `{r['model']}` on {r['backend']}"
        + (" — **broken on purpose for this property**" if on_purpose(r) else "")
        + f": {_inline(r['summary'])}"
        for r in sorted(fails, key=lambda r: not on_purpose(r))
    ]
    out = [
        f"# Property: {pid}",
        "",
        f"> {_inline(prop['statement'])}",
        "",
        f"Seed tasks: {task_links} · scenarios: " + ", ".join(f"`{s}`" for s in prop["scenarios"]),
        "",
        "## How it is observed",
        "",
        _inline(prop["observed_by"]),
        "",
        "## The programs that prove it can fail",
        "",
        "A check that no program fails proves nothing. These control programs (the seed's "
        "given code, and small programs broken on purpose) fail it in the run behind this "
        "page:",
        "",
        *(failing or ["- ⚠ no control program fails this property in this run"]),
        "",
        "## Every model's verdict",
        "",
        task_verdicts(conf, page, [pid], conf.shown_models()),
        "",
        f"[The whole matrix]({rel(page, 'matrix.md')})",
    ]
    return "\n".join(out)


def provenance(data: SiteData, page: str) -> str:
    """One line naming the results file and the run that wrote it."""
    conf = data.conformance
    env = conf.doc["environment"]
    py = f"{env.get('implementation', 'Python')} {env.get('python', '?')}"
    return (
        f"<small>Verdicts from `{conf.path.name}` generated {conf.doc['generated']} "
        f"on {py}, {env.get('platform', '?')}, {env.get('cpus', '?')} CPUs.</small>"
    )


def _require_task(arg: str) -> Task:
    if arg not in TASKS_BY_ID:
        raise MarkerError(f"unknown task {arg!r}; known: {', '.join(TASKS_BY_ID)}")
    return TASKS_BY_ID[arg]


def task_props(conf: Conformance, task: Task) -> list[str]:
    """The properties the catalogue traces to ``task``."""
    return [pid for pid, p in conf.properties.items() if task.id in p["tasks"]]


def _model_order(conf: Conformance, *, controls_first: bool = True) -> list[str]:
    # Tables put the seed's given programs first: the page shows the problem, then the
    # answers. Code tabs put them last, so that a page opens on a working model's code,
    # not on a control's "Unsupported" box.
    shown = conf.shown_models()
    controls = [m for m in shown if conf.is_control(m)]
    others = [m for m in shown if m not in controls]
    return controls + others if controls_first else others + controls


SOURCE_DIR = "sources"


def source_page(model: str) -> str:
    """The docs-relative path of the page showing a model's whole source file."""
    return f"{SOURCE_DIR}/{model}.md"


def source_doc(conf: Conformance, model: str) -> str:
    """A model's whole source file, with line numbers, as the suite ran it."""
    path = _source_path(conf, model)
    page = source_page(model)
    # A Go model's source is its package directory (the Go row): every non-test file.
    files = sorted(f for f in path.glob("*.go") if not f.name.endswith("_test.go"))
    files = files if path.is_dir() else [path]
    lang = "go" if path.is_dir() else "python"
    out = [
        f"# Source: {conf.models[model]['title']} (`{model}`)",
        "",
        f"`{_shown_path(path)}`, as the suite ran it. "
        f"[Evidence for its verdicts]({rel(page, evidence_page(model))}).",
    ]
    for f in files:
        text = f.read_text(encoding="utf-8").rstrip("\n")
        out += ["", _fence(text, lang, f'title="{_shown_path(f)}" linenums="1"')]
    return "\n".join(out)


def _source_path(conf: Conformance, model: str) -> Path:
    card = conf.models[model]
    if card["source"] is not None:
        return ROOT / str(card["source"])
    # A model outside the repository: the results name no machine's path, only its
    # module, so the building interpreter finds the file.
    try:
        spec = importlib.util.find_spec(card["module"])
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        raise MarkerError(
            f"model {model!r} lives outside the repository and its module "
            f"{card['module']!r} cannot be found by the interpreter building the site"
        )
    return Path(spec.origin)


def scenario_blocks(
    conf: Conformance, model: str, scenario: str, others: frozenset[str]
) -> list[CodeBlock]:
    """A model's code for one scenario, cut from its source file."""
    try:
        return extract_scenario(_source_path(conf, model), scenario, exclude=others)
    except LookupError as exc:
        raise MarkerError(f"model {model!r}, scenario {scenario!r}: {exc}") from exc


def _shown_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def _code_block(block: CodeBlock, indent: str) -> str:
    title = f"{_shown_path(block.path)}:{block.first}-{block.last}"
    return _fence(block.text, "python", f'title="{title}" linenums="{block.first}"', indent)


def _helper_block(block: CodeBlock, indent: str) -> str:
    # A model's shared helpers (bare's _Tasks class) are collapsed: the scenario itself
    # is what a reader should see first.
    lines = block.last - block.first + 1
    return (
        f'{indent}??? info "Helper `{block.name}` ({lines} lines, used by the scenario)"\n\n'
        + _code_block(block, indent + "    ")
    )


def code_tabs(conf: Conformance, scenarios: list[str], page: str = "") -> str:
    """One content tab per model, holding its code for ``scenarios`` from the source."""
    out = []
    others = frozenset(scenarios)
    for model in _model_order(conf, controls_first=False):
        card = conf.models[model]
        if is_go_only(card):
            continue  # in the Go tabs below
        title = card["title"]
        control = conf.is_control(model) and "control" not in title.lower()
        label = title + (" (control)" if control else "")
        out.append(f'=== "{_inline(label)}"\n')
        shown: set[str] = set()
        for scenario in scenarios:
            if len(scenarios) > 1:
                out.append(f"    `{scenario}`\n")
            reason = conf.unsupported_everywhere(model, scenario)
            if reason is not None:
                out.append(
                    f'    !!! note "Unsupported: {model} cannot express `{scenario}`"\n\n'
                    f"        {_inline(reason)}\n"
                )
                continue
            # T6 shows two scenarios per tab: a helper both use is shown once.
            blocks = scenario_blocks(conf, model, scenario, (others | shown) - {scenario})
            # The scenario first, then its helpers (collapsed), each in file order.
            for block in sorted(blocks, key=lambda b: b.name not in others):
                if block.name in others:
                    out.append(_code_block(block, "    ") + "\n")
                else:
                    out.append(_helper_block(block, "    ") + "\n")
                shown.add(block.name)
        path = _shown_path(_source_path(conf, model))
        out.append(
            f"    <small>The whole file: [`{path}`]({rel(page, source_page(model))})</small>\n"
        )
    out += go_code_tabs(conf, scenarios)
    return "\n".join(out)


def go_code_tabs(conf: Conformance, scenarios: list[str]) -> list[str]:
    """The Go tabs of a task: each Go model's declarations marked for ``scenarios``."""
    out = []
    for model, card in go_sources(conf):
        out.append(f'=== "Go · {_inline(card["title"])}"\n')
        for scenario in scenarios:
            if len(scenarios) > 1:
                out.append(f"    `{scenario}`\n")
            reason = card.get("unsupported", {}).get(scenario)
            if reason is not None:
                out.append(
                    f'    !!! note "Unsupported: {model} (Go) cannot express `{scenario}`"\n\n'
                    f"        {_inline(reason)}\n"
                )
                continue
            blocks = go_blocks(source_dir(card), scenario)
            if not blocks:
                raise MarkerError(f"Go model {model!r}: no declaration marked {scenario!r}")
            for b in blocks:
                title = f"{_shown_path(b.path)}:{b.first}-{b.last}"
                attrs = f'title="{title}" linenums="{b.first}"'
                out.append(_fence(b.text, "go", attrs, "    ") + "\n")
    return out


def aggregator_lines(conf: Conformance, page: str) -> str:
    """T9: the aggregator's size per model, counted from the source, with its verdicts."""
    t9 = TASKS_BY_ID["T9"]
    props = task_props(conf, t9)
    rows = [
        "| Model | Lines | Code lines | Definitions | "
        + " | ".join(property_link(page, pid, header=True) for pid in props)
        + " |",
        "|---|--:|--:|---|" + "---|" * len(props),
    ]
    for model in _model_order(conf):
        card = conf.models[model]
        if is_go_only(card):
            continue  # a Go row below
        if conf.unsupported_everywhere(model, "check_all") is not None:
            rows.append(f"| {card['title']} | ∅ | ∅ | unsupported | " + " | " * len(props))
            continue
        blocks = scenario_blocks(conf, model, "check_all", frozenset())
        total, code = count_lines("\n\n".join(b.text for b in blocks))
        names = ", ".join(f"`{b.name}`" for b in blocks)
        verdicts = []
        for pid in props:
            cells = [conf.cell(model, pid, b) for b in card["backends"]]
            verdicts.append(
                " ".join(
                    f"{verdict_link(conf, page, c, long=False)} <small>{c['backend']}</small>"
                    for c in cells
                    if c
                )
                or "∅"
            )
        rows.append(
            f"| {card['title']} | {total} | {code} | {names} | " + " | ".join(verdicts) + " |"
        )
    for model, go in go_sources(conf):
        found = go_blocks(source_dir(go), "check_all")
        if not found:
            continue
        total, code = count_go_lines("\n\n".join(b.text for b in found))
        verdicts = []
        for pid in props:
            cell = conf.cell(model, pid, "go")
            verdicts.append(verdict_link(conf, page, cell, long=False) if cell else "∅")
        rows.append(
            f"| Go · {go['title']} | {total} | {code} | `CheckAll` | " + " | ".join(verdicts) + " |"
        )
    return "\n".join(rows)


def single_verdict(
    conf: Conformance,
    page: str,
    args: list[str],
    *,
    must_fail: bool = False,
    must_pass: bool = False,
) -> str:
    """``[[verdict MODEL PROPERTY [BACKEND]]]``: the verdict(s), each linked to evidence.

    With ``must_fail`` (the ``[[failure ...]]`` marker) the prose around it claims that
    the suite observed a failure, so the build stops unless some backend's verdict is
    ``fail``: an essay cannot cite a failure the run did not see. With ``must_pass``
    (``[[pass ...]]``) the prose claims the property held, on every backend shown.
    """
    if len(args) not in (2, 3):
        raise MarkerError("usage: [[verdict MODEL PROPERTY [BACKEND]]]")
    model, pid = args[0], args[1]
    if len(args) == 3 and args[2] == "go" and "go_environment" not in conf.doc:
        # A run without the Go row (no Go toolchain): the claim cannot be checked, and
        # the reader is told so rather than the build failing on a machine without Go.
        return f"<small>(not measured: this run has no Go row; {model}, {pid})</small>"
    if model not in conf.models:
        raise MarkerError(f"no model {model!r} in the results; known: {', '.join(conf.models)}")
    if pid not in conf.properties:
        raise MarkerError(
            f"no property {pid!r} in the results; known: {', '.join(conf.properties)}"
        )
    backends = [args[2]] if len(args) == 3 else list(conf.models[model]["backends"])
    parts: list[str] = []
    seen: list[str] = []
    for b in backends:
        cell = conf.cell(model, pid, b)
        if cell is None:
            raise MarkerError(f"the results hold no verdict for {model} / {pid} / {b}")
        parts.append(f"{verdict_link(conf, page, cell, long=True)} <small>({model}, {b})</small>")
        seen.append(cell["verdict"])
    if must_fail and "fail" not in seen:
        raise MarkerError(
            f"the page cites a failure of {model} / {pid}, but the run's verdicts are "
            f"{', '.join(seen)}: reword the page or use [[verdict ...]]"
        )
    if must_pass and any(v != "pass" for v in seen):
        raise MarkerError(
            f"the page says {model} / {pid} holds, but the run's verdicts are "
            f"{', '.join(seen)}: reword the page or use [[verdict ...]]"
        )
    return " · ".join(parts)


def snippet(page: str, args: list[str]) -> str:
    """``[[snippet PATH NAME...]]``: top-level definitions of a repository file, as they are.

    A NAME may be a function, a class or a module-level constant (the source of a test
    that pytester runs); they are shown in the order given.
    """
    if len(args) < 2:
        raise MarkerError("usage: [[snippet PATH NAME...]] (PATH relative to the repository)")
    path = ROOT / args[0]
    if not path.is_file():
        raise MarkerError(f"{args[0]}: no such file in the repository")
    source = path.read_text(encoding="utf-8")
    nodes: dict[str, ast.stmt] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            nodes[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            nodes.update((t.id, node) for t in targets if isinstance(t, ast.Name))
    lines = source.splitlines()
    out = []
    for name in args[1:]:
        if name not in nodes:
            raise MarkerError(f"{args[0]}: no top-level definition {name!r}")
        node = nodes[name]
        decorators = getattr(node, "decorator_list", [])
        first = min([node.lineno, *(d.lineno for d in decorators)])
        last = node.end_lineno or node.lineno
        text = "\n".join(lines[first - 1 : last])
        out.append(_code_block(CodeBlock(name, path, first, last, text), ""))
    return "\n\n".join(out)


def matrix(conf: Conformance, page: str) -> str:
    """The whole conformance matrix, then every expected non-pass with its reason."""
    out = [_legend(), "", verdict_table(conf, page, list(conf.properties), conf.shown_models())]
    if conf.doc.get("go_skipped"):
        note = _inline(conf.doc["go_skipped"])
        out += ["", f'!!! warning "No Go row in this build"\n\n    {note}']
    out += ["", "## Expected failures and unsupported scenarios", ""]
    for r in conf.results:
        if conf.is_mutant(r["model"]) or r["expected"] == "pass":
            continue
        link = verdict_link(conf, page, r, long=True)
        out.append(
            f"- `{r['model']}` on {r['backend']}, **{r['property']}**: {link} — "
            f"{_inline(r.get('reason') or 'no reason given')}"
        )
    # The ◐ cells, in words: what the adapter, not the library, did (no tooltip needed).
    assisted = [r for r in conf.results if r.get("assisted") and not conf.is_mutant(r["model"])]
    if assisted:
        out += ["", "## Passes assisted by the adapter", ""]
        out += [
            f"- `{r['model']}` on {r['backend']}, **{r['property']}**: "
            f"{verdict_link(conf, page, r, long=True)} — the adapter adds "
            f"{_inline(r['assisted'])}"
            for r in assisted
        ]
    return "\n".join(out)


def control_failures(conf: Conformance, pid: str) -> list[Mapping[str, Any]]:
    """The cells in which a control or deliberately broken program fails ``pid``."""
    return [
        r
        for r in conf.results
        if r["property"] == pid and conf.is_control(r["model"]) and r["verdict"] == "fail"
    ]


def selftest(conf: Conformance, page: str) -> str:
    """Which control programs fail each property: the proof no check is vacuous."""
    rows = ["| Property | Failed by (controls) |", "|---|---|"]
    for pid in conf.properties:
        fails = [
            verdict_link(conf, page, r, long=False) + f" `{r['model']}` ({r['backend']})"
            for r in control_failures(conf, pid)
        ]
        fails_text = "<br>".join(fails) or "⚠ no control fails it"
        rows.append(f"| {property_link(page, pid)} | {fails_text} |")
    return "\n".join(rows)


def models_list(conf: Conformance, page: str) -> str:
    """A paragraph per model, from the cards the suite wrote."""
    out = []
    for model in conf.models:
        if conf.is_mutant(model):
            continue
        card = conf.models[model]
        tag = {
            "control": " *(control: meant to fail)*",
            "third-party": " *(third-party library, judged through an adapter)*",
        }.get(conf.kind(model), "")
        link = rel(page, evidence_page(model))
        go = card.get("go")
        # A Python model the Go row also runs (the seed's programs): its Go card says
        # what runs there, which the Python summary ("ported to asyncio") does not.
        on_go = f" On Go: {go['summary']}" if go and not is_go_only(card) else ""
        out.append(
            f"**{card['title']}** (`{model}`, runs on {', '.join(card['backends'])}){tag}. "
            f"{card.get('summary', '')}{on_go} [Evidence for every verdict]({link}).\n"
        )
    return "\n".join(out)


def environment(data: SiteData) -> str:
    """The run that produced the verdicts: versions, platform, totals."""
    doc = data.conformance.doc
    env, totals = doc["environment"], doc["totals"]
    rows = ["| Of the run | |", "|---|---|", f"| Generated | {doc['generated']} |"]
    for key in ("python", "implementation", "platform", "machine", "cpus"):
        if key in env:
            rows.append(f"| {key} | {_inline(env[key])} |")
    for pkg, ver in sorted(env.get("packages", {}).items()):
        rows.append(f"| {pkg} | {_inline(ver)} |")
    rows.append("| Cells | " + ", ".join(f"{k}: {v}" for k, v in totals.items()) + " |")
    go = doc.get("go_environment")
    if go:  # the Go row (python -m joinery.gorow)
        for pkg, ver in sorted(go.get("packages", {}).items()):
            rows.append(f"| Go row: {pkg} | {_inline(ver)} |")
        for model, x_sync in sorted(go.get("x_sync", {}).items()):
            rows.append(f"| Go row: `{model}` built against | {_inline(x_sync)} |")
        runs = go.get("determinism", {}).get("runs")
        if runs:
            rows.append(f"| Go row: determinism | every Go cell identical in {runs} runs |")
    return "\n".join(rows)


def glance(conf: Conformance, page: str) -> str:
    """The home page's summary: per model and backend, how many properties held, and which not.

    Counted from the results; a failure the model is expected to have is still a
    failure here (the matrix says which are by design).
    """
    rows = [
        "| Model | Backend | ✓ held | ✗ broken | ∅ cannot express | ◐ held with help "
        "| Broken properties |",
        "|---|---|--:|--:|--:|--:|---|",
    ]
    for m, b in conf.columns(_model_order(conf, controls_first=False)):
        cells = [r for r in conf.results if r["model"] == m and r["backend"] == b]
        count = {v: sum(r["verdict"] == v for r in cells) for v in ("pass", "fail", "unsupported")}
        assisted = sum(r["verdict"] == "pass" and bool(r.get("assisted")) for r in cells)
        broken = ", ".join(
            f"[{r['property']}]({rel(page, evidence_page(m))}#{anchor(r['property'], b)})"
            for r in cells
            if r["verdict"] == "fail"
        )
        card = conf.models[m]
        tagged = conf.is_control(m) and "control" not in card["title"].lower()
        name = card["title"] + (" *(control)*" if tagged else "")
        rows.append(
            f"| {name} | {b} | {count['pass']} | {count['fail']} | {count['unsupported']} "
            f"| {assisted or '—'} | {broken or '—'} |"
        )
    # In a .jglance block a phone shows each row as a short block (joinery.css): the
    # model on a line, its counts with their icons, then what broke; no sideways scroll.
    return '<div class="jglance" markdown>\n\n' + "\n".join(rows) + "\n\n</div>"


def _findings_of(report: BenchPage) -> str:
    m = re.search(r"^## Findings\n(.*?)(?=^## |\Z)", report.markdown, flags=re.S | re.M)
    if not m:
        raise MarkerError(f"the benchmark report of {report.run.path} has no '## Findings'")
    return m.group(1).strip()


def _no_published(indent: str = "") -> str:
    return "\n".join(
        indent + line
        for line in (
            '!!! warning "No published run"',
            "",
            "    No full-profile run is committed (`benchmarks/published/full.json` does "
            "not exist), so the benchmark figures on this site are this machine's quick "
            "run, whose ratios scatter by tens of percent. To publish one: " + PUBLISH_STEPS + ".",
        )
    )


def _source_line(report: BenchPage, link: str) -> str:
    p = run_provenance(report.run)
    what = "the published run" if report.folder == PUBLISHED_DIR else "this machine's quick run"
    return (
        f"<small>From [{what}]({link}): {p.text('Profile')} profile, {p.text('Date')}, "
        f"commit {p.text('Commit')}, {p.text('Interpreter')} on {p.text('CPU')}.</small>"
    )


def bench_findings(data: SiteData, page: str) -> str:
    """The quoted run's "Findings" section, as the report generator wrote it.

    The published run's when one is committed, else this machine's quick run's, under
    a warning that says so. The sentences are computed from the run by
    ``comparisons.bench_report``; an essay that quotes costs includes them from here.
    """
    report = data.bench.quoted
    link = rel(page, report.page)
    # The report says "see ... below"; quoted on another page, below is the wrong place
    # to look: point into the report instead.
    text = re.sub(r"\bbelow\b", f"in [the report]({link})", _findings_of(report))
    out = text + "\n\n" + _source_line(report, link)
    if data.bench.published:
        return out
    how = rel(page, "benchmarks/index.md")
    return (
        '!!! warning "No published run"\n\n    No full-profile run is committed, so these '
        "findings are this machine's quick run's, whose ratios scatter by tens of percent "
        f"([what a published run is and how to make one]({how}#two-runs-the-published-one-"
        "and-this-machine-now)).\n\n" + out
    )


def bench_now(data: SiteData, page: str) -> str:
    """This machine's quick run: its findings (folded when a published run is quoted)."""
    report = data.bench.now
    link = rel(page, report.page)
    text = re.sub(r"\bbelow\b", f"in [the report]({link})", _findings_of(report))
    if data.bench.published is None:
        return "The figures above are this run's. " + _source_line(report, link)
    body = "\n".join("    " + line if line else "" for line in text.split("\n"))
    return (
        f'??? note "What this machine\'s quick run found"\n\n{body}\n\n'
        + _source_line(report, link)
        + f"\n\n[Its report]({link}) ends with every row it shares with the published "
        "run, side by side."
    )


def bench_provenance(data: SiteData, page: str) -> str:
    """The published run and this machine's run, side by side (or the plain absence)."""
    table = provenance_table(data.bench, page, rel)
    return table if data.bench.published else _no_published() + "\n\n" + table


def bench_pages(data: SiteData, page: str) -> str:
    """Links to every page of the benchmark report."""
    return "\n".join(f"- [{p.nav_title}]({rel(page, p.page)})" for p in data.bench.pages())


def bench_figures(data: SiteData, page: str, task: Task) -> str:
    """The quoted run's plots for ``task``, matched by file name, with their source."""
    if not task.figures:
        return "*No benchmark measures this task.*"
    report = data.bench.quoted
    found = [
        uri
        for uri in report.chart_uris()
        if any(word in posixpath.basename(uri).lower() for word in task.figures)
    ]
    if not found:
        raise MissingData(
            f"{report.run.path}: no plot for {task.id} (a chart whose name contains one of "
            f"{', '.join(task.figures)}). Regenerate it with: {PRODUCERS['bench']}"
        )
    charts = "\n\n".join(
        f"![{posixpath.splitext(posixpath.basename(uri))[0]}]({rel(page, uri)})" for uri in found
    )
    note = _source_line(report, rel(page, report.page))
    if data.bench.published is None:
        note += " <small>No published run is committed: these are quick-profile figures.</small>"
    return charts + "\n\n" + note


def leak_reports(data: SiteData) -> str:
    """Each real leak report in a content tab."""
    stems = list(data.leaks.reports)
    # "leak_buggy_asyncio", "leak_buggy_trio" -> tabs "asyncio", "trio".
    prefix = posixpath.commonprefix(stems) if len(stems) > 1 else ""
    prefix = prefix[: prefix.rfind("_") + 1]
    out = []
    for stem, text in data.leaks.reports.items():
        label = stem.removeprefix(prefix) or stem
        code = ""
        if label == "go":  # goleak's own report: show the Buggy() it caught, from the file
            for b in go_blocks(ROOT / "impls" / "go" / "src" / "joinery" / "buggy", "buggy"):
                title = f"{_shown_path(b.path)}:{b.first}-{b.last}"
                code += _fence(b.text, "go", f'title="{title}" linenums="{b.first}"', "    ")
                code += "\n\n"
        out.append(
            f'=== "{label}"\n\n' + code + _fence(text.rstrip("\n"), "text", "", "    ") + "\n"
        )
    # In a .jreport block, long lines wrap (joinery.css): a report is read, not scrolled.
    return '<div class="jreport" markdown>\n\n' + "\n".join(out) + "\n\n</div>"


def api(module: str) -> str:
    """The mkdocstrings directive for ``module`` (mkdocstrings fails the build if it is missing)."""
    return f"::: {module}\n    options:\n      show_root_heading: true\n"


def evidence(conf: Conformance, model: str) -> str:
    """A model's evidence page: one anchored section per verdict, with the raw observations."""
    card = conf.models[model]
    page = evidence_page(model)
    out = [
        f"# Evidence: {card['title']} (`{model}`)",
        "",
        _inline(card.get("summary", "")),
        "",
        f"Source: `{card['source'] or card['module']}` · backends: {', '.join(card['backends'])}"
        + (" · **control model: meant to fail**" if conf.is_control(model) else "")
        + (
            " · **third-party library**: a ◐ verdict is one the adapter helped with"
            if conf.kind(model) == "third-party"
            else ""
        ),
        "",
        f"[Back to the matrix]({rel(page, 'matrix.md')})",
        "",
    ]
    for r in conf.results:
        if r["model"] != model:
            continue
        prop = conf.properties[r["property"]]
        verdict, expected = r["verdict"], r["expected"]
        out += [
            f"## {r['property']} · {r['backend']} {{#{anchor(r['property'], r['backend'])}}}",
            "",
            f"> {_inline(prop['statement'])}",
            "",
            f"- **Verdict:** {_ICON[verdict]} {verdict} (expected: {expected})"
            + (" — ⚠ **does not match the expectation**" if verdict != expected else ""),
            f"- **What the observer saw:** {_inline(r['summary'])}",
        ]
        if r.get("reason"):
            out.append(f"- **Why this is expected:** {_inline(r['reason'])}")
        if r.get("assisted"):
            out.append(
                f"- **{_ASSISTED} Assisted:** the library does not do this alone; the adapter "
                f"adds: {_inline(r['assisted'])}"
            )
        out += [
            f"- **How it is observed:** {_inline(prop['observed_by'])}",
            f"- **Seed tasks:** {', '.join(prop['tasks'])}",
            "",
            '??? abstract "Evidence (the observations, as recorded)"',
            "",
            _fence(json.dumps(r["evidence"], indent=2, sort_keys=True), "json", "", "    "),
            "",
        ]
    return "\n".join(out)


_MARKER = re.compile(r"\[\[([a-z][a-z0-9-]*)((?:[ \t]+[^\]\s]+)*)[ \t]*\]\]")


def expand(markdown: str, page: str, data: SiteData) -> str:
    """Replace every ``[[marker args]]`` of a hand-written page with generated markdown.

    Raises:
        MarkerError: a marker is unknown, has wrong arguments or names data the run
            does not hold (the message names the marker and the page).
        MissingData: the marker needs a file the run did not produce.
    """
    conf = data.conformance

    def one(m: re.Match[str]) -> str:
        name, args = m.group(1), shlex.split(m.group(2))
        try:
            return _dispatch(name, args)
        except MarkerError as exc:
            raise MarkerError(f"{page}: {m.group(0)}: {exc}") from exc

    def _dispatch(name: str, args: list[str]) -> str:
        if name == "code":
            for s in args:
                if not any(s in t.scenarios for t in TASKS):
                    raise MarkerError(f"unknown scenario {s!r}")
            return code_tabs(conf, args, page)
        if name == "verdicts":
            task = _require_task(_one_arg(args))
            props = task_props(conf, task)
            if not props:
                raise MarkerError(f"the property catalogue traces no property to {task.id}")
            return task_verdicts(conf, page, props, _model_order(conf))
        if name == "verdict":
            return single_verdict(conf, page, args)
        if name == "failure":
            return single_verdict(conf, page, args, must_fail=True)
        if name == "pass":
            return single_verdict(conf, page, args, must_pass=True)
        if name == "snippet":
            return snippet(page, args)
        if name == "bench":
            return bench_figures(data, page, _require_task(_one_arg(args)))
        simple: dict[str, Callable[[], str]] = {
            "matrix": lambda: matrix(conf, page),
            "selftest": lambda: selftest(conf, page),
            "models": lambda: models_list(conf, page),
            "environment": lambda: environment(data),
            "glance": lambda: glance(conf, page),
            "provenance": lambda: provenance(data, page),
            "legend": _legend,
            "bench-pages": lambda: bench_pages(data, page),
            "bench-findings": lambda: bench_findings(data, page),
            "bench-now": lambda: bench_now(data, page),
            "bench-provenance": lambda: bench_provenance(data, page),
            "leak-reports": lambda: leak_reports(data),
            "peer-summary": lambda: peer_summary(data.build, page, rel(page, COMPAT_PAGE)),
            "aggregator-lines": lambda: aggregator_lines(conf, page),
        }
        if name == "api":
            return api(_one_arg(args))
        if name in simple:
            if args:
                raise MarkerError(f"[[{name}]] takes no arguments")
            return simple[name]()
        known = ["code", "verdicts", "verdict", "failure", "pass", "snippet", "bench", "api"]
        known += list(simple)
        raise MarkerError(f"unknown marker {name!r}; known: {', '.join(known)}")

    # Check the page as written (generated code may legitimately hold "[[").
    for candidate in re.finditer(r"\[\[[^\]\n]*\]\]", markdown):
        if not _MARKER.fullmatch(candidate.group(0)):
            raise MarkerError(f"{page}: malformed marker {candidate.group(0)!r}")
    return _MARKER.sub(one, markdown)


def _one_arg(args: list[str]) -> str:
    if len(args) != 1:
        raise MarkerError(f"expected one argument, got {args!r}")
    return args[0]
