"""One county's partition of a run: fresh results, repaired lists and the previous run's rows, merged and
written as Arrow tables.

The previous run's rows are filtered, taken and concatenated as Arrow tables: the long title and reason
texts are copied as buffers, never turned into Python strings. Files go through a
:class:`matcher.batch.runs.BackgroundWrites` (or :class:`InPlace`), in the order a reader expects
(``people`` last).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from matcher.batch.engine import FLOOR_COLUMNS, PartitionOutput
from matcher.batch.repairs import isin
from matcher.batch.runs import BackgroundWrites, RunDir

__all__ = ["InPlace", "concat_tables", "previous_files", "write_partition"]


class InPlace:
    """Writes done at once, in the caller's thread (the interface of :class:`BackgroundWrites`)."""

    @staticmethod
    def submit(write: Callable[..., None], *args: Any) -> None:
        write(*args)


def previous_files(previous: RunDir, county: str) -> dict[str, pa.Table]:
    """A county's candidate, flag, shortfall and people files of ``previous`` (those that exist)."""
    paths = {part: previous.part_path(part, county) for part in ("candidates", "flags", "shortfalls", "people")}
    return {part: pq.read_table(path) for part, path in paths.items() if path.exists()}


def write_partition(
    run: RunDir,
    out: PartitionOutput,
    members: pd.DataFrame,
    previous: RunDir | None,
    repaired: pd.DataFrame | None = None,
    encoded: list[tuple[np.ndarray, np.ndarray]] | None = None,
    writes: BackgroundWrites | InPlace | None = None,
    old_files: dict[str, pa.Table] | None = None,
) -> pa.Table | None:
    """Write one county: fresh results, repaired lists, and the previous run's rows for everyone else.
    Returns the county's candidate table as written (None: the previous run's files were taken as they are).

    The previous run's rows are filtered and concatenated as Arrow tables: the long title and reason texts
    are copied as buffers, never turned into Python strings. ``old_files``: the previous run's files of the
    county (:func:`previous_files`) when they were read ahead; ``writes``: where the files go."""
    writes = writes or InPlace()
    frames = {"candidates": out.candidates, "flags": out.flags, "shortfalls": out.shortfalls}
    tables = {part: pa.Table.from_pandas(frame, preserve_index=False) for part, frame in frames.items()}
    if previous is not None:
        fresh = set(out.people["laborer_id"])
        keep = pa.array(sorted(set(members["laborer_id"]) - fresh), type=pa.string())
        mended = pd.DataFrame()
        if repaired is not None and len(repaired):
            mended = repaired[isin(repaired["laborer_id"], keep.to_pylist())]
        if old_files is None:
            old_files = previous_files(previous, out.county)
        if not fresh and mended.empty and _county_unchanged(previous, out.county, members, old_files):
            writes.submit(run.link_partition, previous, out.county)
            return None
        for part in frames:
            old = old_files.get(part)
            if old is None or not old.num_rows:  # none, or an empty partition (its columns may be untyped)
                continue
            kept = _mended_candidates(old, keep, mended) if part == "candidates" else old.filter(_of(old, keep))
            tables[part] = concat_tables([tables[part], kept])
    for part, table in tables.items():
        writes.submit(run.write_table, part, out.county, table)
    # The people of the run with the content they were computed from and their floors (fresh ones, else
    # the previous run's; NaN where neither has one: the next run then applies no floor).
    people = members[["laborer_id", "content_hash"]].reset_index(drop=True)
    sources = [out.people]
    if previous is not None and "people" in old_files:
        sources.append(old_files["people"].to_pandas())
    floors = pd.concat([f.set_index("laborer_id").reindex(columns=list(FLOOR_COLUMNS)) for f in sources])
    floors = floors[~floors.index.duplicated(keep="first")].astype(np.float64)
    people[list(FLOOR_COLUMNS)] = floors.reindex(people["laborer_id"]).to_numpy()
    vectors = _partition_vectors(people["laborer_id"], out, previous, encoded)
    if vectors is not None:
        writes.submit(run.write_vectors, out.county, vectors)
    writes.submit(run.write_part, "people", out.county, people)
    return tables["candidates"]


