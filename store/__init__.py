"""The store: one SQLAlchemy layer over SQLite (default) or PostgreSQL.

Usage::

    from store import get_engine, migrate, upsert

    engine = get_engine()              # MATCHER_DATABASE_URL or $MATCHER_HOME/matcher.db
    migrate(engine)                    # alembic upgrade head, idempotent
    with engine.begin() as conn:       # one transaction per ingest
        counts = upsert(conn, "laborers", records)
        recompute_households(conn, household_ids)
"""

from store.config import Settings, get_settings
from store.engine import dispose_engines, get_engine
from store.errors import RecordError, SchemaMismatchError, StoreConfigError, StoreError
from store.households import recompute_households
from store.migrate import check_schema, current_revision, head_revision, migrate
from store.readers import (
    load_households,
    load_known_ids,
    load_laborers,
    load_placements,
    load_vacancies,
)
from store.runs import count_rows, load_batch_runs, record_batch_run, record_ingest_run
from store.upsert import UpsertCounts, upsert

__all__ = [
    "Settings",
    "get_settings",
    "get_engine",
    "dispose_engines",
    "migrate",
    "current_revision",
    "head_revision",
    "check_schema",
    "UpsertCounts",
    "upsert",
    "recompute_households",
    "record_ingest_run",
    "record_batch_run",
    "load_batch_runs",
    "count_rows",
    "load_laborers",
    "load_vacancies",
    "load_placements",
    "load_households",
    "load_known_ids",
    "StoreError",
    "StoreConfigError",
    "SchemaMismatchError",
    "RecordError",
]
