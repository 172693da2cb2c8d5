"""A few rows' enum codes looked up cell by cell: the same codes, and the same refusals, as the index."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.encoder_features import _ALLOWED, _codes
from store.errors import InputError

NAMES = sorted(_ALLOWED)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), st.data())
def test_cell_by_cell_codes_equal_the_index_lookup(name: str, data: st.DataObject) -> None:
    cells = st.one_of(
        st.sampled_from(list(_ALLOWED[name])),
        st.none(),
        st.just(float("nan")),
        st.sampled_from(["", "teleport", "FULL_TIME"]),
        st.integers(0, 3),
    )
    values = data.draw(st.lists(cells, max_size=8))
    dtype = data.draw(st.sampled_from([object, None]))
    frame = pd.DataFrame({name: pd.Series(values, dtype=dtype) if values else pd.Series([], dtype=object)})
    outcomes = []
    for few in (64, -1):
        try:
            outcomes.append(("codes", _codes(frame, name, "laborers", few=few).tolist()))
        except InputError as exc:
            outcomes.append(("refused", str(exc)))
    assert outcomes[0] == outcomes[1], values


def test_a_value_outside_the_vocabulary_is_refused_naming_it() -> None:
    name = NAMES[0]
    frame = pd.DataFrame({name: ["teleport"]})
    with pytest.raises(InputError, match="teleport"):
        _codes(frame, name, "laborers")