def concat_tables(tables: list[pa.Table], schema: pa.Schema | None = None) -> pa.Table:
    """Tables of one output in one table, in the order given, with the columns and types of ``schema``
    (default: the first table that has rows; an empty partition's result frames carry untyped columns)."""
    full = [t for t in tables if t.num_rows]
    if schema is None:
        if not full:
            return tables[0]
        schema = full[0].schema
    return pa.concat_tables([t.select(schema.names).cast(schema) for t in full]) if full else schema.empty_table()


def _county_unchanged(previous: RunDir, county: str, members: pd.DataFrame, old_files: dict[str, pa.Table]) -> bool:
    """Whether the county holds the same people with the same content as in ``previous`` (``old_files``: its
    files there), with every output file there and a vector for everyone: nobody recomputed or repaired,
    its partition is the previous one."""
    if not all(p in old_files for p in ("candidates", "flags", "shortfalls", "people")):
        return False
    old = old_files["people"].to_pandas()
    if "coarse_floor" not in old.columns or len(old) != len(members):
        return False
    same = (old["laborer_id"].to_numpy() == members["laborer_id"].to_numpy()).all()
    same = same and (old["content_hash"].to_numpy() == members["content_hash"].to_numpy()).all()
    stored = previous.read_vectors(county) if same else None
    return stored is not None and bool(np.isfinite(stored[1]).all())


def _of(old: pa.Table, people: pa.Array, but: pa.Array | None = None) -> np.ndarray:
    """Which of ``old``'s rows belong to ``people`` (and not to ``but``)."""
    wanted = pc.is_in(old["laborer_id"], value_set=people)
    if but is not None and len(but):
        wanted = pc.and_(wanted, pc.invert(pc.is_in(old["laborer_id"], value_set=but)))
    return wanted.to_numpy(zero_copy_only=False)


def _mended_candidates(old: pa.Table, keep: pa.Array, mended: pd.DataFrame) -> pa.Table:
    """A county's previous candidate rows of the people in ``keep``, the repaired lists in place of theirs;
    the rows a repair kept as they were (null reasons) are ``old``'s rows at their ``source_row`` with their
    new rank. The rows taken from ``old`` are gathered in one ``take`` (one copy of their texts)."""
    if not len(mended):
        return old.filter(_of(old, keep))
    ids = pa.array(pd.unique(mended["laborer_id"].to_numpy(dtype=object)).tolist(), type=pa.string())
    others = np.flatnonzero(_of(old, keep, but=ids))
    same = mended["reasons"].isna().to_numpy()
    rows = np.concatenate([others, mended["source_row"].to_numpy(dtype=np.int64)[same]])
    rank = np.concatenate([old["rank"].to_numpy()[others], mended["rank"].to_numpy()[same]])
    taken = old.take(pa.array(rows, type=pa.int64()))
    taken = taken.set_column(
        taken.schema.get_field_index("rank"), "rank", pa.array(rank).cast(old.schema.field("rank").type)
    )
    judged = mended.loc[~same, [c for c in old.column_names if c in mended]]
    return concat_tables([taken, pa.Table.from_pandas(judged, preserve_index=False)], old.schema)


def _partition_vectors(
    ids: pd.Series,
    out: PartitionOutput,
    previous: RunDir | None,
    known: list[tuple[np.ndarray, np.ndarray]] | None = None,
) -> np.ndarray | None:
    """Embedding vectors of a county's people in ``ids`` order: fresh ones, then ``known`` (what the
    incremental check holds for the county), else the previous run's (the same artifact and an unchanged
    ledger row give the same vector); NaN rows where none has one."""
    sources = []
    if out.vectors is not None and len(out.vectors):
        sources.append((out.people["laborer_id"].to_numpy(dtype=object), out.vectors))
    if known is not None:
        sources.extend(known)
    elif previous is not None:
        stored = previous.read_vectors(out.county)
        if stored is not None:
            sources.append(stored)
    if not sources:
        return None
    dim = sources[0][1].shape[1]
    vectors = np.full((len(ids), dim), np.nan, dtype=np.float32)
    filled = np.zeros(len(ids), dtype=bool)
    wanted = pd.Index(ids)
    for source_ids, source in sources:
        at = pd.Index(source_ids).get_indexer(wanted)
        take = (at >= 0) & ~filled
        vectors[take] = source[at[take]]
        filled |= take
    return vectors
