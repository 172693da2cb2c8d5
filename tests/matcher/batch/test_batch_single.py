"""The published baseline run: batch = single, Parquet outputs by county, the three-posts rule, hard constraints."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

from matcher.batch.engine import BatchContext
from matcher.batch.runs import read_table, stored_result
from matcher.lookup import Lookup
from matcher.prepare import prepare_people
from matcher.reach import eligible, pair_geo, ring_of
from store import load_households, load_laborers, load_vacancies
from tests.matcher.batch.conftest import COUNTIES, TODAY, BatchCounty, latest_run


def _sample(engine, n_per_county: int = 15) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Job seekers of every county, with the people who have a shortfall or flags over-represented."""
    seekers = load_laborers(engine, wants_job=True)
    picked = [g.sample(min(n_per_county, len(g)), random_state=0) for _, g in seekers.groupby("county_code")]
    return pd.concat(picked).drop_duplicates("laborer_id")


def test_batch_equals_single_lookup(batch_env: BatchCounty) -> None:
    run = latest_run()
    assert run.run_id == batch_env.baseline
    assert run.record["status"] == "complete" and run.record["options"]["congestion"] is False
    sample = _sample(batch_env.engine)
    shortfall_ids = set(read_table(run, "shortfalls")["laborer_id"])
    extra = load_laborers(batch_env.engine, ids=sorted(shortfall_ids)[:10])
    sample = pd.concat([sample, extra]).drop_duplicates("laborer_id")
    lookup = Lookup(batch_env.engine, today=TODAY, home=batch_env.home)
    compared = with_shortfall = with_flags = 0
    for person in sample.itertuples():
        single = lookup.recommend([person.laborer_id], k=10)[0].to_json()
        stored = stored_result(run, person.laborer_id, person.county_code)
        stored.pop("run_id")
        assert stored == single, person.laborer_id
        compared += 1
        with_shortfall += single["shortfall"] is not None
        with_flags += bool(single["flags"])
    assert compared >= 40 and with_shortfall and with_flags


def test_recommend_from_run_latest_serves_the_run(batch_env: BatchCounty) -> None:
    from service.cli import app

    person = load_laborers(batch_env.engine, wants_job=True).iloc[0]
    result = CliRunner().invoke(app, ["recommend", person["laborer_id"], "--from-run", "latest", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["run_id"] == batch_env.baseline
    assert data == stored_result(latest_run(), person["laborer_id"], person["county_code"])


@pytest.mark.parametrize("part", ["suggestions", "flags", "shortfalls", "candidates", "people"])
def test_parquet_outputs_are_partitioned_by_county(batch_env: BatchCounty, part: str) -> None:
    run = latest_run()
    folders = sorted(p.name for p in (run.path / part).iterdir())
    assert folders == [f"county_code={c}" for c in COUNTIES]
    for folder in folders:
        assert [f.name for f in (run.path / part / folder).iterdir()] == ["part.parquet"]
    # Hive-partitioned: pandas and pyarrow both recover the county column from the folder names.
    frame = pd.read_parquet(run.path / part)
    table = ds.dataset(run.path / part, format="parquet", partitioning="hive").to_table()
    assert len(frame) == table.num_rows > 0
    present = set(frame["county_code"].astype(str))
    # A county without shortfalls has an empty part file; every other table has rows in every county.
    assert present <= set(COUNTIES) and (part == "shortfalls" or present == set(COUNTIES))
    people = load_laborers(batch_env.engine, wants_job=True).set_index("laborer_id")["county_code"]
    assert (frame["laborer_id"].map(people) == frame["county_code"].astype(str)).all()
    if part == "suggestions":
        assert {"laborer_id", "rank", "vacancy_id", "title", "kind", "score", "step", "reasons"} <= set(frame.columns)
        assert frame["reasons"].map(lambda r: isinstance(json.loads(r), list)).all()
    if part == "flags":
        assert set(frame["kind"]) <= {"home_based", "public_welfare", "training", "business"}


def test_every_seeker_has_three_posts_or_a_shortfall_with_a_reason(batch_env: BatchCounty) -> None:
    run = latest_run()
    seekers = load_laborers(batch_env.engine, wants_job=True)
    counts = read_table(run, "suggestions").groupby("laborer_id").size()
    short = read_table(run, "shortfalls").set_index("laborer_id")
    got = seekers["laborer_id"].map(counts).fillna(0).astype(int)
    lacking = seekers.loc[got < 3, "laborer_id"]
    assert lacking.isin(short.index).all(), sorted(set(lacking) - set(short.index))[:5]
    assert short.loc[lacking, "reason"].str.len().gt(0).all()
    assert short.loc[lacking, "reason_en"].str.len().gt(0).all()
    assert (got <= 10).all()
    assert run.record["covered_share"] == 1.0
    assert run.record["people_served"] == len(seekers)


def test_no_published_suggestion_breaks_a_hard_constraint(batch_env: BatchCounty) -> None:
    run = latest_run()
    sugg = read_table(run, "suggestions")
    engine = batch_env.engine
    from matcher.artifact import latest_path

    posts = BatchContext(str(latest_path(batch_env.home)), load_vacancies(engine), TODAY).posts
    people = prepare_people(load_laborers(engine, wants_job=True), load_households(engine))
    pi = sugg["laborer_id"].map(people.position).to_numpy(dtype=np.int64)
    pj = sugg["vacancy_id"].map(posts.position).to_numpy(dtype=np.int64)
    ring = ring_of(people, posts, pi, pj, pair_geo(people, posts, pi, pj))
    ok = eligible(people, posts, pi, pj, ring, TODAY)
    assert ok.all(), sugg.loc[~ok, ["laborer_id", "vacancy_id", "step"]].head().to_dict("records")
    assert not sugg.duplicated(["laborer_id", "vacancy_id"]).any()


def test_run_is_recorded_in_the_store(batch_env) -> None:  # type: ignore[no-untyped-def]
    """The chain's reports read the run records from the store (SQLite here, PostgreSQL in production)."""
    from store import get_engine, load_batch_runs

    runs = load_batch_runs(get_engine())
    latest = latest_run()
    row = runs.set_index("run_id").loc[latest.run_id]
    assert row["status"] == "complete"
    assert row["people"] == latest.record["people_served"] and row["suggestions"] == latest.record["suggestions"]
    assert row["covered_share"] == 1.0
