"""Lists that are consistent and ordered (matcher/assemble.py, the list policy of docs/policy.md).

* a list for ``k`` is the first ``k`` of the list for a larger ``k`` (a property over random people,
  posts and ``k``);
* within the person's mobility the ranking decides: the market posts listed are the best-scored ones
  of every ring the person may reach, not the nearest ring's first;
* the order separates: the ranker's score, then documented keys (ring, wage, vacancy id);
* widening beyond the market (training, home-based posts) makes three suggestions, not ``k``;
* the vectorised assembly equals the rules written out per person.

The batch's side (its stored lists equal a lookup's, and its prefix property) is in
``tests/matcher/batch/test_batch_lists.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.artifact import MatchModel, load_model
from matcher.assemble import HOME, MARKET, MIN_POSTS, SAFETY_SLOTS, TRAINING, WELFARE, assemble
from matcher.lookup import Lookup
from matcher.policy import Policy
from matcher.reach import RINGS
from matcher.recommend import Recommender
from store import load_laborers
from tests.matcher.conftest import (
    DIANTOU,
    ELECTRICIAN,
    LINYOU,
    MAFANG_A,
    MAFANG_B,
    PINGLIANG,
    QIANXIAN,
    TODAY,
    County,
    Run,
    by_id,
    encoded,
    people_frame,
    posts_frame,
)
from tests.matcher.test_reach import PROPERTY, person_rows, post_rows

# ----------------------------------------------------------------------------- k is a prefix

PREFIX_SAMPLE = st.tuples(
    st.lists(person_rows(), min_size=1, max_size=5),
    st.lists(post_rows(), min_size=1, max_size=16),
    st.integers(1, 6),
    st.integers(1, 10),
)


@PROPERTY
@given(PREFIX_SAMPLE)
def test_a_smaller_k_is_the_first_part_of_a_larger_one(run: Run, sample: tuple[Any, ...]) -> None:
    people_rows, post_rows_, small, extra = sample
    people, posts = people_frame(*people_rows), posts_frame(*post_rows_)
    short, long = by_id(run(people, posts, k=small)), by_id(run(people, posts, k=small + extra))
    for pid, result in short.items():
        first = [(r.vacancy_id, r.step, r.score) for r in result.recommendations]
        wider = [(r.vacancy_id, r.step, r.score) for r in long[pid].recommendations]
        assert first == wider[:small], (pid, small, small + extra)


# ----------------------------------------------------------------------------- the ranking decides


def _far_and_near() -> list[dict[str, Any]]:
    """Local cleaning posts paying 2,000–4,200, and welding posts paying 5,000–6,000 farther away."""
    low = {"title": "保洁员", "wage_min": 2000, "wage_max": 4200}
    high = {"title": "电焊工", "required_skills": "电焊", "wage_min": 5000, "wage_max": 6000, "lodging_provided": "是"}
    return [
        *({**low, "vacancy_id": f"village{n}", "admin_code": MAFANG_A} for n in range(4)),
        *({**low, "vacancy_id": f"town{n}", "admin_code": MAFANG_B} for n in range(3)),
        *({**low, "vacancy_id": f"county{n}", "admin_code": DIANTOU} for n in range(3)),
        *({**high, "vacancy_id": f"city{n}", "admin_code": QIANXIAN} for n in range(2)),
        *({**high, "vacancy_id": f"province{n}", "admin_code": LINYOU} for n in range(3)),
        *({**high, "vacancy_id": f"far{n}", "admin_code": PINGLIANG} for n in range(3)),
    ]


@pytest.mark.parametrize("mobility", ["county", "province", "nationwide"])
def test_within_the_mobility_the_ranking_decides(model: MatchModel, mobility: str) -> None:
    """A welder willing to go far who expects 4,600 a month is not shown only the local cleaning posts because
    the nearer rings come first: the listed market posts are the best-scored of every ring the person may
    reach, in score order."""
    people = people_frame({"mobility": mobility, "expected_wage": 4600, "skills": "电焊"})
    posts = posts_frame(*_far_and_near())
    p, q, index = encoded(model, people, posts)
    rec = Recommender(q, model.ranker, model.employers, index, Policy.default(), TODAY)
    (result,) = rec.recommend(p, k=5)
    listed = [r.vacancy_id for r in result.recommendations]
    assert len(listed) == 5
    scores = [r.score for r in result.recommendations]
    assert scores == sorted(scores, reverse=True)
    report = rec.describe_pairs(p, np.zeros(len(q), dtype=np.int64), np.arange(len(q)))
    allowed = report.ok & report.market
    unlisted = allowed & ~np.isin(q.ids, listed)
    assert allowed.sum() > 5
    # No post the person may take and that is left out scores above the weakest listed one.
    assert not unlisted.any() or report.score[unlisted].max() <= min(scores) + 1e-6
    welding = [v for v in listed if v.startswith(("city", "province", "far"))]
    if mobility == "county":
        assert not welding  # beyond the county: never
    else:
        assert len(welding) == 5, listed


def test_the_order_separates_and_follows_the_documented_keys(county: County) -> None:
    lookup = Lookup(county.engine, model=load_model(county.model_path), today=TODAY)
    seekers = load_laborers(county.engine, wants_job=True)["laborer_id"].tolist()[:400]
    results = lookup.recommend(seekers, k=10)
    posts = lookup.posts
    pairs = ties = 0
    for result in results:
        market = [r for r in result.recommendations if r.step in RINGS]
        keys = [
            (r.tier, -r.score, RINGS.index(r.step), -np.nan_to_num(posts.wage[posts.position[r.vacancy_id]], nan=-1.0),
             r.vacancy_id)
            for r in market
        ]  # fmt: skip
        assert keys == sorted(keys), result.laborer_id
        pairs += max(len(market) - 1, 0)
        ties += sum(a[:2] == b[:2] for a, b in zip(keys, keys[1:], strict=False))
    assert pairs > 1000
    assert ties / pairs < 0.01, f"{ties} of {pairs} neighbours share a score"


# ----------------------------------------------------------------------------- three, not k


def _short_reach() -> list[dict[str, Any]]:
    return [
        {"vacancy_id": "village0", "admin_code": MAFANG_A},
        {"vacancy_id": "village1", "admin_code": MAFANG_A},
        *({**ELECTRICIAN, "vacancy_id": f"electrician{n}"} for n in range(5)),
    ]


def test_training_posts_make_three_suggestions_not_k(run: Run) -> None:
    wants = {"mobility": "town", "wants_training": "是", "training_interest": "电工"}
    (result,) = run(people_frame(wants), posts_frame(*_short_reach()), k=10)
    steps = [r.step for r in result.recommendations]
    assert steps == ["village", "village", "training"], steps
    assert result.shortfall is None
    # With three market posts in reach the training step stays closed.
    posts = [*_short_reach(), {"vacancy_id": "village2", "admin_code": MAFANG_A}]
    (result,) = run(people_frame(wants), posts_frame(*posts), k=10)
    assert "training" not in {r.step for r in result.recommendations}


@pytest.mark.parametrize("k", [1, 2, 3, 4, 6, 10])
def test_the_safety_net_sits_within_the_first_three(run: Run, k: int) -> None:
    older = {"age": 58, "education": "primary", "skills": None, "mobility": "village"}
    welfare = {"kind": "public_welfare", "title": "保洁员", "openings": 1, "wage_min": 400, "wage_max": 500}
    posts = [
        *({"vacancy_id": f"village{n}", "admin_code": MAFANG_A} for n in range(5)),
        {**welfare, "vacancy_id": "welfare0", "admin_code": MAFANG_A},
        {**welfare, "vacancy_id": "welfare1", "admin_code": MAFANG_A, "title": "护林员"},
    ]
    (full,) = run(people_frame(older), posts_frame(*posts), k=10)
    steps = [r.step for r in full.recommendations]
    assert steps[1:3] == ["safety_net", "safety_net"] and steps.count("safety_net") == 2, steps
    (small,) = run(people_frame(older), posts_frame(*posts), k=k)
    assert [r.vacancy_id for r in small.recommendations] == [r.vacancy_id for r in full.recommendations][:k]


# ----------------------------------------------------------------------------- one assembly, written out


def _plain(candidates: pd.DataFrame, k: int) -> dict[int, list[int]]:
    """The list policy of docs/policy.md, person by person (indices of ``candidates``)."""
    out: dict[int, list[int]] = {}
    for person, rows in candidates.groupby("person"):
        rows = rows.assign(nwage=-rows["wage"].fillna(-1.0), nscore=-rows["score"])
        by = ["tier", "nscore", "ring", "nwage", "tie"]

        def ranked(role: int, rows: pd.DataFrame = rows, by: list[str] = by) -> list[int]:
            return rows[rows["role"] == role].sort_values(by, kind="stable").index.tolist()

        market = ranked(MARKET)
        need = max(MIN_POSTS - len(market), 0)
        extras = ranked(TRAINING)[:need]
        extras += ranked(HOME)[: need - len(extras)]
        welfare = ranked(WELFARE)[:SAFETY_SLOTS]
        sequence = market + extras
        at = min(max(MIN_POSTS - len(welfare), 0), len(sequence))
        out[int(person)] = (sequence[:at] + welfare + sequence[at:])[:k]
    return out


@pytest.mark.parametrize("seed", range(5))
def test_the_vectorised_assembly_equals_the_rules_written_out(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, n_people = 600, 40
    candidates = pd.DataFrame(
        {
            "person": rng.integers(0, n_people, n),
            "role": rng.choice([MARKET, MARKET, MARKET, TRAINING, HOME, WELFARE], n),
            "tier": rng.choice([0, 0, 0, 1, 2], n),
            "score": rng.integers(0, 5, n) / 4,  # ties on purpose
            "ring": rng.integers(0, 5, n),
            "wage": np.where(rng.random(n) < 0.2, np.nan, rng.choice([2000.0, 3000.0], n)),
            "tie": rng.permutation(n),
        }
    )
    # Some people with few market posts, so that the training and home-based steps open.
    few = rng.choice(n_people, 10, replace=False)
    drop = candidates["person"].isin(few) & (candidates["role"] == MARKET) & (rng.random(n) < 0.9)
    candidates = candidates[~drop].reset_index(drop=True)
    for k in (1, 3, 7, 25):
        got = assemble(*(candidates[c].to_numpy() for c in ("person", "role", "tier", "score", "ring", "wage", "tie")),
                       n_people, k)  # fmt: skip
        lists: dict[int, list[int]] = {}
        for i, position in zip(got.chosen.tolist(), got.position.tolist(), strict=True):
            mine = lists.setdefault(int(candidates["person"].iloc[i]), [])
            assert position == len(mine)
            mine.append(i)
        expected = {p: rows for p, rows in _plain(candidates, k).items() if rows}
        assert lists == expected, (seed, k)
