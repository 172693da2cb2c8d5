"""Structured explanations (matcher/explain.py): one object, its fields and the sentences derived from it.

Hand-built people and posts run through the real Recommender; the sample
county checks that every suggestion carries an explanation whose sentences
are its reasons and whose JSON holds plain types only; a stored list is
re-checked and explained for one person through ``describe_pairs``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from matcher.artifact import load_model
from matcher.explain import RELATIONS, VERDICTS, Explanation
from matcher.lookup import Lookup
from matcher.prepare import prepare_people
from matcher.recommend import PersonResult, Recommendation
from store import load_laborers
from tests.matcher.conftest import DIANTOU, MAFANG_A, MAFANG_B, TODAY, County, Run, people_frame, posts_frame


def _by_vacancy(result: PersonResult) -> dict[str, Recommendation]:
    return {r.vacancy_id: r for r in result.recommendations}


def _plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


def test_fields_of_hand_built_suggestions_and_their_sentences(run: Run) -> None:
    person = {"mobility": "county", "age": 40, "care_duties": "是", "expected_wage": 3000, "skills": "电焊"}
    posts = posts_frame(
        {"vacancy_id": "village", "admin_code": MAFANG_A, "required_skills": "电焊", "title": "电焊工"},
        {"vacancy_id": "town", "admin_code": MAFANG_B, "wage_min": 150, "wage_max": 150, "wage_unit": "day"},
        {
            "vacancy_id": "county",
            "admin_code": DIANTOU,
            "wage_min": 2000,
            "wage_max": 2400,
            "hours": "flexible",
            "age_min": 18,
            "age_max": 50,
            "physical_demand": "medium",
            "training_provided": "是",
            "transport_provided": "是",
        },
        {"vacancy_id": "online", "kind": "online", "title": "电商客服", "wage_min": None, "wage_max": None},
    )
    (result,) = run(people_frame(person), posts, k=10)
    recs = _by_vacancy(result)
    assert set(recs) == {"village", "town", "county", "online"}
    for rec in recs.values():
        d = rec.details
        assert isinstance(d, Explanation)
        assert d.sentences() == rec.reasons
        assert (d.vacancy_id, d.kind, d.step, d.score) == (rec.vacancy_id, rec.kind, rec.step, rec.score)
        assert d.relation in RELATIONS and d.wage_verdict in VERDICTS and 0 <= d.occupation_level <= 4
        assert d.mobility == "county" and d.care_duties and d.age == 40
        doc = d.to_json()
        assert _plain(doc) and json.loads(json.dumps(doc, allow_nan=False)) == doc
        assert [c["text"] for c in doc["constraints"]] == [c.text for c in d.constraints]
        assert "；".join(c.text for c in d.constraints) in rec.reasons

    village = recs["village"].details
    assert village is not None
    assert village.relation == "same_village" and village.matched_skills == ("焊工",)
    assert (village.wage_min, village.wage_max, village.wage_unit) == (2800.0, 3600.0, "month")
    assert (village.wage_monthly, village.expected_monthly, village.wage_verdict) == (3200.0, 3000.0, "meets")
    assert [c.code for c in village.constraints] == ["mobility", "physical", "openings"]
    assert village.hours == "full_time" and not village.hours_suit_care

    town = recs["town"].details
    assert town is not None
    assert town.relation == "same_town" and town.travel_minutes is not None and town.travel_km is not None
    assert (town.wage_unit, town.wage_monthly, town.wage_verdict) == ("day", 3300.0, "meets")
    assert f"约{town.travel_minutes:.0f}分钟车程" in recs["town"].reasons[1]

    county = recs["county"].details
    assert county is not None
    assert county.relation == "same_county" and county.transport and "提供交通" in recs["county"].reasons[1]
    assert (county.wage_monthly, county.wage_verdict) == (2200.0, "below")
    assert "低于期望3000元/月" in recs["county"].reasons[2]
    assert county.hours == "flexible" and county.hours_suit_care and "便于照顾家庭" in recs["county"].reasons[3]
    assert county.employer_trains and "单位提供岗前培训" in recs["county"].reasons
    assert (county.age_min, county.age_max, county.physical_demand) == (18, 50, "medium")
    assert [c.code for c in county.constraints] == ["mobility", "age", "physical", "openings"]
    assert county.constraints[1].text == "年龄40岁符合18-50岁要求"

    online = recs["online"].details
    assert online is not None
    assert (online.relation, online.travel_minutes, online.travel_km) == ("online", 0.0, None)
    assert (online.wage_min, online.wage_max, online.wage_monthly, online.wage_verdict) == (None, None, None, "unknown")
    assert recs["online"].reasons[2] == "工资面议"


def test_person_result_json_carries_details_on_request(run: Run) -> None:
    (result,) = run(people_frame({}), posts_frame({"vacancy_id": "v", "admin_code": MAFANG_A}), k=3)
    plain, full = result.to_json(), result.to_json(details=True)
    assert "details" not in plain["recommendations"][0]
    (rec,) = full["recommendations"]
    assert rec["details"] == result.recommendations[0].details.to_json()  # type: ignore[union-attr]
    assert {k: v for k, v in rec.items() if k != "details"} == plain["recommendations"][0]
    # A suggestion built without details (a stored run) still serialises.
    bare = result._replace(recommendations=[result.recommendations[0]._replace(details=None)])
    assert bare.to_json(details=True)["recommendations"][0]["details"] is None


@pytest.fixture(scope="module")
def lookup(county: County) -> Lookup:
    return Lookup(county.engine, model=load_model(county.model_path), today=TODAY)


@pytest.fixture(scope="module")
def seekers(county: County) -> list[str]:
    laborers = load_laborers(county.engine)
    return laborers.loc[laborers["wants_job"].fillna(False).astype(bool), "laborer_id"].tolist()[:150]


def test_every_sample_suggestion_has_details_whose_sentences_are_its_reasons(
    lookup: Lookup, seekers: list[str]
) -> None:
    results = lookup.recommend(seekers, k=10)
    recs = [r for res in results for r in res.recommendations]
    assert len(recs) > 300
    assert all(r.details is not None and r.details.sentences() == r.reasons for r in recs)
    docs = [res.to_json(details=True) for res in results]
    assert _plain(docs)
    json.dumps(docs, allow_nan=False)
    relations = {r.details.relation for r in recs if r.details is not None}
    assert {"same_village", "same_county"} <= relations


def test_a_stored_list_is_rechecked_and_explained_for_one_person(lookup: Lookup, seekers: list[str]) -> None:
    """Last night's list of one person (vacancy ids, steps, scores) judged and explained today."""
    laborer = seekers[3]
    (stored,) = lookup.recommend([laborer], k=10)
    assert stored.recommendations
    rec = lookup.recommender
    pj = rec.posts.rows_of([r.vacancy_id for r in stored.recommendations])
    encoded = lookup.people([laborer])
    report = rec.describe_pairs(encoded, np.zeros(len(pj), dtype=np.int64), pj)
    assert report.ok.all()
    for n, old in enumerate(stored.recommendations):
        details = report.details(n, old.step)
        assert details.sentences() == report.reasons(n, old.step)
        assert details.vacancy_id == old.vacancy_id and details.step == old.step
        assert details.score == pytest.approx(old.score, abs=1e-6)
        # The same fields (a one-pair distance may differ from the grid's in the last bits).
        assert old.details is not None
        floats = ("score", "travel_minutes", "travel_km")
        now, then = details.to_json(), old.details.to_json()
        assert {k: v for k, v in now.items() if k not in floats} == {k: v for k, v in then.items() if k not in floats}
        assert [now[k] for k in floats] == pytest.approx([then[k] for k in floats], abs=1e-6)

    # Without vectors (prepared only): the constraints and explanations stand, the cosine feature is 0.
    bare = prepare_people(load_laborers(lookup.engine, ids=[laborer]), flags=False)
    assert bare.vectors is None
    plain = rec.describe_pairs(bare, np.zeros(len(pj), dtype=np.int64), pj)
    np.testing.assert_array_equal(plain.ok, report.ok)
    np.testing.assert_array_equal(plain.ring, report.ring)
    for n, old in enumerate(stored.recommendations):
        d = plain.details(n, old.step)
        assert d.sentences() == plain.reasons(n, old.step)
        assert d.relation == report.details(n, old.step).relation


