"""The two tables both mailboxes' schema revision 0002 creates, written once (Alembic
operations, frozen as of that revision: a later change is a new revision, not an edit)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def attachments_table() -> None:
    op.create_table(
        "attachments",
        sa.Column("attachment_id", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.String(length=100), nullable=True),
        sa.Column("conversation_id", sa.String(length=100), nullable=True),
        sa.Column("media_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed_key_id", sa.String(length=100), nullable=True),
        sa.Column("sealed_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("outbound_key_id", sa.String(length=100), nullable=True),
        sa.Column("outbound_ciphertext", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("attachment_id"),
    )
    op.create_index(op.f("ix_attachments_item_id"), "attachments", ["item_id"])
    op.create_index(op.f("ix_attachments_conversation_id"), "attachments", ["conversation_id"])


def appointments_table() -> None:
    op.create_table(
        "appointments",
        sa.Column("appointment_id", sa.String(length=100), nullable=False),
        sa.Column("conversation_id", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("care_unit_id", sa.String(length=100), nullable=False),
        sa.Column("patient_id", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("replaces", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("appointment_id"),
    )
    op.create_index(op.f("ix_appointments_conversation_id"), "appointments",
                    ["conversation_id"])
    op.create_index(op.f("ix_appointments_patient_id"), "appointments", ["patient_id"])
