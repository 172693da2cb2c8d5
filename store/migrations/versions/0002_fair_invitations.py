"""Job-fair shortlists: the venue's place on ``job_fairs`` and the ``job_fair_invitations`` table.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("job_fairs", sa.Column("venue_code", sa.String(12)))
    op.add_column("job_fairs", sa.Column("venue_lat", sa.Float()))
    op.add_column("job_fairs", sa.Column("venue_lon", sa.Float()))
    op.create_table(
        "job_fair_invitations",
        sa.Column("fair_id", sa.String(64), nullable=False),
        sa.Column("vacancy_id", sa.String(64), nullable=False),
        sa.Column("laborer_id", sa.String(64), nullable=False),
        sa.Column("rank", sa.Integer()),
        sa.Column("probability", sa.Float()),
        sa.Column("tier", sa.String(16)),
        sa.Column("household_id", sa.String(64)),
        sa.Column("village_code", sa.String(12)),
        sa.Column("created_at", sa.DateTime()),
        sa.ForeignKeyConstraint(
            ["fair_id"],
            ["job_fairs.fair_id"],
            name=op.f("fk_job_fair_invitations_fair_id_job_fairs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fair_id", "vacancy_id", "laborer_id", name=op.f("pk_job_fair_invitations")),
    )


def downgrade() -> None:
    op.drop_table("job_fair_invitations")
    with op.batch_alter_table("job_fairs") as batch:
        batch.drop_column("venue_lon")
        batch.drop_column("venue_lat")
        batch.drop_column("venue_code")
