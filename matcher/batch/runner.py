"""``matcher batch``: recompute every job seeker's suggestions and publish them as one run.

Steps: pick the partitions (counties of the scope), decide who must be
recomputed (``--full``: everyone; otherwise only people changed since the
last run, people whose earlier candidates touch a changed post, and people
a changed post would now enter the list of), compute partitions (in process,
or on a Dask cluster), copy the unaffected people from the previous run,
apply the congestion step over the whole run, write the Parquet outputs and
publish atomically (see :mod:`matcher.batch.runs`).
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.engine import Engine

from matcher.batch.engine import FLOOR_COLUMNS, BatchContext, PartitionOutput
from matcher.batch.incremental import plan_incremental, post_snapshot
from matcher.batch.repairs import isin
from matcher.batch.runs import BackgroundWrites, RunDir, latest_run, new_run, read_table, resume_run, runs_root
from matcher.congestion import CongestionSettings, exposure_stats, independent_topk, rerank
from matcher.errors import MatcherError

__all__ = ["BatchOptions", "run_batch"]

log = logging.getLogger(__name__)


@dataclass
class BatchOptions:
    """What ``matcher batch`` was asked to do (recorded in the run)."""

    k: int = 10
    full: bool = False
    congestion: bool = True
    multiple: float = 3.0
    scope: list[str] = field(default_factory=list)  # admin code prefixes (2/4/6 digits); empty = all
    resume: str | None = None
    scheduler: str | None = None
    workers: int | None = None
    block: int = 500

    @property
    def candidates(self) -> int:
        """Candidates kept per person: twice ``k`` when the congestion step may swap some out."""
        return 2 * self.k if self.congestion else self.k


Progress = Callable[[int, int, str], None]

#: Store columns matching never reads, left in the store: the people's personal identifiers (the batch
#: never holds a name, ID number or phone) and the ledgers' bookkeeping.
NOT_READ = {
    "laborers": (
        "name", "id_number", "phone", "birth_date", "caseworker", "geo_unresolved", "updated_at", "ingested_at"
    ),
    "vacancies": ("employer_name", "occupation_source", "geo_unresolved", "updated_at", "ingested_at"),
}  # fmt: skip


def _in_scope(codes: pd.Series, scope: list[str]) -> pd.Series:
    if not scope:
        return pd.Series(True, index=codes.index)
    text = codes.fillna("").astype(str)
    return text.map(lambda c: any(c.startswith(s) for s in scope)).astype(bool)


def _seekers(engine: Engine, scope: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    from store.readers import load_household_flags, load_laborers_bulk

    laborers = load_laborers_bulk(engine, wants_job=True, skip=NOT_READ["laborers"])
    laborers = laborers[_in_scope(laborers["county_code"], scope)].reset_index(drop=True)
    # Matching reads a household's zero-employment flag only (see prepare_people).
    counties = sorted(laborers["county_code"].dropna().unique().tolist())
    households = load_household_flags(engine, county_codes=counties, zero_only=True)
    laborers["county_code"] = laborers["county_code"].fillna("000000")
    # A person's suggestions also depend on the household (a member finding work ends its
    # zero-employment priority), so the batch's change marker covers both.
    zero = laborers["household_id"].map(households.set_index("household_id")["zero_employment"]).fillna(False)
    laborers["content_hash"] = laborers["content_hash"].astype(str) + np.where(zero.astype(bool), "|z", "|e")
    return laborers, households


@contextmanager
def _collector_by_hand() -> Iterator[None]:
    """The cyclic garbage collector paused for the run, and run by hand between its steps (:func:`_collect`).

    A run holds millions of long-lived objects (the ledger's rows and skill lists, ids, reasons); every
    automatic full collection walks all of them again, which measured about 15 % of an incremental night
    on the 1 M bench. What the load made is frozen (never walked again); each later step and partition
    leaves only its own garbage for the next collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _collect(freeze: bool = False) -> None:
    """Collect the garbage of the step just done; ``freeze``: keep what is alive out of later collections."""
    gc.collect()
    if freeze:
        gc.freeze()


def run_batch(
    engine: Engine, options: BatchOptions, progress: Progress | None = None, today: dt.date | None = None
) -> RunDir:
    """Run the batch; returns the published run."""
    with _collector_by_hand():
        return _run_batch(engine, options, progress, today)


def _run_batch(engine: Engine, options: BatchOptions, progress: Progress | None, today: dt.date | None) -> RunDir:
    from store import migrate
    from store.readers import load_vacancies_bulk

    today = today or dt.date.today()
    root = runs_root()
    migrate(engine)
    run = resume_run(root, options.resume) if options.resume else new_run(root, asdict(options))
    _record(engine, run, options)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        vacancies = load_vacancies_bulk(engine, skip=NOT_READ["vacancies"])
        laborers, households = _seekers(engine, options.scope)
        if laborers.empty:
            raise MatcherError(
                "no laborer with wants_job in the scope; nothing to compute", "范围内没有有就业意愿的劳动力，无需计算"
            )
        context = BatchContext(None, vacancies, today)
        run.record.update(
            artifact=context.model.path.name,
            today=today.isoformat(),
            prior=context.model.is_prior,
            people=int(len(laborers)),
        )
        _collect(freeze=True)
        timings["load"] = time.perf_counter() - started
        previous = _previous(root, context, options)
        todo, repaired, encoded = laborers, None, {}
        snapshot = post_snapshot(context.posts, today)
        if previous is not None:
            t0 = time.perf_counter()
            plan = plan_incremental(
                context, previous, laborers, households, options.candidates, options.k, snapshot=snapshot
            )
            todo, repaired, encoded = plan.todo, plan.repaired, plan.vectors
            _collect()
            timings["incremental_check"] = time.perf_counter() - t0
            n_repaired = int(repaired["laborer_id"].nunique()) if len(repaired) else 0
            run.record["incremental"] = {
                "from_run": previous.run_id,
                "recomputed": int(len(todo)),
                "repaired": n_repaired,
                "copied": int(len(laborers) - len(todo) - n_repaired),
                "reasons": plan.counts,
            }
        snapshot.to_parquet(run.path / "posts.parquet", index=False)
        writes = BackgroundWrites()
        try:
            t0 = time.perf_counter()
            written = _compute(
                run, context, laborers, todo, households, previous, repaired, options, progress, encoded, writes
            )
            writes.wait()
            timings["compute"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            stats = _finish(run, context, options, written, writes)
            writes.wait()
            timings["congestion_and_write"] = time.perf_counter() - t0
        finally:
            writes.close()
        timings["total"] = time.perf_counter() - started
        run.record.update(timings=timings, **stats)
        published = run.publish(root)
        _record(engine, published, options)
        return published
    except BaseException as exc:
        run.record["status"] = "failed"
        run.record["errors"].append(f"{exc.__class__.__name__}: {getattr(exc, 'message_en', str(exc))[:300]}")
        run.save_record()
        try:
            _record(engine, run, options)
        except Exception:  # noqa: BLE001 - the run's own error is the one to report
            log.exception("could not record the failed run %s in the store", run.run_id)
        raise


class _InPlace:
    """Writes done at once, in the caller's thread (the interface of :class:`BackgroundWrites`)."""

    @staticmethod
    def submit(write: Callable[..., None], *args: Any) -> None:
        write(*args)


def _record(engine: Engine, run: RunDir, options: BatchOptions) -> None:
    """The run's record in the store's ``batch_runs`` table (the Parquet outputs stay in the run directory)."""
    from store import record_batch_run

    r = run.record

    def stamp(key: str) -> dt.datetime | None:
        return dt.datetime.fromisoformat(r[key]) if r.get(key) else None

    record_batch_run(
        engine,
        run_id=run.run_id,
        status=r["status"],
        started_at=stamp("started_at"),
        finished_at=stamp("finished_at"),
        artifact=r.get("artifact"),
        scope=",".join(options.scope) or "all",
        people=r.get("people_served", r.get("people")),
        suggestions=r.get("suggestions"),
        shortfalls=r.get("shortfalls"),
        covered_share=r.get("covered_share"),
        seconds=r.get("timings", {}).get("total"),
        path=str(run.path),
        errors="; ".join(r.get("errors", [])) or None,
    )


def _previous(root: Any, context: BatchContext, options: BatchOptions) -> RunDir | None:
    if options.full:
        return None
    try:
        prev = latest_run(root)
    except MatcherError:
        return None
    same = prev.record.get("artifact") == context.model.path.name
    same &= prev.record.get("options", {}).get("k") == options.k
    same &= prev.record.get("options", {}).get("congestion") == options.congestion
    return prev if same else None


def _compute(
    run: RunDir,
    context: BatchContext,
    laborers: pd.DataFrame,
    todo: pd.DataFrame,
    households: pd.DataFrame,
    previous: RunDir | None,
    repaired: pd.DataFrame | None,
    options: BatchOptions,
    progress: Progress | None,
    encoded: dict[str, list[tuple[np.ndarray, np.ndarray]]] | None = None,
    writes: BackgroundWrites | None = None,
) -> dict[str, pa.Table]:
    """Compute and write the pending partitions (through ``writes``, else here); returns the candidate
    table written per county."""
    writes = writes or _InPlace()
    done = run.done_partitions()
    counties = sorted(laborers["county_code"].unique().tolist())
    pending = [c for c in counties if c not in done]
    todo_ids = set(todo["laborer_id"])
    work = []
    for county in pending:
        members = laborers[laborers["county_code"] == county]
        work.append((county, members[members["laborer_id"].isin(todo_ids)], members))
    if options.scheduler or options.workers:
        from matcher.batch.cluster import compute_on_dask

        outputs = compute_on_dask(context, work, households, options)
    else:
        outputs = (context.run_partition(c, sub, households, options.candidates, options.block) for c, sub, _ in work)
    total = len(counties)
    finished = len(done)
    written = {}
    # The previous run's files of the next county are read in the background (Arrow's reader releases the
    # GIL) while this one is computed and merged; one county ahead at most.
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="previous-reads")
    ahead: dict[str, Future[dict[str, pa.Table]]] = {}

    def read_ahead(n: int) -> None:
        if previous is not None and n < len(work):
            ahead[work[n][0]] = reader.submit(_previous_files, previous, work[n][0])

    read_ahead(0)
    try:
        for n, ((county, sub, members), out) in enumerate(zip(work, outputs, strict=True)):
            read_ahead(n + 1)
            old = ahead.pop(county).result() if county in ahead else None
            frame = _write_partition(run, out, members, previous, repaired, (encoded or {}).get(county), writes, old)
            if frame is not None:
                written[county] = frame
            finished += 1
            if progress is not None:
                progress(finished, total, f"county {county}: {len(sub):,} recomputed of {len(members):,}")
            _collect()
    finally:
        reader.shutdown(wait=True, cancel_futures=True)
    return written


def _previous_files(previous: RunDir, county: str) -> dict[str, pa.Table]:
    """A county's candidate, flag and shortfall files of ``previous`` (those that exist)."""
    paths = {part: previous.part_path(part, county) for part in ("candidates", "flags", "shortfalls")}
    return {part: pq.read_table(path) for part, path in paths.items() if path.exists()}


def _write_partition(
    run: RunDir,
    out: PartitionOutput,
    members: pd.DataFrame,
    previous: RunDir | None,
    repaired: pd.DataFrame | None = None,
    encoded: list[tuple[np.ndarray, np.ndarray]] | None = None,
    writes: BackgroundWrites | _InPlace | None = None,
    old_files: dict[str, pa.Table] | None = None,
) -> pa.Table | None:
    """Write one county: fresh results, repaired lists, and the previous run's rows for everyone else.
    Returns the county's candidate table as written (None: the previous run's files were taken as they are).

    The previous run's rows are filtered and concatenated as Arrow tables: the long title and reason texts
    are copied as buffers, never turned into Python strings. ``old_files``: the previous run's files of the
    county (:func:`_previous_files`) when they were read ahead; ``writes``: where the files go."""
    writes = writes or _InPlace()
    frames = {"candidates": out.candidates, "flags": out.flags, "shortfalls": out.shortfalls}
    tables = {part: pa.Table.from_pandas(frame, preserve_index=False) for part, frame in frames.items()}
    if previous is not None:
        fresh = set(out.people["laborer_id"])
        keep = pa.array(sorted(set(members["laborer_id"]) - fresh), type=pa.string())
        mended = pd.DataFrame()
        if repaired is not None and len(repaired):
            mended = repaired[isin(repaired["laborer_id"], keep.to_pylist())]
        if not fresh and mended.empty and _county_unchanged(previous, out.county, members):
            writes.submit(run.link_partition, previous, out.county)
            return None
        if old_files is None:
            old_files = _previous_files(previous, out.county)
        for part in frames:
            old = old_files.get(part)
            if old is None or not old.num_rows:  # none, or an empty partition (its columns may be untyped)
                continue
            kept = _mended_candidates(old, keep, mended) if part == "candidates" else _rows_of(old, keep)
            tables[part] = concat_tables([tables[part], kept])
    for part, table in tables.items():
        writes.submit(run.write_table, part, out.county, table)
    # The people of the run with the content they were computed from and their floors (fresh ones, else
    # the previous run's; NaN where neither has one: the next run then applies no floor).
    people = members[["laborer_id", "content_hash"]].reset_index(drop=True)
    sources = [out.people]
    if previous is not None:
        sources.append(read_table(previous, "people", county=out.county))
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


def _county_unchanged(previous: RunDir, county: str, members: pd.DataFrame) -> bool:
    """Whether the county holds the same people with the same content as in ``previous``, with every output
    file there and a vector for everyone: nobody recomputed or repaired, its partition is the previous one."""
    parts = [previous.part_path(p, county) for p in ("candidates", "flags", "shortfalls", "people")]
    if not all(p.exists() for p in parts):
        return False
    old = pd.read_parquet(parts[-1])
    if "coarse_floor" not in old.columns or len(old) != len(members):
        return False
    same = (old["laborer_id"].to_numpy() == members["laborer_id"].to_numpy()).all()
    same = same and (old["content_hash"].to_numpy() == members["content_hash"].to_numpy()).all()
    stored = previous.read_vectors(county) if same else None
    return stored is not None and bool(np.isfinite(stored[1]).all())


def _rows_of(old: pa.Table, people: pa.Array, but: pa.Array | None = None, mask: bool = False) -> Any:
    """``old``'s rows of ``people`` (and not of ``but``), in their order (``mask``: which rows, as bools)."""
    wanted = pc.is_in(old["laborer_id"], value_set=people)
    if but is not None and len(but):
        wanted = pc.and_(wanted, pc.invert(pc.is_in(old["laborer_id"], value_set=but)))
    return wanted.to_numpy(zero_copy_only=False) if mask else old.filter(wanted)


def _mended_candidates(old: pa.Table, keep: pa.Array, mended: pd.DataFrame) -> pa.Table:
    """A county's previous candidate rows of the people in ``keep``, the repaired lists in place of theirs;
    the rows a repair kept as they were (null reasons) are ``old``'s rows at their ``source_row`` with their
    new rank. The rows taken from ``old`` are gathered in one ``take`` (one copy of their texts)."""
    if not len(mended):
        return _rows_of(old, keep)
    ids = pa.array(pd.unique(mended["laborer_id"].to_numpy(dtype=object)).tolist(), type=pa.string())
    others = np.flatnonzero(_rows_of(old, keep, but=ids, mask=True))
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


def _finish(
    run: RunDir,
    context: BatchContext,
    options: BatchOptions,
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
    by_id = np.argsort(np.asarray(first_seen, dtype=object), kind="stable")
    names = np.asarray(first_seen, dtype=object)[by_id]
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
        (writes or _InPlace()).submit(run.write_table, "suggestions", county, final)
    with_three = served_counts >= 3
    at = pd.Index(names).get_indexer(people["laborer_id"].to_numpy(dtype=object))
    served_three = np.zeros(len(at), dtype=bool)
    served_three[at >= 0] = with_three[at[at >= 0]]
    short_ids = shortfalls["laborer_id"].unique()
    covered = int((served_three | isin(people["laborer_id"], short_ids)).sum())
    stats.update(
        people_served=int(people["laborer_id"].nunique()),
        people_with_3=int(with_three.sum()),
        shortfalls=len(short_ids),
        covered_share=covered / max(int(people["laborer_id"].nunique()), 1),
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
    carried = pc.cast(found, pa.int64()).to_numpy(zero_copy_only=False)
    has = ~np.isnan(carried) if carried.dtype.kind == "f" else np.ones(len(carried), dtype=bool)
    stale = np.flatnonzero(known & has & (np.nan_to_num(carried, nan=-1) != current))
    if not len(stale):
        return reasons
    texts = reasons.take(pa.array(stale)).to_pylist()
    fixed = [_OPENINGS.sub(f"在招{int(n)}人", text) for text, n in zip(texts, current[stale], strict=True)]
    mask = np.zeros(len(reasons), dtype=bool)
    mask[stale] = True
    whole = reasons.combine_chunks()
    return pa.chunked_array([pc.replace_with_mask(whole, pa.array(mask), pa.array(fixed, type=whole.type))])
