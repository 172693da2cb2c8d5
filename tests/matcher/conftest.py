"""Fixtures of the matching-core tests: one small trained county, and hand-built people and posts.

``county`` generates a small sample county once per session, ingests it into
a real SQLite store (``matcher.ingest.ingest_file``) and trains the artifact
once (``matcher.artifact.train``). ``county_env`` points ``MATCHER_HOME`` and
``MATCHER_DATABASE_URL`` at it; ``county_copy`` gives a test its own copy of
store and artifact to edit.

Hand-built people and posts go through the same path as a ledger file:
``features.contract.validate_frame`` then ``features.places.attach_places``.
Places are given as administrative codes of real villages in and around
永寿县 (陕西省咸阳市), the sample county:

========== ======================= =========================================
name       place                   relation to 马坊镇 (travel by town centres)
========== ======================= =========================================
MAFANG_A   马坊镇罗家村             town-centre coordinates (precise)
MAFANG_B   马坊镇何家村             same town, another village
CHANGNING  常宁镇果纳村             6.9 km: 24 minutes, inside the half hour
QUZI       渠子镇八寨村             9.2 km: 31 minutes, just outside
DIANTOU    店头镇樊家河村           31 km, same county
JIANJUN    监军街道新永路社区       only county coordinates: administrative tree
QIANXIAN   乾县峰阳镇薛家村         other county, same prefecture, 50 minutes
LINYOU     宝鸡市麟游县常丰村       other prefecture, same province
PINGLIANG  甘肃省平凉市崆峒区       other province (village coordinates)
========== ======================= =========================================
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from features.contract import validate_frame
from features.places import attach_places
from matcher.artifact import MatchModel, load_model, train
from matcher.batch.runner import BatchOptions, run_batch
from matcher.batch.runs import RunDir
from matcher.index import VacancyIndex
from matcher.ingest import ingest_file
from matcher.policy import Policy
from matcher.prepare import People, Posts, prepare_people, prepare_posts
from matcher.recommend import PersonResult, Recommender
from sampledata import generate
from store import get_engine, get_settings, migrate

TODAY = dt.date.today()
SEED = 23

MAFANG_A = "610426105200"
MAFANG_B = "610426105201"
CHANGNING = "610426102201"
QUZI = "610426108200"
DIANTOU = "610426101200"
JIANJUN = "610426001002"
QIANXIAN = "610424108200"
LINYOU = "610329105200"
PINGLIANG = "620802001001"
#: 马坊镇's centre (GCJ-02), the coordinates its villages fall back to.
MAFANG_CENTRE = (34.78795, 108.16821)

PERSON: dict[str, Any] = {
    "gender": "male",
    "age": 35,
    "education": "junior",
    "disability": "none",
    "health": "healthy",
    "admin_code": MAFANG_A,
    "mobility": "county",
    "care_duties": "否",
    "employment_status": "unemployed",
    "wants_job": "是",
    "wants_training": "否",
    "registered_poor": "是",
    "skills": "电焊",
    "expected_wage": 3000,
}
#: A post an electrician with a certificate fits (the training-step tests: a course unlocks it).
ELECTRICIAN: dict[str, Any] = {
    "title": "电工",
    "required_skills": "电工",
    "required_certificates": "电工证",
    "admin_code": MAFANG_B,
}

POST: dict[str, Any] = {
    "employer_id": "E1",
    "kind": "enterprise",
    "title": "普工",
    "openings": 2,
    "admin_code": MAFANG_A,
    "wage_min": 2800,
    "wage_max": 3600,
    "wage_unit": "month",
    "status": "open",
}


@dataclass(frozen=True)
class County:
    """A sample county in a store with a trained artifact; ``home`` is its ``MATCHER_HOME``."""

    home: Path
    db_url: str
    engine: Engine
    model_path: Path
    files: dict[str, Path]


def env_home() -> Path:
    """The data directory the test pointed the environment at (as the CLI reads it)."""
    return Path(os.environ["MATCHER_HOME"])


def point_env(monkeypatch: pytest.MonkeyPatch, home: Path, db_url: str) -> None:
    """Point the store settings and the artifact lookup at ``home`` / ``db_url``."""
    monkeypatch.setenv("MATCHER_HOME", str(home))
    monkeypatch.setenv("MATCHER_DATABASE_URL", db_url)
    monkeypatch.delenv("MATCHER_POLICY", raising=False)
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def county(tmp_path_factory: pytest.TempPathFactory) -> County:
    """2,500 laborers and 300 posts of 永寿县, ingested into SQLite and trained once."""
    home = tmp_path_factory.mktemp("county")
    summary = generate(laborers=2500, vacancies=300, seed=SEED, out=home / "sample")
    db_url = f"sqlite:///{home / 'matcher.db'}"
    engine = get_engine(db_url)
    migrate(engine)
    for kind in ("laborers", "vacancies", "placements"):
        taken = ingest_file(kind, summary.files[kind], engine=engine)
        assert taken.rejected == 0, taken.line()
    model_path = train(engine, out=home / "artifacts", seed=0)
    return County(home, db_url, engine, model_path, dict(summary.files))


@pytest.fixture
def county_env(county: County, monkeypatch: pytest.MonkeyPatch) -> Iterator[County]:
    """The shared county with ``MATCHER_HOME``/``MATCHER_DATABASE_URL`` pointing at it (read only)."""
    point_env(monkeypatch, county.home, county.db_url)
    yield county
    get_settings.cache_clear()


@pytest.fixture
def county_copy(county: County, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[County]:
    """A private copy of the county's store and artifacts, with the environment pointing at it."""
    home = tmp_path / "home"
    home.mkdir()
    # The SQLite backup API copies committed pages wherever they sit (main file or WAL).
    with sqlite3.connect(county.home / "matcher.db") as src, sqlite3.connect(home / "matcher.db") as dst:
        src.backup(dst)
    shutil.copytree(county.home / "artifacts", home / "artifacts")
    db_url = f"sqlite:///{home / 'matcher.db'}"
    point_env(monkeypatch, home, db_url)
    copy = replace(
        county,
        home=home,
        db_url=db_url,
        engine=get_engine(db_url),
        model_path=home / "artifacts" / county.model_path.name,
    )
    yield copy
    copy.engine.dispose()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def model(county: County) -> MatchModel:
    """The trained artifact; tests must not change its index (build their own instead)."""
    return load_model(county.model_path)


