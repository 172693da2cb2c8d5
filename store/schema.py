"""Table definitions (SQLAlchemy Core) matching the Alembic migrations.

The migrations under ``store/migrations/versions`` create the tables with
explicit operations; this module describes the same tables for queries.
``tests/store/test_migrations.py`` compares the two so they cannot drift.

All timestamps are naive UTC. JSON columns hold lists (``JSONB`` on
PostgreSQL); Python ``None`` is stored as SQL ``NULL``, not JSON ``null``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

__all__ = [
    "metadata",
    "JSONList",
    "laborers",
    "vacancies",
    "placements",
    "households",
    "job_fairs",
    "job_fair_vacancies",
    "job_fair_invitations",
    "ingest_runs",
    "batch_runs",
    "api_keys",
    "audit_log",
    "changes",
    "KEY_ROLES",
    "CHANGE_ENTITIES",
    "LEDGER_TABLES",
    "TABLES",
    "EMPLOYED_STATUSES",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

#: JSON list column type: JSON on SQLite, JSONB on PostgreSQL.
JSONList = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")

#: ``employment_status`` values that count a household member as employed.
EMPLOYED_STATUSES = ("employed_local", "employed_away", "self_employed", "public_welfare")


def _place_columns(*, admin_code: bool = True, index_town_village: bool = True) -> list[sa.Column]:
    cols: list[sa.Column] = [
        sa.Column(name, sa.String(64)) for name in ("province", "city", "county", "town", "village")
    ]
    if admin_code:
        cols.append(sa.Column("admin_code", sa.String(12)))
    cols += [
        sa.Column("county_code", sa.String(6), index=True),
        sa.Column("town_code", sa.String(12), index=index_town_village),
        sa.Column("village_code", sa.String(12), index=index_town_village),
    ]
    return cols


def _geo_columns() -> list[sa.Column]:
    return [
        sa.Column("geo_unresolved", JSONList),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("coord_source", sa.String(16)),
    ]


def _ledger_columns() -> list[sa.Column]:
    return [
        sa.Column("updated_at", sa.DateTime),
        sa.Column("content_hash", sa.String(32)),
        sa.Column("ingested_at", sa.DateTime),
    ]


laborers = sa.Table(
    "laborers",
    metadata,
    sa.Column("laborer_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(64)),
    # Indexed (migration 0005): an ingest looks up the same person under another id.
    sa.Column("id_number", sa.String(18), index=True),
    sa.Column("phone", sa.String(20)),
    sa.Column("gender", sa.String(8)),
    sa.Column("age", sa.Integer),
    sa.Column("birth_date", sa.Date),
    sa.Column("household_id", sa.String(64), index=True),
    *_place_columns(),
    *_geo_columns(),
    sa.Column("education", sa.String(16)),
    sa.Column("disability", sa.String(16)),
    # Disability type (残疾类别), kept as sent (migration 0005).
    sa.Column("disability_type", sa.String(16)),
    sa.Column("health", sa.String(16)),
    # Labour capacity (劳动技能) as the national ledger grades it (migration 0005).
    sa.Column("labour_capacity", sa.String(16)),
    sa.Column("skills", JSONList),
    sa.Column("certificates", JSONList),
    sa.Column("job_intention", JSONList),
    sa.Column("wants_job", sa.Boolean),
    sa.Column("wants_training", sa.Boolean),
    sa.Column("training_interest", JSONList),
    sa.Column("wants_business", sa.Boolean),
    sa.Column("mobility", sa.String(16)),
    sa.Column("care_duties", sa.Boolean),
    sa.Column("employment_status", sa.String(24)),
    # Where a person in work works (务工地点, migration 0005).
    sa.Column("work_place", sa.String(16)),
    sa.Column("expected_wage", sa.Float),
    sa.Column("registered_poor", sa.Boolean),
    sa.Column("caseworker", sa.String(64)),
    *_ledger_columns(),
)

vacancies = sa.Table(
    "vacancies",
    metadata,
    sa.Column("vacancy_id", sa.String(64), primary_key=True),
    sa.Column("employer_id", sa.String(64), index=True),
    sa.Column("employer_name", sa.String(128)),
    sa.Column("kind", sa.String(24)),
    sa.Column("title", sa.String(128)),
    sa.Column("occupation_code", sa.String(16)),
    sa.Column("occupation_source", sa.String(16)),
    sa.Column("description", sa.Text),
    sa.Column("required_skills", JSONList),
    sa.Column("required_certificates", JSONList),
    sa.Column("openings", sa.Integer),
    *_place_columns(index_town_village=False),
    *_geo_columns(),
    sa.Column("wage_min", sa.Float),
    sa.Column("wage_max", sa.Float),
    sa.Column("wage_unit", sa.String(8)),
    sa.Column("hours", sa.String(16)),
    sa.Column("age_min", sa.Integer),
    sa.Column("age_max", sa.Integer),
    sa.Column("physical_demand", sa.String(8)),
    sa.Column("training_provided", sa.Boolean),
    sa.Column("transport_provided", sa.Boolean),
    sa.Column("lodging_provided", sa.Boolean),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("status", sa.String(16), index=True),
    *_ledger_columns(),
)

placements = sa.Table(
    "placements",
    metadata,
    sa.Column("placement_id", sa.String(64), primary_key=True),
    sa.Column("laborer_id", sa.String(64), index=True),
    sa.Column("vacancy_id", sa.String(64), index=True),
    sa.Column("outcome", sa.String(16)),
    sa.Column("date", sa.Date),
    sa.Column("source", sa.String(64)),
    sa.Column("fair_id", sa.String(64), nullable=True),
    *_ledger_columns(),
)

households = sa.Table(
    "households",
    metadata,
    sa.Column("household_id", sa.String(64), primary_key=True),
    *_place_columns(admin_code=False, index_town_village=False),
    sa.Column("members", sa.Integer),
    sa.Column("employed", sa.Integer),
    sa.Column("registered_poor", sa.Boolean),
    sa.Column("zero_employment", sa.Boolean),
    sa.Column("updated_at", sa.DateTime),
)

job_fairs = sa.Table(
    "job_fairs",
    metadata,
    sa.Column("fair_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(128)),
    sa.Column("date", sa.Date),
    sa.Column("place", sa.String(128)),
    sa.Column("county_code", sa.String(6)),
    sa.Column("created_at", sa.DateTime),
    # Where the venue is (migration 0002): resolved from ``place`` within the fair's county.
    sa.Column("venue_code", sa.String(12)),
    sa.Column("venue_lat", sa.Float),
    sa.Column("venue_lon", sa.Float),
)

job_fair_vacancies = sa.Table(
    "job_fair_vacancies",
    metadata,
    sa.Column(
        "fair_id",
        sa.String(64),
        sa.ForeignKey("job_fairs.fair_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "vacancy_id",
        sa.String(64),
        sa.ForeignKey("vacancies.vacancy_id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

#: One row per invitation of a fair's shortlist (migration 0002); rewritten by each shortlist run.
job_fair_invitations = sa.Table(
    "job_fair_invitations",
    metadata,
    sa.Column(
        "fair_id",
        sa.String(64),
        sa.ForeignKey("job_fairs.fair_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("vacancy_id", sa.String(64), primary_key=True),
    sa.Column("laborer_id", sa.String(64), primary_key=True),
    sa.Column("rank", sa.Integer),
    sa.Column("probability", sa.Float),
    sa.Column("tier", sa.String(16)),
    sa.Column("household_id", sa.String(64)),
    sa.Column("village_code", sa.String(12)),
    sa.Column("created_at", sa.DateTime),
)

ingest_runs = sa.Table(
    "ingest_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16)),
    sa.Column("source_name", sa.String(256)),
    sa.Column("started_at", sa.DateTime),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("inserted", sa.Integer),
    sa.Column("updated", sa.Integer),
    sa.Column("unchanged", sa.Integer),
    sa.Column("stale", sa.Integer),
    sa.Column("rejected", sa.Integer),
    sa.Column("dry_run", sa.Boolean),
)

batch_runs = sa.Table(
    "batch_runs",
    metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("started_at", sa.DateTime),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("artifact", sa.String(64)),
    sa.Column("scope", sa.String(256)),
    sa.Column("people", sa.Integer),
    sa.Column("suggestions", sa.Integer),
    sa.Column("shortfalls", sa.Integer),
    sa.Column("covered_share", sa.Float),
    sa.Column("seconds", sa.Float),
    sa.Column("path", sa.String(512)),
    sa.Column("errors", sa.Text),
)

#: Roles an API key can carry (migration 0004); only ``admin`` may have no county.
KEY_ROLES = ("admin", "organizer", "caseworker", "readonly")

#: API keys (migration 0004): only the sha256 of the whole key text is stored.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("county_code", sa.String(6)),
    sa.Column("town_code", sa.String(12)),
    sa.Column("pii", sa.Boolean, nullable=False),
    sa.Column("label", sa.String(128)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime),
    sa.Column("revoked_at", sa.DateTime),
    sa.Column("last_used_at", sa.DateTime),
    sa.CheckConstraint("role IN ('admin', 'organizer', 'caseworker', 'readonly')", name="role"),
    sa.CheckConstraint("role = 'admin' OR county_code IS NOT NULL", name="county"),
)

#: Who read or changed what through the service (migration 0004); never personal data.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("key_id", sa.String(16), index=True),
    sa.Column("role", sa.String(16)),
    sa.Column("county_code", sa.String(6)),
    sa.Column("laborer_id", sa.String(64), index=True),
    sa.Column("vacancy_id", sa.String(64)),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("route", sa.String(128)),
    sa.Column("client", sa.String(64)),
    sa.Column("status", sa.Integer),
    sa.Column("detail", sa.String(256)),
)

#: Entities whose changes are sequenced in ``changes``.
CHANGE_ENTITIES = ("laborer", "vacancy", "placement", "household")

#: The change sequence server workers poll (migration 0004). ``seq`` never
#: decreases or repeats: AUTOINCREMENT on SQLite, a sequence on PostgreSQL.
changes = sa.Table(
    "changes",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(16), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("county_code", sa.String(6)),
    sa.Column("op", sa.String(8), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_changes_entity_entity_id", "entity", "entity_id"),
    sqlite_autoincrement=True,
)

#: Tables re-sent by the county ledgers, with their id column; ``upsert`` targets.
LEDGER_TABLES: dict[str, str] = {
    "laborers": "laborer_id",
    "vacancies": "vacancy_id",
    "placements": "placement_id",
}

#: Every table of the schema by name, in creation order.
TABLES: dict[str, sa.Table] = {t.name: t for t in metadata.sorted_tables}