def test_a_persons_pairs_judged_among_many_people_are_those_of_the_person_alone(
    lookup: Lookup, seekers: list[str]
) -> None:
    """A stored list re-checked in place among the run's prepared seekers (pairs index the person's row;
    only that row's skills are read) gets the verdict and the explanations it gets for the person alone."""
    from matcher.prepare import take_people

    people = lookup.people(seekers[:40])
    assert len(people) == 40
    rec = lookup.recommender
    checked = 0
    for row in (0, 7, 23, 39):
        (result,) = lookup.recommend([str(people.ids[row])], k=5)
        if not result.recommendations:
            continue
        pj = rec.posts.rows_of([r.vacancy_id for r in result.recommendations])
        alone = rec.describe_pairs(take_people(people, [row]), np.zeros(len(pj), dtype=np.int64), pj)
        among = rec.describe_pairs(people, np.full(len(pj), row, dtype=np.int64), pj)
        np.testing.assert_array_equal(among.ok, alone.ok)
        np.testing.assert_array_equal(among.ring, alone.ring)
        np.testing.assert_array_equal(among.market, alone.market)
        np.testing.assert_array_equal(among.X, alone.X)
        for n, r in enumerate(result.recommendations):
            assert among.details(n, r.step) == alone.details(n, r.step)
        checked += 1
    assert checked >= 3
