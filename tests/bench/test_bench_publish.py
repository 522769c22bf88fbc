"""Publishing a benchmark run: what is refused, by name, and what is copied unchanged."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_bench_report import NOOPS, bench, doc

from benchmarks.__main__ import main as bench_cli
from comparisons.bench_report import load
from comparisons.bench_report._published import (
    PUBLISHED,
    PublishError,
    check,
    problems,
    provenance,
    publish,
)

ROOT = Path(__file__).resolve().parents[2]
HEAD = subprocess.run(
    ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
).stdout.strip()


def full_run() -> dict[str, Any]:
    """A run with everything a published run needs, at this repository's HEAD."""
    d = doc(*NOOPS, bench("spawn_join", "taskgroup", "asyncio", 100, 1e-3))
    d["joinery"]["profile"] = "full"
    d["machine_info"]["machine"] = "x86_64"
    d["machine_info"]["joinery"]["packages"].update(
        {"joinery": "0.1.0", "pytest-benchmark": "5.3.1", "uvloop": None}
    )
    d["commit_info"] = {"id": HEAD, "dirty": False, "time": "2026-11-27T19:00:00+00:00"}
    d["datetime"] = "2026-11-27T20:00:00.123456+00:00"
    return d


def _write(tmp_path: Path, d: dict[str, Any]) -> Path:
    path = tmp_path / "full.json"
    path.write_text(json.dumps(d))
    return path


def test_a_complete_full_run_has_no_problem() -> None:
    assert problems(full_run()) == []


def _without(d: dict[str, Any], *path: str) -> dict[str, Any]:
    d = copy.deepcopy(d)
    node = d
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return d


@pytest.mark.parametrize(
    ("path", "named"),
    [
        (("machine_info", "node"), "machine_info.node"),
        (("machine_info", "cpu"), "machine_info.cpu.brand_raw"),
        (("machine_info", "python_version"), "machine_info.python_version"),
        (("machine_info", "joinery", "cpus"), "machine_info.joinery.cpus"),
        (("machine_info", "joinery", "packages", "trio"), "no version of trio"),
        (("machine_info", "joinery", "packages", "joinery"), "no version of joinery"),
        (("commit_info", "id"), "commit_info.id"),
        (("datetime",), "no datetime"),
        (("joinery", "profile"), "no joinery.profile"),
    ],
)
def test_each_missing_field_is_named(path: tuple[str, ...], named: str) -> None:
    found = problems(_without(full_run(), *path))
    assert any(named in p for p in found), found


def test_a_quick_run_is_refused_by_profile() -> None:
    d = full_run()
    d["joinery"]["profile"] = "quick"
    (problem,) = problems(d)
    assert "profile is 'quick', not 'full'" in problem


def test_a_dirty_tree_is_refused() -> None:
    d = full_run()
    d["commit_info"]["dirty"] = True
    (problem,) = problems(d)
    assert "dirty tree" in problem


def test_a_run_outside_git_is_refused() -> None:
    d = full_run()
    d["commit_info"] = {"id": "unknown", "dirty": False, "error": "CalledProcessError(128)"}
    found = problems(d)
    assert any("not run from a git checkout" in p for p in found)
    assert any("not a 40-digit commit id" in p for p in found)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    d = full_run()
    d["joinery"]["profile"] = "smoke"
    d["commit_info"]["dirty"] = True
    with pytest.raises(PublishError) as exc:
        check(_write(tmp_path, d))
    assert "'smoke'" in str(exc.value) and "dirty tree" in str(exc.value)


def test_publish_copies_the_run_unchanged(tmp_path: Path) -> None:
    src = _write(tmp_path, full_run())
    dest = tmp_path / "published" / "full.json"
    run = publish(src, dest, ROOT)
    assert dest.read_bytes() == src.read_bytes()
    assert run.commit["id"] == HEAD


def test_publish_refuses_a_commit_this_repository_does_not_have(tmp_path: Path) -> None:
    d = full_run()
    d["commit_info"]["id"] = "0" * 40
    dest = tmp_path / "out.json"
    with pytest.raises(PublishError, match="not in the history"):
        publish(_write(tmp_path, d), dest, ROOT)
    assert not dest.exists()


def test_the_command_refuses_a_quick_run_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = full_run()
    d["joinery"]["profile"] = "quick"
    dest = tmp_path / "published.json"
    code = bench_cli(["publish", str(_write(tmp_path, d)), "--to", str(dest)])
    assert code == 1
    assert "refused" in capsys.readouterr().err
    assert not dest.exists()


def test_the_command_publishes_and_prints_the_provenance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "published.json"
    code = bench_cli(["publish", str(_write(tmp_path, full_run())), "--to", str(dest)])
    out = capsys.readouterr().out
    assert code == 0 and dest.is_file()
    assert f"Commit: {HEAD[:12]}" in out and "CPU: Test CPU" in out
    assert "Date: 2026-11-27 20:00 UTC" in out


def test_the_command_names_a_missing_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = bench_cli(["publish", str(tmp_path / "nope.json"), "--to", str(tmp_path / "x")])
    assert code == 1 and "no such file" in capsys.readouterr().err


def test_provenance_shows_what_the_run_recorded(tmp_path: Path) -> None:
    d = full_run()
    d["commit_info"]["dirty"] = True
    rows = dict(provenance(load(_write(tmp_path, d))).rows)
    assert rows["Profile"] == "full"
    assert rows["Date"] == "2026-11-27 20:00 UTC"
    assert rows["Commit"] == f"{HEAD[:12]} (dirty tree)"
    assert rows["Interpreter"] == "CPython 3.11.7"
    assert rows["CPU"] == "Test CPU" and rows["CPUs"] == "2"
    assert "trio 0.35.0" in rows["Libraries"] and "not installed: uvloop" in rows["Libraries"]


def test_the_published_path_is_committed_in_the_repository_tree() -> None:
    # The site reads it from here; the path is relative to the root, in benchmarks/.
    assert PUBLISHED == ROOT / "benchmarks" / "published" / "full.json"
