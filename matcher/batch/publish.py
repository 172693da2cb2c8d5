"""Publishing a run: the congestion step over all its candidates, each county's final suggestions, the
run's figures.

The step solves over the light columns of all partitions at once; each county's suggestions are then
taken from its own partition as an Arrow table (the titles and reasons are never gathered into one
province-wide table, nor turned into Python strings).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from matcher.batch.engine import BatchContext
from matcher.batch.partitions import InPlace, concat_tables
from matcher.batch.repairs import isin
from matcher.batch.runs import BackgroundWrites, RunDir, read_table
from matcher.congestion import CongestionSettings, exposure_stats, independent_topk, rerank

__all__ = ["factorize", "finish"]


def factorize(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """``pandas.factorize`` of a string column (codes in order of first appearance, the distinct values)
    by Arrow's dictionary encoding: only the distinct values become Python strings."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, np.asarray(encoded.dictionary.to_pylist(), dtype=object)


def _run_candidates(run: RunDir, written: dict[str, pa.Table]) -> list[tuple[str, pa.Table]]:
    """The run's candidate partitions in county order (as :func:`read_table` reads them), taking those this
    process wrote from memory and reading only those of an earlier attempt (``--resume``)."""
    folder = run.path / "candidates"
    counties = sorted(p.name.split("=", 1)[1] for p in folder.glob("county_code=*") if (p / "part.parquet").exists())
    out = []
    for county in counties:
        table = written.get(county)
        out.append((county, table if table is not None else pq.read_table(run.part_path("candidates", county))))
    return out


def finish(
    run: RunDir,
    context: BatchContext,
    options: Any,
    written: dict[str, pa.Table] | None = None,
    writes: BackgroundWrites | None = None,
) -> dict[str, Any]:
    """Congestion step over the whole run, final suggestions per county, figures for the record.

    The step solves over the light columns of all partitions at once; each county's suggestions are then
    taken from its own partition as an Arrow table (the titles and reasons are never gathered into one
    province-wide table, nor turned into Python strings).
    """
    parts = [(county, table) for county, table in _run_candidates(run, written or {}) if table.num_rows]
    people = read_table(run, "people", columns=["laborer_id"])
    shortfalls = read_table(run, "shortfalls", columns=["laborer_id"])
    if not parts:
        return {"candidates": 0}
    light = parts[0][1].select(["laborer_id", "vacancy_id", "score", "rank"]).schema
    cand = concat_tables([table.select(light.names) for _, table in parts], light)
    stats: dict[str, Any] = {"candidates": int(cand.num_rows)}
    person_codes, first_seen = factorize(cand["laborer_id"])
    # The same people numbered in id order (the order each county's suggestions are written in).
    by_id = np.argsort(first_seen, kind="stable")
    names = first_seen[by_id]
    person_sorted = np.empty(len(by_id), dtype=np.int64)
    person_sorted[by_id] = np.arange(len(by_id))
    person_sorted = person_sorted[person_codes]
    post_codes, post_ids = factorize(cand["vacancy_id"])
    post_pos = context.posts.rows_of(post_ids)[post_codes]
    openings = context.posts.openings.astype(np.float64)
    score = cand["score"].to_numpy()
    valid = post_pos >= 0
    plain = independent_topk(person_codes, score, options.k)
    stats["exposure_without"] = exposure_stats(post_pos[valid], plain[valid], openings, score[valid])
    if options.congestion:
        keep, _ = rerank(
            person_codes, post_pos, score, openings, options.k, CongestionSettings(multiple=options.multiple)
        )
    else:
        keep = plain
    stats["exposure_with"] = exposure_stats(post_pos[valid], keep[valid], openings, score[valid])
    # The congestion step decides which posts stay; their order stays the recommender's
    # (the widening steps: village first, safety net last): per county, by person and rank.
    rank = cand["rank"].to_numpy()
    served_counts = np.bincount(person_sorted[keep], minlength=len(names))
    writes = writes or InPlace()
    start = 0
    for county, table in parts:
        rows = np.arange(start, start + table.num_rows)
        start += table.num_rows
        kept = rows[keep[rows]]
        if not len(kept):
            continue
        order = kept[np.lexsort((rank[kept], person_sorted[kept]))]
        final = table.take(pa.array(order - rows[0]))
        person = person_sorted[order]
        first = np.r_[True, person[1:] != person[:-1]]
        at = np.arange(len(order))
        new_rank = pa.array(at - np.maximum.accumulate(np.where(first, at, 0)) + 1).cast(
            final.schema.field("rank").type
        )
        final = final.set_column(final.schema.get_field_index("rank"), "rank", new_rank)
        reasons = _current_openings(final["reasons"], post_pos[order], context)
        final = final.set_column(final.schema.get_field_index("reasons"), "reasons", reasons)
        writes.submit(run.write_table, "suggestions", county, final)
    with_three = served_counts >= 3
    at = pd.Index(names).get_indexer(people["laborer_id"].to_numpy(dtype=object))
    served_three = np.zeros(len(at), dtype=bool)
    served_three[at >= 0] = with_three[at[at >= 0]]
    short_ids = shortfalls["laborer_id"].unique()
    covered = int((served_three | isin(people["laborer_id"], short_ids)).sum())
    served = int(people["laborer_id"].nunique())
    stats.update(
        people_served=served,
        people_with_3=int(with_three.sum()),
        shortfalls=len(short_ids),
        covered_share=covered / max(served, 1),
        suggestions=int(keep.sum()),
    )
    return stats


_OPENINGS = re.compile(r"在招\d+人")


def _current_openings(reasons: pa.ChunkedArray, post: np.ndarray, context: BatchContext) -> pa.ChunkedArray:
    """Reasons with today's openings ("在招N人"): a person copied from an earlier run may carry an older count.

    ``post`` is each row's row in today's posts (-1: gone). The count each row carries is read in one
    vectorised pass (Arrow's regex engine, no Python strings made); only rows whose count moved are rewritten.
    """
    if not len(reasons):
        return reasons
    known = post >= 0
    current = np.where(known, context.posts.openings[np.maximum(post, 0)], -1)
    found = pc.struct_field(pc.extract_regex(reasons, r"在招(?P<n>\d+)人"), "n")
    carried = pc.cast(found, pa.int64()).fill_null(-1).to_numpy()  # -1: the text names no count
    stale = np.flatnonzero(known & (carried >= 0) & (carried != current))
    if not len(stale):
        return reasons
    texts = reasons.take(pa.array(stale)).to_pylist()
    fixed = [_OPENINGS.sub(f"在招{int(n)}人", text) for text, n in zip(texts, current[stale], strict=True)]
    mask = np.zeros(len(reasons), dtype=bool)
    mask[stale] = True
    whole = reasons.combine_chunks()
    return pa.chunked_array([pc.replace_with_mask(whole, pa.array(mask), pa.array(fixed, type=whole.type))])
