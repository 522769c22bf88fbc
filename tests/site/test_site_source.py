"""Cutting scenario code out of a model source by AST, and counting its lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from comparisons.sitegen import count_lines, extract_scenario

SOURCE = '''\
"""A model."""
from contextlib import asynccontextmanager

LIMIT = 4


def _unused() -> None:
    pass


def _inner(x):
    return x


class _Daemon:
    def stop(self):
        return _inner(1)


@asynccontextmanager
async def flusher(interval, flush):
    """Start the daemon."""
    # why: the daemon must be joined
    yield _Daemon()


async def check_all(checks):
    return [await c() for c in checks]
'''


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "m.py"
    path.write_text(SOURCE)
    return path


def test_decorator_comments_and_helpers_are_included_transitively(model: Path) -> None:
    blocks = extract_scenario(model, "flusher")
    assert [b.name for b in blocks] == ["_inner", "_Daemon", "flusher"]
    flusher = blocks[-1]
    assert flusher.text.startswith("@asynccontextmanager")
    assert "# why: the daemon must be joined" in flusher.text
    lines = SOURCE.splitlines()
    assert flusher.text == "\n".join(lines[flusher.first - 1 : flusher.last])


def test_unrelated_definitions_are_left_out(model: Path) -> None:
    assert [b.name for b in extract_scenario(model, "check_all")] == ["check_all"]


def test_excluded_names_are_left_out(model: Path) -> None:
    names = [b.name for b in extract_scenario(model, "flusher", exclude=frozenset({"_Daemon"}))]
    assert names == ["flusher"]


def test_a_missing_scenario_or_file_is_an_error(model: Path, tmp_path: Path) -> None:
    with pytest.raises(LookupError, match="no top-level definition 'run_scope'"):
        extract_scenario(model, "run_scope")
    with pytest.raises(LookupError, match="does not exist"):
        extract_scenario(tmp_path / "none.py", "flusher")


def test_code_lines_leave_out_blanks_comments_and_docstrings() -> None:
    snippet = (
        'def f():\n    """Doc\n    string."""\n\n    # comment\n    return (1 +\n            2)\n'
    )
    assert count_lines(snippet) == (7, 3)
