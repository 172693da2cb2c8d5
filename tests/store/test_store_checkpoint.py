"""WAL checkpoints out of the commit: a serving process takes them itself, in the background."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from store.engine import begin_write, checkpoint, defer_checkpoints


def _autocheckpoint(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def _wal_pages(engine: sa.Engine) -> int:
    """Pages the log holds now (a checkpoint that copies nothing reports them)."""
    raw = engine.raw_connection()
    try:
        return int(raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        raw.close()


def _engine(tmp_path: Path) -> sa.Engine:
    from store.config import parse_database_url
    from store.engine import _create

    return _create(parse_database_url(f"sqlite:///{tmp_path / 'store.db'}"))


def test_deferred_connections_never_checkpoint_in_a_commit(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    try:
        assert _autocheckpoint(engine) == 1000  # SQLite's default: a commit past 1,000 pages checkpoints
        assert defer_checkpoints(engine) and defer_checkpoints(engine)  # twice: one listener
        assert _autocheckpoint(engine) == 0
        with begin_write(engine) as conn:
            conn.exec_driver_sql("CREATE TABLE t (x TEXT)")
        # Far past 1,000 pages of log: no commit copied them into the database.
        for i in range(40):
            with begin_write(engine) as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (?)", tuple([str(i) * 200_000]))
        # What the log holds, all of it still there: a checkpoint now copies it whole.
        busy, pages, done = checkpoint(engine)  # type: ignore[misc]
        assert busy == 0 and pages > 1800 and done == pages, pages
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 40
    finally:
        engine.dispose()


def test_a_plain_engine_still_checkpoints_in_its_commits(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    try:
        with begin_write(engine) as conn:
            conn.exec_driver_sql("CREATE TABLE t (x TEXT)")
        for i in range(40):
            with begin_write(engine) as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (?)", tuple([str(i) * 200_000]))
        assert _wal_pages(engine) < 1000 + 100  # reset by the commits' own checkpoints
    finally:
        engine.dispose()


def test_other_stores_have_nothing_to_defer() -> None:
    engine = sa.create_engine("sqlite://")
    assert defer_checkpoints(engine) is False and checkpoint(engine) is None
