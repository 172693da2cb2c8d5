"""Ingest-run bookkeeping and table counts."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from store.engine import begin_write
from store.errors import RecordError
from store.schema import TABLES, batch_runs, ingest_runs
from store.upsert import utcnow

__all__ = ["record_ingest_run", "count_rows", "record_batch_run", "load_batch_runs", "close_stale_batch_runs"]


def record_ingest_run(conn: Connection, **fields: Any) -> int:
    """Append one row to ``ingest_runs`` and return its id.

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        Open connection; runs in the caller's transaction.
    **fields
        Columns of ``ingest_runs`` except ``id``: ``kind``, ``source_name``,
        ``started_at``, ``finished_at``, ``inserted``, ``updated``,
        ``unchanged``, ``stale``, ``rejected``, ``dry_run``. ``source_name``
        is cut to the file's base name (directories can name people);
        ``finished_at`` defaults to now.

    Returns
    -------
    int
        The new run id.
    """
    allowed = [c.name for c in ingest_runs.c if c.name != "id"]
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise RecordError(
            f"ingest_runs 没有这些字段 / ingest_runs has no field(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed)}"
        )
    row = dict(fields)
    if row.get("source_name") is not None:
        row["source_name"] = re.split(r"[\\/]", str(row["source_name"]))[-1][:256]
    row.setdefault("finished_at", utcnow())
    result = conn.execute(sa.insert(ingest_runs).values(**row))
    (run_id,) = result.inserted_primary_key or (None,)
    if run_id is None:  # pragma: no cover - both backends return the new id
        raise RuntimeError("the database returned no id for the new ingest run")
    return int(run_id)


def count_rows(engine: Engine) -> dict[str, int]:
    """Row count of every store table, by table name."""
    with engine.connect() as conn:
        return {
            name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
            for name, table in TABLES.items()
        }


def record_batch_run(engine: Engine, **fields: Any) -> None:
    """Insert or update the ``batch_runs`` row of one run (keyed by ``run_id``), in its own transaction."""
    allowed = {c.name for c in batch_runs.c}
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise RecordError(f"batch_runs 没有这些字段 / batch_runs has no field(s) {', '.join(unknown)}")
    with begin_write(engine) as conn:
        exists = conn.execute(sa.select(batch_runs.c.run_id).where(batch_runs.c.run_id == fields["run_id"])).first()
        if exists:
            conn.execute(batch_runs.update().where(batch_runs.c.run_id == fields["run_id"]).values(**fields))
        else:
            conn.execute(batch_runs.insert().values(**fields))


def load_batch_runs(engine: Engine) -> pd.DataFrame:
    """Every batch run recorded, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(batch_runs).order_by(batch_runs.c.started_at.desc())).all()
    return pd.DataFrame(rows, columns=[c.name for c in batch_runs.c])


def close_stale_batch_runs(engine: Engine, root: Any) -> int:
    """Mark failed every ``batch_runs`` row still ``running`` whose directory lies under ``root``.

    Called by a batch run that holds the run lock of ``root``: no other run of that data directory
    is alive, so such a row was left by a killed run (rows of other data directories sharing the
    database are left alone). Returns how many rows were closed.
    """
    prefix = str(root).rstrip("/\\") + "/"
    with begin_write(engine) as conn:
        result = conn.execute(
            batch_runs.update()
            .where(batch_runs.c.status == "running", batch_runs.c.path.startswith(prefix, autoescape=True))
            .values(status="failed", errors="interrupted: the process ended without finishing")
        )
    return int(result.rowcount or 0)
