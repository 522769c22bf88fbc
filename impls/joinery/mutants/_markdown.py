"""The report as markdown: what a site page or a pull-request comment shows.

Only reads a ``joinery.mutants/1`` document; it never runs anything, so a page built from
it says exactly what the run found.
"""

from __future__ import annotations

from typing import Any


def render_markdown(doc: dict[str, Any]) -> str:
    """Scores per model and per operator, then every survivor with its judgment and diff.

    Raises:
        ValueError: ``doc`` is not a ``joinery.mutants/1`` document.
    """
    if doc.get("schema") != "joinery.mutants/1":
        raise ValueError(f"not a joinery.mutants/1 document (schema {doc.get('schema')!r})")
    t = doc["totals"]
    out = [
        f"{t['total']} mutants of {len(doc['models'])} models, judged by the suite in "
        f"`{doc['checks']['file']}` (sha256 `{doc['checks']['sha256'][:12]}`): "
        f"{t['killed']} killed, {t['equivalent']} equivalent, {t['survived']} surviving; "
        f"score {t['score']:.1%} ({doc['wall_seconds']} s on {doc['processes']} processes).",
        "",
        "| model | backends | mutants | killed | equivalent | surviving | score |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, m in doc["models"].items():
        out.append(
            f"| {name} | {', '.join(m['backends'])} | {m['total']} | {m['killed']} | "
            f"{m['equivalent']} | {m['survived']} | {m['score']:.1%} |"
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
            cells.append(f"{o['killed']}/{o['total']}" if o else "-")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    survivors = [e for e in doc["mutants"] if e["status"] != "killed"]
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
