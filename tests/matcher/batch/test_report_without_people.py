"""The morning report for a reader of aggregates alone: households become counts per village."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.batch.report_tables import VILLAGE_COLUMNS, zero_households_by_village

PLACES = [("610426", "监军街道", "东村"), ("610426", "监军街道", "西村"), ("610426", "店头镇", None)]


@st.composite
def households(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 30))
    rows = []
    for i in range(n):
        county, town, village = draw(st.sampled_from(PLACES))
        members = draw(st.integers(1, 8))
        rows.append(
            {
                "county": county,
                "town": town,
                "village": village,
                "household_id": f"H{i:05d}",
                "members": members,
                "members_in_run": draw(st.integers(1, members)),
                "member_ids": "、".join(f"L{i:05d}{m}" for m in range(members)),
                "flags": "需要居家就业",
                "shortfall_reason": None,
            }
        )
    return pd.DataFrame(rows, columns=[*VILLAGE_COLUMNS[:3], "household_id", "members", "members_in_run",
                                       "member_ids", "flags", "shortfall_reason"])  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(households())
def test_counts_per_village_add_up_and_name_nobody(zero: pd.DataFrame) -> None:
    out = zero_households_by_village(zero)
    assert list(out.columns) == VILLAGE_COLUMNS
    assert int(out["households"].sum()) == len(zero)
    assert int(out["members"].sum()) == int(zero["members"].sum())
    assert int(out["members_in_run"].sum()) == int(zero["members_in_run"].sum())
    # one row per village (a missing village name is its own row, kept, not dropped)
    assert len(out) == len(zero[["county", "town", "village"]].fillna("").drop_duplicates())
    text = out.astype(str).to_string()
    assert not any(h in text for h in zero["household_id"]) and "L0" not in text
