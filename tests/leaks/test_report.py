"""comparisons/leak_report.py writes one real report per backend."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_leak_report_writes_every_backend(tmp_path: Path) -> None:
    script = runpy.run_path(str(ROOT / "comparisons" / "leak_report.py"), run_name="leak_report")
    assert script["main"](["--out", str(tmp_path)]) == 0
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [
        f"leak_buggy_{b}.txt"
        for b in sorted(["asyncio", "asyncio_debug", "uvloop", "trio", "thread"])
    ]
    for path in tmp_path.iterdir():
        text = path.read_text()
        assert text.startswith("found 1 leaked task(s) or thread(s) after 21 checks:")
        assert "'buggy-sender'" in text
        assert 'File "<repo>/impls/joinery/leaks/demo.py"' in text
        assert str(ROOT) not in text
    debug = (tmp_path / "leak_buggy_asyncio_debug.txt").read_text()
    assert "created at (most recent call last):" in debug
    assert "create_task(send()" in debug