def _validated(kind: str, rows: list[dict[str, Any]], today: dt.date) -> pd.DataFrame:
    checked = validate_frame(kind, pd.DataFrame(rows), first_row_number=1, today=today)
    assert not checked.rejects, [(r.column, r.value, r.reason_en) for r in checked.rejects]
    frame, _ = attach_places(checked.frame.drop(columns=["row"]))
    return frame


def people_frame(*rows: dict[str, Any], today: dt.date = TODAY) -> pd.DataFrame:
    """Validated, place-resolved laborers (store-shaped); ``PERSON`` fills what a row leaves out."""
    full = [{"laborer_id": f"P{n:03d}", "household_id": f"H{n:03d}", **PERSON, **row} for n, row in enumerate(rows, 1)]
    return _validated("laborers", full, today)


def posts_frame(*rows: dict[str, Any], today: dt.date = TODAY) -> pd.DataFrame:
    """Validated, place-resolved vacancies (store-shaped); ``POST`` fills what a row leaves out."""
    full = []
    for n, row in enumerate(rows, 1):
        post = {"vacancy_id": f"V{n:03d}", **POST, **row}
        if post["kind"] == "online" and "admin_code" not in row:
            post.pop("admin_code")
        full.append(post)
    return _validated("vacancies", full, today)


def encoded(model: MatchModel, people: pd.DataFrame, posts: pd.DataFrame) -> tuple[People, Posts, VacancyIndex]:
    """People and posts with vectors from the trained encoder, and a real faiss index of the posts."""
    p, q = prepare_people(people), prepare_posts(posts)
    p.vectors = model.encoder.transform_laborers(p.frame)
    q.vectors = model.encoder.transform_vacancies(q.frame)
    index = VacancyIndex(model.encoder.dim_, seed=0).build(q.ids.astype(str).tolist(), q.vectors)
    return p, q, index


Run = Callable[..., list[PersonResult]]


@pytest.fixture(scope="session")
def run(model: MatchModel) -> Run:
    """``run(people_df, posts_df, k=10)``: the real Recommender over hand-built frames."""

    def _run(
        people: pd.DataFrame, posts: pd.DataFrame, k: int = 10, today: dt.date = TODAY, policy: Policy | None = None
    ) -> list[PersonResult]:
        p, q, index = encoded(model, people, posts)
        rec = Recommender(q, model.ranker, model.employers, index, policy or Policy.default(), today)
        return rec.recommend(p, k=k)

    return _run


def by_id(results: list[PersonResult]) -> dict[str, PersonResult]:
    return {r.laborer_id: r for r in results}


class Published(NamedTuple):
    """A private copy of the county with one published batch run."""

    run: RunDir
    engine: Engine
    home: Path


@pytest.fixture(scope="module")
def published(county: County, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """The county's store and model copied into a private data directory, and one batch run published there."""
    home = tmp_path_factory.mktemp("report_home")
    with sqlite3.connect(county.home / "matcher.db") as src, sqlite3.connect(home / "matcher.db") as dst:
        src.backup(dst)
    shutil.copytree(county.home / "artifacts", home / "artifacts")
    engine = get_engine(f"sqlite:///{home / 'matcher.db'}")
    yield Published(run_batch(engine, BatchOptions(), home=home), engine, home)
    engine.dispose()
