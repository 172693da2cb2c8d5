"""The post list: kinds, places, wages, dates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.contract import vocab
from features.contract.columns import SCHEMAS
from features.taxonomy import DEFAULT_TAXONOMY_PATH
from sampledata import AS_OF, VACANCY_COLUMNS, SampleCounty


def test_columns_and_enums(sample: SampleCounty) -> None:
    posts = sample.public("vacancies")
    assert tuple(posts.columns) == VACANCY_COLUMNS
    assert set(VACANCY_COLUMNS) <= {c.name for c in SCHEMAS["vacancies"]}
    for column, choices in (
        ("kind", vocab.KIND),
        ("wage_unit", vocab.WAGE_UNIT),
        ("hours", vocab.HOURS),
        ("physical_demand", vocab.PHYSICAL_DEMAND),
        ("status", vocab.STATUS),
    ):
        assert set(posts[column]) <= set(choices), column
    assert set(posts["kind"]) == set(vocab.KIND)
    assert posts["vacancy_id"].is_unique


def test_public_welfare_posts_are_about_two_per_village(sample: SampleCounty) -> None:
    posts = sample.vacancies
    pw = posts[posts["kind"] == "public_welfare"]
    villages = sample.geography.villages
    real = int((villages["village"] != "").sum())
    per_village = pw.groupby("_village").size()
    assert 1.8 < len(pw) / real < 2.2
    assert per_village.between(1, 3).all()
    assert (pw["hours"] != "full_time").all()
    assert pw["wage_min"].ge(300).all() and pw["wage_max"].le(600).all()
    assert pw["openings"].between(1, 2).all() and pw["age_max"].le(65).all()
    assert pw["village"].ne("").all()


def test_public_welfare_is_capped_when_the_list_is_short(small: SampleCounty) -> None:
    kinds = small.vacancies["kind"]
    assert (kinds == "public_welfare").mean() <= 0.5
    assert kinds.nunique() == 6


def test_far_posts_in_the_four_cooperation_cities(sample: SampleCounty) -> None:
    posts = sample.public("vacancies")
    far = posts[posts["province"] != "陕西省"]
    assert set(far["city"]) == {"东莞市", "深圳市", "宁波市", "济南市"}
    assert (far["kind"] == "enterprise").all()
    assert far["wage_min"].ge(4500).all() and far["wage_max"].le(7500).all()
    assert far["lodging_provided"].mean() > 0.6 and far["transport_provided"].mean() > 0.5
    lat = far["lat"].dropna()
    assert lat.between(22, 37.5).all()


def test_wages_openings_and_descriptions(sample: SampleCounty) -> None:
    posts = sample.public("vacancies")
    assert (posts["wage_min"] <= posts["wage_max"]).all()
    assert (posts["age_min"] < posts["age_max"]).all()
    home = posts[posts["kind"] == "workshop_home"]
    assert (home["wage_unit"] == "piece").all()
    assert home["wage_min"].ge(1000).all() and home["wage_max"].le(2500).all()
    assert home["description"].str.contains("计件").all()
    assert home["description"].str.contains("按月折算").all()
    base = posts[posts["kind"] == "workshop_base"]
    assert (base["wage_unit"] == "day").all() and base["wage_min"].ge(80).all()
    assert base["wage_max"].le(150).all()
    shops = posts[posts["kind"].str.startswith("workshop")]
    assert shops["openings"].between(5, 40).all()
    local = posts[(posts["kind"] == "enterprise") & (posts["province"] == "陕西省")]
    assert local["wage_min"].ge(2000).all() and local["wage_max"].le(4500).all()
    assert posts["openings"].ge(1).all() and posts["openings"].max() > 50
    assert posts["description"].str.len().gt(10).all()


def test_occupation_codes(sample: SampleCounty) -> None:
    posts = sample.public("vacancies")
    code = posts["occupation_code"]
    assert 0.65 < (code != "").mean() < 0.75
    known = set(pd.read_csv(DEFAULT_TAXONOMY_PATH, dtype=str)["code"])
    assert set(code[code != ""]) <= known
    assert code[code != ""].str.fullmatch(r"\d-\d{2}-\d{2}-\d{2}").all()


def test_dates_and_status(sample: SampleCounty) -> None:
    posts = sample.public("vacancies")
    start = pd.to_datetime(posts["start_date"])
    end = pd.to_datetime(posts["end_date"])
    assert (start < end).all()
    as_of = pd.Timestamp(AS_OF)
    assert (start <= as_of).all()
    assert (posts["status"] == "open").mean() > 0.75
    ended = posts["status"] != "open"
    assert (end[ended] < as_of).all() and (end[~ended] > as_of).all()
    assert np.isin(posts["employer_id"].str[:1], ["E"]).all()
    assert posts.groupby("employer_id")["employer_name"].nunique().eq(1).all()
