"""Hard constraints and reach (matcher/reach.py), checked through the real Recommender.

The rules under test are those of the ``matcher.reach`` docstring: a post is
never suggested when it is closed, past its end date, without openings,
beyond the person's mobility, outside its age limits or beyond the person's
physical limits. Reach: home/village → online, home-style workshops of the
own county, the own village; town → + same town or ≤ 30 minutes; county →
+ same county; province → + same province; nationwide → anywhere.
Public-welfare posts only in the own village (or town, for town mobility and
wider), and only for people flagged ``public_welfare``. Travel time comes
from coordinates when both places have them at village/town precision,
else from the administrative tree.

The oracle below is written from those sentences, pair by pair, and does not
call ``matcher.reach``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from features.contract.vocab import MOBILITY_ORDER
from features.geo import haversine_km, travel_minutes
from matcher.prepare import prepare_people, prepare_posts
from matcher.reach import pair_geo
from matcher.recommend import PersonResult
from tests.matcher.conftest import (
    CHANGNING,
    DIANTOU,
    JIANJUN,
    LINYOU,
    MAFANG_A,
    MAFANG_B,
    MAFANG_CENTRE,
    PINGLIANG,
    QIANXIAN,
    QUZI,
    TODAY,
    Run,
    by_id,
    people_frame,
    posts_frame,
)

PLACES = (MAFANG_A, MAFANG_B, CHANGNING, QUZI, DIANTOU, JIANJUN, QIANXIAN, LINYOU, PINGLIANG)
PRECISE = ("input", "village", "town")
HALF_HOUR = 30.0
GEO_STEPS = ("village", "half_hour", "county", "province", "nationwide")
#: The widest geographic step a person of each mobility may be given.
WIDEST_STEP = {
    "home": "village",
    "village": "village",
    "town": "half_hour",
    "county": "county",
    "province": "province",
    "nationwide": "nationwide",
}
PHYSICAL_CLOSED = {
    "high": lambda health, disability: health in ("chronic", "serious") or disability in ("moderate", "severe"),
    "medium": lambda health, disability: health == "serious" or disability == "severe",
}


# ----------------------------------------------------------------------------- oracle


def _code(value: object) -> str:
    return value if isinstance(value, str) else ""


def relations(person: pd.Series, post: pd.Series) -> dict[str, bool]:
    """Administrative relations from the resolved codes (empty codes never match)."""
    pa, qa = _code(person["admin_code"]), _code(post["admin_code"])
    return {
        "village": bool(_code(post["village_code"])) and person["village_code"] == post["village_code"],
        "town": bool(_code(post["town_code"])) and person["town_code"] == post["town_code"],
        "county": bool(_code(post["county_code"])) and person["county_code"] == post["county_code"],
        "city": bool(qa) and pa[:4] == qa[:4],
        "province": bool(qa) and pa[:2] == qa[:2],
    }


def minutes(person: pd.Series, post: pd.Series) -> float:
    """Travel minutes: coordinates when both are precise, else 5/20/60/120/600 by the tree."""
    if post["kind"] == "online":
        return 0.0
    rel = relations(person, post)
    if person["coord_source"] in PRECISE and post["coord_source"] in PRECISE:
        km = haversine_km(float(person["lat"]), float(person["lon"]), float(post["lat"]), float(post["lon"]))
        value = float(travel_minutes(km))
        return min(value, 5.0) if rel["village"] else value
    for level, tree in (("village", 5.0), ("town", 20.0), ("county", 60.0), ("city", 120.0)):
        if rel[level]:
            return tree
    return 600.0


def reachable(person: pd.Series, post: pd.Series) -> bool:
    """Whether the post lies within the person's mobility (the reach table of matcher.reach)."""
    mob = MOBILITY_ORDER.index(person["mobility"])
    rel = relations(person, post)
    kind = post["kind"]
    if kind == "online":
        return True
    if kind == "public_welfare":
        return rel["village"] or (rel["town"] and mob >= 2)
    if kind == "workshop_home" and rel["county"]:
        return True
    if rel["village"]:
        return True
    if mob >= 2 and (rel["town"] or minutes(person, post) <= HALF_HOUR):
        return True
    if mob >= 3 and rel["county"]:
        return True
    if mob >= 4 and rel["province"]:
        return True
    return mob >= 5


