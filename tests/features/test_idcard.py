"""ID numbers checked column-wise: what a valid number says, what a broken one is told, what is missing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from features.contract.idcard import check_character, id_number_parts, parse_id_numbers

BIRTHS = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31))
REGIONS = st.sampled_from(["610426", "360322", "110101", "440305"])


@st.composite
def valid_numbers(draw: st.DrawFn) -> tuple[str, dt.date, str]:
    birth = draw(BIRTHS)
    seq = draw(st.integers(0, 999))
    first17 = f"{draw(REGIONS)}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17), birth, "male" if seq % 2 else "female"


MISSING = st.sampled_from([None, float("nan"), pd.NA, pd.NaT])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(valid_numbers(), MISSING, st.text(max_size=20)), min_size=0, max_size=12))
def test_each_cell_gets_its_own_verdict(cells: list[object]) -> None:
    values = [c[0] if isinstance(c, tuple) else c for c in cells]
    number, birth, gender, error = id_number_parts(values)
    assert len(number) == len(birth) == len(gender) == len(error) == len(cells)
    for i, cell in enumerate(cells):
        if isinstance(cell, tuple):  # a valid number: its birth date and gender, no error
            text, born, sex = cell
            assert (number[i], birth[i], gender[i], error[i]) == (text, born, sex, None)
        elif cell is None or cell is pd.NA or cell is pd.NaT or (isinstance(cell, float) and cell != cell):
            assert (number[i], birth[i], gender[i], error[i]) == (None, None, None, None)
        elif not str(cell).strip():  # a blank cell: not given, not wrong
            assert (number[i], birth[i], gender[i], error[i]) == (None, None, None, None)
        else:  # free text: either a number after all, or refused with a reason in both languages
            assert (error[i] is None) == (number[i] is not None)
            if error[i] is not None:
                en, zh = error[i]
                assert en and zh and birth[i] is None and gender[i] is None
    # The frame of the same verdicts (pandas may hold a missing text as NaN there).
    frame = parse_id_numbers(pd.Series(values, dtype=object))
    names = ("id_number", "birth_date", "gender", "error")
    for name, column in zip(names, (number, birth, gender, error), strict=True):
        got = frame[name].tolist()
        assert [None if v is None or v != v else v for v in got] == column.tolist(), name


@settings(max_examples=100, deadline=None)
@given(valid_numbers(), st.integers(0, 10))
def test_a_wrong_check_character_is_named(valid: tuple[str, dt.date, str], shift: int) -> None:
    text = valid[0]
    wrong = "10X98765432"[("10X98765432".index(text[-1]) + 1 + shift % 10) % 11]
    number, birth, _, error = id_number_parts([text[:-1] + wrong.lower(), " " + text.lower() + " "])
    assert number[0] is None and birth[0] is None and f"need {text[-1]}" in error[0][0]
    assert number[1] == text and error[1] is None  # spaces and a lower-case x are forgiven
    assert isinstance(number, np.ndarray) and number.dtype == object
