"""Initial schema: ledgers, derived households, job fairs, ingest runs.

Revision ID: 0001
Revises:
Create Date: 2025-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _place(*, admin_code: bool = True) -> list[sa.Column]:
    cols = [sa.Column(n, sa.String(64)) for n in ("province", "city", "county", "town", "village")]
    if admin_code:
        cols.append(sa.Column("admin_code", sa.String(12)))
    cols += [
        sa.Column("county_code", sa.String(6)),
        sa.Column("town_code", sa.String(12)),
        sa.Column("village_code", sa.String(12)),
    ]
    return cols


def _geo() -> list[sa.Column]:
    return [
        sa.Column("geo_unresolved", JSON_LIST),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
        sa.Column("coord_source", sa.String(16)),
    ]


def _ledger() -> list[sa.Column]:
    return [
        sa.Column("updated_at", sa.DateTime()),
        sa.Column("content_hash", sa.String(32)),
        sa.Column("ingested_at", sa.DateTime()),
    ]


def _index(table: str, *columns: str) -> None:
    for col in columns:
        op.create_index(op.f(f"ix_{table}_{col}"), table, [col])


def upgrade() -> None:
    op.create_table(
        "laborers",
        sa.Column("laborer_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64)),
        sa.Column("id_number", sa.String(18)),
        sa.Column("phone", sa.String(20)),
        sa.Column("gender", sa.String(8)),
        sa.Column("age", sa.Integer()),
        sa.Column("birth_date", sa.Date()),
        sa.Column("household_id", sa.String(64)),
        *_place(),
        *_geo(),
        sa.Column("education", sa.String(16)),
        sa.Column("disability", sa.String(16)),
        sa.Column("health", sa.String(16)),
        sa.Column("skills", JSON_LIST),
        sa.Column("certificates", JSON_LIST),
        sa.Column("job_intention", JSON_LIST),
        sa.Column("wants_job", sa.Boolean()),
        sa.Column("wants_training", sa.Boolean()),
        sa.Column("training_interest", JSON_LIST),
        sa.Column("wants_business", sa.Boolean()),
        sa.Column("mobility", sa.String(16)),
        sa.Column("care_duties", sa.Boolean()),
        sa.Column("employment_status", sa.String(24)),
        sa.Column("expected_wage", sa.Float()),
        sa.Column("registered_poor", sa.Boolean()),
        sa.Column("caseworker", sa.String(64)),
        *_ledger(),
        sa.PrimaryKeyConstraint("laborer_id", name=op.f("pk_laborers")),
    )
    _index("laborers", "household_id", "county_code", "town_code", "village_code")

    op.create_table(
        "vacancies",
        sa.Column("vacancy_id", sa.String(64), nullable=False),
        sa.Column("employer_id", sa.String(64)),
        sa.Column("employer_name", sa.String(128)),
        sa.Column("kind", sa.String(24)),
        sa.Column("title", sa.String(128)),
        sa.Column("occupation_code", sa.String(16)),
        sa.Column("occupation_source", sa.String(16)),
        sa.Column("description", sa.Text()),
        sa.Column("required_skills", JSON_LIST),
        sa.Column("required_certificates", JSON_LIST),
        sa.Column("openings", sa.Integer()),
        *_place(),
        *_geo(),
        sa.Column("wage_min", sa.Float()),
        sa.Column("wage_max", sa.Float()),
        sa.Column("wage_unit", sa.String(8)),
        sa.Column("hours", sa.String(16)),
        sa.Column("age_min", sa.Integer()),
        sa.Column("age_max", sa.Integer()),
        sa.Column("physical_demand", sa.String(8)),
        sa.Column("training_provided", sa.Boolean()),
        sa.Column("transport_provided", sa.Boolean()),
        sa.Column("lodging_provided", sa.Boolean()),
        sa.Column("start_date", sa.Date()),
        sa.Column("end_date", sa.Date()),
        sa.Column("status", sa.String(16)),
        *_ledger(),
        sa.PrimaryKeyConstraint("vacancy_id", name=op.f("pk_vacancies")),
    )
    _index("vacancies", "employer_id", "county_code", "status")

    op.create_table(
        "placements",
        sa.Column("placement_id", sa.String(64), nullable=False),
        sa.Column("laborer_id", sa.String(64)),
        sa.Column("vacancy_id", sa.String(64)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("date", sa.Date()),
        sa.Column("source", sa.String(64)),
        sa.Column("fair_id", sa.String(64), nullable=True),
        *_ledger(),
        sa.PrimaryKeyConstraint("placement_id", name=op.f("pk_placements")),
    )
    _index("placements", "laborer_id", "vacancy_id")

    op.create_table(
        "households",
        sa.Column("household_id", sa.String(64), nullable=False),
        *_place(admin_code=False),
        sa.Column("members", sa.Integer()),
        sa.Column("employed", sa.Integer()),
        sa.Column("registered_poor", sa.Boolean()),
        sa.Column("zero_employment", sa.Boolean()),
        sa.Column("updated_at", sa.DateTime()),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_households")),
    )
    _index("households", "county_code")

    op.create_table(
        "job_fairs",
        sa.Column("fair_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128)),
        sa.Column("date", sa.Date()),
        sa.Column("place", sa.String(128)),
        sa.Column("county_code", sa.String(6)),
        sa.Column("created_at", sa.DateTime()),
        sa.PrimaryKeyConstraint("fair_id", name=op.f("pk_job_fairs")),
    )
    op.create_table(
        "job_fair_vacancies",
        sa.Column("fair_id", sa.String(64), nullable=False),
        sa.Column("vacancy_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["fair_id"],
            ["job_fairs.fair_id"],
            name=op.f("fk_job_fair_vacancies_fair_id_job_fairs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vacancy_id"],
            ["vacancies.vacancy_id"],
            name=op.f("fk_job_fair_vacancies_vacancy_id_vacancies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fair_id", "vacancy_id", name=op.f("pk_job_fair_vacancies")),
    )

    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16)),
        sa.Column("source_name", sa.String(256)),
        sa.Column("started_at", sa.DateTime()),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("inserted", sa.Integer()),
        sa.Column("updated", sa.Integer()),
        sa.Column("unchanged", sa.Integer()),
        sa.Column("stale", sa.Integer()),
        sa.Column("rejected", sa.Integer()),
        sa.Column("dry_run", sa.Boolean()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_runs")),
    )


def downgrade() -> None:
    for table in (
        "ingest_runs",
        "job_fair_vacancies",
        "job_fairs",
        "households",
        "placements",
        "vacancies",
        "laborers",
    ):
        op.drop_table(table)
