"""Writers of a SQLite file take turns on ``store.engine.write_lock``: across processes and threads, re-entrant
within a thread, bounded by SQLite's busy timeout, and nothing at all on other stores."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

import store.engine as store_engine
from store.engine import begin_write, write_lock

ROOT = Path(__file__).resolve().parents[2]

#: A process that takes the write turn of ``argv[1]``'s store, says so, and holds it until ``argv[2]`` exists.
HOLDER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from store.config import parse_database_url
from store.engine import _create, write_lock
engine = _create(parse_database_url("sqlite:///" + sys.argv[1]))
with write_lock(engine):
    print("held", flush=True)
    while not Path(sys.argv[2]).exists():
        time.sleep(0.01)
"""


def _engine(path: Path) -> sa.Engine:
    from store.config import parse_database_url
    from store.engine import _create

    return _create(parse_database_url(f"sqlite:///{path}"))


def _enter_in_thread(engine: sa.Engine) -> tuple[threading.Thread, threading.Event, list[BaseException]]:
    """A thread that takes the turn (and writes a row in it); the event says when it is inside."""
    inside, errors = threading.Event(), []

    def run() -> None:
        try:
            with begin_write(engine) as conn:
                inside.set()
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        except BaseException as exc:  # noqa: BLE001 - asserted by the test
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, inside, errors


def _table(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")


def test_a_writer_waits_while_another_process_holds_the_turn(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "store.db")
    _table(engine)
    release = tmp_path / "release"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER.format(root=str(ROOT)), str(tmp_path / "store.db"), str(release)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        thread, inside, errors = _enter_in_thread(engine)
        assert not inside.wait(0.5), "a writer went in while another process held the turn"
        release.touch()
        assert inside.wait(30), "the writer never went in after the other process let go"
        thread.join(30)
        assert errors == []
    finally:
        release.touch()
        holder.wait(30)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 1


def test_threads_of_one_process_take_turns_and_a_thread_may_nest(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "store.db")
    _table(engine)
    with write_lock(engine):
        with write_lock(engine), begin_write(engine) as conn:  # the same thread again: no wait on itself
            conn.exec_driver_sql("INSERT INTO t VALUES (0)")
        thread, inside, errors = _enter_in_thread(engine)
        assert not inside.wait(0.5), "another thread went in while this one held the turn"
    assert inside.wait(30)
    thread.join(30)
    assert errors == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 2


def test_the_wait_is_bounded_by_the_busy_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A holder that never lets go (here: a file lock taken by hand) delays a writer by SQLite's busy
    timeout at most; the writer then goes on and SQLite's own lock decides (free here: it writes)."""
    import fcntl
    import os

    engine = _engine(tmp_path / "store.db")
    _table(engine)
    monkeypatch.setattr(store_engine, "SQLITE_BUSY_TIMEOUT_MS", 300)
    fd = os.open(f"{tmp_path / 'store.db'}-writers", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        thread, inside, errors = _enter_in_thread(engine)
        assert inside.wait(30), "the writer waited past the busy timeout"
        thread.join(30)
        assert errors == []
    finally:
        os.close(fd)


def test_other_stores_take_no_turn(tmp_path: Path) -> None:
    memory = sa.create_engine("sqlite://")
    with write_lock(memory), write_lock(memory):
        pass
    assert list(tmp_path.iterdir()) == []
