"""identity: a patient's own contact settings: whether their address is verified, which
notifications they want, and the (hashed) single-use tokens that verify an address. Addresses
that existed before came from the seed or the register and count as verified.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("patients", sa.Column("email_verified_at", sa.DateTime(timezone=True),
                                        nullable=True))
    op.add_column("patients", sa.Column("notify_answer", sa.Boolean(), nullable=False,
                                        server_default=sa.true()))
    op.add_column("patients", sa.Column("notify_reminder", sa.Boolean(), nullable=False,
                                        server_default=sa.true()))
    op.execute("UPDATE patients SET email_verified_at = created_at WHERE email IS NOT NULL")
    op.create_table(
        "contact_verifications",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("verification_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.patient_id"]),
        sa.PrimaryKeyConstraint("token_hash"),
        sa.UniqueConstraint("verification_id"),
    )
    op.create_index(op.f("ix_contact_verifications_patient_id"), "contact_verifications",
                    ["patient_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_contact_verifications_patient_id"),
                  table_name="contact_verifications")
    op.drop_table("contact_verifications")
    op.drop_column("patients", "notify_reminder")
    op.drop_column("patients", "notify_answer")
    op.drop_column("patients", "email_verified_at")
