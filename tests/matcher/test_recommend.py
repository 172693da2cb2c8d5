"""The ranking policy (matcher/recommend.py): at least three posts, widening order, safety net, shortfall.

Hand-built people and posts run through the real Recommender (trained
encoder and ranker of the sample county, a real faiss index); the sample
county itself checks the guarantee for every person who wants a job, that a
batch equals single lookups, and that every suggestion explains itself.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from matcher.artifact import MatchModel, load_model
from matcher.explain import STEP_NAMES
from matcher.ingest import ingest_file
from matcher.lookup import Lookup
from matcher.policy import Policy
from matcher.prepare import People
from matcher.reach import eligible, pair_geo, ring_of
from matcher.recommend import MIN_POSTS, PersonResult, Recommender
from store import load_laborers
from tests.matcher.conftest import (
    CHANGNING,
    DIANTOU,
    ELECTRICIAN,
    MAFANG_A,
    MAFANG_B,
    QIANXIAN,
    TODAY,
    County,
    Run,
    encoded,
    people_frame,
    posts_frame,
)
from tests.matcher.test_reach import person_rows, post_rows

GEO_STEPS = ("village", "half_hour", "county", "province", "nationwide")
HOME_BOUND = {"mobility": "home"}
#: Flagged public_welfare by the default policy (aged 58, primary school, no skills).
OLDER = {"age": 58, "education": "primary", "skills": None}
WELFARE = {"kind": "public_welfare", "title": "保洁员", "openings": 1, "wage_min": 400, "wage_max": 500}
DISTANCE_TEXT = re.compile(r"本村|分钟车程|公里|线上岗位，在家即可工作|活计送到家")
WAGE_TEXT = re.compile(r"(月薪|日薪|计件，约)\d+(-\d+)?元|工资面议")
CJK = re.compile(r"[\u4e00-\u9fff]")


def ids(result: PersonResult) -> set[str]:
    return {r.vacancy_id for r in result.recommendations}


def steps(result: PersonResult) -> set[str]:
    return {r.step for r in result.recommendations}


# ----------------------------------------------------------------------------- shortfall


def test_home_bound_person_with_two_posts_gets_both_and_a_shortfall_naming_two(run: Run) -> None:
    posts = posts_frame(
        {"vacancy_id": "village_post", "admin_code": MAFANG_A},
        {"vacancy_id": "online_post", "kind": "online", "title": "电商客服"},
        {"vacancy_id": "next_village", "admin_code": MAFANG_B},
        {"vacancy_id": "county_post", "admin_code": DIANTOU},
    )
    (result,) = run(people_frame(HOME_BOUND), posts, k=10)
    assert ids(result) == {"village_post", "online_post"}
    assert result.shortfall is not None
    assert "2个" in result.shortfall.reason and "不能离家" in result.shortfall.reason
    assert "2 open posts" in result.shortfall.reason_en
    assert result.shortfall.available == 2


def test_nothing_in_reach_gives_an_empty_list_and_says_so(run: Run) -> None:
    posts = posts_frame(
        {"vacancy_id": "next_village", "admin_code": MAFANG_B}, {"vacancy_id": "county_post", "admin_code": DIANTOU}
    )
    (result,) = run(people_frame(HOME_BOUND), posts, k=10)
    assert result.recommendations == []
    assert result.shortfall is not None
    assert "没有在招岗位" in result.shortfall.reason and "no open posts" in result.shortfall.reason_en
    assert result.shortfall.available == 0


def test_shortfall_counts_the_posts_the_person_may_take(run: Run) -> None:
    """A village's public-welfare post is not offered to a person not flagged for it, so not counted.

    The caseworker reads "only N posts within reach (all listed)": N must be what is listed.
    """
    posts = posts_frame(
        {"vacancy_id": "village_post", "admin_code": MAFANG_A},
        {"vacancy_id": "online_post", "kind": "online", "title": "电商客服"},
        {**WELFARE, "vacancy_id": "welfare_post", "admin_code": MAFANG_A},
    )
    (result,) = run(people_frame(HOME_BOUND), posts, k=10)
    assert "public_welfare" not in {f.kind for f in result.flags}
    assert ids(result) == {"village_post", "online_post"}
    assert result.shortfall is not None
    assert "2个" in result.shortfall.reason, result.shortfall.reason


def test_shortfall_names_posts_closed_by_age_or_body(run: Run) -> None:
    posts = posts_frame(
        {"vacancy_id": "ok", "admin_code": MAFANG_A},
        {"vacancy_id": "young_only", "admin_code": MAFANG_A, "age_min": 18, "age_max": 40},
        {"vacancy_id": "heavy", "admin_code": MAFANG_A, "physical_demand": "high"},
    )
    (result,) = run(people_frame({**HOME_BOUND, "age": 50, "health": "chronic"}), posts, k=10)
    assert ids(result) == {"ok"}
    assert result.shortfall is not None
    assert "3个" in result.shortfall.reason and "2个因年龄或体力要求不符" in result.shortfall.reason


def test_k_caps_the_list_and_no_shortfall_when_enough(run: Run) -> None:
    posts = posts_frame(*({"vacancy_id": f"v{n}", "admin_code": MAFANG_A} for n in range(6)))
    (result,) = run(people_frame({}), posts, k=4)
    assert len(result.recommendations) == 4 and result.shortfall is None


# ----------------------------------------------------------------------------- widening


def _ring_posts() -> list[dict[str, Any]]:
    return [
        *({"vacancy_id": f"village{n}", "admin_code": MAFANG_A} for n in range(4)),
        *({"vacancy_id": f"town{n}", "admin_code": MAFANG_B} for n in range(3)),
        *({"vacancy_id": f"near{n}", "admin_code": CHANGNING} for n in range(2)),
        *({"vacancy_id": f"county{n}", "admin_code": DIANTOU} for n in range(4)),
        *({"vacancy_id": f"city{n}", "admin_code": QIANXIAN} for n in range(4)),
    ]


@pytest.mark.parametrize("mobility", ["village", "town", "county", "province", "nationwide"])
def test_village_with_enough_posts_gives_only_village_step(run: Run, mobility: str) -> None:
    (result,) = run(people_frame({"mobility": mobility}), posts_frame(*_ring_posts()), k=3)
    assert len(result.recommendations) == 3
    assert steps(result) == {"village"}
    assert all(v.startswith("village") for v in ids(result))


def test_town_person_with_few_village_posts_widens_to_the_half_hour_circle(run: Run) -> None:
    posts = [
        p for p in _ring_posts() if p["vacancy_id"] != "village1" and p["vacancy_id"] not in ("village2", "village3")
    ]  # one village post left
    (result,) = run(people_frame({"mobility": "town"}), posts_frame(*posts), k=5)
    assert len(result.recommendations) == 5
    assert steps(result) == {"village", "half_hour"}
    assert "village0" in ids(result)
    assert not any(v.startswith(("county", "city")) for v in ids(result))


def test_widening_stops_at_the_county_for_county_mobility(run: Run) -> None:
    (result,) = run(people_frame({"mobility": "county"}), posts_frame(*_ring_posts()), k=20)
    assert steps(result) == {"village", "half_hour", "county"}
    assert not any(v.startswith("city") for v in ids(result))
    (wider,) = run(people_frame({"mobility": "province"}), posts_frame(*_ring_posts()), k=20)
    assert "province" in steps(wider) and any(v.startswith("city") for v in ids(wider))


def test_rings_do_not_fill_the_list_before_the_ranking_decides(run: Run) -> None:
    """Every ring the person may reach is ranked together: the list is in score order, whatever the rings
    (a ring no longer fills the list before a farther post is looked at; see tests/matcher/test_lists.py)."""
    (result,) = run(people_frame({"mobility": "county"}), posts_frame(*_ring_posts()), k=8)
    scores = [(r.tier, -r.score) for r in result.recommendations]
    assert len(scores) == 8 and scores == sorted(scores)
    assert {r.step for r in result.recommendations} <= {"village", "half_hour", "county"}


def _training_posts() -> list[dict[str, Any]]:
    return [
        {"vacancy_id": "village0", "admin_code": MAFANG_A},
        *({**ELECTRICIAN, "vacancy_id": f"electrician{n}"} for n in range(3)),
    ]


def test_training_step_for_a_person_who_wants_that_training(run: Run) -> None:
    """One market post in reach: the training step opens and makes three suggestions (not k)."""
    wants = {"mobility": "town", "wants_training": "是", "training_interest": "电工"}
    (result,) = run(people_frame(wants), posts_frame(*_training_posts()), k=4)
    assert [r.step for r in result.recommendations] == ["village", "training", "training"]
    assert {r.vacancy_id for r in result.recommendations if r.step == "training"} < {
        "electrician0",
        "electrician1",
        "electrician2",
    }
    for rec in result.recommendations:
        if rec.step == "training":
            assert STEP_NAMES["training"] in rec.reasons


@pytest.mark.parametrize(
    "person",
    [
        {"mobility": "town", "wants_training": "否", "training_interest": "电工"},
        {"mobility": "town", "wants_training": "是", "training_interest": "家政"},
    ],
)
def test_no_training_step_without_that_wish(run: Run, person: dict[str, Any]) -> None:
    (result,) = run(people_frame(person), posts_frame(*_training_posts()), k=4)
    assert "training" not in steps(result)
    assert ids(result) == {"village0"}  # the electrician posts need a certificate the person lacks


# ----------------------------------------------------------------------------- safety net


def _welfare_village() -> list[dict[str, Any]]:
    return [
        *({"vacancy_id": f"village{n}", "admin_code": MAFANG_A} for n in range(5)),
        {**WELFARE, "vacancy_id": "welfare0", "admin_code": MAFANG_A},
        {**WELFARE, "vacancy_id": "welfare1", "admin_code": MAFANG_A, "title": "护林员"},
        {**WELFARE, "vacancy_id": "welfare2", "admin_code": MAFANG_B, "title": "道路养护员"},
    ]


def test_public_welfare_posts_for_flagged_people_only(run: Run) -> None:
    people = people_frame(
        {**OLDER, "mobility": "village"}, {"mobility": "village"}, {"mobility": "town", "age": 30, "skills": "电工"}
    )
    flagged, younger, skilled = run(people, posts_frame(*_welfare_village()), k=10)
    assert "public_welfare" in {f.kind for f in flagged.flags}
    welfare = [r for r in flagged.recommendations if r.kind == "public_welfare"]
    assert {r.vacancy_id for r in welfare} == {"welfare0", "welfare1"}
    assert {r.step for r in welfare} == {"safety_net"}
    for other in (younger, skilled):
        assert "public_welfare" not in {f.kind for f in other.flags}
        assert not [r for r in other.recommendations if r.kind == "public_welfare"]


@pytest.mark.parametrize("k", [3, 4, 5])
def test_safety_net_survives_a_small_k(run: Run, k: int) -> None:
    """Flagged people "always see up to two public-welfare posts", also with ``--k 3``."""
    (result,) = run(people_frame({**OLDER, "mobility": "village"}), posts_frame(*_welfare_village()), k=k)
    assert "public_welfare" in {f.kind for f in result.flags}
    welfare = [r.vacancy_id for r in result.recommendations if r.kind == "public_welfare"]
    assert len(welfare) == 2, [(r.vacancy_id, r.step) for r in result.recommendations]
    assert len(result.recommendations) >= MIN_POSTS


# ----------------------------------------------------------------------------- the sample county


@pytest.fixture(scope="module")
def sample_lookup(county: County) -> Lookup:
    """A Lookup over the unchanged sample store with its own copy of the model."""
    return Lookup(county.engine, model=load_model(county.model_path), today=TODAY)


@pytest.fixture(scope="module")
def job_seekers(county: County) -> list[str]:
    laborers = load_laborers(county.engine)
    return laborers.loc[laborers["wants_job"].fillna(False).astype(bool), "laborer_id"].tolist()


@pytest.fixture(scope="module")
def seeker_results(sample_lookup: Lookup, job_seekers: list[str]) -> list[PersonResult]:
    return sample_lookup.recommend(job_seekers, k=10)


def test_every_job_seeker_gets_three_posts_or_a_reason(
    seeker_results: list[PersonResult], job_seekers: list[str]
) -> None:
    assert len(job_seekers) > 100
    assert [r.laborer_id for r in seeker_results] == job_seekers
    failing = [
        r.laborer_id
        for r in seeker_results
        if len(r.recommendations) < MIN_POSTS
        and (r.shortfall is None or not CJK.search(r.shortfall.reason) or not r.shortfall.reason_en)
    ]
    assert failing == []
    covered = sum(len(r.recommendations) >= MIN_POSTS for r in seeker_results) / len(seeker_results)
    assert covered > 0.5  # the sample county has posts for most people: the guarantee is not vacuous


def test_every_suggestion_explains_distance_wage_and_step(seeker_results: list[PersonResult]) -> None:
    bad = []
    for result in seeker_results:
        for rec in result.recommendations:
            text = " | ".join(rec.reasons)
            if not (DISTANCE_TEXT.search(text) and WAGE_TEXT.search(text) and STEP_NAMES[rec.step] in rec.reasons):
                bad.append((result.laborer_id, rec.vacancy_id, rec.reasons))
            if "nan" in text.lower():
                bad.append((result.laborer_id, rec.vacancy_id, rec.reasons))
    assert bad == []


def test_flags_carry_chinese_reasons(seeker_results: list[PersonResult]) -> None:
    flags = [f for r in seeker_results for f in r.flags]
    assert flags, "the sample county flags somebody"
    assert all(f.reasons and all(CJK.search(x) for x in f.reasons) for f in flags)
    assert all(len(f.reasons_en) == len(f.reasons) for f in flags)


def test_batch_equals_single(sample_lookup: Lookup, job_seekers: list[str]) -> None:
    chosen = job_seekers[::5][:40]
    people = sample_lookup.people(chosen)
    recommender = sample_lookup.recommender
    batch = recommender.recommend(people, k=6)
    singles = [recommender.recommend(people, rows=np.array([i]), k=6)[0] for i in range(len(people))]
    assert [b.to_json() for b in batch] == [s.to_json() for s in singles]
    alone = [sample_lookup.recommend([pid], k=6)[0] for pid in chosen[:10]]
    assert [a.to_json() for a in alone] == [b.to_json() for b in batch[:10]]


def test_batch_equals_single_on_hand_built_people(run: Run) -> None:
    people = [
        {"mobility": m, "age": a, "admin_code": c}
        for m, a, c in (
            ("home", 40, MAFANG_A),
            ("town", 58, MAFANG_B),
            ("county", 30, CHANGNING),
            ("province", 25, DIANTOU),
            ("nationwide", 45, QIANXIAN),
        )
    ]
    posts = posts_frame(*_ring_posts(), *_welfare_village()[5:], *_training_posts()[1:])
    batch = run(people_frame(*people), posts, k=5)
    for n, person in enumerate(people):
        (alone,) = run(people_frame(person), posts, k=5)
        assert alone.to_json() | {"laborer_id": None} == batch[n].to_json() | {"laborer_id": None}


def test_wage_text_for_a_post_with_only_a_lowest_wage(county_copy: County, tmp_path: Path) -> None:
    """A vacancy list often gives only 最低工资: the reason must read 月薪3000元起 or similar, never 'nan'."""
    laborers = load_laborers(county_copy.engine)
    person = laborers[laborers["wants_job"].fillna(False).astype(bool)].iloc[0]
    path = tmp_path / "extra.csv"
    path.write_text(
        "岗位编号,企业编号,岗位类型,岗位名称,招聘人数,行政区划代码,最低工资,计薪方式,开始日期,截止日期\n"
        f"VX0001,EX01,企业,包装工,5,{person['admin_code']},3000,月,{TODAY},{TODAY + dt.timedelta(days=90)}\n",
        encoding="utf-8",
    )
    assert ingest_file("vacancies", path, engine=county_copy.engine).inserted == 1
    lookup = Lookup(county_copy.engine, model=load_model(county_copy.model_path), today=TODAY)
    (result,) = lookup.recommend([person["laborer_id"]], k=400)
    (rec,) = [r for r in result.recommendations if r.vacancy_id == "VX0001"]
    wage = [x for x in rec.reasons if "3000" in x]
    assert wage and "nan" not in " ".join(rec.reasons).lower(), rec.reasons


def test_a_pairs_verdict_is_the_same_with_the_first_stages_features_reused(
    sample_lookup: Lookup, job_seekers: list[str]
) -> None:
    """The incremental batch judges new posts with the features and scores ``score_posts`` built for them;
    the verdict (constraints, ring, market, score, first-stage score, reasons) is the one ``describe_pairs``
    gives when it builds them itself."""
    people = sample_lookup.people(job_seekers[:60])
    recommender = sample_lookup.recommender
    posts = np.arange(len(recommender.posts))
    features: list[np.ndarray] = []
    pi, pj, p = recommender.score_posts(people, posts, top_per_person=3, features=features)
    assert len(pi) > 100 and sum(len(f) for f in features) == len(pi)
    # Some more pairs after the scored ones, as the batch appends a list's changed posts.
    extra_i, extra_j = np.arange(len(people)), np.full(len(people), posts[0])
    all_i, all_j = np.concatenate([pi, extra_i]), np.concatenate([pj, extra_j])
    fresh = recommender.describe_pairs(people, all_i, all_j)
    reused = recommender.describe_pairs(people, all_i, all_j, known=(np.concatenate(features), p))
    for field in ("ok", "ring", "market"):
        np.testing.assert_array_equal(getattr(reused, field), getattr(fresh, field))
    np.testing.assert_allclose(reused.score, fresh.score, atol=1e-6)
    np.testing.assert_allclose(reused.coarse, fresh.coarse, atol=1e-5)
    np.testing.assert_allclose(reused.X, fresh.X, atol=1e-6)
    assert [reused.reasons(n, "county") for n in range(0, len(all_i), 7)] == [
        fresh.reasons(n, "county") for n in range(0, len(all_i), 7)
    ]


# ----------------------------------------------------------------------------- the post's side


def _post_side(model: MatchModel, people: pd.DataFrame, posts: pd.DataFrame) -> tuple[Recommender, People]:
    p, q, index = encoded(model, people, posts)
    return Recommender(q, model.ranker, model.employers, index, Policy.default(), TODAY), p


#: (mobility, place) of the people of a small county, and who reaches a post in 马坊镇罗家村.
SIDE_PEOPLE = (
    ("home", MAFANG_A, True),
    ("home", MAFANG_B, False),  # the next village: beyond a home-bound person
    ("village", MAFANG_B, False),
    ("town", MAFANG_B, True),
    ("town", CHANGNING, True),  # 24 minutes
    ("town", DIANTOU, False),
    ("county", DIANTOU, True),
    ("county", QIANXIAN, False),  # other county, 50 minutes
    ("province", QIANXIAN, True),
    ("nationwide", QIANXIAN, True),
)


def test_candidates_for_a_post_stay_within_each_persons_reach_and_are_ranked(model: MatchModel) -> None:
    people = people_frame(*({"mobility": m, "admin_code": c} for m, c, _ in SIDE_PEOPLE))
    posts = posts_frame({"vacancy_id": "here", "admin_code": MAFANG_A, "title": "电焊工", "required_skills": "电焊"})
    rec, p = _post_side(model, people, posts)
    found = rec.candidates_for_post(p, 0, k=20)
    reach = {f"P{n:03d}" for n, (_, _, ok) in enumerate(SIDE_PEOPLE, 1) if ok}
    assert {c.laborer_id for c in found} == reach
    scores = [c.score for c in found]
    assert scores == sorted(scores, reverse=True)
    for c in found:
        assert c.details.sentences() == c.reasons and c.details.vacancy_id == "here" and c.details.step == c.step
        assert c.step in GEO_STEPS and STEP_NAMES[c.step] in c.reasons
    # k is respected, and a smaller k is a prefix of a larger one.
    assert rec.candidates_for_post(p, 0, k=3) == found[:3]
    assert rec.candidates_for_post(p, 0, k=0) == []
    # The score is the one recommend gives the same pair.
    for result in rec.recommend(p, k=10):
        for r in result.recommendations:
            (same,) = [c for c in found if c.laborer_id == result.laborer_id]
            assert r.score == pytest.approx(same.score, abs=1e-6) and r.step == same.step


def test_candidates_for_a_post_respect_age_physical_and_openings(model: MatchModel) -> None:
    people = people_frame({"age": 30}, {"age": 60}, {"health": "serious"}, {"disability": "moderate"})
    posts = posts_frame(
        {"vacancy_id": "young", "age_max": 45},
        {"vacancy_id": "heavy", "physical_demand": "high"},
        {"vacancy_id": "full", "openings": 0},
        {"vacancy_id": "closed", "status": "closed"},
    )
    rec, p = _post_side(model, people, posts)
    assert {c.laborer_id for c in rec.candidates_for_post(p, 0)} == {"P001", "P003", "P004"}
    assert {c.laborer_id for c in rec.candidates_for_post(p, 1)} == {"P001", "P002"}
    assert rec.candidates_for_post(p, 2) == [] and rec.candidates_for_post(p, 3) == []


def test_a_public_welfare_post_goes_only_to_people_flagged_for_it(model: MatchModel) -> None:
    people = people_frame(OLDER, {}, {**OLDER, "admin_code": DIANTOU, "mobility": "county"})
    posts = posts_frame({**WELFARE, "vacancy_id": "welfare", "admin_code": MAFANG_A})
    rec, p = _post_side(model, people, posts)
    found = rec.candidates_for_post(p, 0)
    assert [c.laborer_id for c in found] == ["P001"]  # P003 is flagged but the post is not in their town
    assert found[0].step == "safety_net" and found[0].details.kind == "public_welfare"
    (flagged, _, _) = rec.recommend(p, k=5)
    assert [r.vacancy_id for r in flagged.recommendations] == ["welfare"]


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(st.lists(person_rows(), min_size=1, max_size=8), post_rows(), st.integers(1, 6))
def test_every_candidate_for_a_post_passes_the_hard_constraints(
    model: MatchModel, people_rows: list[dict[str, Any]], post: dict[str, Any], k: int
) -> None:
    rec, p = _post_side(model, people_frame(*people_rows), posts_frame(post))
    found = rec.candidates_for_post(p, 0, k=k)
    assert len(found) <= k
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    rows = np.array([p.position[c.laborer_id] for c in found], dtype=np.int64)
    pj = np.zeros(len(rows), dtype=np.int64)
    geo = pair_geo(p, rec.posts, rows, pj)
    ring = ring_of(p, rec.posts, rows, pj, geo)
    assert eligible(p, rec.posts, rows, pj, ring, TODAY).all()
    # Nobody eligible is left out (a public-welfare post: only the flagged ones are taken).
    everyone, zero = np.arange(len(p)), np.zeros(len(p), dtype=np.int64)
    ring_all = ring_of(p, rec.posts, everyone, zero, pair_geo(p, rec.posts, everyone, zero))
    ok = eligible(p, rec.posts, everyone, zero, ring_all, TODAY)
    if post["kind"] != "public_welfare":
        assert len(found) == min(k, int(ok.sum()))
