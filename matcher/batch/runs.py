"""Run directories: where a batch writes, how it becomes visible, how readers find the latest.

Layout under ``$MATCHER_HOME/runs``::

    <run_id>.partial/            being computed: invisible to every reader
        run.json                 the run record (status, options, timings, counts, errors)
        candidates/county_code=<code>/part.parquet   per-partition candidate lists
        flags/…, shortfalls/…, people/…              per-partition outputs
    <run_id>/                    published: the same directory, renamed in one step,
        suggestions/county_code=<code>/part.parquet  final suggestions after the congestion step
    LATEST                       the run readers use (replaced atomically after the rename)

A crash, ``kill -9`` or a full disk before the rename leaves ``LATEST`` and
the run it names untouched; the next run removes stale ``.partial``
directories unless asked to ``--resume`` one.

One run at a time: a run holds ``RUN.lock`` (an exclusive ``flock``, which the kernel releases
when the holder dies, however it dies) for its whole life; the file names the holder's pid, host
and start time, so a second run is refused with who holds it (:class:`RunBusyError`), never
waits silently and never removes the live run's ``.partial`` directory. Only the lock's holder
removes ``.partial`` directories, and the ones it finds still marked ``running`` are runs that
were killed: they are marked ``failed`` first (:func:`reap_dead_runs`). ``flock`` is reliable
on a local file system; keep ``$MATCHER_HOME/runs`` off NFS.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from matcher.errors import MatcherError
from store.errors import ConflictError

__all__ = [
    "BackgroundWrites",
    "RunDir",
    "runs_root",
    "latest_run",
    "new_run",
    "resume_run",
    "read_table",
    "table_columns",
    "PARTS",
    "LOCK_NAME",
    "RunBusyError",
    "run_lock",
    "reap_dead_runs",
]

LOCK_NAME = "RUN.lock"


class RunBusyError(ConflictError):
    """Another batch run holds the run lock of this data directory."""

    default_code = "batch_running"

    def __init__(self, root: Path, holder: dict[str, Any]) -> None:
        who = f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, started {holder.get('started_at', '?')} UTC"
        super().__init__(
            f"another batch run is in progress in {root} ({who}); try again when it has finished",
            f"另一个批处理正在运行（进程 {holder.get('pid', '?')}，主机 {holder.get('host', '?')}，"
            f"开始于 {holder.get('started_at', '?')} UTC），请在它结束后再试",
            field="runs",
            value=str(holder.get("pid", "?")),
            allowed="one batch run at a time per data directory / 同一数据目录同时只能运行一个批处理",
        )
        self.holder = holder


@contextmanager
def run_lock(root: Path) -> Iterator[dict[str, Any]]:
    """Hold the run lock of ``root`` for the ``with`` block (:class:`RunBusyError` when another run holds it)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunBusyError(root, _holder(path)) from None
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": _now()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode("utf-8"), 0)
        try:
            yield me
        finally:
            os.ftruncate(fd, 0)  # released: nobody named (the flock goes with the descriptor)
    finally:
        os.close(fd)


