"""A frame's cells as Python objects, read in one step, equal reading them column by column."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from features.contract.validate import _cells, python_cells

N = st.integers(0, 6)
TEXT = st.one_of(st.none(), st.text(max_size=4))


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(N)

    def cells(elements: st.SearchStrategy) -> list:  # type: ignore[type-arg]
        return draw(st.lists(elements, min_size=n, max_size=n))

    stamps = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1))
    mixed = st.one_of(TEXT, st.integers(-5, 5), st.just(np.int64(7)), st.just([1, "a"]))
    makers = {
        "text": lambda: pd.Series(cells(TEXT), dtype="str"),
        "objects": lambda: pd.Series(cells(mixed), dtype=object),
        "ints": lambda: pd.Series(cells(st.one_of(st.none(), st.integers(-9, 9))), dtype="Int64"),
        "floats": lambda: pd.Series(cells(st.floats(allow_nan=True, allow_infinity=False)), dtype=float),
        "flags": lambda: pd.Series(cells(st.booleans()), dtype=bool),
        "stamps": lambda: pd.Series(cells(st.one_of(st.none(), stamps)), dtype="datetime64[ns]"),
    }
    names = draw(st.lists(st.sampled_from(sorted(makers)), min_size=1, max_size=8))
    return pd.DataFrame({f"{k}{i}": makers[k]().reset_index(drop=True) for i, k in enumerate(names)})


def _python_column(series: pd.Series, native: bool) -> list[object]:
    """One column's cells read through pandas, the reference :func:`python_cells` is checked against."""
    cells = _cells(series.to_numpy(dtype=object))
    if native and series.dtype == object:
        cells = [c.item() if isinstance(c, np.generic) else c for c in cells]
    return cells


def _typed(cells: list[list[object]]) -> list[list[tuple[type, str]]]:
    return [[(type(c), repr(c)) for c in column] for column in cells]


@settings(max_examples=150, deadline=None)
@given(frames(), st.booleans(), st.data())
def test_one_step_equals_column_by_column(frame: pd.DataFrame, native: bool, data: st.DataObject) -> None:
    names = data.draw(st.lists(st.sampled_from(list(frame.columns)), max_size=len(frame.columns), unique=True))
    expected = [_python_column(frame[name], native) for name in names]
    assert _typed(python_cells(frame, names, native=native)) == _typed(expected)
