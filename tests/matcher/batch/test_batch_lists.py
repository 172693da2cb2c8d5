"""The nightly batch's lists: the same as a lookup's, a smaller k their first part, answers respected.

* the baseline run (``--full --no-congestion``, k = 10) stores for every job seeker the list a lookup
  gives the same day with the same model (one list policy, :mod:`matcher.assemble`);
* the batch's compute of a partition, for random people and two sizes, gives a list for the smaller
  size that is the first part of the larger one;
* a post a person answered (each outcome of the placements table, and ``declined`` as the outcomes page
  records it) leaves their stored list at the next incremental run, unless the policy's days have run
  out; a recommendation alone changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from matcher.artifact import latest_path
from matcher.batch.engine import BatchContext
from matcher.batch.runner import BatchOptions, _seekers, run_batch
from matcher.batch.runs import read_table
from matcher.lookup import Lookup
from matcher.policy import ANSWERING_OUTCOMES, Policy
from store.readers import load_vacancies_bulk
from store.schema import placements
from tests.matcher.batch.conftest import TODAY, BatchCounty, assert_same_results, env_home, latest_run


def _lists(frame: pd.DataFrame) -> dict[str, list[tuple[Any, ...]]]:
    frame = frame.sort_values(["laborer_id", "rank"], kind="stable")
    return {
        str(pid): [
            (r.vacancy_id, r.step, round(float(r.score), 10), tuple(json.loads(r.reasons))) for r in g.itertuples()
        ]
        for pid, g in frame.groupby("laborer_id", sort=False)
    }


def _live(results: list[Any]) -> dict[str, list[tuple[Any, ...]]]:
    return {
        r.laborer_id: [(x.vacancy_id, x.step, round(x.score, 10), tuple(x.reasons)) for x in r.recommendations]
        for r in results
        if r.recommendations
    }


def test_every_stored_list_is_the_lookups_list(batch_env: BatchCounty) -> None:
    """Same model, same day: the batch's stored list of every job seeker equals a lookup's, in order."""
    run = latest_run()
    assert run.record["options"]["congestion"] is False and run.record["options"]["k"] == 10
    laborers, _ = _seekers(batch_env.engine, [], Policy.default(), TODAY)
    lookup = Lookup(batch_env.engine, today=TODAY, home=batch_env.home)
    live = lookup.recommend(laborers["laborer_id"].tolist(), k=10)
    stored = _lists(read_table(run, "suggestions"))
    mine = _live(live)
    assert len(mine) > 300
    assert stored.keys() == mine.keys()
    differ = [pid for pid in mine if stored[pid] != mine[pid]]
    assert not differ, (len(differ), differ[:3])
    shortfalls = read_table(run, "shortfalls").set_index("laborer_id")["reason"].to_dict()
    assert shortfalls == {r.laborer_id: r.shortfall.reason for r in live if r.shortfall is not None}


@pytest.fixture(scope="module")
def batch_inputs(batch_county: BatchCounty) -> tuple[BatchContext, pd.DataFrame, pd.DataFrame]:
    """The batch's own context and inputs (the runner's loaders) for the baseline store."""
    laborers, households = _seekers(batch_county.engine, [], Policy.default(), TODAY)
    vacancies = load_vacancies_bulk(batch_county.engine)
    context = BatchContext(str(latest_path(batch_county.home)), vacancies, TODAY, Policy.default().to_dict())
    return context, laborers, households


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.integers(0, 10_000), st.integers(1, 8), st.integers(1, 12))
def test_the_batchs_list_for_a_smaller_k_is_the_first_part_of_a_larger_one(
    batch_inputs: tuple[BatchContext, pd.DataFrame, pd.DataFrame], seed: int, small: int, extra: int
) -> None:
    context, laborers, households = batch_inputs
    county = str(np.random.default_rng(seed).choice(sorted(laborers["county_code"].unique())))
    members = laborers[laborers["county_code"] == county]
    some = members.sample(min(60, len(members)), random_state=seed)
    short = _lists(context.run_partition(county, some, households, small).candidates)
    long = _lists(context.run_partition(county, some, households, small + extra).candidates)
    assert short.keys() == long.keys()
    for pid, rows in short.items():
        assert rows == long[pid][:small], (pid, small, small + extra)


def _answer(engine: Any, rows: list[tuple[str, str, str, dt.date]]) -> None:
    """Placements as the outcomes page writes them (straight into the table; ``declined`` included)."""
    with engine.begin() as conn:
        conn.execute(
            placements.insert(),
            [
                {"placement_id": f"T{n}", "laborer_id": pid, "vacancy_id": vid, "outcome": outcome, "date": day,
                 "source": "test", "updated_at": dt.datetime.now(), "content_hash": f"T{n}"}
                for n, (pid, vid, outcome, day) in enumerate(rows)
            ],
        )  # fmt: skip


def test_an_answered_post_leaves_the_stored_list_at_the_next_run(batch_copy: BatchCounty) -> None:
    base = latest_run()
    before = _lists(read_table(base, "suggestions"))
    long_lists = [pid for pid, rows in before.items() if len(rows) >= 6]
    outcomes = [*ANSWERING_OUTCOMES, "recommended", "declined"]
    people = long_lists[: len(outcomes)]
    # Each person's second post; the last one was declined 40 days ago and the county's policy lets a
    # declined post come back after 30 days (no other declined answer exists in the sample).
    days_back = [1] * (len(outcomes) - 1) + [40]
    answers = [
        (pid, before[pid][1][0], outcome, TODAY - dt.timedelta(days=back))
        for pid, outcome, back in zip(people, outcomes, days_back, strict=True)
    ]
    _answer(batch_copy.engine, answers)
    policy = Policy.from_overrides({"answered": {"declined": 30}})
    run = run_batch(batch_copy.engine, BatchOptions(congestion=False), today=TODAY, home=env_home(), policy=policy)
    info = run.record["incremental"]
    assert info["from_run"] == base.run_id
    # Recomputed: the people with a new answer in force (not the recommendation, not the old declined one).
    assert info["reasons"]["changed_people"] == len(outcomes) - 2
    after = _lists(read_table(run, "suggestions"))
    unchanged = {"recommended", "declined-40"}
    for (pid, vid, outcome, _), back in zip(answers, days_back, strict=True):
        posts = [row[0] for row in after[pid]]
        if f"{outcome}-{back}" in unchanged or outcome == "recommended":
            assert after[pid] == before[pid], outcome
        else:
            assert vid not in posts, outcome
            kept = {row[0] for row in before[pid]} - {vid}
            assert len(kept & set(posts)) >= len(kept) - 1, outcome
    candidates = read_table(run, "candidates")
    pairs = set(zip(candidates["laborer_id"], candidates["vacancy_id"], strict=True))
    assert not {(pid, vid) for pid, vid, _, _ in answers[: len(ANSWERING_OUTCOMES)]} & pairs
    # The night's lists are those a lookup gives the same people today.
    lookup = Lookup(batch_copy.engine, today=TODAY, home=batch_copy.home, policy=policy)
    assert {pid: after[pid] for pid in people} == _live(lookup.recommend(people, k=10))
    # And a full run with the same policy agrees with the incremental one, everyone included.
    full = run_batch(
        batch_copy.engine, BatchOptions(congestion=False, full=True), today=TODAY, home=env_home(), policy=policy
    )
    assert "incremental" not in full.record
    assert_same_results(run, full)
