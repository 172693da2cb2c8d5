"""Migrations: idempotent upgrade, revision bookkeeping, no drift from schema.py."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from store import SchemaMismatchError, StoreError, check_schema, current_revision, migrate
from store.migrate import head_revision
from store.schema import TABLES, metadata


def test_migrate_is_idempotent(engine: Engine) -> None:
    assert current_revision(engine) is None
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(TABLES) <= tables
    check_schema(engine)


def test_migration_matches_schema_module(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_expected_indexes_exist(migrated_engine: Engine) -> None:
    insp = inspect(migrated_engine)
    indexed = {
        table: {tuple(ix["column_names"]) for ix in insp.get_indexes(table)}
        for table in ("laborers", "vacancies", "placements", "households")
    }
    assert {("household_id",), ("county_code",), ("town_code",), ("village_code",)} <= indexed["laborers"]
    assert {("employer_id",), ("county_code",), ("status",)} <= indexed["vacancies"]
    assert {("laborer_id",), ("vacancy_id",)} <= indexed["placements"]
    assert {("county_code",)} <= indexed["households"]


def test_check_schema_refuses_unmigrated_database(engine: Engine) -> None:
    with pytest.raises(SchemaMismatchError) as info:
        check_schema(engine)
    message = str(info.value)
    assert "none" in message and head_revision() in message
    assert "matcher migrate" in message
    assert info.value.found is None and info.value.expected == head_revision()
    assert isinstance(info.value, StoreError)


def test_check_schema_refuses_unknown_newer_revision(migrated_engine: Engine) -> None:
    with migrated_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaMismatchError, match="9999.*upgrade the software"):
        check_schema(migrated_engine)
