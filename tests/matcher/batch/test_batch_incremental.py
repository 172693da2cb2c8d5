"""Incremental runs: after one laborer and one post change, only affected people are recomputed, same results."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from matcher.batch.runs import latest_run, read_table
from matcher.ingest import ingest_file
from store import load_laborers
from tests.matcher.batch.conftest import BatchCounty, assert_same_results, batch, results


def _edit(source: Path, target: Path, key: str, row_id: str, **changes: str) -> None:
    """Write ``target``: the row ``row_id`` of ``source`` with ``changes`` and a newer ``updated_at``."""
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    row = frame[frame[key] == row_id].copy()
    assert len(row) == 1
    for column, value in changes.items():
        row[column] = value
    row["updated_at"] = (dt.datetime.now() + dt.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    row.to_csv(target, index=False)


def test_incremental_recomputes_only_affected_people_and_equals_full(batch_copy: BatchCounty, tmp_path: Path) -> None:
    base = latest_run()
    seekers = load_laborers(batch_copy.engine, wants_job=True)
    person = seekers[seekers["county_code"] == "610426"].iloc[3]["laborer_id"]
    # A post many people had among their candidates, now with one opening less.
    cand = read_table(base, "candidates")
    post = cand.loc[cand["step"] == "county", "vacancy_id"].value_counts().index[-1]
    vacancies = pd.read_csv(batch_copy.files["vacancies"], dtype=str, keep_default_na=False)
    openings = int(vacancies.loc[vacancies["vacancy_id"] == post, "openings"].iloc[0])
    _edit(batch_copy.files["laborers"], tmp_path / "laborers.csv", "laborer_id", person, skills="电焊、叉车")
    _edit(batch_copy.files["vacancies"], tmp_path / "vacancies.csv", "vacancy_id", post, openings=str(openings + 5))
    for kind in ("laborers", "vacancies"):
        summary = ingest_file(kind, tmp_path / f"{kind}.csv", engine=batch_copy.engine)
        assert summary.updated == 1, summary.line()

    incremental = batch(batch_copy.engine)
    info = incremental.record["incremental"]
    assert info["from_run"] == base.run_id
    recomputed = info["recomputed"]
    touched = set(cand.loc[cand["vacancy_id"] == post, "laborer_id"])
    # Recomputed: the edited person, people who had the post among their candidates, people it may
    # now enter the list of, and people whose training flag counts openings in the post's county.
    flags = read_table(base, "flags")
    county = vacancies.loc[vacancies["vacancy_id"] == post, "county"].iloc[0]
    trainees = set(flags.loc[flags["kind"] == "training", "laborer_id"]) & set(
        seekers.loc[seekers["county"] == county, "laborer_id"]
    )
    assert 1 <= recomputed <= len(touched | trainees) + 60, info
    assert recomputed < len(seekers) / 2, info
    assert recomputed + info["copied"] == len(seekers)

    full = batch(batch_copy.engine, full=True)
    assert "incremental" not in full.record
    left, right = results(incremental), results(full)
    for part in ("suggestions", "shortfalls", "flags"):
        pd.testing.assert_frame_equal(left[part], right[part], check_dtype=False, obj=f"incremental vs full {part}")
    assert_same_results(incremental, full)
    mine = results(full)["suggestions"]
    assert len(mine[mine["laborer_id"] == person]) >= 1
