"""tests/bench imports benchmarks/ and comparisons/ from the repository root."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `python -m pytest` adds it; a bare `pytest` may not
    sys.path.insert(0, str(ROOT))
