"""Fixtures of the batch tests: one small trained sample spread over three counties, and a published run.

``batch_county`` is built once per session: ``sampledata.generate`` (3,000
laborers, 300 posts of 永寿县), one household in five moved to 乾县 and one in
five to 礼泉县 (so a run has three partitions), ingested with
``matcher.ingest.ingest_file``, trained with ``matcher.artifact.train`` and
batched once with ``--full --no-congestion`` (the ``baseline`` run every test
compares with). ``batch_env`` points ``MATCHER_HOME``/``MATCHER_DATABASE_URL``
at it (read only); ``batch_copy`` gives a test a private copy of store,
artifacts and runs to change.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from matcher.artifact import train
from matcher.batch import runs as _runs
from matcher.batch.runner import BatchOptions, run_batch
from matcher.batch.runs import RunDir, read_table, runs_root
from matcher.ingest import ingest_file
from sampledata import generate
from store import get_engine, get_settings, migrate

SEED = 31
TODAY = dt.date.today()
#: Counties of the sample after the move: 永寿县 keeps most people, two neighbours get some.
COUNTIES = ("610424", "610425", "610426")
MOVED = {1: "乾县", 2: "礼泉县"}


@dataclass(frozen=True)
class BatchCounty:
    """A trained sample store with one published baseline run; ``home`` is its ``MATCHER_HOME``."""

    home: Path
    db_url: str
    engine: Engine
    files: dict[str, Path]
    baseline: str

    @property
    def runs(self) -> Path:
        return self.home / "runs"


def point_env(monkeypatch: pytest.MonkeyPatch, home: Path, db_url: str) -> None:
    monkeypatch.setenv("MATCHER_HOME", str(home))
    monkeypatch.setenv("MATCHER_DATABASE_URL", db_url)
    monkeypatch.delenv("MATCHER_POLICY", raising=False)
    get_settings.cache_clear()


def spread_households(path: Path) -> None:
    """Move whole households (by id) to two neighbouring counties; their town and village become unknown."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    number = frame["household_id"].str.extract(r"(\d+)$", expand=False).astype(int) % 5
    for rest, county in MOVED.items():
        rows = number == rest
        frame.loc[rows, "county"] = county
        frame.loc[rows, ["town", "village", "lat", "lon"]] = ""
    frame.to_csv(path, index=False)


def batch(engine: Engine, **options: Any) -> RunDir:
    """``matcher batch`` in process with ``BatchOptions(**options)`` (default ``--no-congestion``)."""
    options.setdefault("congestion", False)
    return run_batch(engine, BatchOptions(**options), today=TODAY, home=env_home())


def env_home() -> Path:
    """The data directory the test pointed the environment at (as the CLI would read it)."""
    return Path(os.environ["MATCHER_HOME"])


def latest_run(run_id: str = "latest") -> RunDir:
    """The published run ``run_id`` of the data directory the environment points at."""
    return _runs.latest_run(runs_root(env_home()), run_id)


@pytest.fixture(scope="session")
def batch_county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BatchCounty]:
    home = tmp_path_factory.mktemp("batch_county")
    summary = generate(laborers=3000, vacancies=300, seed=SEED, out=home / "sample")
    spread_households(summary.files["laborers"])
    db_url = f"sqlite:///{home / 'matcher.db'}"
    with pytest.MonkeyPatch.context() as mp:
        point_env(mp, home, db_url)
        engine = get_engine(db_url)
        migrate(engine)
        for kind in ("laborers", "vacancies", "placements"):
            taken = ingest_file(kind, summary.files[kind], engine=engine)
            assert taken.rejected == 0, taken.line()
        train(engine, home=home, seed=0)
        run = batch(engine, full=True)
        county = BatchCounty(home, db_url, engine, dict(summary.files), run.run_id)
        assert sorted(read_table(run, "people")["county_code"].unique()) == list(COUNTIES)
    get_settings.cache_clear()
    yield county


@pytest.fixture
def batch_env(batch_county: BatchCounty, monkeypatch: pytest.MonkeyPatch) -> Iterator[BatchCounty]:
    """The shared county with the environment pointing at it; tests must not change it."""
    point_env(monkeypatch, batch_county.home, batch_county.db_url)
    assert runs_root(env_home()) == batch_county.runs
    yield batch_county
    get_settings.cache_clear()


@pytest.fixture
def batch_copy(batch_county: BatchCounty, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BatchCounty]:
    """A private copy of store, artifacts and runs, with the environment pointing at it."""
    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(batch_county.home / "matcher.db") as src, sqlite3.connect(home / "matcher.db") as dst:
        src.backup(dst)
    for folder in ("artifacts", "runs"):
        shutil.copytree(batch_county.home / folder, home / folder)
    db_url = f"sqlite:///{home / 'matcher.db'}"
    point_env(monkeypatch, home, db_url)
    copy = replace(batch_county, home=home, db_url=db_url, engine=get_engine(db_url))
    yield copy
    copy.engine.dispose()
    get_settings.cache_clear()


def results(run: RunDir) -> dict[str, pd.DataFrame]:
    """A run's suggestions, flags and shortfalls, sorted so that two runs compare with ``equals``."""
    out = {}
    keys = {"suggestions": ["laborer_id", "rank"], "flags": ["laborer_id", "kind"], "shortfalls": ["laborer_id"]}
    columns = {
        "suggestions": ["laborer_id", "rank", "vacancy_id", "step", "score", "reasons", "county_code"],
        "flags": ["laborer_id", "kind", "reasons", "suggest", "county_code"],
        "shortfalls": ["laborer_id", "reason", "reason_en", "available", "county_code"],
    }
    for part, key in keys.items():
        frame = read_table(run, part)
        frame = frame[columns[part]].sort_values(key, kind="stable").reset_index(drop=True)
        if part == "suggestions":
            frame["score"] = frame["score"].round(10)
        out[part] = frame.astype({"county_code": str})
    return out


def assert_same_results(a: RunDir, b: RunDir) -> None:
    """Suggestions (ids, order, steps, scores, reasons), flags and shortfalls equal, person by person."""
    left, right = results(a), results(b)
    for part in left:
        pd.testing.assert_frame_equal(
            left[part], right[part], check_dtype=False, obj=f"{part} of {a.run_id} vs {b.run_id}"
        )
