"""Incremental runs: after one laborer and one post change, only affected people are recomputed, same results."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.batch.runs import read_table
from matcher.ingest import ingest_file
from store import load_laborers
from tests.matcher.batch.conftest import BatchCounty, assert_same_results, batch, env_home, latest_run, results


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

    # Lists holding the post were copied, not recomputed; their reasons still carry today's openings.
    published = read_table(incremental, "suggestions")
    holding = published[published["vacancy_id"] == post]
    assert len(holding) >= 1
    assert holding["reasons"].str.contains(f"在招{openings + 5}人").all()
    assert not holding["reasons"].str.contains(f"在招{openings}人").any()

    full = batch(batch_copy.engine, full=True)
    assert "incremental" not in full.record
    left, right = results(incremental), results(full)
    for part in ("suggestions", "shortfalls", "flags"):
        pd.testing.assert_frame_equal(left[part], right[part], check_dtype=False, obj=f"incremental vs full {part}")
    assert_same_results(incremental, full)
    mine = results(full)["suggestions"]
    assert len(mine[mine["laborer_id"] == person]) >= 1


def test_incremental_repairs_lists_in_place_when_posts_close_or_change(batch_copy: BatchCounty, tmp_path: Path) -> None:
    """A post many lists hold closes and another gets a new wage: lists are mended, not recomputed."""
    base = latest_run()
    seekers = load_laborers(batch_copy.engine, wants_job=True)
    cand = read_table(base, "candidates")
    # Posts held by full lists (losing one post leaves them above the refill size): those lists are mended.
    sizes = cand.groupby("laborer_id")["vacancy_id"].transform("size")
    full_list = sizes >= sizes.max()
    market = cand[cand["step"].isin(["village", "half_hour", "county"]) & full_list]
    popular = market["vacancy_id"].value_counts()
    closed, raised = popular.index[0], popular.index[1]
    vacancies = pd.read_csv(batch_copy.files["vacancies"], dtype=str, keep_default_na=False)
    row = vacancies[vacancies["vacancy_id"] == raised].iloc[0]
    wage_min, wage_max = int(float(row["wage_min"])) + 2000, int(float(row["wage_max"])) + 2000
    stamp = (dt.datetime.now() + dt.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    edited = vacancies[vacancies["vacancy_id"].isin([closed, raised])].copy()
    edited.loc[edited["vacancy_id"] == closed, "status"] = "closed"
    edited.loc[edited["vacancy_id"] == raised, ["wage_min", "wage_max"]] = [str(wage_min), str(wage_max)]
    edited["updated_at"] = stamp
    edited.to_csv(tmp_path / "vacancies.csv", index=False)
    assert ingest_file("vacancies", tmp_path / "vacancies.csv", engine=batch_copy.engine).updated == 2

    incremental = batch(batch_copy.engine)
    info = incremental.record["incremental"]
    holders = set(cand.loc[cand["vacancy_id"].isin([closed, raised]), "laborer_id"])
    # Holders of the closed post whose lists stay at or above the refill size without it are mended;
    # shorter lists are refilled by a recomputation (``list_below_refill``).
    roomy = set(cand.loc[(cand["vacancy_id"] == closed) & full_list, "laborer_id"])
    assert info["repaired"] >= len(roomy) / 2, str(info["reasons"])
    assert info["recomputed"] < len(holders), info
    assert info["recomputed"] + info["repaired"] + info["copied"] == len(seekers)

    mended = read_table(incremental, "candidates")
    assert closed not in set(mended["vacancy_id"])
    assert closed not in set(read_table(incremental, "suggestions")["vacancy_id"])
    full = batch(batch_copy.engine, full=True)
    fresh = read_table(full, "candidates")
    # The re-scored post carries the same score and the same reasons (new wage included) as a full run gives it.
    key = ["laborer_id", "vacancy_id"]
    both = mended[mended["vacancy_id"] == raised].merge(fresh, on=key, suffixes=("", "_full"))
    assert len(both) >= 1
    assert (both["score"] - both["score_full"]).abs().max() < 1e-9
    assert (both["reasons"] == both["reasons_full"]).all()
    assert both["reasons"].str.contains(f"{wage_min:.0f}-{wage_max:.0f}").all()

    # Lists agree with the full run for nearly everyone. What a repair does not replay (a changed post
    # moving another one across a first-stage cut) touches few lists, and those by one post.
    def tops(frame: pd.DataFrame) -> pd.Series:
        return frame.sort_values("rank").groupby("laborer_id")["vacancy_id"].agg(lambda v: tuple(v[:10]))

    left, right = tops(read_table(incremental, "suggestions")), tops(read_table(full, "suggestions"))
    left = left.reindex(right.index)
    assert (left == right).mean() >= 0.9
    overlap = [len(set(a) & set(b)) / len(b) for a, b in zip(left, right, strict=True)]
    assert np.mean(overlap) >= 0.98, np.mean(overlap)


def test_runs_keep_each_persons_vector_for_the_next_incremental_run(batch_copy: BatchCounty, tmp_path: Path) -> None:
    """The incremental check reads yesterday's vectors instead of re-encoding the ledger: they must be
    exactly the encoder's vectors of each person, also for people copied from the previous run."""
    from matcher.artifact import load_model
    from matcher.prepare import prepare_people

    seekers = load_laborers(batch_copy.engine, wants_job=True)
    person = seekers.iloc[5]["laborer_id"]
    _edit(batch_copy.files["laborers"], tmp_path / "laborers.csv", "laborer_id", person, skills="家政、育婴")
    assert ingest_file("laborers", tmp_path / "laborers.csv", engine=batch_copy.engine).updated == 1
    incremental = batch(batch_copy.engine)
    assert incremental.record["incremental"]["copied"] > 0
    encoder = load_model(home=env_home()).encoder
    fresh = load_laborers(batch_copy.engine, wants_job=True)
    checked = 0
    for county, members in fresh.groupby("county_code"):
        stored = incremental.read_vectors(str(county))
        assert stored is not None
        ids, vectors = stored
        assert sorted(ids) == sorted(members["laborer_id"])
        sample = members[members["laborer_id"].isin([person, *members["laborer_id"].iloc[:20]])]
        expected = encoder.transform_laborers(prepare_people(sample).frame)
        at = pd.Index(ids).get_indexer(sample["laborer_id"])
        np.testing.assert_array_equal(vectors[at], expected)
        checked += len(sample)
    assert checked >= 40


