"""The pytest plugin: leak checks per test and per session, off until configured.

Installed with joinery (a ``pytest11`` entry point); it does nothing unless asked:

* per test, after the test *and its fixtures' teardown*, anything the test started that
  is still alive fails the test (an error at teardown, with the full report). Turn it on
  for every test with the ini option ``leaks_per_test = true`` (or ``--leaks=test``), for
  one test with ``@pytest.mark.no_leaks`` or by requesting the ``no_leaks`` fixture; turn
  it off for one test with ``@pytest.mark.allow_leaks``;
* per session, like goleak's ``VerifyTestMain``: ``leaks_session = true`` (or
  ``--leaks=session``; ``--leaks=both`` for both) checks once after the last test and,
  if anything the session started is still alive, prints the report and fails the run.

Options (ini): ``leaks_retries`` (default 20), ``leaks_max_sleep`` (seconds, 0.1),
``leaks_ignore_top``, ``leaks_ignore_any``, ``leaks_ignore_entry`` (qualified function
names, one per line) and ``leaks_ignore_name`` (name patterns). The marker takes the
same keywords as :func:`joinery.leaks.find`: ``@pytest.mark.no_leaks(ignore=[...],
retries=5)``.

Tasks that ``asyncio.run`` or anyio's runner cancelled when closing their loop during
the test (or the session) count as leaks too: they were pending when it ended, and the
runner hid them (see :func:`joinery.leaks.watch_runner_cleanup`).

Only what a test started counts: a snapshot is taken before its setup. What a wider
fixture (module, session scope) started during that setup is not blamed on the test.
The check runs after the event loop of an async test has stopped, so a task is judged
as the test left it; to give tasks time to finish on the loop's clock, call
``await joinery.leaks.averify_none()`` inside the test instead.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import pytest

from joinery.leaks._find import DEFAULT_MAX_SLEEP, DEFAULT_RETRIES, _Options, find, keep
from joinery.leaks._model import Leak, LeakError, format_report
from joinery.leaks._options import (
    Ignore,
    Snapshot,
    ignore_any_function,
    ignore_current,
    ignore_entry_function,
    ignore_name,
    ignore_top_function,
    normalise,
)
from joinery.leaks._runners import RunnerCleanupWatch
from joinery.leaks._sources import AsyncioSource


@dataclass
class _Settings:
    per_test: bool
    session: bool
    retries: int
    max_sleep: float
    ignores: tuple[Ignore, ...]


@dataclass
class _ItemState:
    before_setup: Snapshot
    watch: RunnerCleanupWatch
    after_setup: Snapshot | None = None
    wide_setup: bool = False


@dataclass
class _SessionState:
    snapshot: Snapshot | None = None
    watch: RunnerCleanupWatch | None = None
    leaks: list[Leak] = field(default_factory=list)
    attempts: int = 0
    setting_up: _ItemState | None = None


_SETTINGS = pytest.StashKey[_Settings]()
_ITEM = pytest.StashKey[_ItemState]()
_SESSION = pytest.StashKey[_SessionState]()


class LeakCheck:
    """What the ``no_leaks`` fixture returns: add ignores for the current test."""

    def __init__(self) -> None:
        self.ignores: list[Ignore] = []

    def ignore(self, *options: Any) -> None:
        """Add ignore options (as for ``find(ignore=...)``) to this test's check."""
        self.ignores.extend(normalise(options))


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ini options and ``--leaks``."""
    group = parser.getgroup("leaks", "leak checks (joinery.leaks)")
    group.addoption(
        "--leaks",
        choices=("off", "test", "session", "both"),
        default=None,
        help="check for leaked tasks and threads after each test, after the session, "
        "both, or not at all (overrides the leaks_per_test / leaks_session ini options)",
    )
    parser.addini("leaks_per_test", "check every test for leaks", type="bool", default=False)
    parser.addini("leaks_session", "check for leaks after the session", type="bool", default=False)
    parser.addini("leaks_retries", "checks after the first", default=str(DEFAULT_RETRIES))
    parser.addini(
        "leaks_max_sleep", "longest sleep between checks (s)", default=str(DEFAULT_MAX_SLEEP)
    )
    parser.addini("leaks_ignore_top", "functions leaks may be blocked in", type="linelist")
    parser.addini("leaks_ignore_any", "functions whose leaks are ignored", type="linelist")
    parser.addini("leaks_ignore_entry", "task/thread functions ignored", type="linelist")
    parser.addini("leaks_ignore_name", "task/thread name patterns ignored", type="linelist")


def pytest_configure(config: pytest.Config) -> None:
    """Read the settings (bad values fail here, naming the option) and the markers."""
    config.addinivalue_line(
        "markers",
        "no_leaks(ignore=None, retries=None, max_sleep=None): fail the test if it leaves "
        "a task or thread behind (joinery.leaks)",
    )
    config.addinivalue_line(
        "markers", "allow_leaks: exempt the test from leaks_per_test (joinery.leaks)"
    )
    mode = config.getoption("--leaks")
    per_test = bool(config.getini("leaks_per_test")) if mode is None else mode in ("test", "both")
    session = bool(config.getini("leaks_session")) if mode is None else mode in ("session", "both")
    ignores: list[Ignore] = []
    for ini, make in (
        ("leaks_ignore_top", ignore_top_function),
        ("leaks_ignore_any", ignore_any_function),
        ("leaks_ignore_entry", ignore_entry_function),
        ("leaks_ignore_name", ignore_name),
    ):
        for value in config.getini(ini):
            try:
                ignores.append(make(value))
            except ValueError as exc:
                raise pytest.UsageError(f"ini option {ini}: {exc}") from None
    config.stash[_SETTINGS] = _Settings(
        per_test=per_test,
        session=session,
        retries=_parse(config, "leaks_retries", int),
        max_sleep=_parse(config, "leaks_max_sleep", float),
        ignores=tuple(ignores),
    )


def _parse(config: pytest.Config, ini: str, kind: type[int] | type[float]) -> Any:
    raw = config.getini(ini)
    try:
        value = kind(raw)
    except ValueError:
        raise pytest.UsageError(f"ini option {ini} must be a number, got {raw!r}") from None
    if value < 0:
        raise pytest.UsageError(f"ini option {ini} must be >= 0, got {raw!r}")
    return value


@pytest.fixture
def no_leaks() -> LeakCheck:
    """Fail this test if it leaves a task or thread behind; ``.ignore(...)`` to exempt some.

    The check runs after every fixture's teardown, not when this fixture ends.
    """
    return LeakCheck()


def _enabled(item: pytest.Item) -> bool:
    if item.get_closest_marker("no_leaks") is not None:
        return True
    if "no_leaks" in getattr(item, "fixturenames", ()):
        return True
    settings = item.config.stash[_SETTINGS]
    return settings.per_test and item.get_closest_marker("allow_leaks") is None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    """Snapshot what is alive before the test's setup, and again after it."""
    if not _enabled(item):
        return (yield)
    state = _ItemState(before_setup=ignore_current(), watch=RunnerCleanupWatch().__enter__())
    item.stash[_ITEM] = state
    session = item.config.stash[_SESSION]
    session.setting_up = state
    try:
        return (yield)
    finally:
        session.setting_up = None
        state.after_setup = ignore_current()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    """Note when a test's setup starts a wider fixture, whose tasks are not the test's."""
    session = request.config.stash.get(_SESSION, None)
    state = session.setting_up if session is not None else None
    if state is not None and fixturedef.scope != "function":
        state.wide_setup = True
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, None, None]:
    """After every teardown of the test, fail it if what it started is still alive."""
    state = item.stash.get(_ITEM, None)
    if state is None:
        return (yield)
    del item.stash[_ITEM]
    try:
        result = yield
    finally:
        state.watch.__exit__(None, None, None)
    settings = item.config.stash[_SETTINGS]
    ignores: list[Any] = [state.before_setup, *settings.ignores]
    if state.wide_setup and state.after_setup is not None:
        ignores.append(state.after_setup)
    kwargs: dict[str, Any] = {"retries": settings.retries, "max_sleep": settings.max_sleep}
    marker = item.get_closest_marker("no_leaks")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError(
                f"{item.nodeid}: @pytest.mark.no_leaks takes keywords only "
                f"(ignore=, retries=, max_sleep=), got positional {marker.args!r}"
            )
        extra = dict(marker.kwargs)
        ignores.extend(normalise(extra.pop("ignore", None)))
        kwargs.update(extra)
    handle = getattr(item, "funcargs", {}).get("no_leaks")
    if isinstance(handle, LeakCheck):
        ignores.extend(handle.ignores)
    leaks = _runner_leaks(state.watch, ignores, kwargs) + find(ignore=ignores, **kwargs)
    if leaks:
        raise LeakError(leaks, attempts=kwargs["retries"] + 1)
    return result