def innermost_step(person: pd.Series, post: pd.Series) -> str:
    """The geographic step of a market post (not online / home workshop / public welfare)."""
    rel = relations(person, post)
    if rel["village"]:
        return "village"
    if rel["town"] or minutes(person, post) <= HALF_HOUR:
        return "half_hour"
    if rel["county"]:
        return "county"
    return "province" if rel["province"] else "nationwide"


def _true(value: object) -> bool:
    return isinstance(value, (bool, np.bool_)) and bool(value)


def _num(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def open_today(post: pd.Series, today: dt.date) -> bool:
    end = post["end_date"]
    ended = end is not None and not pd.isna(end) and pd.Timestamp(end).date() < today
    return post["status"] == "open" and not ended and int(post["openings"]) > 0


def within_limits(person: pd.Series, post: pd.Series) -> bool:
    """Age limits and physical demand."""
    age = float(person["age"])
    lo, hi = _num(post["age_min"]), _num(post["age_max"])
    if (lo is not None and age < lo) or (hi is not None and age > hi):
        return False
    closed = PHYSICAL_CLOSED.get(post["physical_demand"] or "low")
    return not (closed and closed(person["health"], person["disability"]))


def cert_missing(person: pd.Series, post: pd.Series) -> bool:
    return bool(set(post["required_certificates"] or []) - set(person["certificates"] or []))


def hard_ok(person: pd.Series, post: pd.Series, today: dt.date = TODAY) -> bool:
    return open_today(post, today) and reachable(person, post) and within_limits(person, post)


# ----------------------------------------------------------------------------- strategies

OFFSET = st.tuples(st.floats(-0.12, 0.12), st.floats(-0.12, 0.12))
SKILLS = ("电焊", "缝纫", "电工", "叉车", "家政", "种植")
TITLES = ("普工", "电工", "缝纫工", "保洁员", "电商客服", "叉车司机", "家政服务员", "果园管理")


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


@st.composite
def person_rows(draw: st.DrawFn) -> dict[str, Any]:
    row: dict[str, Any] = {
        "age": draw(st.integers(16, 70)),
        "gender": draw(st.sampled_from(["male", "female"])),
        "education": draw(st.sampled_from(["primary", "junior", "senior"])),
        "admin_code": draw(st.sampled_from(PLACES)),
        "mobility": draw(st.sampled_from(MOBILITY_ORDER)),
        "health": draw(st.sampled_from(["healthy", "weak", "chronic", "serious"])),
        "disability": draw(st.sampled_from(["none", "mild", "moderate", "severe"])),
        "care_duties": _yes(draw(st.booleans())),
        "skills": "、".join(draw(st.lists(st.sampled_from(SKILLS), max_size=2, unique=True))) or None,
        "certificates": draw(st.sampled_from([None, "电工证"])),
        "wants_training": _yes(draw(st.booleans())),
        "training_interest": draw(st.sampled_from([None, "电工", "家政"])),
    }
    if draw(st.booleans()):  # coordinates given in the ledger
        dlat, dlon = draw(OFFSET)
        row["lat"], row["lon"] = MAFANG_CENTRE[0] + dlat, MAFANG_CENTRE[1] + dlon
    return row


@st.composite
def post_rows(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            ["enterprise", "workshop_factory", "workshop_home", "workshop_base", "public_welfare", "online"]
        )
    )
    title = draw(st.sampled_from(TITLES))
    row: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "openings": draw(st.integers(0, 3)),
        "status": draw(st.sampled_from(["open", "open", "open", "closed", "filled"])),
        "physical_demand": draw(st.sampled_from([None, "low", "medium", "high"])),
        "required_skills": draw(st.sampled_from([None, title])),
        "required_certificates": draw(st.sampled_from([None, None, "电工证"])),
        "training_provided": _yes(draw(st.booleans())),
        "admin_code": draw(st.sampled_from(PLACES)),
    }
    if draw(st.booleans()):
        row["end_date"] = (TODAY + dt.timedelta(days=draw(st.integers(-3, 60)))).isoformat()
    ages = sorted(draw(st.lists(st.integers(16, 65), min_size=2, max_size=2)))
    if draw(st.booleans()):
        row["age_min"] = ages[0]
    if draw(st.booleans()):
        row["age_max"] = ages[1]
    if draw(st.booleans()):
        dlat, dlon = draw(OFFSET)
        row["lat"], row["lon"] = MAFANG_CENTRE[0] + dlat, MAFANG_CENTRE[1] + dlon
    return row


