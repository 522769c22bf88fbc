"""Evidence reads the same on every machine: no absolute paths, no memory addresses."""

from __future__ import annotations

import json
import re
import sys
import sysconfig
from pathlib import Path

import pytest
from joinery.conformance import judge
from joinery.conformance._verdict import sanitise
from joinery.models import load_model

ROOT = Path(__file__).resolve().parents[2]


def test_paths_under_known_roots_become_stand_ins():
    purelib = sysconfig.get_paths()["purelib"]
    stdlib = sysconfig.get_paths()["stdlib"]
    text = (
        f'File "{ROOT}/impls/joinery/models/bare.py", line 3\n'
        f'File "{purelib}/trio/_core/_run.py", line 9\n'
        f'File "{stdlib}/asyncio/tasks.py", line 1\n'
        'File "/somewhere/else/user_model.py", line 2'
    )
    assert sanitise(text) == (
        'File "./impls/joinery/models/bare.py", line 3\n'
        'File "<site-packages>/trio/_core/_run.py", line 9\n'
        'File "<stdlib>/asyncio/tasks.py", line 1\n'
        'File "<abs>/user_model.py", line 2'
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<Task pending coro=<f() at 0x7f3a5c2e1d40>>", "<Task pending coro=<f() at 0x…>>"),
        ("Cancelled via cancel scope 7f01a436a520", "Cancelled via cancel scope 0x…"),
        ("T6 / T8, 1/2 of 3, t=0/3", "T6 / T8, 1/2 of 3, t=0/3"),
        ("limit 16, 1000000000 calls", "limit 16, 1000000000 calls"),
    ],
)
def test_addresses_go_and_ordinary_text_stays(raw, clean):
    assert sanitise(raw) == clean


def test_keys_and_nested_values_are_sanitised():
    assert sanitise({"at 0xdeadbeef1": [("x 0x1234abcd",)]}) == {"at 0x…": [["x 0x…"]]}


@pytest.mark.parametrize(
    ("model", "backend", "prop"),
    [
        ("anyio_taskgroup", "asyncio", "cause"),  # "cancel scope <address>"
        ("gather", "asyncio", "leaves_nothing_behind"),  # await chains with file paths
        ("seed_given", "asyncio", "daemon"),
        ("quattro", "asyncio", "outer_cancel"),  # unawaited coroutines, found by the gc
    ],
)
def test_judged_evidence_holds_no_machine_specific_text(model, backend, prop):
    j = judge(load_model(model), backend, prop)
    text = json.dumps([j.summary, j.evidence])
    for prefix in {str(ROOT), sys.prefix, sys.base_prefix, str(Path.home())}:
        assert prefix not in text, prefix
    assert not re.search(r"0x[0-9a-fA-F]{5,}", text)
    assert json.dumps(judge(load_model(model), backend, prop).evidence) == json.dumps(j.evidence)
