"""The command line as a new user meets it: own verdicts, reasons, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from joinery.conformance.__main__ import main

LIMITED = Path(__file__).parents[1] / "models" / "backend_limited_model.py"


def test_backend_trio_on_an_asyncio_only_model_is_an_error(capsys):
    assert main(["run", "--model", "taskgroup", "--backend", "trio"]) == 2
    err = capsys.readouterr().err
    assert "model 'taskgroup' runs on asyncio, not on trio" in err


def test_a_run_that_judges_nothing_is_an_error(capsys):
    # Every mutant named runs on asyncio only.
    code = main(["run", "--model", "broken_unbounded", "--backend", "trio", "--no-expected"])
    assert code == 2
    assert "nothing to judge" in capsys.readouterr().err


def test_per_backend_unsupported_declared_and_raised(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(
        ["run", "--model", str(LIMITED), "--property", "daemon", "--property",
         "all_errors_kept", "--no-expected", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    cells = {(r["backend"], r["property"]): r for r in json.loads(out.read_text())["results"]}
    assert cells[("asyncio", "daemon")]["verdict"] == "pass"
    assert cells[("asyncio", "all_errors_kept")]["verdict"] == "pass"
    declared, raised = cells[("trio", "daemon")], cells[("trio", "all_errors_kept")]
    assert declared["verdict"] == raised["verdict"] == "unsupported"
    assert "declared: this test model keeps no daemon on trio" in declared["summary"]
    assert "raised: this test model cannot run checks on trio" in raised["summary"]
    assert raised["evidence"]["unsupported_raised"] == [
        "raised: this test model cannot run checks on trio"
    ]
    printed = capsys.readouterr().out
    assert "backend_limited [trio] all_errors_kept: unsupported" in printed


def _own_table(tmp_path: Path, verdict: str) -> Path:
    table = tmp_path / "mine.toml"
    table.write_text(
        "[backend_limited.trio]\n"
        f'daemon = {{ verdict = "{verdict}", reason = "pinned by the user" }}\n'
    )
    return table


def test_expected_file_pins_a_third_partys_own_verdicts(tmp_path, capsys):
    args = ["run", "--model", str(LIMITED), "--property", "daemon"]
    assert main([*args, "--expected", str(_own_table(tmp_path, "unsupported"))]) == 0
    printed = capsys.readouterr().out
    assert "0 differ from mine.toml" in printed
    assert "declared: pinned by the user" in printed
    assert main([*args, "--expected", str(_own_table(tmp_path, "fail"))]) == 1
    assert "MISMATCH backend_limited [trio] daemon: expected fail" in capsys.readouterr().out


def test_a_bad_expected_file_is_named(tmp_path, capsys):
    assert main(["run", "--model", "taskgroup", "--expected", str(tmp_path / "no.toml")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('[taskgroup.asyncio]\njoin = { verdict = "maybe" }\n')
    assert main(["run", "--model", "taskgroup", "--expected", str(bad)]) == 2
    assert "verdict must be one of" in capsys.readouterr().err


def test_show_why_gives_each_non_pass_cells_reason_and_summary(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", "--model", "taskgroup", "--quiet", "--out", str(out)]) == 0
    quiet = capsys.readouterr().out
    assert "declared:" not in quiet
    assert main(["show", str(out)]) == 0
    assert "declared:" not in capsys.readouterr().out
    assert main(["show", "--why", str(out)]) == 0
    why = capsys.readouterr().out
    doc = json.loads(out.read_text())
    for r in doc["results"]:
        line = f"taskgroup [asyncio] {r['property']}: {r['verdict']}"
        if r["assisted"]:  # a pass the adapter helped with says so, and how
            assert f"{line}, assisted\n    the adapter adds: {r['assisted']}" in why
        elif r["verdict"] == "pass":
            assert f"{line}\n" not in why
        else:
            assert line in why
            assert f"declared: {r['reason']}" in why
            assert f"observed: {r['summary'].splitlines()[0]}" in why


def test_assisted_cells_are_marked_in_the_matrix_show_and_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", "--model", "quattro", "--property", "shed", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "◐" in printed and "the adapter adds: the adapter counts running jobs" in printed
    (cell,) = json.loads(out.read_text())["results"]
    assert cell["verdict"] == "pass" and cell["assisted"].startswith("the adapter counts")
    assert json.loads(out.read_text())["totals"]["assisted"] == 1
    assert main(["run", "--model", "quattro", "--property", "bound", "--out", str(out)]) == 0
    (cell,) = json.loads(out.read_text())["results"]
    assert cell["verdict"] == "pass" and cell["assisted"] is None  # the library bounds it


def test_validate_accepts_a_written_document_and_names_a_broken_one(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", "--model", "taskgroup", "--property", "join", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["validate", str(out)]) == 0
    assert "a valid joinery.conformance/2 document, 1 cells" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    doc["results"][0]["verdict"] = "maybe"
    out.write_text(json.dumps(doc))
    assert main(["validate", str(out)]) == 2
    assert "results[0].verdict: 'maybe' is not one of" in capsys.readouterr().err
    assert main(["show", str(out)]) == 2


def test_show_of_a_missing_file_says_how_to_write_it(tmp_path, capsys):
    assert main(["show", str(tmp_path / "none.json")]) == 2
    assert "write them with `run --out" in capsys.readouterr().err


def test_an_import_failure_reaches_the_user(tmp_path, capsys):
    model = tmp_path / "mine.py"
    model.write_text("import joinery_no_such_library\n")
    assert main(["run", "--model", str(model)]) == 2
    err = capsys.readouterr().err
    assert "No module named 'joinery_no_such_library'" in err


@pytest.mark.parametrize("word", ["issue 4", "issue 5", "(issue"])
def test_user_facing_errors_name_no_internal_issue_numbers(word):
    from comparisons.sitegen._data import PRODUCERS

    assert not any(word in text for text in PRODUCERS.values())


def test_a_missing_third_party_library_skips_its_row_loudly(monkeypatch, capsys):
    import joinery.models

    real = joinery.models.load_model

    def load(name):
        if name == "quattro":
            raise LookupError("model 'quattro' failed to import: ModuleNotFoundError: quattro")
        return real(name)

    monkeypatch.setattr("joinery.conformance.__main__.load_model", load)
    code = main(["run", "--no-mutants", "--property", "join", "--quiet"])
    captured = capsys.readouterr()
    assert "skipped third-party model quattro: model 'quattro' failed to import" in captured.err
    assert "aiotools [asyncio]" in captured.out and "quattro [" not in captured.out
    assert code == 0
