"""Flags: each default rule on a hand-built person, county overrides, random-people properties."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.errors import InputError
from matcher.flags import FLAG_KINDS, Flag, compute_flags, flags_summary
from matcher.policy import POLICY_ENV, Policy

BASE: dict[str, Any] = {
    "laborer_id": "L0000001",
    "gender": "male",
    "age": 35,
    "education": "junior",
    "disability": "none",
    "health": "healthy",
    "skills": ["电焊"],
    "certificates": [],
    "wants_job": True,
    "wants_training": False,
    "wants_business": False,
    "care_duties": False,
    "registered_poor": True,
    "training_interest": [],
    "mobility": "county",
    "employment_status": "unemployed",
    "zero_employment": False,
    "household_members": 4,
}


@pytest.fixture(autouse=True)
def _no_county_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POLICY_ENV, raising=False)


def frame(*people: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([{**BASE, **p} for p in people])


def flags_of(person: dict[str, Any], policy: Policy | None = None, **kwargs: Any) -> list[Flag]:
    return compute_flags(frame(person), policy, **kwargs)[0]


def one(person: dict[str, Any], kind: str, **kwargs: Any) -> Flag:
    found = [f for f in flags_of(person, **kwargs) if f.kind == kind]
    assert len(found) == 1, found
    return found[0]


def kinds(person: dict[str, Any], **kwargs: Any) -> list[str]:
    return [f.kind for f in flags_of(person, **kwargs)]


def test_older_low_education_no_skills_gets_public_welfare() -> None:
    flag = one({"age": 58, "education": "primary", "skills": []}, "public_welfare")
    assert [r for r in flag.reasons if r in ("年龄58岁", "小学文化", "无技能")] == [
        "年龄58岁",
        "小学文化",
        "无技能",
    ]
    assert "年龄58岁，小学文化，无技能" in flag.note()
    assert len(flag.reasons_en) == len(flag.reasons) and "aged 58" in flag.reasons_en
    assert flag.suggest == ("public_welfare",)


def test_4050_woman_with_primary_school() -> None:
    flag = one({"gender": "female", "age": 45, "education": "primary"}, "public_welfare")
    assert "“4050”人员" in flag.reasons and "年龄45岁" in flag.reasons
    assert "小学文化" in flag.reasons and "无技能" not in flag.reasons


def test_4050_woman_without_skills() -> None:
    flag = one({"gender": "female", "age": 41, "skills": []}, "public_welfare")
    assert flag.reasons == ("“4050”人员", "年龄41岁", "无技能")


def test_45_year_old_man_with_primary_school_and_skills_is_not_4050() -> None:
    assert kinds({"age": 45, "education": "primary"}) == []
    assert kinds({"age": 50, "education": "primary"}) == ["public_welfare"]
    assert kinds({"gender": "female", "age": 39, "education": "primary"}) == []


def test_everyone_from_55() -> None:
    flag = one({"age": 55, "education": "senior"}, "public_welfare")
    assert flag.reasons == ("年龄55岁",)
    assert kinds({"age": 54, "education": "senior"}) == []


def test_low_education_without_skills_at_any_age() -> None:
    flag = one({"age": 25, "education": "none", "skills": []}, "public_welfare")
    assert flag.reasons == ("未上过学", "无技能")
    assert kinds({"age": 25, "education": "none", "skills": [], "certificates": ["电工证"]}) == []


def test_disability_uses_grade_words() -> None:
    flag = one({"disability": "severe"}, "public_welfare")
    assert flag.reasons == ("重度残疾",)
    assert one({"disability": "moderate"}, "public_welfare").reasons == ("中度残疾",)
    assert kinds({"disability": "mild"}) == []


def test_three_nos() -> None:
    person = {"mobility": "village", "skills": [], "health": "chronic"}
    flag = one(person, "public_welfare")
    assert flag.reasons == ("“三无”人员", "不出本村", "无技能", "患慢性病")
    assert kinds({**person, "skills": ["种地"]}) == []
    assert kinds({**person, "mobility": "town"}) == []


def test_zero_employment_household_without_market_posts() -> None:
    person = {"age": 30, "zero_employment": True}
    flag = one(person, "public_welfare", market_in_reach=np.array([0]))
    assert flag.reasons == ("零就业家庭，可及范围内无市场岗位",)
    assert kinds(person, market_in_reach=np.array([2])) == []
    assert kinds(person) == []  # without market_in_reach the rule is not applied


def test_zero_employment_column_only_needed_with_market_in_reach() -> None:
    people = frame({}).drop(columns=["zero_employment"])
    assert compute_flags(people) == [[]]
    with pytest.raises(InputError, match="zero_employment"):
        compute_flags(people, market_in_reach=np.array([0]))


def test_bedridden_carer_who_cannot_leave_home_gets_home_based() -> None:
    person = {"gender": "female", "age": 38, "care_duties": True, "mobility": "home"}
    flag = one(person, "home_based")
    assert flag.reasons[:2] == ("不能离家", "需照顾家庭")
    assert "建档立卡贫困妇女" in flag.reasons
    assert flag.suggest == ("workshop_home", "online")
    assert "care duties at home" in flag.reasons_en


def test_home_based_for_carers_and_travel_limiting_disability() -> None:
    assert one({"care_duties": True}, "home_based").reasons == ("需照顾家庭",)
    assert one({"disability": "moderate", "mobility": "town"}, "home_based").reasons == ("中度残疾",)
    assert "home_based" not in kinds({"disability": "severe", "mobility": "nationwide"})


def test_poor_women_carers_rule_stands_alone() -> None:
    policy = Policy.from_overrides({"home_based": {"care_duties": False}})
    woman = {"gender": "female", "care_duties": True}
    assert one(woman, "home_based", policy=policy).reasons == ("需照顾家庭", "建档立卡贫困妇女")
    assert flags_of({"care_duties": True}, policy) == []


def test_training_names_the_course_and_count() -> None:
    unlocks = [{"电工培训": 12, "叉车驾驶培训": 2}]
    flag = one({"wants_training": True}, "training", course_unlocks=unlocks)
    assert flag.reasons == ("有培训意愿", "参加电工培训可解锁附近12个岗位")
    assert flag.suggest == ("电工培训",)
    assert "12" in flag.reasons_en[1]


def test_training_prefers_the_persons_interest_then_count() -> None:
    unlocks = [{"焊工培训": 12, "电工培训": 4, "家政服务培训": 30}]
    person = {"wants_training": True, "training_interest": ["电工"]}
    flag = one(person, "training", course_unlocks=unlocks)
    assert flag.suggest == ("电工培训", "家政服务培训")
    assert flag.reasons[0] == "有培训意愿（电工）"


def test_no_training_flag_below_threshold_or_without_wish() -> None:
    assert kinds({"wants_training": True}, course_unlocks=[{"电工培训": 2}]) == []
    assert kinds({"wants_training": False}, course_unlocks=[{"电工培训": 20}]) == []
    assert kinds({"wants_training": True}) == []


def test_business_points_at_guaranteed_loans() -> None:
    flag = one({"wants_business": True}, "business")
    assert flag.reasons[0] == "有创业意愿"
    assert "创业担保贷款（最高20万元）" in flag.suggest
    assert "一次性创业补贴（5000元）" in flag.suggest
    not_poor = one({"wants_business": True, "registered_poor": False}, "business")
    assert all("一次性创业补贴" not in s for s in not_poor.suggest)


def test_flags_come_in_fixed_order() -> None:
    person = {
        "age": 58,
        "skills": [],
        "care_duties": True,
        "wants_training": True,
        "wants_business": True,
    }
    got = kinds(person, course_unlocks=[{"家政服务培训": 5}])
    assert got == list(FLAG_KINDS)


def test_eligibility_gates() -> None:
    assert kinds({"age": 70, "wants_business": True}) == []
    assert kinds({"age": 58, "employment_status": "unable"}) == []
    assert kinds({"age": 58, "wants_job": False, "wants_business": True}) == ["business"]
    assert kinds({"age": 58, "employment_status": "public_welfare"}) == []
    assert kinds({"age": None, "disability": "severe"}) == ["public_welfare"]


def test_county_file_overriding_one_threshold_changes_the_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = {"age": 58, "education": "senior"}
    assert kinds(person) == ["public_welfare"]
    path = tmp_path / "county.toml"
    path.write_text("[public_welfare.older]\nmin_age = 60\n", encoding="utf-8")
    assert flags_of(person, Policy.load(path)) == []
    monkeypatch.setenv(POLICY_ENV, str(path))
    from matcher.settings import Settings

    county_policy = Settings.load(home=tmp_path).load_policy()  # the county file, read once by the settings
    assert compute_flags(frame(person), policy=county_policy) == [[]]
    lower = Policy.from_overrides({"training": {"min_unlocked": 2}})
    assert flags_of({"wants_training": True}, lower, course_unlocks=[{"电工培训": 2}])


def test_one_list_per_row_in_frame_order_whatever_the_index() -> None:
    people = frame({"age": 58, "skills": []}, {}, {"wants_business": True})
    people.index = [10, 3, 7]
    out = compute_flags(people)
    assert [[f.kind for f in row] for row in out] == [["public_welfare"], [], ["business"]]
    assert flags_summary(out) == {
        "public_welfare": 1,
        "home_based": 0,
        "training": 0,
        "business": 1,
    }


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputError, match="mobility"):
        compute_flags(frame({}).drop(columns=["mobility"]))
    with pytest.raises(InputError, match="market_in_reach"):
        compute_flags(frame({}, {}), market_in_reach=np.array([0]))
    with pytest.raises(InputError, match="course_unlocks"):
        compute_flags(frame({}), course_unlocks=[])


def test_nullable_dtypes_and_missing_values() -> None:
    people = frame({"age": 58, "skills": None}, {"gender": None, "education": None}, {})
    people["age"] = people["age"].astype("Int64")
    people.loc[2, "age"] = pd.NA
    people["care_duties"] = pd.array([pd.NA, True, False], dtype="boolean")
    out = compute_flags(people)
    assert [f.kind for f in out[0]] == ["public_welfare"]
    assert [f.kind for f in out[1]] == ["home_based"]
    assert out[2] == []


def test_empty_frame() -> None:
    assert compute_flags(frame({}).iloc[:0]) == []


_people = st.fixed_dictionaries(
    {
        "gender": st.sampled_from(["male", "female", None]),
        "age": st.one_of(st.none(), st.integers(0, 100)),
        "education": st.sampled_from(
            ["none", "primary", "junior", "senior", "vocational", "college", "bachelor", None]
        ),
        "disability": st.sampled_from(["none", "mild", "moderate", "severe", None]),
        "health": st.sampled_from(["healthy", "weak", "chronic", "serious", None]),
        "skills": st.lists(st.sampled_from(["电焊", "种地", "", "家政"]), max_size=2),
        "certificates": st.lists(st.just("电工证"), max_size=1),
        "wants_job": st.booleans(),
        "wants_training": st.booleans(),
        "wants_business": st.booleans(),
        "care_duties": st.booleans(),
        "registered_poor": st.booleans(),
        "training_interest": st.lists(st.sampled_from(["电工", "叉车", "刺绣", "学开车"]), max_size=2),
        "mobility": st.sampled_from(["home", "village", "town", "county", "province", "nationwide"]),
        "employment_status": st.sampled_from(
            ["unemployed", "employed_local", "farming", "unable", "public_welfare", None]
        ),
        "zero_employment": st.booleans(),
    }
)
_extras = st.tuples(
    st.integers(0, 5),
    st.dictionaries(st.sampled_from(["电工培训", "焊工培训", "刺绣培训"]), st.integers(0, 20)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_people, _extras), max_size=12))
def test_random_people_never_raise_and_every_flag_has_a_reason(rows: list[Any]) -> None:
    people = frame(*[p for p, _ in rows]) if rows else frame({}).iloc[:0]
    reach = np.array([r for _, (r, _) in rows], dtype=np.int64)
    unlocks = [u for _, (_, u) in rows]
    out = compute_flags(people, market_in_reach=reach, course_unlocks=unlocks)
    assert len(out) == len(rows)
    for i, row in enumerate(out):
        got = [f.kind for f in row]
        assert got == [k for k in FLAG_KINDS if k in got]
        for flag in row:
            assert flag.reasons and len(flag.reasons) == len(flag.reasons_en)
            assert all(isinstance(r, str) and r for r in flag.reasons + flag.reasons_en)
        # a batch answers each person as that person alone would be answered
        alone = compute_flags(people.iloc[[i]], market_in_reach=reach[i : i + 1], course_unlocks=unlocks[i : i + 1])
        assert alone == [row]
    assert sum(flags_summary(out).values()) == sum(len(r) for r in out)
