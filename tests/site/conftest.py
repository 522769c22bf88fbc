"""Fixtures of the site's tests: fresh data in a temporary build directory, one build.

The data is produced by the real producers: the conformance CLI, a few seconds of the
benchmarks with the report generator, and the leak reports (see ``_site_build``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _site_build import build_site, give_producers_their_timeout, produce


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    give_producers_their_timeout(items)


@pytest.fixture(scope="session")
def site_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("build")
    produce(build)
    return build


@pytest.fixture(scope="session")
def built_site(site_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("site")
    result = build_site(site_data, dest)
    assert result.returncode == 0, result.stdout + result.stderr
    return dest
