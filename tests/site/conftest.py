"""Fixtures of the site's tests: fresh data in a temporary build directory, one build.

The data is produced by the real producers: the conformance CLI, a few seconds of the
benchmarks, and the leak reports (see ``_site_build``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _site_build import PUBLISHED_NAME, build_site, give_producers_their_timeout, produce


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    give_producers_their_timeout(items)


@pytest.fixture(scope="session")
def site_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("build")
    produce(build)
    return build


@pytest.fixture(scope="session")
def built_site(site_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # With a published run (the real quick run dressed as one, see _site_build).
    dest = tmp_path_factory.mktemp("site")
    result = build_site(site_data, dest, published=site_data / PUBLISHED_NAME)
    assert result.returncode == 0, result.stdout + result.stderr
    return dest


@pytest.fixture(scope="session")
def built_site_unpublished(site_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # As a fresh clone builds it before any run is committed: no published run.
    dest = tmp_path_factory.mktemp("site-unpublished")
    result = build_site(site_data, dest, published=None)
    assert result.returncode == 0, result.stdout + result.stderr
    return dest