def _runner_leaks(watch: RunnerCleanupWatch, ignores: list[Any], kwargs: Any) -> list[Leak]:
    """What an asyncio runner cancelled at close, minus machinery and ignored ones."""
    opts = _Options.build(ignores, kwargs["retries"], kwargs["max_sleep"], True)
    source = AsyncioSource()
    return [leak for leak in watch.leaks if keep(leak, source, opts)]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Snapshot what exists before the first test, when the session check is on."""
    state = _SessionState()
    if session.config.stash[_SETTINGS].session:
        state.snapshot = ignore_current()
        state.watch = RunnerCleanupWatch().__enter__()
    session.config.stash[_SESSION] = state


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if the session left anything behind (goleak's VerifyTestMain)."""
    state = session.config.stash.get(_SESSION, None)
    if state is None or state.snapshot is None:
        return
    settings = session.config.stash[_SETTINGS]
    kwargs: dict[str, Any] = {"retries": settings.retries, "max_sleep": settings.max_sleep}
    ignores: list[Any] = [state.snapshot, *settings.ignores]
    assert state.watch is not None
    state.watch.__exit__(None, None, None)
    state.leaks = _runner_leaks(state.watch, ignores, kwargs) + find(ignore=ignores, **kwargs)
    state.attempts = settings.retries + 1
    if state.leaks and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the session check's report."""
    state = config.stash.get(_SESSION, None)
    if state is None or not state.leaks:
        return
    terminalreporter.section("leaks after the session", sep="=", red=True, bold=True)
    terminalreporter.line(format_report(state.leaks, attempts=state.attempts))
