"""``features.rows.object_frame``: the frame a dict of columns makes with ``dtype=object``, from one block."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from features.rows import object_frame

CELLS = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.text(max_size=6),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.lists(st.text(max_size=3), max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 4).flatmap(
        lambda n: st.dictionaries(st.text(min_size=1, max_size=4), st.lists(CELLS, min_size=n, max_size=n), max_size=6)
    )
)
def test_the_same_frame_as_built_column_by_column(columns: dict[str, list[object]]) -> None:
    n = len(next(iter(columns.values()), []))
    arrays = {
        name: np.array(values + [None], dtype=object)[:-1] for name, values in columns.items()
    }  # lists stay cells
    index = pd.RangeIndex(n)
    got = object_frame(arrays, index)
    want = pd.DataFrame(arrays, index=index, dtype=object)
    assert list(got.columns) == list(want.columns)
    assert all(dtype == np.dtype(object) for dtype in got.dtypes)  # never pandas' inferred text type
    for name in want.columns:
        assert got[name].tolist() == want[name].tolist() or all(
            (a is b) or (a == b) or (a != a and b != b) for a, b in zip(got[name], want[name], strict=True)
        )
