"""Engine factory: one cached engine per database URL.

SQLite connections get WAL journaling (readers do not block the nightly
writer), enforced foreign keys and a busy timeout. pysqlite's own
transaction handling is switched off and replaced by an explicit ``BEGIN``
so that DDL (migrations) and multi-statement batches are truly atomic.

Personal data never leaves the database in an error: engines hide the bound
parameters (``hide_parameters=True``), and every driver error's message is
masked (:func:`mask_db_message`) before anyone formats, logs or shows it —
PostgreSQL writes the offending values into its messages (``DETAIL: Key
(id_number)=(…) already exists``, ``Failing row contains (…)``).
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, create_engine

from store.config import get_settings, parse_database_url

__all__ = [
    "get_engine",
    "dispose_engines",
    "begin_write",
    "checkpoint",
    "defer_checkpoints",
    "mask_db_message",
    "SQLITE_BUSY_TIMEOUT_MS",
    "WRITE_OPTION",
]

#: How long a SQLite writer waits for a lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 30_000

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


# Keep Chinese readable in the database instead of \\u-escaped code points. One shared
# encoder: json.dumps with options would build a new one per value.
_json_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, see below
        cur = dbapi_conn.cursor()
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction (see :func:`begin_write`) takes the write lock at BEGIN: it then waits
        # for another writer (busy timeout) instead of failing at its first write because its read
        # snapshot went stale (WAL's SQLITE_BUSY_SNAPSHOT, "database is locked" without a wait).
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")


#: Execution option of a connection whose transactions will write (``BEGIN IMMEDIATE`` on SQLite).
WRITE_OPTION = "matcher_writes"


def begin_write(engine: Engine) -> Any:
    """``engine.begin()`` for a transaction that reads and then writes (ingest, delete, a fair).

    On SQLite it begins ``IMMEDIATE``, so two writers queue (busy timeout) instead of the second one
    failing with "database is locked"; on PostgreSQL it is an ordinary transaction.
    """
    return engine.execution_options(**{WRITE_OPTION: True}).begin()


def defer_checkpoints(engine: Engine) -> bool:
    """Take WAL checkpoints off this process's commits: it then calls :func:`checkpoint` itself, from a
    background thread (the service's refresh thread does, once a second).

    By default the commit that takes SQLite's write-ahead log past 1,000 pages copies it into the
    database and syncs both while that writer still holds the write lock (one write at a time: p99 21 ms
    against 9 ms, the longest 100 ms against 17, ``tests/benchmarks/bench_checkpoint.py``), and while
    readers keep the log from being reset every later commit tries again; the other worker's writes
    queue behind it.
    A checkpoint runs beside writers, so taken out of the commit it delays none of them. Only new
    connections are affected (the pool is emptied here: call it before serving). Returns whether
    ``engine`` is a SQLite file (other stores: nothing to do).
    """
    if not _sqlite_file(engine):
        return False
    if not event.contains(engine, "connect", _no_auto_checkpoint):
        event.listen(engine, "connect", _no_auto_checkpoint)
        engine.dispose()
    return True


def _no_auto_checkpoint(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")


def _sqlite_file(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


def checkpoint(engine: Engine) -> tuple[int, int, int] | None:
    """Copy what the write-ahead log holds into the database as far as no reader needs it (``PASSIVE``:
    it waits for nobody); returns SQLite's ``(busy, log pages, pages checkpointed)``, None on another store.
    """
    if not _sqlite_file(engine):
        return None
    raw = engine.raw_connection()
    try:
        # The driver connection itself: through SQLAlchemy the statement would run inside a BEGIN.
        row = raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        raw.close()
    return (int(row[0]), int(row[1]), int(row[2])) if row is not None else None


def get_engine(url: str | URL | None = None) -> Engine:
    """Return the engine for a database URL, creating it on first use.

    Parameters
    ----------
    url : str, sqlalchemy.engine.URL or None
        Database URL; ``None`` uses the settings (``MATCHER_DATABASE_URL``
        or the SQLite file in ``MATCHER_HOME``, whose directory is created).

    Returns
    -------
    sqlalchemy.engine.Engine
        The same object for the same URL within this process.

    Raises
    ------
    StoreConfigError
        If the URL is malformed or names an unsupported backend.
    """
    if url is None:
        settings = get_settings()
        parsed = settings.resolved_url()
        if settings.database_url is None:
            settings.home.mkdir(parents=True, exist_ok=True)
    else:
        parsed = parse_database_url(url)
    key = parsed.render_as_string(hide_password=False)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _create(parsed)
            _engines[key] = engine
    return engine


# What a driver message may carry of a row: PostgreSQL's "Key (col)=(value)", "Failing row contains (…)",
# quoted input ("invalid input syntax for type date: \"…\"", "parameter $1 = '…'") and bare digit runs.
_KEY_VALUES = re.compile(r"=\((?:[^()]|\([^()]*\))*\)")
_FAILING_ROW = re.compile(r"(Failing row contains )\(.*\)", re.DOTALL)
_DOUBLE_QUOTED = re.compile(r'"([^"\n]*)"')
_SINGLE_QUOTED = re.compile(r"'([^'\n]*)'")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.$]*")
_DIGITS = re.compile(r"\d{7,}")
_HIDDEN = "…"


def mask_db_message(text: str) -> str:
    """A database error message without the values it quotes; names of tables, columns and constraints kept.

    >>> mask_db_message("DETAIL:  Key (id_number)=(610426199001011234) already exists.")
    'DETAIL:  Key (id_number)=(…) already exists.'
    """
    text = _FAILING_ROW.sub(rf"\1({_HIDDEN})", str(text))
    text = _KEY_VALUES.sub(f"=({_HIDDEN})", text)
    text = _DOUBLE_QUOTED.sub(lambda m: m.group(0) if _IDENTIFIER.fullmatch(m.group(1)) else f'"{_HIDDEN}"', text)
    text = _SINGLE_QUOTED.sub(lambda m: m.group(0) if _IDENTIFIER.fullmatch(m.group(1)) else f"'{_HIDDEN}'", text)
    return _DIGITS.sub(_HIDDEN, text)


def _mask_error(context: Any) -> None:
    """``handle_error`` hook: mask the driver's exception and SQLAlchemy's wrapper in place (same classes)."""
    orig = context.original_exception
    if orig is not None and len(orig.args) == 1 and isinstance(orig.args[0], str):
        orig.args = (mask_db_message(orig.args[0]),)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None and len(wrapped.args) == 1 and isinstance(wrapped.args[0], str):
        wrapped.args = (mask_db_message(wrapped.args[0]),)


def _create(url: URL) -> Engine:
    # hide_parameters: bound values (ID numbers, phones) never reach an exception message or a log.
    kwargs: dict[str, Any] = {"json_serializer": _json_dumps, "hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        in_memory = url.database in (None, "", ":memory:")
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, in_memory=in_memory)
    else:
        kwargs["pool_pre_ping"] = True
        engine = create_engine(url, **kwargs)
    event.listen(engine, "handle_error", _mask_error)
    return engine


def dispose_engines() -> None:
    """Close every cached engine's connections and forget the engines."""
    with _lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()
