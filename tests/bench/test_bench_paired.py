"""The paired-ratio command: the reference first, every row checked, bad input named."""

from __future__ import annotations

import pytest

from benchmarks._paired import render, run_paired


def test_paired_ratios_put_the_reference_first_at_one() -> None:
    results = run_paired("trio", ["direct:task.launch", "native:trio.nursery"], n=20, rounds=3)
    assert [r.row for r in results] == ["native:trio.nursery", "direct:task.launch"]
    assert results[0].ratios == (1.0, 1.0, 1.0)  # each round divided by itself
    assert len(results[1].ratios) == 3 and all(r > 0 for r in results[1].ratios)
    table = render("trio", 20, results)
    assert "| direct:task.launch |" in table and "3 rounds" in table


def test_paired_refuses_rows_that_do_not_run_there_and_bad_sizes() -> None:
    with pytest.raises(LookupError, match="does not spawn on trio"):
        run_paired("trio", ["taskgroup"], n=10, rounds=2)
    with pytest.raises(ValueError, match="rounds >= 2"):
        run_paired("asyncio", ["linear"], n=10, rounds=1)
