"""Peak RSS with many parked tasks, in a fresh process so nothing else pollutes it.

Run as ``python -m benchmarks._rss ROW FLAVOR N``: prints one JSON object with the peak
resident set size (VmHWM; ``ru_maxrss`` where there is no procfs) before and after
parking ``N`` children in one group of ``ROW`` on ``FLAVOR`` (released afterwards by
cancelling the group from outside). "Before" is after imports and a small warm-up
fan-out, so the difference is what the parked tasks cost; the peak is reported too.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

from benchmarks._drivers import FLAVORS, Flavor, make_driver
from benchmarks._rows import find_row
from benchmarks._work import Fanout


def _maxrss_kib() -> int:
    """This address space's peak resident set, KiB.

    On Linux ``ru_maxrss`` survives fork+exec: a fresh interpreter started by a 100 MiB
    pytest process starts with a 100 MiB "peak". VmHWM in /proc/self/status is the same
    high-water mark, but of this process's own address space, so it is read first.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass  # no procfs: fall back to getrusage (KiB on Linux, bytes on macOS)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(row_id: str, flavor: Flavor, n: int) -> dict[str, float]:
    """Park ``n`` children of ``row_id`` on ``flavor``; the peak RSS before and after."""
    row = find_row(row_id)
    driver = make_driver(flavor)
    try:
        warm = Fanout(driver, row, 100, release="cancel")
        driver.run(warm.arm)
        driver.run(warm.check, driver.run(warm.fire))
        fan = Fanout(driver, row, n, release="cancel")
        before = _maxrss_kib()
        driver.run(fan.arm)
        after = _maxrss_kib()
        driver.run(fan.check, driver.run(fan.fire))
    finally:
        driver.close()
    return {
        "n": n,
        "maxrss_before_kib": before,
        "maxrss_kib": after,
        "bytes_per_task": (after - before) * 1024 / n,
    }


def in_fresh_process(row_id: str, flavor: Flavor, n: int) -> dict[str, float]:
    """:func:`measure` in a new interpreter, so its peak RSS starts from nothing.

    Raises:
        RuntimeError: the subprocess failed (its stderr is in the message).
    """
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks._rss", row_id, flavor, str(n)],
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"RSS subprocess failed ({out.returncode}):\n{out.stderr}")
    got: dict[str, float] = json.loads(out.stdout)
    return got


def main(argv: list[str]) -> int:
    """Command line: ROW FLAVOR N."""
    if len(argv) != 3 or argv[1] not in FLAVORS or not argv[2].isdigit():
        print(f"usage: python -m benchmarks._rss ROW {{{'|'.join(FLAVORS)}}} N", file=sys.stderr)
        return 2
    flavor: Flavor = argv[1]  # checked against FLAVORS above
    print(json.dumps(measure(argv[0], flavor, int(argv[2]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
