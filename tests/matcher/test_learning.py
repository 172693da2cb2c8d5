"""Learning from every outcome: funnel weights, the prior's place, history as evidence, out-of-fold pull."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.answered import attach_answers
from matcher.artifact import PRIOR_STRENGTH, MatchModel, fit_ranker
from matcher.evidence import HISTORY_FEATURES, Evidence, history_features
from matcher.explain import describe, history_of
from matcher.pairs import FEATURES, EmployerStats, PairSkills, PostSkills, pair_features, skill_match
from matcher.policy import Policy
from matcher.prepare import prepare_people, prepare_posts
from matcher.reach import pair_geo
from matcher.recommend import Recommender
from matcher.training import (
    HALF_LIFE_DAYS,
    NEGATIVE_WEIGHTS,
    POSITIVE_WEIGHTS,
    fit_employers,
    interactions,
    training_table,
)
from store import load_households, load_laborers, load_placements, load_vacancies
from tests.matcher.conftest import MAFANG_B, TODAY, County, people_frame, posts_frame

DAY = dt.date(2026, 6, 1)


def _funnel(person: str, post: str, *steps: tuple[str, dt.date]) -> list[dict[str, object]]:
    return [{"laborer_id": person, "vacancy_id": post, "outcome": o, "date": d.isoformat()} for o, d in steps]


@pytest.fixture(scope="module")
def small() -> tuple[object, object]:
    people = prepare_people(people_frame(*({} for _ in range(8))))
    posts = prepare_posts(
        posts_frame(*({"title": t} for t in ("普工", "电工", "焊工", "保洁员", "厨师", "保安员", "司机")))
    )
    return people, posts


def test_funnel_weights_follow_the_stages_and_the_endings(small: tuple[object, object]) -> None:
    people, posts = small
    d = DAY
    rows = [
        *_funnel("P001", "V001", ("recommended", d)),
        *_funnel("P002", "V001", ("recommended", d), ("applied", d)),
        *_funnel("P003", "V001", ("applied", d), ("interviewed", d)),
        *_funnel("P004", "V001", ("applied", d), ("interviewed", d), ("hired", d)),
        *_funnel("P005", "V001", ("hired", d), ("retained_6m", d)),
        *_funnel("P006", "V001", ("applied", d), ("rejected", d)),
        *_funnel("P007", "V001", ("hired", d), ("quit", d)),
        # The same application a year before the history's latest date.
        *_funnel("P008", "V002", ("applied", d - dt.timedelta(days=int(HALF_LIFE_DAYS)))),
    ]
    h = interactions(pd.DataFrame(rows), people, posts).set_index("pi")
    at = {f"P00{k}": people.position[f"P00{k}"] for k in range(1, 9)}
    w = [h.loc[at[p], "w_pos"] for p in ("P001", "P002", "P003", "P004", "P005")]
    assert w == sorted(w) and len(set(w)) == 5  # recommended < applied < interviewed < hired < retained
    assert w[0] == POSITIVE_WEIGHTS["recommended"] and w[-1] == POSITIVE_WEIGHTS["retained_6m"]
    # A rejected application counts for (applied) and against (rejected); a hire that ended in a quit too.
    assert h.loc[at["P006"], "stage"] == "applied" and h.loc[at["P006"], "w_neg"] == NEGATIVE_WEIGHTS["rejected"]
    assert h.loc[at["P007"], "stage"] == "hired" and h.loc[at["P007"], "w_neg"] == NEGATIVE_WEIGHTS["quit"]
    assert h.loc[at["P002"], "w_neg"] == 0.0
    assert h.loc[at["P008"], "w_pos"] == pytest.approx(POSITIVE_WEIGHTS["applied"] / 2)
    assert h.loc[at["P007"], "hired"] and not h.loc[at["P006"], "hired"]


def _store_frames(county: County) -> tuple[object, object, pd.DataFrame]:
    people = prepare_people(load_laborers(county.engine), load_households(county.engine))
    posts = prepare_posts(load_vacancies(county.engine))
    return people, posts, load_placements(county.engine)


def test_applications_without_a_hire_teach_the_ranker(county: County, model: MatchModel) -> None:
    people, posts, placements = _store_frames(county)
    no_hires = placements[~placements["outcome"].isin(["hired", "retained_6m", "quit"])]
    ranker, employers, info = fit_ranker(people, posts, no_hires, seed=0)
    assert info["ranker"] == "gbdt" and not getattr(ranker, "is_prior", False)
    assert info["history_hires"] == 0
    learned = info["learned_from"]
    assert learned["applied"] > 0 and learned["interviewed"] > 0 and "hired" not in learned
    assert learned["ended_rejected"] > 0
    # Without hires the probabilities are of a response, and the summary says so.
    assert info["probability_of"] == "response"
    assert 0 < info["prior_share"] < 0.2
    # ... and every suggestion says what its percentage is: a response, not a hire.
    people.vectors = model.encoder.transform_laborers(people.frame)
    posts.vectors = model.encoder.transform_vacancies(posts.frame)
    rec = Recommender(posts, ranker, employers, model.index, Policy.default(), TODAY)
    seekers = np.flatnonzero(people.frame["wants_job"].to_numpy(dtype=bool))[:20]
    reasons = [r for res in rec.recommend(people, rows=seekers, k=5) for s in res.recommendations for r in s.reasons]
    assert any("应聘可能性" in r for r in reasons) and not any("录用可能性" in r for r in reasons)


def test_the_prior_only_without_any_answer(county: County) -> None:
    people, posts, placements = _store_frames(county)
    ranker, _, info = fit_ranker(people, posts, placements.iloc[:0], seed=0)
    assert ranker.is_prior and "no outcome" in info["why_prior"]
    # People who declined every post pushed to them: nothing they wanted, only refusals.
    refusals = placements[placements["outcome"] == "recommended"].assign(outcome="declined")
    ranker, _, info = fit_ranker(people, posts, refusals, seed=0)
    assert ranker.is_prior and "only refusals" in info["why_prior"]


def test_a_thin_history_leans_on_the_prior(county: County) -> None:
    people, posts, placements = _store_frames(county)
    applied = placements[placements["outcome"] == "applied"]
    few = placements[placements["laborer_id"].isin(applied["laborer_id"].unique()[:5])]
    _, _, thin = fit_ranker(people, posts, few, seed=0)
    _, _, rich = fit_ranker(people, posts, placements, seed=0)
    assert thin["ranker"] == rich["ranker"] == "gbdt"
    assert thin["prior_share"] > 0.5 > 0.1 > rich["prior_share"]
    assert thin["prior_share"] == pytest.approx(PRIOR_STRENGTH / (PRIOR_STRENGTH + thin["positive_weight"]), abs=1e-3)


def test_a_posts_pull_in_training_never_counts_the_row_itself(county: County) -> None:
    people, posts, placements = _store_frames(county)
    history = interactions(placements, people, posts)
    turned = history[history["turned"]]
    alone = turned.groupby("pj")["pi"].transform("nunique") == 1
    assert alone.any()
    only = turned[alone].iloc[0]
    table = training_table(
        people, posts, history, PairSkills.build(people, posts), fit_employers(history, people, posts)
    )
    row = np.flatnonzero((table.pi == only["pi"]) & (table.pj == only["pj"]) & table.y)
    assert len(row) == 1
    # Serving counts this person's own answer; the training row does not (it comes from the other folds).
    served = fit_employers(history, people, posts).post_rates(posts)[int(only["pj"]), 5]
    assert served > 0 and table.X[row[0], FEATURES.index("post_pull")] == 0.0


def test_a_persons_answers_shape_what_is_suggested(small: tuple[object, object]) -> None:
    """A person with no skills who applied to an electrician post: another electrician post now carries
    the history's evidence, a cleaner's post does not, and the post itself is never its own evidence."""
    people = prepare_people(people_frame({"skills": ""}, {"skills": ""}))
    posts = prepare_posts(
        posts_frame(
            {"title": "电工", "employer_id": "E1", "occupation_code": "6-31-01-03"},
            {"title": "电工", "employer_id": "E2", "admin_code": MAFANG_B, "occupation_code": "6-31-01-03"},
            {"title": "保洁员", "employer_id": "E1", "admin_code": MAFANG_B, "occupation_code": "4-09-08-01"},
        )
    )
    attach_answers(people, {"P001": (("V001", "applied", DAY.toordinal()),)})
    pi = np.array([0, 0, 0, 1, 1], dtype=np.int64)
    pj = np.array([1, 2, 0, 1, 2], dtype=np.int64)
    skills = PairSkills.build(people, posts)
    X = pair_features(people, posts, pi, pj, pair_geo(people, posts, pi, pj), skills, EmployerStats())
    col = {name: FEATURES.index(name) for name in HISTORY_FEATURES}
    electrician, cleaner, itself, other_person = X[0], X[1], X[2], X[3]
    assert electrician[col["history_occupation"]] == 1.0
    assert cleaner[col["history_occupation"]] < 1.0
    assert cleaner[col["history_employer"]] == 1.0 and electrician[col["history_employer"]] == 0.0
    assert electrician[col["history_posts"]] > 0
    assert not itself[[col[c] for c in HISTORY_FEATURES]].any()
    assert not other_person[[col[c] for c in HISTORY_FEATURES]].any() and not X[4][list(col.values())].any()
    # The reasons say so: the same occupation as a post the person applied to; the same employer.
    geo = pair_geo(people, posts, pi, pj)

    def said(n: int) -> str:
        level = int(round(X[n, FEATURES.index("occupation_level")] * 4))
        d = describe(
            people, posts, int(pi[n]), int(pj[n]), n, geo, level, "village", 0.2, False, history=history_of(X[n])
        )
        return d.sentences()[0]

    assert "与本人投递过的岗位同一职业（电工）" in said(0) and "投递" not in said(3)
    assert said(1).endswith("本人曾向该单位投递") and not said(0).endswith("本人曾向该单位投递")


triples = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6), st.integers(100, 110)), min_size=0, max_size=25)


@settings(max_examples=60, deadline=None)
@given(
    triples=triples,
    pairs=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6), st.integers(99, 112)), min_size=1, max_size=15),
)
def test_history_as_of_a_day_sees_only_what_came_before(
    small: tuple[object, object], triples: list[tuple[int, int, int]], pairs: list[tuple[int, int, int]]
) -> None:
    """Each pair's history features equal those computed from the history cut at the pair's day
    alone: nothing from that day on, and never the pair's own post."""
    people, posts = small
    people = prepare_people(people_frame(*({} for _ in range(5))))
    if posts.vectors is None:
        rng = np.random.default_rng(0)
        v = rng.normal(size=(len(posts), 8)).astype(np.float32)
        posts.vectors = v / np.linalg.norm(v, axis=1, keepdims=True)

    def build(ts: list[tuple[int, int, int]]) -> Evidence:
        a = np.array(ts, dtype=np.int64).reshape(-1, 3)
        return Evidence._from_triples(len(people), a[:, 0], a[:, 1], a[:, 2])

    ev = build(triples)
    pi, pj, asof = (np.array(c, dtype=np.int64) for c in zip(*pairs, strict=True))
    got = history_features(people, posts, ev, pi, pj, asof)
    for k in range(len(pi)):
        # The earliest day of each (person, post) is the one that counts, as in Evidence.
        first: dict[tuple[int, int], int] = {}
        for p, j, d in triples:
            first[(p, j)] = min(d, first.get((p, j), d))
        cut = [(p, j, d) for (p, j), d in first.items() if d < asof[k] and j != pj[k]]
        want = history_features(people, posts, build(cut), pi[k : k + 1], pj[k : k + 1])
        np.testing.assert_allclose(got[k], want[0], rtol=1e-6, atol=1e-6)


