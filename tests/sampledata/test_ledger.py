"""Shapes and proportions of the laborer ledger and households."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.contract import vocab
from features.contract.columns import SCHEMAS
from sampledata import HOUSEHOLD_COLUMNS, LABORER_COLUMNS, SampleCounty
from sampledata.laborers import SHARES


def test_columns_follow_the_contract(sample: SampleCounty) -> None:
    people = sample.public("laborers")
    assert tuple(people.columns) == LABORER_COLUMNS
    contract = {c.name for c in SCHEMAS["laborers"]}
    assert set(LABORER_COLUMNS) <= contract
    assert tuple(sample.public("households").columns) == HOUSEHOLD_COLUMNS
    for column, choices in (
        ("gender", vocab.GENDER),
        ("education", vocab.EDUCATION),
        ("disability", vocab.DISABILITY),
        ("health", vocab.HEALTH),
        ("mobility", vocab.MOBILITY),
        ("employment_status", vocab.EMPLOYMENT_STATUS),
    ):
        assert set(people[column]) <= set(choices), column


def test_shares_from_the_seed_ledger(sample: SampleCounty) -> None:
    people = sample.laborers
    n = len(people)
    for column in ("wants_job", "wants_training", "wants_business"):
        assert abs(people[column].sum() - n * SHARES[column]) <= 1, column
    assert abs(people["_able"].mean() - SHARES["able"]) < 0.002
    assert abs(people["registered_poor"].mean() - 0.90) < 0.03
    employed = people["employment_status"].isin(vocab.EMPLOYED_STATUSES)
    assert 0.72 < employed[people["_able"]].mean() < 0.9  # 79.3 % before the history's hires
    assert 0.15 < people["lat"].notna().mean() < 0.25
    assert (people["lat"].notna() == people["lon"].notna()).all()


def test_people_look_like_a_poor_county(sample: SampleCounty) -> None:
    people = sample.laborers
    age = people["age"]
    assert age.between(16, 65).all()
    assert age.median() >= 42
    assert age.between(45, 60).mean() > 0.3
    assert people["education"].isin(["primary", "junior"]).mean() > 0.6
    carers = people[people["care_duties"] & (people["gender"] == "female") & (age >= 45)]
    assert carers["mobility"].isin(["home", "village"]).mean() > 0.6
    young = people[age < 30]["mobility"].isin(["province", "nationwide"]).mean()
    old = people[age >= 55]["mobility"].isin(["province", "nationwide"]).mean()
    assert young > 3 * old
    unable = people["employment_status"] == "unable"
    assert (people.loc[unable, "wants_job"] == 0).mean() > 0.95


def test_households(sample: SampleCounty) -> None:
    people, households = sample.public("laborers"), sample.public("households")
    counts = people.groupby("household_id").size()
    assert counts.between(2, 5).all()
    assert (households.set_index("household_id")["members"] == counts).all()
    assert households["head_laborer_id"].isin(people["laborer_id"]).all()
    same = people.merge(households, on="household_id", suffixes=("", "_h"))
    for column in ("county", "town", "village", "registered_poor"):
        assert (same[column] == same[f"{column}_h"]).all()
    working = people["employment_status"].isin(vocab.EMPLOYED_STATUSES).groupby(people["household_id"]).any()
    assert (households.set_index("household_id")["zero_employment"] == ~working).all()
    assert 0.05 < households["zero_employment"].mean() < 0.3


def test_list_fields_are_dirty_like_clerks_write(sample: SampleCounty) -> None:
    people = sample.public("laborers")
    posts = sample.public("vacancies")
    text = pd.concat(
        [
            people["skills"],
            people["job_intention"],
            people["certificates"],
            posts["title"],
            posts["required_skills"],
        ]
    )
    joined = "".join(text)
    for sep in ("、", ",", "，", ";", "；"):
        assert sep in joined
    assert any(ch in joined for ch in "銲電護遞織繡證飼"), "no Traditional characters"
    assert any("\uff01" <= ch <= "\uff5e" and ch not in "（），；" for ch in joined), "no full-width forms"
    share_with_skills = (people["skills"] != "").mean()
    assert 0.4 < share_with_skills < 0.85
    assert people["job_intention"].str.contains("电焊|焊工|叉车|保姆|厨师|普工").any()
    # Nothing hidden leaks into the written frames.
    assert not [c for c in people.columns if c.startswith("_")]
    assert np.isin(["_occ", "_lat"], sample.laborers.columns).all()
