"""Write the real leak report of the seed's Buggy(), once per backend, for the site.

    python comparisons/leak_report.py [--out build/reports]

writes ``leak_buggy_<backend>.txt`` for asyncio (also in debug mode, which records
where the task was created), uvloop, trio and threads: the text
:class:`joinery.leaks.LeakError` carries when the detector catches the port of ``Buggy()``
(:mod:`joinery.leaks.demo`). Every file comes from a run; nothing is typed in. Absolute
paths are shortened (``<repo>/``, ``<stdlib>/``, ``<site-packages>/``) so that the report
reads the same on any machine.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import trio
import trio.testing
import uvloop
from joinery import leaks
from joinery.leaks import demo

ROOT = Path(__file__).resolve().parent.parent


async def _asyncio_report() -> str:
    ch = demo.full_asyncio_channel()
    demo.buggy_asyncio(ch)
    try:
        await leaks.averify_none()
    except leaks.LeakError as exc:
        return str(exc)
    finally:
        demo.drain(ch)
        await leaks.averify_none()  # the freed sender ends within the retry window
    raise AssertionError("the detector missed Buggy() on asyncio")


async def _trio_report() -> str:
    tx, rx = trio.open_memory_channel[int](0)
    async with trio.open_nursery() as nursery, tx, rx:
        demo.buggy_trio(nursery, tx)
        try:
            await leaks.averify_none()
        except leaks.LeakError as exc:
            return str(exc)
        finally:
            await rx.receive()
    raise AssertionError("the detector missed Buggy() on trio")


def _thread_report() -> str:
    ch = demo.full_thread_channel()
    thread = demo.buggy_thread(ch)
    try:
        leaks.verify_none()
    except leaks.LeakError as exc:
        return str(exc)
    finally:
        demo.drain(ch)
        thread.join()
    raise AssertionError("the detector missed Buggy() on a thread")


REPORTS: dict[str, Callable[[], str]] = {
    "asyncio": lambda: asyncio.run(_asyncio_report()),
    "asyncio_debug": lambda: asyncio.run(_asyncio_report(), debug=True),  # shows creation
    "uvloop": lambda: uvloop.run(_asyncio_report()),
    "trio": lambda: trio.run(_trio_report, clock=trio.testing.MockClock(autojump_threshold=0)),
    "thread": _thread_report,
}


shorten = leaks.shorten_paths


def main(argv: list[str]) -> int:
    """Run each port of Buggy() under the detector and write its report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "reports")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for backend, make in REPORTS.items():
        path = args.out / f"leak_buggy_{backend}.txt"
        path.write_text(shorten(make()) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