COUNTY_SAMPLE = st.tuples(
    st.lists(person_rows(), min_size=1, max_size=5),
    st.lists(post_rows(), min_size=1, max_size=14),
    st.integers(3, 8),
)
# Seeded and without shrinking: a full recommendation run per example makes shrinking take
# minutes; the assertion message lists every broken rule with the post, step and distance instead.
PROPERTY = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _frames(people: list[dict[str, Any]], posts: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return people_frame(*people), posts_frame(*posts)


def _violations(result: PersonResult, person: pd.Series, posts: pd.DataFrame, k: int) -> list[str]:
    """Every broken rule in one person's result (empty when all hold)."""
    out = []
    flagged = {f.kind for f in result.flags}
    mob = person["mobility"]
    seen = [r.vacancy_id for r in result.recommendations]
    if len(seen) != len(set(seen)):
        out.append(f"duplicate posts {seen}")
    if len(seen) > k:
        out.append(f"{len(seen)} posts for k={k}")
    if len(seen) < 3 and (result.shortfall is None or not result.shortfall.reason):
        out.append(f"only {len(seen)} posts and no shortfall reason")
    for rec in result.recommendations:
        post = posts.loc[rec.vacancy_id]
        tag = f"{rec.vacancy_id} ({post['kind']}, step {rec.step})"
        if not open_today(post, TODAY):
            out.append(
                f"{tag}: not open today (status {post['status']}, end {post['end_date']}, openings {post['openings']})"
            )
        if not reachable(person, post):
            out.append(f"{tag}: beyond mobility {mob} ({minutes(person, post):.0f} min)")
        if not within_limits(person, post):
            out.append(
                f"{tag}: age/physical limits ({person['age']}, {person['health']}, "
                f"{person['disability']} vs {post['age_min']}-{post['age_max']}, {post['physical_demand']})"
            )
        if post["kind"] == "public_welfare" and ("public_welfare" not in flagged or rec.step != "safety_net"):
            out.append(f"{tag}: public-welfare post for a person flagged {sorted(flagged)}")
        if rec.step in GEO_STEPS and GEO_STEPS.index(rec.step) > GEO_STEPS.index(WIDEST_STEP[mob]):
            out.append(f"{tag}: step wider than mobility {mob}")
        if rec.step == "training" and not _true(person["wants_training"]):
            out.append(f"{tag}: training step for a person who does not want training")
        if rec.step in GEO_STEPS and post["kind"] in ("enterprise", "workshop_factory", "workshop_base"):
            expected = innermost_step(person, post)
            if rec.step != expected:
                out.append(f"{tag}: labelled {rec.step}, its distance makes it {expected}")
    return out


@PROPERTY
@given(COUNTY_SAMPLE)
def test_no_suggestion_breaks_a_hard_constraint(run: Run, sample: tuple[Any, ...]) -> None:
    people_rows, post_rows_, k = sample
    people, posts = _frames(people_rows, post_rows_)
    results = by_id(run(people, posts, k=k))
    posts = posts.set_index("vacancy_id", drop=False)
    problems = {}
    for _, person in people.iterrows():
        found = _violations(results[person["laborer_id"]], person, posts, k)
        if found:
            problems[person["laborer_id"]] = found
    assert not problems, problems


@PROPERTY
@given(COUNTY_SAMPLE)
def test_a_short_list_holds_every_allowed_market_post(run: Run, sample: tuple[Any, ...]) -> None:
    """When fewer than k posts come back, no allowed market post was left out (nothing silently lost)."""
    people_rows, post_rows_, k = sample
    people, posts = _frames(people_rows, post_rows_)
    results = by_id(run(people, posts, k=k))
    missing = {}
    for _, person in people.iterrows():
        result = results[person["laborer_id"]]
        if len(result.recommendations) >= k:
            continue
        listed = {r.vacancy_id for r in result.recommendations}
        allowed = [
            post["vacancy_id"]
            for _, post in posts.iterrows()
            if post["kind"] != "public_welfare"
            and hard_ok(person, post)
            and not (cert_missing(person, post) and not _true(post["training_provided"]))
        ]
        lost = sorted(set(allowed) - listed)
        if lost:
            missing[person["laborer_id"]] = (person["mobility"], lost)
    assert not missing, missing


# ----------------------------------------------------------------------------- distance


def test_travel_time_from_coordinates_where_both_places_have_them() -> None:
    people = prepare_people(people_frame({"admin_code": MAFANG_A}))
    posts = prepare_posts(
        posts_frame(
            {"admin_code": CHANGNING}, {"admin_code": QUZI}, {"admin_code": QIANXIAN, "lat": 34.80, "lon": 108.18}
        )
    )
    pi, pj = np.zeros(3, dtype=np.int64), np.arange(3)
    geo = pair_geo(people, posts, pi, pj)
    expected = travel_minutes(haversine_km(people.lat[0], people.lon[0], posts.lat, posts.lon))
    np.testing.assert_allclose(geo.minutes, expected, rtol=1e-6)
    assert geo.minutes[0] < HALF_HOUR < geo.minutes[1]  # 常宁镇 24 min, 渠子镇 31 min
    assert geo.minutes[2] < 15 and not geo.same_county[2]  # coordinates win over the county line


def test_travel_time_from_the_tree_without_precise_coordinates() -> None:
    # 监军街道 has only county-centre coordinates: every distance from it comes from the tree.
    people = prepare_people(people_frame({"admin_code": JIANJUN}))
    posts = prepare_posts(
        posts_frame(
            {"admin_code": JIANJUN},
            {"admin_code": "610426001001"},
            {"admin_code": MAFANG_A},
            {"admin_code": QIANXIAN},
            {"admin_code": LINYOU},
            {"admin_code": PINGLIANG},
        )
    )
    assert not people.precise[0]
    geo = pair_geo(people, posts, np.zeros(6, dtype=np.int64), np.arange(6))
    assert geo.minutes.tolist() == [5.0, 20.0, 60.0, 120.0, 600.0, 600.0]


# ----------------------------------------------------------------------------- reach table

REACH_POSTS = (
    {"vacancy_id": "own_village", "admin_code": MAFANG_A},
    {"vacancy_id": "same_town", "admin_code": MAFANG_B},
    {"vacancy_id": "half_hour", "admin_code": CHANGNING},
    {"vacancy_id": "31_min", "admin_code": QUZI},
    {"vacancy_id": "county", "admin_code": DIANTOU},
    {"vacancy_id": "city", "admin_code": QIANXIAN},
    {"vacancy_id": "province", "admin_code": LINYOU},
    {"vacancy_id": "far", "admin_code": PINGLIANG},
    {"vacancy_id": "online", "kind": "online"},
    {"vacancy_id": "home_ws_county", "kind": "workshop_home", "admin_code": DIANTOU},
    {"vacancy_id": "home_ws_other", "kind": "workshop_home", "admin_code": QIANXIAN},
)
MARKET = ("own_village", "same_town", "half_hour", "31_min", "county", "city", "province", "far")
HOME = {"own_village", "online", "home_ws_county"}
EXPECTED_REACH = {
    "home": HOME,
    "village": HOME,
    "town": HOME | {"same_town", "half_hour"},
    "county": HOME | {"same_town", "half_hour", "31_min", "county"},
    "province": HOME | {"same_town", "half_hour", "31_min", "county", "city", "province", "home_ws_other"},
    "nationwide": set(MARKET) | {"online", "home_ws_county", "home_ws_other"},
}


@pytest.mark.parametrize("mobility", MOBILITY_ORDER)
def test_reach_by_mobility(run: Run, mobility: str) -> None:
    (result,) = run(people_frame({"mobility": mobility}), posts_frame(*REACH_POSTS), k=20)
    assert {r.vacancy_id for r in result.recommendations} == EXPECTED_REACH[mobility]


@pytest.mark.parametrize("mobility", ["town", "county"])
def test_half_hour_post_across_the_prefecture_line_is_reached(run: Run, mobility: str) -> None:
    """A factory 2 km away is in the half-hour circle even if the prefecture line runs between."""
    near = {"lat": MAFANG_CENTRE[0] + 0.015, "lon": MAFANG_CENTRE[1] + 0.01}
    posts = posts_frame(
        {"vacancy_id": "across", "admin_code": LINYOU, **near}, {"vacancy_id": "far", "admin_code": LINYOU}
    )
    (result,) = run(people_frame({"mobility": mobility}), posts, k=10)
    assert [(r.vacancy_id, r.step) for r in result.recommendations] == [("across", "half_hour")]


def test_public_welfare_posts_only_in_own_village_or_town(run: Run) -> None:
    welfare = {"kind": "public_welfare", "title": "保洁员", "openings": 1}
    posts = posts_frame(
        {**welfare, "vacancy_id": "W_village", "admin_code": MAFANG_A},
        {**welfare, "vacancy_id": "W_town", "admin_code": MAFANG_B},
        {**welfare, "vacancy_id": "W_near", "admin_code": CHANGNING},
        {**welfare, "vacancy_id": "W_county", "admin_code": DIANTOU},
    )
    older = {"age": 58, "education": "primary", "skills": None}  # flagged public_welfare
    people = people_frame({**older, "mobility": "village"}, {**older, "mobility": "nationwide"})
    village, anywhere = run(people, posts, k=10)
    assert {r.vacancy_id for r in village.recommendations} == {"W_village"}
    assert {r.vacancy_id for r in anywhere.recommendations} == {"W_village", "W_town"}


# ----------------------------------------------------------------------------- status, age, body


def test_closed_expired_and_full_posts_are_never_suggested(run: Run) -> None:
    posts = posts_frame(
        {"vacancy_id": "ok"},
        {"vacancy_id": "closed", "status": "closed"},
        {"vacancy_id": "filled", "status": "filled"},
        {"vacancy_id": "expired", "end_date": (TODAY - dt.timedelta(days=1)).isoformat()},
        {"vacancy_id": "ends_today", "end_date": TODAY.isoformat()},
        {"vacancy_id": "no_openings", "openings": 0},
    )
    (result,) = run(people_frame({}), posts, k=10)
    assert {r.vacancy_id for r in result.recommendations} == {"ok", "ends_today"}


@pytest.mark.parametrize(
    ("age", "expected"), [(17, {"any"}), (18, {"any", "18_45"}), (45, {"any", "18_45"}), (46, {"any"})]
)
def test_age_limits(run: Run, age: int, expected: set[str]) -> None:
    posts = posts_frame({"vacancy_id": "any"}, {"vacancy_id": "18_45", "age_min": 18, "age_max": 45})
    (result,) = run(people_frame({"age": age}), posts, k=10)
    assert {r.vacancy_id for r in result.recommendations} == expected


@pytest.mark.parametrize(
    ("health", "disability", "expected"),
    [
        ("healthy", "none", {"low", "medium", "high"}),
        ("weak", "mild", {"low", "medium", "high"}),
        ("chronic", "none", {"low", "medium"}),
        ("healthy", "moderate", {"low", "medium"}),
        ("serious", "none", {"low"}),
        ("healthy", "severe", {"low"}),
    ],
)
def test_physical_limits(run: Run, health: str, disability: str, expected: set[str]) -> None:
    posts = posts_frame(*({"vacancy_id": d, "physical_demand": d} for d in ("low", "medium", "high")))
    (result,) = run(people_frame({"health": health, "disability": disability}), posts, k=10)
    assert {r.vacancy_id for r in result.recommendations} == expected
