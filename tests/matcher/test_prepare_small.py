"""A few people are prepared cell by cell: the same arrays as factorizing the column."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.prepare import _code_int, _enum, _per_distinct
from tests.matcher.conftest import County

cells = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(["none", "mild", "severe", "county", "", "610426", "610426100", "61x"]),
    st.text(max_size=6),
)
dtypes = st.sampled_from([None, "str", "object"])


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, max_size=12), dtypes)
def test_cell_by_cell_gives_what_factorizing_gives(values: list[object], dtype: str | None) -> None:
    series = pd.Series(values, dtype=dtype) if values else pd.Series([], dtype=object)
    for fn, out in (
        (lambda v: -1 if v is None else len(str(v)), np.int64),
        (lambda v: v in ("none", "mild"), bool),
        (lambda v: "mis" if v is None else str(v)[:2], object),
    ):
        small = _per_distinct(series, fn, out, few=64)
        large = _per_distinct(series, fn, out, few=-1)
        assert small.dtype == large.dtype and small.tolist() == large.tolist(), (values, dtype)
    assert _enum(series, ("none", "mild", "severe"), missing=3).tolist() == [
        {"none": 0, "mild": 1, "severe": 2}.get(v, 3) if isinstance(v, str) else 3 for v in values
    ]


def test_people_prepared_one_at_a_time_equal_the_same_rows_prepared_together(county: County) -> None:
    """The paths for few rows (no data copy, cell by cell) and for many give each person the same arrays."""
    from sqlalchemy import create_engine

    from features.rows import FEW_ROWS
    from matcher.prepare import People, prepare_people
    from store import load_laborers
    from store.readers import load_household_flags

    engine = create_engine(county.db_url)
    frame = load_laborers(engine).head(3 * FEW_ROWS)
    households = load_household_flags(engine)
    together = prepare_people(frame, households)
    for row in range(0, len(frame), 7):
        alone = prepare_people(frame.iloc[[row]], households)
        for f in fields(People):
            a, b = getattr(alone, f.name), getattr(together, f.name)
            if isinstance(b, np.ndarray):
                assert a.dtype == b.dtype and np.array_equal(a[0], b[row], equal_nan=a.dtype.kind == "f"), f.name
            elif isinstance(b, list):
                assert a[0] == b[row], f.name
    assert not frame.columns.isin(["occupation_codes", "zero_employment"]).any()  # the caller's frame untouched


codes = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(["610426", "610426100201", "6104", "", "61x426", "١٢٣٤٥٦", "²", "61042²"]),
    st.integers(0, 10**12),
    st.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e12),
    st.text(max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(codes, max_size=12), st.sampled_from([2, 4, 6, 12]))
def test_codes_are_read_as_the_text_of_each_cell(values: list[object], width: int) -> None:
    """Administrative codes from the raw column equal those read from ``fillna("").astype(str)``, on both
    the few-rows and the many-rows paths."""
    series = pd.Series(values, dtype=object)

    def reference(v: str) -> int:
        return int(v[:width]) if v[:width].isdecimal() else 0

    expected = [reference(v) for v in series.fillna("").astype(str)]
    assert _code_int(series, width).tolist() == expected
    assert _code_int(pd.concat([series] * 10, ignore_index=True), width).tolist() == expected * 10
