"""ID numbers, names, phones, birth dates."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from features.contract.idcard import parse_id_numbers
from sampledata import AS_OF, SampleCounty
from sampledata.identity import ages_at, birth_dates, check_characters

_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _check(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _W, strict=True)) % 11]


def test_every_id_number_is_valid_and_consistent(sample: SampleCounty) -> None:
    people = sample.public("laborers")
    ids = people["id_number"].astype(str)
    assert ids.str.fullmatch(r"\d{17}[\dX]").all()
    assert all(_check(v[:17]) == v[17] for v in ids)
    assert parse_id_numbers(ids)["error"].isna().all()
    assert ids.is_unique  # a number is one person's: the same number under two laborer ids reads as a duplicate
    adcode = dict(zip(sample.geography.counties["county"], sample.geography.counties["adcode"], strict=True))
    assert (ids.str[:6] == people["county"].map(adcode).astype(str)).all()
    assert (ids.str[6:14] == people["birth_date"].str.replace("-", "")).all()
    odd = ids.str[16].astype(int) % 2 == 1
    assert ((people["gender"] == "male") == odd).all()
    births = pd.to_datetime(people["birth_date"]).to_numpy().astype("datetime64[D]")
    assert (ages_at(births, AS_OF) == people["age"].to_numpy()).all()


def test_check_characters_match_the_standard() -> None:
    # The worked example of GB 11643-1999.
    digits = np.array([[int(c) for c in "11010519491231002"]])
    assert check_characters(digits)[0] == "X"


def test_birth_dates_give_the_requested_age_even_across_leap_days() -> None:
    rng = np.random.default_rng(0)
    ages = rng.integers(16, 66, 50_000)
    for as_of in (AS_OF, dt.date(2024, 2, 29), dt.date(2023, 3, 1), dt.date(2021, 1, 1)):
        assert (ages_at(birth_dates(rng, ages, as_of), as_of) == ages).all()


def test_phones_and_names_look_real(sample: SampleCounty) -> None:
    people = sample.public("laborers")
    assert people["phone"].astype(str).str.fullmatch(r"1[3-9]\d{9}").all()
    names = people["name"]
    assert names.str.len().between(2, 3).all()
    assert names.map(lambda s: bool(re.fullmatch(r"[\u4e00-\u9fff]+", s))).all()
    assert names.nunique() > len(names) * 0.3
