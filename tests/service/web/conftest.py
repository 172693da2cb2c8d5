"""The ``web`` fixture: a small two-county store served with the pages, one per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web_fixture import Web, build_web


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    yield from build_web(tmp_path_factory.mktemp("web"))
