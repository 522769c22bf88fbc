"""The pytest plugin, driven through pytester in-process.

The inner tests leak threads blocked on an Event; after each inner run, ``run`` sets
those events so that nothing outlives the outer test.
"""

from __future__ import annotations

import threading

import pytest

pytest_plugins = ["pytester"]

LEAKY = """
import threading, pytest

def leak_a_thread():
    never_set = threading.Event()
    threading.Thread(target=never_set.wait, name="buggy-sender", daemon=True).start()

def test_leaks():
    leak_a_thread()

def test_clean():
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()
"""

INI = """
[pytest]
{options}
"""


def run(pytester: pytest.Pytester, source: str, *args: str, ini: str = "") -> pytest.RunResult:
    pytester.makepyfile(test_inner=source)
    pytester.makeini(INI.format(options=ini + "\nleaks_retries = 2"))
    before = set(threading.enumerate())
    try:
        return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)
    finally:
        for thread in set(threading.enumerate()) - before:
            event = getattr(getattr(thread, "_target", None), "__self__", None)
            if isinstance(event, threading.Event):  # else an idle pool worker (trio, anyio)
                event.set()
                thread.join()


def test_off_by_default(pytester: pytest.Pytester) -> None:
    result = run(pytester, LEAKY)
    result.assert_outcomes(passed=2)


def test_per_test_ini_fails_the_leaking_test_at_teardown(pytester: pytest.Pytester) -> None:
    result = run(pytester, LEAKY, ini="leaks_per_test = true")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaks*",
            "*LeakError: found 1 leaked task(s) or thread(s) after 3 checks:*",
            "*thread 'buggy-sender': daemon thread, running*",
            "*in threading.Event.wait*",
        ]
    )


def test_command_line_overrides_ini(pytester: pytest.Pytester) -> None:
    run(pytester, LEAKY, "--leaks=test").assert_outcomes(passed=2, errors=1)
    run(pytester, LEAKY, "--leaks=off", ini="leaks_per_test = true").assert_outcomes(passed=2)


def test_marker_fixture_and_opt_out(pytester: pytest.Pytester) -> None:
    source = (
        LEAKY
        + """
@pytest.mark.no_leaks
def test_marked():
    leak_a_thread()

def test_fixture(no_leaks):
    leak_a_thread()

def test_fixture_with_ignore(no_leaks):
    from joinery import leaks
    no_leaks.ignore(leaks.ignore_name("buggy-*"))
    leak_a_thread()

@pytest.mark.no_leaks(ignore=[__import__("joinery.leaks").leaks.ignore_name("buggy-*")])
def test_marked_with_ignore():
    leak_a_thread()
"""
    )
    result = run(pytester, source)
    result.assert_outcomes(passed=6, errors=2)
    result.stdout.fnmatch_lines_random(
        ["*ERROR at teardown of test_marked *", "*ERROR at teardown of test_fixture *"]
    )
    opted_out = source.replace("def test_leaks", "@pytest.mark.allow_leaks\ndef test_leaks")
    run(pytester, opted_out, ini="leaks_per_test = true").assert_outcomes(passed=6, errors=2)


def test_ini_ignores(pytester: pytest.Pytester) -> None:
    result = run(pytester, LEAKY, ini="leaks_per_test = true\nleaks_ignore_name = buggy-*")
    result.assert_outcomes(passed=2)
    result = run(
        pytester,
        LEAKY,
        ini="leaks_per_test = true\nleaks_ignore_top = threading.Condition.wait",
    )
    result.assert_outcomes(passed=2)


def test_bad_ini_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, LEAKY, ini="leaks_per_test = true\nleaks_ignore_top = wait")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*leaks_ignore_top*not qualified*"])


def test_session_check_like_verify_test_main(pytester: pytest.Pytester) -> None:
    result = run(pytester, LEAKY, ini="leaks_session = true")
    result.assert_outcomes(passed=2)  # every test passed ...
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # ... yet the run fails
    result.stdout.fnmatch_lines(
        ["*= leaks after the session =*", "*thread 'buggy-sender'*", "*threading.Event.wait*"]
    )
    clean = run(pytester, LEAKY.replace("    leak_a_thread()", "    pass"), "--leaks=session")
    assert clean.ret == pytest.ExitCode.OK


def test_wider_fixtures_are_not_blamed_on_the_test(pytester: pytest.Pytester) -> None:
    source = """
import threading, pytest

@pytest.fixture(scope="module")
def server():
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, name="module-server")
    t.start()
    yield
    stop.set()
    t.join()

@pytest.fixture
def helper():
    stop = threading.Event()
    threading.Thread(target=stop.wait, name="forgotten-helper", daemon=True).start()
    yield  # never stopped: a leak of this test's own fixture

def test_uses_server(server):
    pass

def test_uses_helper(helper):
    pass
"""
    result = run(pytester, source, ini="leaks_per_test = true")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_uses_helper*"])
    result.stdout.no_fnmatch_line("*thread 'module-server'*")


def test_async_tests_under_anyio_are_clean(pytester: pytest.Pytester) -> None:
    source = """
import anyio, pytest

@pytest.fixture(params=["asyncio", ("asyncio", {"use_uvloop": True}), "trio"])
def anyio_backend(request):
    return request.param

@pytest.mark.anyio
async def test_work(anyio_backend):
    await anyio.to_thread.run_sync(sum, [1, 2])
    async with anyio.create_task_group() as tg:
        tg.start_soon(anyio.sleep, 0)

@pytest.mark.anyio
async def test_leaks_a_task(anyio_backend):
    if anyio_backend == "trio":
        pytest.skip("a trio test cannot leak a task past its own nursery")
    import asyncio
    asyncio.get_running_loop().create_task(asyncio.Event().wait(), name="orphan")
"""
    result = run(pytester, source, ini="leaks_per_test = true")
    result.assert_outcomes(passed=5, skipped=1, errors=2)
    result.stdout.fnmatch_lines(["*asyncio task 'orphan'*", "*asyncio.locks.Event.wait*"])
