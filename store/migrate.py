"""Programmatic Alembic: upgrade, current revision, schema check.

No ``alembic.ini``: the configuration is built here and points at the
``store/migrations`` package, so migrations run from an installed wheel.
"""

from __future__ import annotations

from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from store.errors import SchemaMismatchError

__all__ = ["alembic_config", "migrate", "current_revision", "head_revision", "check_schema"]

# Arbitrary constant key for pg_advisory_xact_lock: two processes migrating
# the same PostgreSQL database at once wait for each other.
_PG_MIGRATE_LOCK = 0x6D617463  # "matc"


def alembic_config(connection: Connection | None = None) -> Config:
    """Build the Alembic configuration without an ini file.

    Parameters
    ----------
    connection : sqlalchemy.engine.Connection, optional
        Connection the migrations run on (inside its transaction).

    Returns
    -------
    alembic.config.Config
    """
    cfg = Config()
    cfg.set_main_option("script_location", "store:migrations")
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    """Head revision shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships 0001
        raise RuntimeError("store/migrations has no revisions")
    return head


def migrate(engine: Engine) -> None:
    """Upgrade the database to the head revision; a no-op when already there.

    All migration steps run in one transaction (SQLite and PostgreSQL both
    have transactional DDL), so a failed upgrade leaves the schema as it was.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATE_LOCK})
        command.upgrade(alembic_config(conn), "head")


def current_revision(engine: Engine) -> str | None:
    """Revision recorded in the database, or ``None`` if it was never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_schema(engine: Engine) -> None:
    """Refuse to work on a database that is not at the head revision.

    Raises
    ------
    SchemaMismatchError
        Naming the revision found and the one expected, and what to do.
    """
    found = current_revision(engine)
    expected = head_revision()
    if found == expected:
        return
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if found is None:
        with engine.connect() as conn:
            has_tables = bool(inspect(conn).get_table_names())
        state_en = "has tables but no schema revision" if has_tables else "is empty"
        state_zh = "有表但没有结构版本" if has_tables else "是空的"
        en = f"the database {state_en} (revision found: none, expected: {expected}); run `matcher migrate`"
        zh = f"数据库尚未初始化或未迁移（{state_zh}，应为版本 {expected}），请先运行 `matcher migrate`"
    elif found in known:
        en = f"database schema is at revision {found}, expected {expected}; run `matcher migrate`"
        zh = f"数据库结构版本过旧（{found}，应为 {expected}），请先运行 `matcher migrate`"
    else:
        en = (
            f"database schema is at revision {found}, unknown to this version of the software "
            f"(expected {expected}); upgrade the software instead of migrating"
        )
        zh = f"数据库结构版本（{found}）比本程序新（应为 {expected}），请升级程序而不是迁移"
    raise SchemaMismatchError(en, zh, found=found, expected=expected)
