"""Issue 12: interpreters found or skipped, version-qualified expectations, the versions page.

The page is rendered from real results of the running interpreter; a second "version" is
made from the same document with one cell changed, the way another interpreter's run
would differ, so that the diff machinery is exercised on data the suite really wrote.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from joinery.conformance import load_expected
from joinery.conformance.__main__ import main as conformance_main

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import make  # noqa: E402
from comparisons.sitegen import _versions  # noqa: E402

# -- make.py: which interpreters ------------------------------------------------------


def test_the_running_interpreter_comes_first_and_gets_the_main_venv() -> None:
    found, _ = make.find_interpreters()
    assert found[0].version == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert found[0].venv == make.VENV
    assert all(i.venv.name == f".venv-{i.version}" for i in found[1:])
    assert len({i.version for i in found}) == len(found)  # one per X.Y


def test_a_missing_version_is_a_line_not_a_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(make, "WANTED_PYTHONS", (*make.WANTED_PYTHONS, "3.99"))
    _, skipped = make.find_interpreters()
    assert "python 3.99: not found, skipped" in skipped


def test_an_interpreter_below_3_11_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    old = sorted(Path(sys.base_prefix).parent.glob("3.10*/bin/python3"))
    if not old:
        pytest.skip("no Python 3.10 on this machine to offer")
    monkeypatch.setattr(make, "_candidates", lambda: [Path(sys.executable), old[0]])
    found, _ = make.find_interpreters()
    assert [i.version for i in found] == [f"{sys.version_info.major}.{sys.version_info.minor}"]


def test_the_extra_venvs_pin_the_test_deps_as_the_dev_extra_does() -> None:
    pins = make._dev_pins(make.EXTRA_DEPS)
    assert any(p.startswith("pytest>=") for p in pins)
    assert any(p.startswith("pytest-timeout>=") for p in pins)
    assert not any("mkdocs" in p or "playwright" in p for p in pins)


# -- expected.toml: [python."X.Y"] overrides --------------------------------------------


def test_taskgroup_keeps_the_outside_cancellation_only_from_3_13() -> None:
    verdicts = {
        v: load_expected(python=v)[("taskgroup", "asyncio", "cancel_while_failing")].verdict
        for v in ("3.11", "3.12", "3.13")
    }
    assert verdicts == {"3.11": "fail", "3.12": "fail", "3.13": "pass"}


def test_a_star_entry_covers_every_property_of_the_version() -> None:
    on_311 = load_expected(python="3.11")
    on_312 = load_expected(python="3.12")
    eager_311 = {p: e.verdict for (m, _, p), e in on_311.items() if m == "taskgroup_eager"}
    assert set(eager_311.values()) == {"unsupported"}
    assert len(eager_311) >= 19
    assert on_312[("taskgroup_eager", "asyncio", "spawn_returns_first")].verdict == "fail"
    assert on_312[("taskgroup_eager", "asyncio", "cause")].verdict == "fail"  # inherited


def test_a_malformed_version_table_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "expected.toml"
    bad.write_text(
        '[taskgroup.asyncio]\n[python.three.taskgroup.asyncio]\njoin = {verdict="pass"}\n'
    )
    with pytest.raises(ValueError, match=r"python\.three"):
        load_expected(bad)
    bad.write_text('[python."3.13".nosuchmodel.asyncio]\njoin = {verdict="pass"}\n')
    with pytest.raises(ValueError, match="nosuchmodel"):
        load_expected(bad, python="3.13")


# -- the versions page ----------------------------------------------------------------


@pytest.fixture(scope="module")
def real_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("run") / "conformance.json"
    code = conformance_main(
        [
            "run", "--model", "taskgroup", "--model", "nursery",
            "--property", "cancel_while_failing", "--property", "spawn_after_close",
            "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    doc: dict[str, Any] = json.loads(out.read_text())
    assert doc["interpreter"]["implementation"] == "CPython"
    return doc


def _build(tmp_path: Path, docs: dict[str, dict[str, Any]], skipped: list[str]) -> Path:
    results = tmp_path / "results"
    results.mkdir(parents=True)
    found = []
    for version, doc in docs.items():
        label = f"cpython-{version}"
        (results / f"conformance-{label}.json").write_text(json.dumps(doc))
        found.append({"implementation": "cpython", "version": version, "label": label})
    index = {"found": found, "wanted": list(docs), "skipped": skipped}
    (results / "interpreters.json").write_text(json.dumps(index))
    return tmp_path


def test_agreeing_runs_say_which_cells_were_compared(
    real_doc: dict[str, Any], tmp_path: Path
) -> None:
    build = _build(tmp_path, {"3.11": real_doc, "3.12": real_doc}, [])
    page = _versions.versions_page(build)
    n = len(real_doc["results"])
    assert f"The run compared {n} cells" in page and "they all agree" in page


def test_a_differing_cell_is_shown_with_evidence_and_its_cpython_change(
    real_doc: dict[str, Any], tmp_path: Path
) -> None:
    later = copy.deepcopy(real_doc)
    (cell,) = [
        r
        for r in later["results"]
        if r["model"] == "taskgroup" and r["property"] == "cancel_while_failing"
    ]
    flipped = "pass" if cell["verdict"] == "fail" else "fail"
    cell["verdict"] = flipped
    cell["evidence"]["T2 outside cancel in the failing step"]["next_await"] = "changed"
    build = _build(tmp_path, {"3.12": real_doc, "3.13": later}, ["python 3.11: not found, skipped"])
    page = _versions.versions_page(build)
    assert "- python 3.11: not found, skipped" in page
    assert "1 differ" in page
    assert "gh-116720" in page  # the change sits between 3.12 and 3.13
    assert '"changed"' in page  # the evidence that differs, side by side
    assert '=== "3.12"' in page and '=== "3.13"' in page  # the matrix, one tab each


def test_a_change_outside_the_compared_versions_explains_nothing() -> None:
    change = _versions.CHANGES[1]  # gh-116720, 3.13
    assert change.explains("taskgroup", "cancel_while_failing", "3.12", "3.13")
    assert not change.explains("taskgroup", "cancel_while_failing", "3.11", "3.12")
    assert not change.explains("taskgroup", "join", "3.12", "3.13")


def test_a_build_without_version_results_says_so(tmp_path: Path) -> None:
    page = _versions.versions_page(tmp_path)
    assert "interpreters.json` is missing" in page


def test_a_listed_interpreter_without_results_stops_the_page(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    index = {"found": [{"version": "3.12", "label": "cpython-3.12"}], "skipped": []}
    (tmp_path / "results" / "interpreters.json").write_text(json.dumps(index))
    with pytest.raises(ValueError, match=r"conformance-cpython-3\.12\.json"):
        _versions.versions_page(tmp_path)
