"""The declared outcome of every selected peer test, and the comparison with a run.

``expected.toml`` holds one table per suite; each key is a test id and its value one of::

    "test_id" = "pass"
    "test_id" = { outcome = "differs", reason = "what joinery does instead, and why" }
    "test_id" = { outcome = "not_mappable", reason = "what the shim cannot express" }
    "test_id" = { outcome = "fails", reason = "the bug", issue = "10 §1.1" }
    "test_id" = { outcome = "skipped", reason = "why the suite itself skips it here" }
    "test_id" = [ { outcome = "pass", python = "<3.12" }, { ..., python = ">=3.12" } ]

Strict, like xfail_strict: a test run but not declared, declared but not run, or
observed otherwise than declared (a declared failure that passes included) is a mismatch.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("expected.toml")

# What each declared outcome must look like in a run.
OBSERVED_AS = {
    "pass": "pass",
    "differs": "fail",
    "fails": "fail",
    "not_mappable": "not_mappable",
    "skipped": "skip",
}
_KEYS = {"outcome", "reason", "python", "issue", "finding"}


class TableError(ValueError):
    """expected.toml is malformed; the message names the entry and the mistake."""


@dataclass(frozen=True)
class Entry:
    """One declared outcome of one test (for the Python versions ``python`` admits)."""

    suite: str
    test: str
    outcome: str
    reason: str = ""
    python: str = ""
    pointer: str = ""  # the issue item or finding a ``fails`` entry is about

    def applies_to(self, version: tuple[int, int]) -> bool:
        """Whether this entry's ``python`` qualifier admits ``version`` (major, minor)."""
        return version_matches(self.python, version)


def version_matches(spec: str, version: tuple[int, int]) -> bool:
    """Whether ``version`` satisfies ``spec``: comma-separated ``>=3.12``, ``<3.13``, ``==3.11``.

    Raises:
        TableError: a clause is not an operator followed by ``major.minor``.
    """
    ops = {
        ">=": lambda a, b: a >= b,
        "<=": lambda a, b: a <= b,
        "==": lambda a, b: a == b,
        ">": lambda a, b: a > b,
        "<": lambda a, b: a < b,
    }
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        op = next((o for o in ops if clause.startswith(o)), None)
        parts = clause[len(op) :].strip().split(".") if op else []
        if op is None or len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise TableError(f"python qualifier {spec!r}: {clause!r} is not like '>=3.12'")
        if not ops[op](version, (int(parts[0]), int(parts[1]))):
            return False
    return True


def _entry(suite: str, test: str, raw: Any) -> Entry:
    where = f"expected.toml [{suite}] {test!r}"
    if isinstance(raw, str):
        raw = {"outcome": raw}
    if not isinstance(raw, dict):
        raise TableError(f"{where}: expected a string or a table, got {raw!r}")
    unknown = set(raw) - _KEYS
    if unknown:
        raise TableError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    outcome = raw.get("outcome")
    if outcome not in OBSERVED_AS:
        raise TableError(f"{where}: outcome {outcome!r} is not one of {sorted(OBSERVED_AS)}")
    reason = str(raw.get("reason", ""))
    if outcome != "pass" and not reason:
        raise TableError(f"{where}: outcome {outcome!r} needs a reason")
    pointer = str(raw.get("issue", "") or raw.get("finding", ""))
    if outcome == "fails" and not pointer:
        raise TableError(f"{where}: a 'fails' entry needs issue= or finding= (what to fix)")
    python = str(raw.get("python", ""))
    version_matches(python, (3, 11))  # validate the qualifier now, not at lookup
    return Entry(suite, test, outcome, reason, python, pointer)


def load(path: Path = TABLE) -> dict[str, list[Entry]]:
    """Every entry of the table, by suite.

    Raises:
        TableError: an entry is malformed.
    """
    with path.open("rb") as f:
        data = tomllib.load(f)
    table: dict[str, list[Entry]] = {}
    for suite, tests in data.items():
        if not isinstance(tests, dict):
            raise TableError(f"{path.name}: [{suite}] must be a table of test ids")
        entries = table.setdefault(suite, [])
        for test, raw in tests.items():
            for item in raw if isinstance(raw, list) else [raw]:
                entries.append(_entry(suite, test, item))
    return table


def declared(entries: list[Entry], version: tuple[int, int]) -> dict[str, Entry]:
    """The entries that apply to ``version``, by test id.

    Raises:
        TableError: two entries of one test both apply to ``version``.
    """
    out: dict[str, Entry] = {}
    for e in entries:
        if e.applies_to(version):
            if e.test in out:
                raise TableError(f"[{e.suite}] {e.test!r}: two entries apply to {version}")
            out[e.test] = e
    return out


def compare(
    observed: dict[str, dict[str, str]], entries: list[Entry], version: tuple[int, int]
) -> list[dict[str, Any]]:
    """One row per test, declared or observed: does the run match the table?"""
    table = declared(entries, version)
    rows = []
    for test in sorted(set(observed) | set(table)):
        obs = observed.get(test, {"observed": "missing", "detail": "declared but not run"})
        entry = table.get(test)
        rows.append(
            {
                "test": test,
                "declared": entry.outcome if entry else "undeclared",
                "observed": obs["observed"],
                "ok": entry is not None and OBSERVED_AS[entry.outcome] == obs["observed"],
                "reason": entry.reason if entry else "",
                "pointer": entry.pointer if entry else "",
                "detail": obs.get("detail", ""),
            }
        )
    return rows


def suggestion(row: dict[str, Any]) -> str:
    """The table line that would declare what was observed (to paste after review)."""
    test, observed = row["test"], row["observed"]
    detail = " ".join(row["detail"].replace('"', "'").split())  # one TOML line
    key = f'"{test}"'
    if observed == "pass":
        return f'{key} = "pass"'
    if observed == "missing":
        return f"# remove {key}: no such test in this run"
    if observed == "not_mappable":
        return f'{key} = {{ outcome = "not_mappable", reason = "{detail}" }}'
    if observed == "skip":
        return f'{key} = {{ outcome = "skipped", reason = "{detail}" }}'
    return f'{key} = {{ outcome = "differs|fails", reason = "{detail[:160]}", finding = "?" }}'