@settings(max_examples=80, deadline=None)
@given(triples=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7), st.integers(-1, 30)), max_size=25))
def test_evidence_keeps_each_person_and_post_once_with_its_earliest_day(triples: list[tuple[int, int, int]]) -> None:
    """The CSR history holds each distinct (person, post) once, with its earliest day, posts in
    ascending order within a person, and each person's slice exactly their posts."""
    a = np.array(triples, dtype=np.int64).reshape(-1, 3)
    ev = Evidence._from_triples(6, a[:, 0], a[:, 1], a[:, 2])
    first: dict[tuple[int, int], int] = {}
    for p, j, d in triples:
        first[(p, j)] = min(d, first.get((p, j), d))
    assert ev.indptr.shape == (7,) and ev.indptr[0] == 0 and ev.indptr[-1] == len(first)
    for p in range(6):
        got = list(
            zip(
                ev.pj[ev.indptr[p] : ev.indptr[p + 1]].tolist(),
                ev.day[ev.indptr[p] : ev.indptr[p + 1]].tolist(),
                strict=True,
            )
        )
        assert got == sorted((j, d) for (q, j), d in first.items() if q == p)
    assert ev.pj.dtype == np.int64 and ev.day.dtype == np.int64


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_skills_of_some_people_read_alone_match_as_when_everyone_is_read(data: st.DataObject) -> None:
    """``PairSkills.for_rows`` reads only the lists of the rows asked for (one person's stored list is
    re-checked among all the run's seekers); on those rows' pairs it counts shared skills, the share of
    the post's skills covered and the certificates missing exactly as ``for_people``, which reads all."""
    skills = st.lists(st.sampled_from(["电焊", "焊工", "厨师", "保洁", "电工", "叉车", "缝纫"]), max_size=4)
    certs = st.lists(st.sampled_from(["焊工证", "电工证", "叉车证", "健康证"]), max_size=2)
    people = prepare_people(
        people_frame(*({"skills": data.draw(skills), "certificates": data.draw(certs)} for _ in range(6)))
    )
    posts = prepare_posts(
        posts_frame(
            *({"required_skills": data.draw(skills), "required_certificates": data.draw(certs)} for _ in range(5))
        )
    )
    side = PostSkills.build(posts)
    rows = np.array(sorted(data.draw(st.sets(st.integers(0, len(people) - 1), min_size=1))), dtype=np.int64)
    pi, pj = np.repeat(rows, len(posts)), np.tile(np.arange(len(posts)), len(rows))
    everyone = skill_match(PairSkills.for_people(side, people), pi, pj)
    some = skill_match(PairSkills.for_rows(side, people, rows), pi, pj)
    for a, b in zip(everyone, some, strict=True):
        assert np.array_equal(a, b)
    shared = everyone[0]
    for n, (i, j) in enumerate(zip(pi, pj, strict=True)):
        assert shared[n] == len(set(people.skills[i]) & set(posts.skills[j]))
