"""The national ledger's vocabulary: disability type, labour capacity, work place; ID numbers indexed.

``disability_type`` (残疾类别: visual, hearing, speech, physical, intellectual, mental, multiple),
``labour_capacity`` (劳动技能: skilled, ordinary, weak, lost, none) and ``work_place`` (务工地点:
village, town, county, province, out_of_province, abroad) are kept as the ledger sends them. The
index on ``id_number`` lets an ingest find the same person stored under another id.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_COLUMNS = ("disability_type", "labour_capacity", "work_place")


def upgrade() -> None:
    with op.batch_alter_table("laborers") as batch:
        for name in _COLUMNS:
            batch.add_column(sa.Column(name, sa.String(16)))
    op.create_index(op.f("ix_laborers_id_number"), "laborers", ["id_number"])


def downgrade() -> None:
    op.drop_index(op.f("ix_laborers_id_number"), table_name="laborers")
    with op.batch_alter_table("laborers") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
