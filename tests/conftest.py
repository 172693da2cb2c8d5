"""Shared fixtures.

Database fixtures: ``engine`` is parametrised over SQLite (a file in
``tmp_path``) and PostgreSQL (a database created for this test session and
dropped at its end; every test starts from an empty schema). Without a
reachable PostgreSQL server the ``postgresql`` cases are skipped with a
message saying how to start it. ``MATCHER_TEST_PG_URL`` points the tests at
another server.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

# The editable install in .venv was made before the packages had __init__.py,
# so outside the repository root `import store` finds an empty namespace
# package (and tests/store shadows it). Put the repository root first, as
# pytest's `pythonpath = ["."]` would.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import URL, Engine, make_url  # noqa: E402

from store import dispose_engines, get_engine, migrate  # noqa: E402

DEFAULT_TEST_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_server_url() -> URL:
    return make_url(os.environ.get("MATCHER_TEST_PG_URL", DEFAULT_TEST_PG_URL))


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[URL]:
    """URL of a fresh PostgreSQL database for this test session (dropped at the end)."""
    server = _pg_server_url()
    admin_url = server.set(database="postgres")
    shown = admin_url.render_as_string(hide_password=True)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"matcher_test_{os.getpid()}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError:
        admin.dispose()
        pytest.skip(
            f"PostgreSQL not reachable at {shown}: start it with "
            "`pg_ctlcluster 15 main start` (or set MATCHER_TEST_PG_URL)"
        )
    try:
        yield server.set(database=name)
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _reset_pg_schema(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """An empty, unmigrated database: SQLite file or PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'matcher.db'}"
        eng = get_engine(url)
        yield eng
        eng.dispose()
    else:
        eng = get_engine(request.getfixturevalue("pg_database_url"))
        _reset_pg_schema(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def migrated_engine(engine: Engine) -> Engine:
    """`engine` upgraded to the head revision."""
    migrate(engine)
    return engine
