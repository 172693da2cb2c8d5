"""HTTP service: API keys, the audit log and the change sequence workers poll.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("county_code", sa.String(6)),
        sa.Column("town_code", sa.String(12)),
        sa.Column("pii", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(128)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime()),
        sa.Column("revoked_at", sa.DateTime()),
        sa.Column("last_used_at", sa.DateTime()),
        sa.CheckConstraint("role IN ('admin', 'organizer', 'caseworker', 'readonly')", name=op.f("ck_api_keys_role")),
        sa.CheckConstraint("role = 'admin' OR county_code IS NOT NULL", name=op.f("ck_api_keys_county")),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    op.create_table(
        "audit_log",
        sa.Column("audit_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("key_id", sa.String(16)),
        sa.Column("role", sa.String(16)),
        sa.Column("county_code", sa.String(6)),
        sa.Column("laborer_id", sa.String(64)),
        sa.Column("vacancy_id", sa.String(64)),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("route", sa.String(128)),
        sa.Column("client", sa.String(64)),
        sa.Column("status", sa.Integer()),
        sa.Column("detail", sa.String(256)),
        sa.PrimaryKeyConstraint("audit_id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_key_id"), "audit_log", ["key_id"])
    op.create_index(op.f("ix_audit_log_laborer_id"), "audit_log", ["laborer_id"])
    # AUTOINCREMENT on SQLite: a deleted top row's seq is never handed out again,
    # so a worker that saw seq N never misses a later change numbered N.
    op.create_table(
        "changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("county_code", sa.String(6)),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_changes")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_changes_entity_entity_id"), "changes", ["entity", "entity_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_changes_entity_entity_id"), table_name="changes")
    op.drop_table("changes")
    op.drop_index(op.f("ix_audit_log_laborer_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_key_id"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("api_keys")
