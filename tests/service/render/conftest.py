"""Fixtures of the rendering tests: the trained sample county of ``tests/matcher/conftest.py`` and a published run.

``published`` copies the county's store and artifact into a private
``MATCHER_HOME`` and runs ``run_batch`` once per module.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy.engine import Engine

from matcher.batch.runner import BatchOptions, run_batch
from matcher.batch.runs import RunDir
from store import get_engine, get_settings
from tests.matcher.conftest import county, county_copy  # noqa: F401 - the trained sample county, reused


class Published(NamedTuple):
    run: RunDir
    engine: Engine
    home: Path


@pytest.fixture(scope="module")
def published(county, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:  # type: ignore[no-untyped-def]  # noqa: F811
    home = tmp_path_factory.mktemp("report_home")
    with sqlite3.connect(county.home / "matcher.db") as src, sqlite3.connect(home / "matcher.db") as dst:
        src.backup(dst)
    shutil.copytree(county.home / "artifacts", home / "artifacts")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCHER_HOME", str(home))
        mp.setenv("MATCHER_DATABASE_URL", f"sqlite:///{home / 'matcher.db'}")
        mp.delenv("MATCHER_POLICY", raising=False)
        get_settings.cache_clear()
        engine = get_engine()
        run = run_batch(engine, BatchOptions(), home=home)
        yield Published(run, engine, home)
        engine.dispose()
    get_settings.cache_clear()
