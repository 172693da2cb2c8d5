"""The congestion step: exposure per opening never rises, and nobody loses a suggestion to it."""

from __future__ import annotations

from matcher.batch.runs import read_table
from tests.matcher.batch.conftest import BatchCounty, batch, latest_run


def test_congestion_lowers_exposure_without_taking_suggestions_away(batch_copy: BatchCounty) -> None:
    plain = latest_run(run_id=batch_copy.baseline)
    run = batch(batch_copy.engine, full=True, congestion=True)
    with_, without = run.record["exposure_with"], run.record["exposure_without"]
    assert with_["exposure_per_opening_max"] <= without["exposure_per_opening_max"]
    assert with_["exposure_per_opening_p99"] <= without["exposure_per_opening_p99"]
    assert with_["exposure_gini"] <= without["exposure_gini"] + 1e-9
    counts = read_table(run, "suggestions").groupby("laborer_id").size()
    before = read_table(plain, "suggestions").groupby("laborer_id").size()
    assert set(counts.index) == set(before.index)
    lost = before[counts.reindex(before.index).fillna(0) < before]
    assert lost.empty, lost.head().to_dict()
    assert run.record["covered_share"] == 1.0
