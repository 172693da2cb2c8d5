"""Nightly batch runs: one record per run, for the reports that go up the chain.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_runs",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime()),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("artifact", sa.String(64)),
        sa.Column("scope", sa.String(256)),
        sa.Column("people", sa.Integer()),
        sa.Column("suggestions", sa.Integer()),
        sa.Column("shortfalls", sa.Integer()),
        sa.Column("covered_share", sa.Float()),
        sa.Column("seconds", sa.Float()),
        sa.Column("path", sa.String(512)),
        sa.Column("errors", sa.Text()),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_batch_runs")),
    )
    op.create_index(op.f("ix_batch_runs_status"), "batch_runs", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_batch_runs_status"), table_name="batch_runs")
    op.drop_table("batch_runs")
