"""The peer suites run under their declared table, and the table's judge can fail.

One real run of both suites (in subprocesses, ~15 s) must match expected.toml; a
table that declares one outcome wrongly and omits another must turn the run red and
``show`` must print the line that would fix it.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from joinery import task
from joinery.peer import NotMappable, _record, _table
from joinery.peer._run import SCHEMA, render
from joinery.peer._shim_asyncio import TaskGroup
from joinery.peer._shim_trio import OpenNursery

PEER = [sys.executable, "-m", "joinery.peer"]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("peer") / "peer.json"
    # Started as a shell starts a background job (CI steps, `make.py test &`): with SIGINT
    # ignored. trio's KI tests must still get their KeyboardInterrupt.
    proc = subprocess.run(
        [*PEER, "run", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    return proc.returncode, proc.stdout + proc.stderr, json.loads(out.read_text())


def test_every_outcome_is_as_declared(full_run: tuple[int, str, dict[str, Any]]) -> None:
    code, log, doc = full_run
    assert code == 0, log
    assert doc["schema"] == SCHEMA
    assert doc["mismatches"] == 0
    assert doc["versions"]["python"].startswith(f"{sys.version_info[0]}.{sys.version_info[1]}")
    assert set(doc["suites"]) == {"cpython", "trio"}
    for suite in doc["suites"].values():
        assert suite["tests"], "a suite that runs nothing proves nothing"
        for row in suite["tests"]:
            assert row["ok"] and row["declared"] in _table.OBSERVED_AS, row
            assert row["declared"] == "pass" or row["reason"], row


def test_the_runs_selection_is_the_tables(full_run: tuple[int, str, dict[str, Any]]) -> None:
    # Every test the table declares for this Python ran, and nothing else did.
    _, _, doc = full_run
    table = _table.load()
    for name, suite in doc["suites"].items():
        declared = _table.declared(table[name], sys.version_info[:2])
        assert {r["test"] for r in suite["tests"]} == set(declared)


def test_a_wrong_table_turns_the_run_red(tmp_path: Path) -> None:
    text = _table.TABLE.read_text(encoding="utf-8")
    wrong = text.replace(
        '"TestTaskGroup.test_taskgroup_01" = "pass"',
        '"TestTaskGroup.test_taskgroup_01" = { outcome = "fails", reason = "x", issue = "y" }',
    ).replace('"TestTaskGroup.test_taskgroup_02" = "pass"\n', "")
    assert wrong.count("\n") == text.count("\n") - 1
    table = tmp_path / "wrong.toml"
    table.write_text(wrong, encoding="utf-8")
    out = tmp_path / "peer.json"
    run = [*PEER, "run", "--suite", "cpython", "--table", str(table), "--out", str(out)]
    proc = subprocess.run(run, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    bad = {r["test"]: r for r in json.loads(out.read_text())["suites"]["cpython"]["tests"]}
    assert not bad["TestTaskGroup.test_taskgroup_01"]["ok"]  # declared failure that passes
    assert bad["TestTaskGroup.test_taskgroup_02"]["declared"] == "undeclared"
    show = subprocess.run([*PEER, "show", str(out)], capture_output=True, text=True)
    assert show.returncode == 1
    assert 'suggested: "TestTaskGroup.test_taskgroup_01" = "pass"' in show.stdout
    assert 'suggested: "TestTaskGroup.test_taskgroup_02" = "pass"' in show.stdout


def test_compare_is_strict() -> None:
    entries = [
        _table.Entry("s", "a", "pass"),
        _table.Entry("s", "b", "fails", "bug", pointer="10 §1.1"),
        _table.Entry("s", "c", "differs", "old", python="<3.12"),
        _table.Entry("s", "c", "pass", python=">=3.12"),
        _table.Entry("s", "d", "not_mappable", "no names"),
    ]
    observed = {
        "a": {"observed": "fail", "detail": "boom"},
        "b": {"observed": "fail", "detail": ""},
        "c": {"observed": "fail", "detail": ""},
        "e": {"observed": "pass", "detail": ""},
    }
    rows = {r["test"]: r for r in _table.compare(observed, entries, (3, 11))}
    assert [t for t, r in rows.items() if r["ok"]] == ["b", "c"]
    assert rows["d"]["observed"] == "missing" and rows["e"]["declared"] == "undeclared"
    assert not _table.compare(observed, entries, (3, 12))[2]["ok"]  # c declared pass there
    doc = {"versions": {"python": "3.11", "trio": "0"}, "mismatches": 3, "suites": {}}
    doc["suites"]["s"] = {"counts": {}, "mismatches": 3, "tests": list(rows.values())}
    shown = render(doc)
    assert 'suggested: "a" = { outcome = "differs|fails", reason = "boom"' in shown
    assert 'suggested: "e" = "pass"' in shown and '# remove "d"' in shown


@pytest.mark.parametrize(
    ("spec", "version", "admits"),
    [
        ("", (3, 11), True),
        (">=3.12", (3, 11), False),
        (">=3.12", (3, 13), True),
        (">=3.12, <3.13", (3, 13), False),
        ("==3.11", (3, 11), True),
    ],
)
def test_python_qualifiers(spec: str, version: tuple[int, int], admits: bool) -> None:
    assert _table.version_matches(spec, version) is admits


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ('"t" = "flaky"', "is not one of"),
        ('"t" = { outcome = "differs" }', "needs a reason"),
        ('"t" = { outcome = "fails", reason = "bug" }', "needs issue= or finding="),
        ('"t" = { outcome = "pass", why = "x" }', "unknown keys"),
        ('"t" = { outcome = "pass", python = "3.12+" }', "is not like '>=3.12'"),
        ('"t" = ["pass", "pass"]', "two entries apply"),
    ],
)
def test_a_malformed_table_is_refused(tmp_path: Path, line: str, complaint: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(f"[s]\n{line}\n", encoding="utf-8")
    with pytest.raises(_table.TableError, match=complaint):
        _table.declared(_table.load(path)["s"], (3, 11))


def test_the_taskgroup_shim_is_a_joinery_scope() -> None:
    # An independent look from inside a child: it runs in a joinery scope, and the
    # shim refuses (recording why) what joinery cannot express.
    seen: list[str] = []

    async def child() -> int:
        seen.append(task.tree())
        return 7

    async def main() -> int:
        async with TaskGroup() as g:
            t = g.create_task(child())
            _record.HITS.clear()
            coro = child()
            with pytest.raises(NotMappable):
                g.create_task(coro, name="x")
            assert _record.HITS == [
                "joinery.task children have no name=: a child is named after its function"
            ]
        return int(t.result())

    assert asyncio.run(main()) == 7
    assert "TaskGroup shim" in seen[0]


def test_the_nursery_shim_refuses_non_strict_groups() -> None:
    with pytest.raises(NotMappable, match="always groups"):
        OpenNursery(strict_exception_groups=False)
