"""Task 4 as a reader writes it: tests that fail when the port of ``Buggy()`` leaks.

The site's Task 4 page shows these two tests, cut from this file at build time, next to
the detector's reports: what is on the page is what runs in the test command.
"""

from __future__ import annotations

import asyncio

import pytest
from joinery import leaks
from joinery.leaks import demo

pytest_plugins = ["pytester"]


def test_verify_none_catches_buggy() -> None:
    async def main() -> None:
        ch = demo.full_asyncio_channel()
        before = leaks.ignore_current()
        demo.buggy_asyncio(ch)  # starts a sender that blocks for ever, and returns
        with pytest.raises(leaks.LeakError, match="buggy-sender"):
            await leaks.averify_none(ignore=[before], retries=2)
        ch.get_nowait()  # read the channel: the sender finishes, nothing is left behind
        await leaks.averify_none(ignore=[before])

    asyncio.run(main())


BUGGY_TEST = """
import asyncio

import pytest

from joinery.leaks import demo


async def serve() -> None:
    demo.buggy_asyncio()  # the bug: a sender nobody reads, never joined


@pytest.mark.no_leaks(retries=2)
def test_serve() -> None:
    asyncio.run(serve())  # passes without the plugin: asyncio.run hides the leak
"""


def test_the_plugin_fails_a_test_that_leaks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=BUGGY_TEST)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    # asyncio.run cancelled the sender when it closed its loop; the plugin still saw it.
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*buggy-sender*"])