def test_an_unchanged_county_keeps_its_partition_files(batch_copy: BatchCounty, tmp_path: Path) -> None:
    """One person of 永寿县 changes, nothing else: the other counties' files are the previous run's, byte
    for byte; the changed county is rewritten; every county is published."""
    import filecmp

    base = latest_run()
    seekers = load_laborers(batch_copy.engine, wants_job=True)
    person = seekers[seekers["county_code"] == "610426"].iloc[3]["laborer_id"]
    _edit(batch_copy.files["laborers"], tmp_path / "laborers.csv", "laborer_id", person, skills="电焊、叉车")
    assert ingest_file("laborers", tmp_path / "laborers.csv", engine=batch_copy.engine).updated == 1

    run = batch(batch_copy.engine)
    assert run.record["incremental"]["recomputed"] >= 1
    for county in ("610424", "610425"):
        files = [(base.part_path(p, county), run.part_path(p, county)) for p in ("candidates", "flags", "people")]
        files.append((base.vectors_path(county), run.vectors_path(county)))
        for before, after in files:
            assert filecmp.cmp(before, after, shallow=False), after
    assert not filecmp.cmp(base.part_path("people", "610426"), run.part_path("people", "610426"), shallow=False)
    published = read_table(run, "suggestions")
    assert set(published["county_code"].astype(str)) == {"610424", "610425", "610426"}
    before = set(read_table(base, "suggestions")["laborer_id"])
    assert set(published["laborer_id"]) >= before - {person}


def _close(batch_copy: BatchCounty, tmp_path: Path, posts: set[str]) -> None:
    vacancies = pd.read_csv(batch_copy.files["vacancies"], dtype=str, keep_default_na=False)
    edited = vacancies[vacancies["vacancy_id"].isin(posts)].copy()
    edited["status"] = "closed"
    edited["updated_at"] = (dt.datetime.now() + dt.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    edited.to_csv(tmp_path / "closed.csv", index=False)
    assert ingest_file("vacancies", tmp_path / "closed.csv", engine=batch_copy.engine).updated == len(posts)


def test_a_zero_employment_member_losing_one_of_many_posts_is_mended_one_losing_all_is_recomputed(
    batch_copy: BatchCounty, tmp_path: Path
) -> None:
    """The zero-employment flag needs no market post in reach (policy default): a list that keeps untouched
    market posts cannot gain it, so it is mended; a member whose every listed market post closes is
    recomputed. Both end with the flags and lists a full run gives them. (With the congestion step, lists
    hold 2k candidates, so losing one post leaves a list above the refill size.)"""
    base = batch(batch_copy.engine, full=True, congestion=True)
    people = read_table(base, "people")
    zero = set(people.loc[people["content_hash"].str.endswith("|z"), "laborer_id"])
    cand = read_table(base, "candidates")
    market = cand[cand["step"].isin(["village", "half_hour", "county", "province", "nationwide"])]
    counts = market.groupby("laborer_id").size()
    sizes = cand.groupby("laborer_id").size()
    # Member A loses one post; every holder of that post keeps a list above the refill size, and every
    # zero-employment holder at least one other market post.
    rich = counts[counts.index.isin(zero) & (counts >= 5)].index
    holders = market.groupby("vacancy_id")["laborer_id"].agg(set)
    one = next(
        v for v in market.loc[market["laborer_id"].isin(rich), "vacancy_id"]
        if all(sizes[h] >= sizes.max() and (h not in zero or counts[h] >= 2) for h in holders[v])
    )  # fmt: skip
    # Member B (another one, not holding that post) loses every listed market post.
    b = next(p for p in rich if p not in holders[one])
    every = set(market.loc[market["laborer_id"] == b, "vacancy_id"])
    _close(batch_copy, tmp_path, {one})
    first = batch(batch_copy.engine, congestion=True).record["incremental"]
    assert first["reasons"].get("zero_employment_lost_post", 0) == 0, first["reasons"]
    assert first["repaired"] >= 1, first

    _close(batch_copy, tmp_path, every - {one})
    second = batch(batch_copy.engine, congestion=True)
    assert second.record["incremental"]["reasons"].get("zero_employment_lost_post", 0) >= 1, second.record[
        "incremental"
    ]
    full = batch(batch_copy.engine, full=True, congestion=True)
    left, right = results(second), results(full)
    # Who is flagged what, and who has a shortfall, as a full run says (a training flag's count of posts a
    # course would unlock is the count of the last recompute, see matcher.batch.incremental).
    for part, key in (("flags", ["laborer_id", "kind"]), ("shortfalls", ["laborer_id"])):
        pd.testing.assert_frame_equal(left[part][key], right[part][key], obj=f"incremental vs full {part}")
    own = [f[f["laborer_id"] == b].reset_index(drop=True) for f in (left["flags"], right["flags"])]
    pd.testing.assert_frame_equal(*own, check_dtype=False)
    mine = left["suggestions"]
    assert not set(mine.loc[mine["laborer_id"] == b, "vacancy_id"]) & every
    assert one not in set(mine["vacancy_id"])
