"""``matcher batch``: recompute every job seeker's suggestions and publish them as one run.

Steps: pick the partitions (counties of the scope), decide who must be
recomputed (``--full``: everyone; otherwise only people changed since the
last run, people whose earlier candidates touch a changed post, and people
a changed post would now enter the list of; :mod:`matcher.batch.incremental`),
compute partitions (in process, or on a Dask cluster), merge them with the
previous run's rows of everyone else (:mod:`matcher.batch.partitions`),
apply the congestion step over the whole run and write the suggestions
(:mod:`matcher.batch.publish`), and publish atomically (see
:mod:`matcher.batch.runs`).
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy.engine import Engine

from matcher.answered import answers_by_person, digest, with_answers
from matcher.artifact import latest_path
from matcher.batch.engine import BatchContext
from matcher.batch.incremental import plan_incremental, post_snapshot
from matcher.batch.partitions import InPlace, previous_files, write_partition
from matcher.batch.publish import finish
from matcher.batch.runs import (
    BackgroundWrites,
    RunDir,
    latest_run,
    new_run,
    reap_dead_runs,
    resume_run,
    run_lock,
    runs_root,
)
from matcher.errors import MatcherError
from matcher.policy import Policy
from store.runs import close_stale_batch_runs

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


def _seekers(engine: Engine, scope: list[str], policy: Policy, today: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    from store import load_placements
    from store.readers import load_household_flags, load_laborers_bulk

    laborers = load_laborers_bulk(engine, wants_job=True, skip=NOT_READ["laborers"])
    laborers = laborers[_in_scope(laborers["county_code"], scope)].reset_index(drop=True)
    # Each person's answers to earlier suggestions travel with them (posts not offered again, see
    # matcher.answered); the posts blocked today are part of the change marker, so a new answer, or a
    # block that ran out, recomputes the person.
    laborers = with_answers(laborers, answers_by_person(load_placements(engine)))
    # Matching reads a household's zero-employment flag only (see prepare_people).
    counties = sorted(laborers["county_code"].dropna().unique().tolist())
    households = load_household_flags(engine, county_codes=counties, zero_only=True)
    laborers["county_code"] = laborers["county_code"].fillna("000000")
    # A person's suggestions also depend on the household (a member finding work ends its
    # zero-employment priority), so the batch's change marker covers both.
    zero = laborers["household_id"].map(households.set_index("household_id")["zero_employment"]).fillna(False)
    # The household's marker stays last (the incremental check reads "|z" at the end).
    answered = digest(laborers, policy.answered, today).astype(str)
    laborers["content_hash"] = laborers["content_hash"].astype(str) + answered + np.where(zero.astype(bool), "|z", "|e")
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
    engine: Engine,
    options: BatchOptions,
    progress: Progress | None = None,
    today: dt.date | None = None,
    *,
    home: Path,
    policy: Policy | None = None,
) -> RunDir:
    """Run the batch over the data directory ``home`` (model, runs); returns the published run."""
    root = runs_root(Path(home))
    with run_lock(root), _collector_by_hand():  # one run at a time (RunBusyError names the holder)
        for dead in reap_dead_runs(root, keep=options.resume):
            _record_dead(engine, dead, options)
        close_stale_batch_runs(engine, root)
        return _run_batch(engine, options, progress, today, Path(home), policy or Policy.default())


def _record_dead(engine: Engine, run: RunDir, options: BatchOptions) -> None:
    """A killed run found by the next one: failed in the store too (when the store knows it)."""
    try:
        _record(engine, run, options)
    except Exception:  # noqa: BLE001 - the new run goes on; the record stays failed in run.json
        log.exception("could not record the interrupted run %s in the store", run.run_id)


def _run_batch(
    engine: Engine, options: BatchOptions, progress: Progress | None, today: dt.date | None, home: Path, policy: Policy
) -> RunDir:
    from store import check_schema
    from store.changes import latest_seq
    from store.readers import load_vacancies_bulk

    today = today or dt.date.today()
    root = runs_root(home)
    check_schema(engine)
    run = resume_run(root, options.resume) if options.resume else new_run(root, asdict(options))
    _record(engine, run, options)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        # The change sequence before reading: a change made while the run reads is seen as "since".
        run.record["change_seq"] = latest_seq(engine)
        vacancies = load_vacancies_bulk(engine, skip=NOT_READ["vacancies"])
        laborers, households = _seekers(engine, options.scope, policy, today)
        if laborers.empty:
            raise MatcherError(
                "no laborer with wants_job in the scope; nothing to compute", "范围内没有有就业意愿的劳动力，无需计算"
            )
        run.record["planned"] = sorted(str(c) for c in laborers["county_code"].unique())  # publish checks each
        context = BatchContext(str(latest_path(home)), vacancies, today, policy.to_dict())
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
            stats = finish(run, context, options, written, writes)
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
    sink: BackgroundWrites | InPlace = writes or InPlace()
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
    # The repaired lists split by county once (each county merges only its own).
    county_of = laborers.set_index("laborer_id")["county_code"]
    mended: dict[str, pd.DataFrame] = {}
    if repaired is not None and len(repaired):
        keys = repaired["laborer_id"].map(county_of).to_numpy()
        mended = {str(c): rows for c, rows in repaired.groupby(keys, sort=False)}
    total = len(counties)
    finished = len(done)
    written = {}
    # The previous run's files of the next county are read in the background (Arrow's reader releases the
    # GIL) while this one is computed and merged; one county ahead at most.
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="previous-reads")
    ahead: dict[str, Future[dict[str, pa.Table]]] = {}

    def read_ahead(n: int) -> None:
        if previous is not None and n < len(work):
            ahead[work[n][0]] = reader.submit(previous_files, previous, work[n][0])

    read_ahead(0)
    try:
        for n, ((county, sub, members), out) in enumerate(zip(work, outputs, strict=True)):
            read_ahead(n + 1)
            old = ahead.pop(county).result() if county in ahead else None
            frame = write_partition(
                run, out, members, previous, mended.get(county), (encoded or {}).get(county), sink, old
            )
            if frame is not None:
                written[county] = frame
            finished += 1
            if progress is not None:
                progress(finished, total, f"county {county}: {len(sub):,} recomputed of {len(members):,}")
            _collect()
    finally:
        reader.shutdown(wait=True, cancel_futures=True)
    return written
