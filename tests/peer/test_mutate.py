"""The mutation machinery on a tiny project: killed, survived and equivalent all reported.

Runs ``python -m joinery.peer mutate`` for real (cosmic-ray finds and applies the
mutants, pytest runs in a copy per worker) on a two-function module, so the command
cannot rot while joinery.task is too slow to mutate in the test command.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("cosmic_ray")

MODULE = """\
from __future__ import annotations


def clamp(x: int, hi: int | None) -> int:
    if hi is not None and x > hi:
        return hi
    return x


def untested() -> int:
    return 1 + 1
"""

TESTS = """\
from tiny import clamp


def test_clamp() -> None:
    assert clamp(5, 3) == 3
    assert clamp(1, 3) == 1
"""

PYPROJECT = """\
[tool.joinery.mutation]
paths = ["impls/tiny"]
tests = ["tests"]
pytest-args = ["-q", "-p", "no:joinery_leaks"]
equivalents = "equivalents.toml"
operators = ["Gt_GtE", "Gt_Lt", "Add_Sub", "BitOr_BitXor"]
"""

EQUIVALENTS = """\
[[mutant]]
file = "impls/tiny/__init__.py"
operator = "core/ReplaceComparisonOperator_Gt_GtE"
before = "if hi is not None and x > hi:"
after = "if hi is not None and x >= hi:"
reason = "at x == hi both branches return the same int"
"""


def test_mutate_reports_killed_survived_and_equivalent(tmp_path: Path) -> None:
    (tmp_path / "impls" / "tiny").mkdir(parents=True)
    (tmp_path / "impls" / "tiny" / "__init__.py").write_text(MODULE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_tiny.py").write_text(TESTS)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "equivalents.toml").write_text(EQUIVALENTS)
    out = tmp_path / "mutation.json"
    cmd = [sys.executable, "-m", "joinery.peer", "mutate", "--root", str(tmp_path)]
    proc = subprocess.run(
        [*cmd, "--all", "--workers", "2", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a survivor fails the run
    doc = json.loads(out.read_text())
    status = {r["operator"].removeprefix("core/"): r["status"] for r in doc["results"]}
    assert status == {
        "ReplaceComparisonOperator_Gt_GtE": "equivalent",
        "ReplaceComparisonOperator_Gt_Lt": "killed: tests failed",
        "ReplaceComparisonOperator_Gt_LtE": "killed: tests failed",
        "ReplaceBinaryOperator_Add_Sub": "survived",
    }
    assert doc["in_annotations"] >= 1  # `int | None` is never mutated
    assert (doc["killed"], doc["survived"], doc["equivalent"]) == (2, 1, 1)
    assert doc["score"] == pytest.approx(2 / 3, abs=1e-3)
    assert "survived: impls/tiny/__init__.py:11" in proc.stdout
    assert "return 1 + 1  ->  return 1 - 1" in proc.stdout
    # The project itself was never mutated: the workers ran on copies.
    assert (tmp_path / "impls" / "tiny" / "__init__.py").read_text() == MODULE


def test_rejudge_moves_listed_survivors_to_equivalent() -> None:
    from joinery.peer._mutate import rejudge, report

    def result(status: str, after: str) -> dict[str, object]:
        return {"file": "f.py", "operator": "op", "before": "a", "after": after, "status": status}

    results = [result("killed: tests failed", "b"), result("survived", "c")]
    results.append(result("survived", "d"))
    doc = report(results, baseline=1.0, seconds=2.0, workers=1)
    doc["population"] = 9
    assert (doc["killed"], doc["survived"], doc["score"]) == (1, 2, pytest.approx(1 / 3, abs=1e-3))
    assert rejudge(doc, {("f.py", "op", "a", "c"): "same behaviour"}) == 1
    assert (doc["survived"], doc["equivalent"], doc["population"]) == (1, 1, 9)
    assert doc["score"] == 0.5
