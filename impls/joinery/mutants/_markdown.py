"""The report as markdown: what a site page or a pull-request comment shows.

Only reads a ``joinery.mutants/1`` document; it never runs anything, so a page built from
it says exactly what the run found.
"""

from __future__ import annotations

from typing import Any


def _pct(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.1%}"


def render_markdown(doc: dict[str, Any]) -> str:
    """Scores per model and per operator, then every survivor with its judgment and diff.

    Raises:
        ValueError: ``doc`` is not a ``joinery.mutants/1`` document.
    """
    if doc.get("schema") != "joinery.mutants/1":
        raise ValueError(f"not a joinery.mutants/1 document (schema {doc.get('schema')!r})")
    t = doc["totals"]
    where = doc.get("provenance") or {}
    commit = where.get("commit") or "unknown"
    dirty = where.get("uncommitted")
    out = [
        f"{t['total']} mutants of {len(doc['models'])} models, judged by the suite in "
        f"`{doc['checks']['file']}` (sha256 `{doc['checks']['sha256'][:12]}`): "
        f"{t['killed']} killed, {t['equivalent']} equivalent, {t['survived']} surviving, "
        f"{t['unsupported']} not run (their model is unsupported on this interpreter); "
        f"score {_pct(t['score'])} of the non-equivalent mutants run killed.",
        "",
        f"Run {doc['generated']} at commit `{commit[:12]}`"
        + (f" (with uncommitted changes to {', '.join(f'`{p}`' for p in dirty)})" if dirty else "")
        + f", {where.get('interpreter', 'Python ' + doc['python'])}, "
        f"{doc['wall_seconds']} s on {doc['processes']} processes.",
        "",
        "| model | backends | mutants | killed | equivalent | surviving | not run | score |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, m in doc["models"].items():
        out.append(
            f"| {name} | {', '.join(m['backends'])} | {m['total']} | {m['killed']} | "
            f"{m['equivalent']} | {m['survived']} | {m['unsupported']} | {_pct(m['score'])} |"
        )
    operators = list(doc["operators"])
    out += [
        "",
        "Killed / mutants, per operator:",
        "",
        "| model | " + " | ".join(operators) + " |",
        "| --- | " + " | ".join("---:" for _ in operators) + " |",
    ]
    for name, m in doc["models"].items():
        cells = []
        for op in operators:
            o = m["by_operator"].get(op)
            run = o["total"] - o.get("unsupported", 0) if o else 0
            cells.append(f"{o['killed']}/{run}" if o and run else "not run" if o else "-")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    per_op: dict[str, list[int]] = {}
    for m in doc["models"].values():
        for op, o in m["by_operator"].items():
            acc = per_op.setdefault(op, [0, 0, 0])
            acc[0] += o["total"] - o["unsupported"]
            acc[1] += o["killed"]
            acc[2] += o["equivalent"]
    out += [
        "",
        "Per operator, all models (mutants run):",
        "",
        "| operator | what it does | mutants | killed | equivalent | score |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for op in operators:
        if op in per_op:
            total, killed, equivalent = per_op[op]
            score = killed / (total - equivalent) if total > equivalent else 1.0
            what = doc["operators"][op].replace("|", "/")
            out.append(f"| {op} | {what} | {total} | {killed} | {equivalent} | {score:.1%} |")
    unrun = [name for name, m in doc["models"].items() if m["unsupported"]]
    if unrun:
        out += [
            "",
            f"Not run: the mutants of {', '.join(unrun)}, whose every cell is unsupported "
            f"on Python {doc['python']} (the interpreter of this run); none can be killed "
            "or judged here, and none counts in the score.",
        ]
    survivors = [e for e in doc["mutants"] if e["status"] not in ("killed", "unsupported")]
    if survivors:
        out += ["", "Every mutant the suite did not kill:", ""]
    for e in survivors:
        j = e.get("judgment")
        if j is None:
            verdict = "**not judged**"
        elif j["judgment"] == "needs property":
            verdict = f"needs a sharper `{j['property']}`: {j['why']}"
        else:
            verdict = f"{j['judgment']}: {j['why']}"
        seen = e.get("evidence_differs")
        differs = (
            "the checks saw identical evidence in every cell"
            if seen == []
            else f"evidence differs in {', '.join(seen)}"
            if seen
            else ""
        )
        out += [
            f"* `{e['id']}` {e['description']}  ",
            f"  {verdict}" + (f" ({differs})" if differs else ""),
            "",
            "    ```diff",
            *("    " + line for line in e["diff"].rstrip("\n").splitlines()),
            "    ```",
            "",
        ]
    caught = doc.get("caught_after_judgment") or []
    if caught:
        out += [
            "",
            f"Judged 'needs property' against an earlier suite and killed by its sharpened "
            f"properties now ({len(caught)}): " + ", ".join(f"`{c}`" for c in caught) + ".",
            "",
        ]
    for p in doc["problems"]:
        out.append(f"* problem: {p}")
    return "\n".join(out).rstrip("\n") + "\n"