def _holder(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8").strip()
        return dict(json.loads(text)) if text else {}
    except (OSError, ValueError):
        return {}


def reap_dead_runs(root: Path, keep: str | None = None) -> list[RunDir]:
    """Under the run lock: mark every ``.partial`` run still ``running`` as failed (it was killed) and
    remove the ``.partial`` directories, except ``keep`` (a run to resume). Returns the runs marked."""
    marked: list[RunDir] = []
    for path in sorted(root.glob("*.partial")):
        run_id = path.name.removesuffix(".partial")
        try:
            record = json.loads((path / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {"run_id": run_id, "errors": []}
        if record.get("status") == "running":
            record["status"] = "failed"
            record["finished_at"] = record.get("finished_at") or _now()
            record.setdefault("errors", []).append(
                "interrupted: the process ended without finishing (killed or crashed) / "
                "批处理进程中途结束（被终止或崩溃）"
            )
            run = RunDir(run_id, path, record)
            if path.exists():
                run.save_record()
            marked.append(run)
        if run_id != keep:
            shutil.rmtree(path, ignore_errors=True)
    return marked


PARTS = ("candidates", "flags", "shortfalls", "people")


class BackgroundWrites:
    """A run's partition files written by one background thread, in the order they are handed over.

    Arrow's Parquet writer releases the GIL, so the next county is read, repaired or computed while the
    last one is written. The first failure stops every later write (a partition whose candidates could
    not be written never gets its ``people`` file, so it is not counted done) and is raised in the
    caller's thread by the next :meth:`submit` or by :meth:`wait`.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-writes")
        self._pending: list[Future[None]] = []
        self._failed: BaseException | None = None

    def submit(self, write: Callable[..., None], *args: Any) -> None:
        self._raise_failure()
        self._pending.append(self._pool.submit(self._guarded, write, *args))

    def _guarded(self, write: Callable[..., None], *args: Any) -> None:
        if self._failed is None:
            try:
                write(*args)
            except BaseException as exc:
                self._failed = exc

    def _raise_failure(self) -> None:
        if self._failed is not None:
            raise self._failed

    def wait(self) -> None:
        """Return once everything handed over is written; raise the first failure."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()
        self._raise_failure()

    def close(self) -> None:
        """Stop the thread, dropping writes not started (after a failure elsewhere)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def runs_root(home: Path) -> Path:
    """Where the batch runs of the data directory ``home`` live."""
    return Path(home) / "runs"


@dataclass
class RunDir:
    """One run's directory and record."""

    run_id: str
    path: Path
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        return self.path.name.endswith(".partial")

    def save_record(self) -> None:
        tmp = self.path / "run.json.tmp"
        tmp.write_text(json.dumps(self.record, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        tmp.replace(self.path / "run.json")

    def part_path(self, part: str, county: str) -> Path:
        return self.path / part / f"county_code={county}" / "part.parquet"

    def done_partitions(self) -> set[str]:
        """Partitions whose every output file was written (the ``people`` file is written last)."""
        folder = self.path / "people"
        if not folder.exists():
            return set()
        return {p.name.split("=", 1)[1] for p in folder.iterdir() if (p / "part.parquet").exists()}

    def write_part(self, part: str, county: str, frame: pd.DataFrame) -> None:
        self.write_table(part, county, pa.Table.from_pandas(frame, preserve_index=False))

    def write_table(self, part: str, county: str, table: pa.Table) -> None:
        """One partition file, written beside and renamed into place (a reader never sees half a file)."""
        path = self.part_path(part, county)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        pq.write_table(table, tmp)
        tmp.replace(path)

    def write_vectors(self, county: str, vectors: np.ndarray) -> None:
        """The people's embedding vectors of a county, row i for row i of its ``people`` part."""
        path = self.vectors_path(county)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
        tmp.replace(path)

    def vectors_path(self, county: str) -> Path:
        return self.path / "vectors" / f"county_code={county}" / "part.npy"

    def link_partition(self, previous: RunDir, county: str) -> None:
        """Take a county's partition files unchanged from ``previous`` (hard links, copies across file
        systems); the ``people`` file last, as :meth:`done_partitions` expects. Runs never rewrite a file
        in place (see :meth:`write_part`), so a link shares nothing that changes."""
        files = [previous.part_path(part, county) for part in ("candidates", "flags", "shortfalls")]
        files += [previous.vectors_path(county), previous.part_path("people", county)]
        for source in files:
            target = self.path / source.relative_to(previous.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.unlink(missing_ok=True)
            try:
                os.link(source, tmp)
            except OSError:
                shutil.copy2(source, tmp)
            tmp.replace(target)

    def read_vectors(self, county: str) -> tuple[np.ndarray, np.ndarray] | None:
        """``(laborer_ids, vectors)`` of a county as the run stored them; None when it stored none."""
        path = self.vectors_path(county)
        people = self.part_path("people", county)
        if not path.exists() or not people.exists():
            return None
        ids = pd.read_parquet(people, columns=["laborer_id"])["laborer_id"].to_numpy(dtype=object)
        vectors = np.load(path, allow_pickle=False)
        return (ids, vectors) if len(ids) == len(vectors) else None

    def publish(self, root: Path) -> RunDir:
        """Rename ``<id>.partial`` to ``<id>`` and point ``LATEST`` at it (each step atomic).

        Refused when a planned county (``record["planned"]``) lacks its files.
        """
        planned = {str(c) for c in self.record.get("planned") or []}
        missing = sorted(planned - self.done_partitions())  # a county's people file is its last
        if missing:
            raise MatcherError(
                f"run {self.run_id} lacks the files of {len(missing)} planned county(ies) "
                f"({', '.join(missing[:5])}); it is not published",
                f"批处理 {self.run_id} 缺少 {len(missing)} 个计划中县的结果文件（{'、'.join(missing[:5])}），未发布",
            )
        final = root / self.run_id
        self.record["status"] = "complete"
        self.record["finished_at"] = _now()
        self.save_record()
        os.replace(self.path, final)
        tmp = root / "LATEST.tmp"
        tmp.write_text(self.run_id, encoding="utf-8")
        tmp.replace(root / "LATEST")
        return RunDir(self.run_id, final, self.record)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def new_run(root: Path, options: dict[str, Any]) -> RunDir:
    """Start a fresh run (the caller holds :func:`run_lock` and has reaped dead runs)."""
    root.mkdir(parents=True, exist_ok=True)
    run_id = dt.datetime.now(dt.UTC).strftime("R%Y%m%dT%H%M%S%f")
    path = root / f"{run_id}.partial"
    path.mkdir()
    run = RunDir(
        run_id, path, {"run_id": run_id, "status": "running", "started_at": _now(), "options": options, "errors": []}
    )
    run.save_record()
    return run


def resume_run(root: Path, run_id: str) -> RunDir:
    path = root / f"{run_id}.partial"
    if not path.exists():
        done = (root / run_id).exists()
        raise MatcherError(
            f"run {run_id} {'is already complete' if done else 'has no partial directory'} under {root}; "
            "start a new run without --resume",
            f"批处理 {run_id} {'已完成' if done else '没有可续跑的中间结果'}，请不带 --resume 重新运行",
        )
    record = json.loads((path / "run.json").read_text(encoding="utf-8"))
    record["status"] = "running"
    record.setdefault("resumed_at", []).append(_now())
    run = RunDir(run_id, path, record)
    run.save_record()
    return run


def latest_run(root: Path, run_id: str = "latest") -> RunDir:
    """The published run ``run_id`` under ``root`` (``latest``: the one ``LATEST`` names)."""
    if run_id == "latest":
        pointer = root / "LATEST"
        if not pointer.exists():
            raise MatcherError(
                f"no complete batch run under {root}; run `matcher batch` first",
                f"{root} 下没有已完成的批处理结果，请先运行 `matcher batch`",
            )
        run_id = pointer.read_text(encoding="utf-8").strip()
    path = root / run_id
    if not (path / "run.json").exists():
        raise MatcherError(f"no complete run {run_id} under {root}", f"没有已完成的批处理 {run_id}")
    return RunDir(run_id, path, json.loads((path / "run.json").read_text(encoding="utf-8")))


def read_table(run: RunDir, part: str, county: str | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """One output table of a run (all partitions, or one county's)."""
    folder = run.path / part
    if county is not None:
        folder = folder / f"county_code={county}"
    if not folder.exists():
        return pd.DataFrame(columns=columns or [])
    files = sorted(folder.rglob("*.parquet"))
    if not files:
        return pd.DataFrame(columns=columns or [])
    frames = []
    for f in files:
        frame = pd.read_parquet(f, columns=columns)
        if county is None and "county_code" not in frame.columns:
            frame["county_code"] = f.parent.name.split("=", 1)[1]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def table_columns(run: RunDir, part: str) -> list[str]:
    """The columns of a run's output table as written (from the first partition's Parquet schema)."""
    import pyarrow.parquet as pq

    folder = run.path / part
    first = next(iter(sorted(folder.rglob("*.parquet"))), None) if folder.exists() else None
    return list(pq.read_schema(first).names) if first is not None else []


def stored_result(run: RunDir, laborer_id: str, county: str) -> dict[str, object]:
    """One person's published suggestions, flags and shortfall, in the ``matcher recommend --json`` shape."""
    import json

    def rows(part: str) -> pd.DataFrame:
        frame = read_table(run, part, county=county)
        return frame[frame["laborer_id"] == laborer_id] if len(frame) else frame

    sugg = rows("suggestions").sort_values("rank") if len(rows("suggestions")) else pd.DataFrame()
    flags = rows("flags")
    short = rows("shortfalls")
    return {
        "laborer_id": laborer_id,
        "run_id": run.run_id,
        "flags": [{"kind": r.kind, "reasons": json.loads(r.reasons)} for r in flags.itertuples()],
        "recommendations": [
            {
                "vacancy_id": r.vacancy_id,
                "title": r.title,
                "kind": r.kind,
                "score": round(float(r.score), 4),
                "step": r.step,
                "reasons": json.loads(r.reasons),
            }
            for r in sugg.itertuples()
        ],
        "shortfall": None
        if short.empty
        else {
            "reason": short.iloc[0]["reason"],
            "reason_en": short.iloc[0]["reason_en"],
            "available": int(short.iloc[0]["available"]),
        },
        "prior": bool(sugg["prior"].iloc[0]) if len(sugg) and "prior" in sugg else False,
    }
