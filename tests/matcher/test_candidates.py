"""Candidate generation (matcher/candidates.py): a person's candidates do not depend on the block they share,
the far rings draw from their own pools, and the floors an incremental run reads never shut out a post."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher import candidates
from matcher.artifact import MatchModel
from matcher.candidates import candidate_pairs
from matcher.index import VacancyIndex
from matcher.policy import Policy
from matcher.prepare import prepare_people, prepare_posts
from matcher.reach import open_mask
from matcher.recommend import Recommender
from tests.matcher.conftest import (
    DIANTOU,
    LINYOU,
    MAFANG_A,
    MAFANG_CENTRE,
    PINGLIANG,
    QIANXIAN,
    TODAY,
    encoded,
    people_frame,
    posts_frame,
)


def _pairs(people, posts, rows):  # type: ignore[no-untyped-def]
    cand = candidate_pairs(people, posts, np.asarray(rows), today=TODAY, index=None)
    return {(people.ids[i], posts.ids[j]) for i, j in zip(cand.pi, cand.pj, strict=True)}


def test_a_neighbours_cross_border_post_is_not_a_candidate_of_a_far_blockmate(model: MatchModel) -> None:
    # B lives in 马坊镇 next to a post just across the county border (乾县, a few minutes away);
    # A, who would go anywhere in the province, lives 31 km away in 店头镇. Without the faiss
    # far fetch, A must get the same candidates alone as beside B.
    people = people_frame(
        {"laborer_id": "A", "admin_code": DIANTOU, "mobility": "province"},
        {"laborer_id": "B", "admin_code": MAFANG_A, "mobility": "town"},
    )
    lat, lon = MAFANG_CENTRE
    posts = posts_frame(
        {"vacancy_id": "ACROSS", "admin_code": QIANXIAN, "lat": lat + 0.01, "lon": lon + 0.01},
        {"vacancy_id": "HOME", "admin_code": DIANTOU},
        {"vacancy_id": "TOWN", "admin_code": MAFANG_A},
    )
    p, q, _ = encoded(model, people, posts)
    together = _pairs(p, q, [0, 1])
    assert ("B", "ACROSS") in together  # in B's half-hour circle
    assert {x for x in together if x[0] == "A"} == _pairs(p, q, [0])
    assert {x for x in together if x[0] == "B"} == _pairs(p, q, [1])
    assert ("A", "ACROSS") not in together


def test_equal_online_posts_fall_the_same_way_alone_and_in_a_block(
    model: MatchModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Thirty copies of one online post (the same text, hence the same vector and cosine) and room
    # for only ten of them: the ten that come first are kept, whoever shares the grid, and the
    # cut is the same as without the online pre-selection (a small STAGE0 makes it bite).
    monkeypatch.setattr(candidates, "STAGE0", 10)
    monkeypatch.setattr(candidates, "STAGE0_PER_RING", 4)
    people = people_frame(
        {"laborer_id": "A", "admin_code": MAFANG_A, "mobility": "home"},
        {"laborer_id": "B", "admin_code": DIANTOU, "mobility": "home", "skills": "刺绣"},
        {"laborer_id": "C", "admin_code": MAFANG_A, "mobility": "home", "age": 50},
    )
    posts = posts_frame(
        *({"vacancy_id": f"ON{n:02d}", "kind": "online", "title": "网店客服"} for n in range(30)),
        {"vacancy_id": "OTHER", "kind": "online", "title": "刺绣加工", "age_max": 45},
    )
    p, q, _ = encoded(model, people, posts)
    together = _pairs(p, q, [0, 1, 2])
    for row, pid in enumerate(("A", "B", "C")):
        alone = _pairs(p, q, [row])
        assert {x for x in together if x[0] == pid} == alone
        online = sorted(v for who, v in alone if who == pid and v.startswith("ON"))
        assert online == [f"ON{n:02d}" for n in range(len(online))]  # the first of the equal ones
    assert ("C", "OTHER") not in together  # over the post's age limit, never a candidate
    assert ("A", "OTHER") in together


def test_first_stage_floors_never_shut_out_a_post_a_full_recompute_would_take(
    model: MatchModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The incremental batch judges a new post for a person only when its first-stage score reaches
    # the person's overall floor or the floor of its ring, as computed the day before without it.
    # Each post in turn is yesterday closed and today open: whenever today's first stage keeps it
    # for someone (from the grid or the vector index), it must pass yesterday's floors. Small STAGE0
    # numbers make the cuts bite on a hand-sized county.
    monkeypatch.setattr(candidates, "STAGE0", 8)
    monkeypatch.setattr(candidates, "STAGE0_PER_RING", 3)
    monkeypatch.setattr(candidates, "FAR_FETCH", 3)
    monkeypatch.setattr(candidates, "PROVINCE_FETCH", 3)
    people = people_frame(
        {"laborer_id": "A", "admin_code": MAFANG_A, "mobility": "county"},
        {"laborer_id": "B", "admin_code": DIANTOU, "mobility": "town", "skills": "电工"},
        {"laborer_id": "C", "admin_code": MAFANG_A, "mobility": "home", "age": 50},
        # D goes anywhere in the province: 乾县 lies beyond D's grid, its posts come from the vector index.
        {"laborer_id": "D", "admin_code": DIANTOU, "mobility": "province", "skills": "焊工"},
        # E too, from 马坊 by the border: a post 11 km off in 乾县 lies in E's grid, in the province ring,
        # the only one of that ring: a day it is closed, nobody's grid holds that ring at all.
        {"laborer_id": "E", "admin_code": MAFANG_A, "mobility": "province", "skills": "焊工"},
    )
    titles = ("电工", "焊工", "网店客服", "家政服务员", "厨师", "果园管理", "叉车司机", "手工编织")
    places = (MAFANG_A, DIANTOU, MAFANG_A, DIANTOU, QIANXIAN)
    rows = [
        {"vacancy_id": f"P{n:02d}", "title": titles[n % len(titles)], "admin_code": places[n % len(places)]}
        for n in range(26)
    ]
    rows += [{"vacancy_id": f"ON{n}", "kind": "online", "title": titles[n]} for n in range(4)]
    rows += [{"vacancy_id": "WS", "kind": "workshop_home", "title": "手工编织", "admin_code": DIANTOU}]
    welders = ("焊工", "电焊工", "焊接工")
    rows += [{"vacancy_id": f"FAR{n}", "title": welders[n % 3], "admin_code": QIANXIAN} for n in range(6)]
    lat, lon = MAFANG_CENTRE
    rows += [{"vacancy_id": "BORDER", "title": "保洁员", "admin_code": QIANXIAN, "lat": lat + 0.1, "lon": lon}]
    checked, far = 0, 0

    def first_stage_of(frame):  # type: ignore[no-untyped-def]
        p, q, index = encoded(model, people, frame)
        allowed = q.ids[open_mask(q, TODAY)].astype(str).tolist()
        return p, q, candidate_pairs(p, q, np.arange(5), today=TODAY, index=index, open_ids=allowed)

    for j, row in enumerate(rows):
        _, _, before = first_stage_of(posts_frame(*rows[:j], {**row, "status": "closed"}, *rows[j + 1 :]))
        p, q, after = first_stage_of(posts_frame(*rows))
        assert before.floors is not None and np.isfinite(before.floors).any()  # the cuts did bite
        at = np.flatnonzero(after.pj == j)
        if not len(at):
            continue
        geo = type(after.geo)(*(a[at] for a in after.geo))
        passes = candidates.passes_first_stage(
            p, q, after.pi[at], after.pj[at], after.ring[at], geo, after.cosine[at], before.floors[after.pi[at]]
        )
        assert passes.all(), (row["vacancy_id"], after.pi[at][~passes], before.floors[after.pi[at][~passes]])
        checked += len(at)
        fetched = before.floors[after.pi[at]][:, [candidates.FAR_FLOOR, candidates.PROVINCE_FLOOR]]
        far += int(((after.ring[at] >= 3) & np.isfinite(fetched).any(axis=1)).sum())
    assert checked >= 20 and far >= 2, (checked, far)


@pytest.mark.parametrize(
    ("mobility", "place", "fetch", "floor_at"),
    [
        ("province", QIANXIAN, "PROVINCE_FETCH", "PROVINCE_FLOOR"),  # the province's own pool
        ("nationwide", PINGLIANG, "FAR_FETCH", "FAR_FLOOR"),  # the country's pool
    ],
)
def test_the_far_floor_is_the_similarity_of_the_last_post_the_index_returned(
    model: MatchModel, monkeypatch: pytest.MonkeyPatch, mobility: str, place: str, fetch: str, floor_at: str
) -> None:
    # A person who goes anywhere in the province (or the country), posts beyond the grid: the floor of the
    # pool is the third best similarity among its open posts (fetch 3, exact index), and every open post
    # above it was fetched, so a new post below it would not have been.
    monkeypatch.setattr(candidates, fetch, 3)
    people = people_frame({"laborer_id": "D", "admin_code": DIANTOU, "mobility": mobility, "skills": "焊工"})
    titles = ("焊工", "电焊工", "厨师", "网店客服", "叉车司机", "家政服务员", "果园管理")
    posts = posts_frame(
        *({"vacancy_id": f"F{n}", "title": titles[n % len(titles)], "admin_code": place} for n in range(14)),
        {"vacancy_id": "SHUT", "title": "焊工", "admin_code": place, "status": "closed"},
    )
    p, q, index = encoded(model, people, posts)
    allowed = q.ids[open_mask(q, TODAY)].astype(str).tolist()
    cand = candidate_pairs(p, q, np.arange(1), today=TODAY, index=index, open_ids=allowed)
    assert cand.floors is not None
    floor = cand.floors[0, getattr(candidates, floor_at)]
    similarity = (q.vectors @ p.vectors[0]).astype(np.float64)
    is_open = open_mask(q, TODAY)
    assert floor == pytest.approx(np.sort(similarity[is_open])[-3], abs=1e-5)
    fetched = set(cand.pj.tolist())
    assert {int(j) for j in np.flatnonzero(is_open & (similarity > floor + 1e-5))} <= fetched
    assert len(fetched) <= 3
    if mobility == "province":
        assert cand.floors[0, candidates.FAR_FLOOR] == np.inf  # nothing from the country's pool


@pytest.mark.slow
def test_a_province_mobile_person_gets_the_best_post_of_another_county_among_100000_elsewhere(
    model: MatchModel,
) -> None:
    """The province ring draws from the province's own pool: the clearly best post of the person (a welding
    post in another county of the province) is found although 100,000 near-identical posts of another
    province crowd the country's nearest neighbours (which the person may not take)."""
    person = people_frame({"laborer_id": "W", "admin_code": DIANTOU, "mobility": "province", "skills": "电焊"})
    welder = {"title": "电焊工", "required_skills": "电焊", "wage_min": 5000, "wage_max": 6500}
    local = [{"vacancy_id": f"LOCAL{n}", "title": "保洁员", "admin_code": DIANTOU} for n in range(6)]
    near = posts_frame(*local, {**welder, "vacancy_id": "BEST", "admin_code": LINYOU})
    template = posts_frame({**welder, "vacancy_id": "ELSEWHERE", "admin_code": PINGLIANG})
    n_far = 100_000
    elsewhere = template.loc[np.zeros(n_far, dtype=np.int64)].reset_index(drop=True)
    elsewhere["vacancy_id"] = [f"E{n:06d}" for n in range(n_far)]
    posts = prepare_posts(pd.concat([near, elsewhere], ignore_index=True))
    people = prepare_people(person)
    people.vectors = model.encoder.transform_laborers(people.frame)
    vectors = np.empty((len(posts), model.encoder.dim_), dtype=np.float32)
    vectors[: len(near)] = model.encoder.transform_vacancies(posts.frame.iloc[: len(near)])
    rng = np.random.default_rng(0)
    noisy = model.encoder.transform_vacancies(template)[0] + rng.normal(0, 0.01, (n_far, vectors.shape[1]))
    vectors[len(near) :] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    posts.vectors = vectors
    index = VacancyIndex(model.encoder.dim_, seed=0).build(posts.ids.astype(str).tolist(), vectors)
    assert index.kind == "ivf"
    # The country's pool alone (what a province-wide person used to get) misses the post.
    nation = index.search(people.vectors, candidates.FAR_FETCH, nprobe=candidates.FAR_NPROBE)
    assert "BEST" not in set(nation.ids[0])

    rec = Recommender(posts, model.ranker, model.employers, index, Policy.default(), TODAY)
    (result,) = rec.recommend(people, k=5)
    assert result.recommendations[0].vacancy_id == "BEST", [(r.vacancy_id, r.score) for r in result.recommendations]
    assert result.recommendations[0].step == "province"
    assert all(not r.vacancy_id.startswith("E") for r in result.recommendations)
