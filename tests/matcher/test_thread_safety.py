"""What a server shares between requests: one Recommender used by many threads at once.

A fresh Recommender over freshly prepared posts (every cache cold: the posts'
columns, the explanations' post facts, the employers' rates) is hit by 8
threads, each preparing its people (the normaliser's memo) and asking for
suggestions one person at a time, in its own order; every answer must equal
the single-threaded one exactly, explanations included.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import pytest

from matcher import prepare
from matcher.artifact import MatchModel, load_model
from matcher.lookup import Lookup
from matcher.pairs import EmployerStats
from matcher.prepare import People, prepare_people, prepare_posts
from matcher.recommend import Recommender
from store import load_households, load_laborers
from tests.matcher.conftest import TODAY, County

THREADS = 8
PEOPLE = 48


@pytest.fixture(scope="module")
def sample(county: County) -> tuple[MatchModel, Lookup, pd.DataFrame, pd.DataFrame]:
    model = load_model(county.model_path)
    lookup = Lookup(county.engine, model=model, today=TODAY)
    laborers = load_laborers(county.engine, wants_job=True).head(PEOPLE).reset_index(drop=True)
    households = load_households(county.engine, ids=laborers["household_id"].dropna().unique().tolist())
    return model, lookup, laborers, households


def _fresh(model: MatchModel, lookup: Lookup) -> Recommender:
    """A recommender sharing nothing lazily built with any other (new posts, new employer statistics)."""
    posts = prepare_posts(lookup.posts.frame)
    posts.vectors = lookup.posts.vectors
    employers = EmployerStats.from_json(model.employers.to_json())
    return Recommender(posts, model.ranker, employers, lookup.recommender.index, lookup.policy, TODAY)


def _person(model: MatchModel, laborers: pd.DataFrame, households: pd.DataFrame, i: int) -> People:
    people = prepare_people(laborers.iloc[[i]], households)
    people.vectors = model.encoder.transform_laborers(people.frame)
    return people


def _answer(rec: Recommender, people: People) -> dict[str, Any]:
    (result,) = rec.recommend(people, k=8)
    return result.to_json(details=True) | {"floor": result.coarse_floor, "first": result.first_floors}


def test_concurrent_requests_on_one_recommender_equal_a_single_threaded_run(
    sample: tuple[MatchModel, Lookup, pd.DataFrame, pd.DataFrame],
) -> None:
    model, lookup, laborers, households = sample
    alone = _fresh(model, lookup)
    expected = [_answer(alone, _person(model, laborers, households, i)) for i in range(len(laborers))]
    post_side = [alone.candidates_for_post(_person(model, laborers, households, 0), j, k=5) for j in range(3)]

    shared = _fresh(model, lookup)
    with prepare._MEMO_LOCK:  # the normaliser's memo cold too: threads fill it together
        prepare._MEMO.update(owner=None, skills={}, codes={})
    start = threading.Barrier(THREADS)

    def work(seed: int) -> list[tuple[int, dict[str, Any]]]:
        order = list(range(len(laborers))) * 2
        random.Random(seed).shuffle(order)
        start.wait()
        return [(i, _answer(shared, _person(model, laborers, households, i))) for i in order]

    with ThreadPoolExecutor(THREADS) as pool:
        done = list(pool.map(work, range(THREADS)))
        sides = list(
            pool.map(lambda j: shared.candidates_for_post(_person(model, laborers, households, 0), j, k=5), range(3))
        )
    assert sum(len(d) for d in done) == THREADS * 2 * len(laborers)
    for answers in done:
        for i, got in answers:
            assert got == expected[i], laborers["laborer_id"][i]
    assert sides == post_side


def test_shared_caches_are_bounded_and_rebuilt_whole(
    sample: tuple[MatchModel, Lookup, pd.DataFrame, pd.DataFrame],
) -> None:
    model, lookup, _, _ = sample
    employers = EmployerStats.from_json(model.employers.to_json())
    a, b = prepare_posts(lookup.posts.frame), prepare_posts(lookup.posts.frame)
    with ThreadPoolExecutor(THREADS) as pool:
        rates = list(pool.map(lambda n: employers.post_rates(a if n % 2 else b), range(64)))
    assert all((r == rates[0]).all() and not r.flags.writeable for r in rates)
    assert employers._cache is not None  # one entry only, for one of the two frames
    assert employers._cache[0] is a.employer or employers._cache[0] is b.employer  # keyed on the employer column
    with ThreadPoolExecutor(THREADS) as pool:
        cols = list(pool.map(lambda n: a.col(("title", "wage_unit", "county")[n % 3]), range(60)))
    assert {id(c) for c in cols} == {id(a.col(n)) for n in ("title", "wage_unit", "county")}
    assert len(a._columns) == 3
