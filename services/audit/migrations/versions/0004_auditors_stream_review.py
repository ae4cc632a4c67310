"""audit: the auditors' side: facts of each record (units, patient, staff member, message),
and the review queue (the auditors' stream goes through the outbox of revision 0003). Facts of records appended before
this revision are filled in from their payloads.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BACKFILL = """
INSERT INTO audit_facts (seq, event_type, patient_id, staff_id, message_id, conversation_id,
                         occurred_at)
SELECT seq, event_type,
       COALESCE(summary->>'patient_id', CASE WHEN actor_role = 'patient' THEN actor_id END),
       COALESCE(summary->>'staff_id', NULLIF(summary->>'clinician_id', ''),
                CASE WHEN actor_role = 'staff' THEN actor_id END),
       summary->>'message_id', summary->>'conversation_id', occurred_at
FROM audit_records;
INSERT INTO audit_record_units (unit_id, seq)
SELECT DISTINCT unit_id, seq FROM (
  SELECT seq, summary->>'care_unit_id' AS unit_id FROM audit_records
  UNION ALL SELECT seq, summary->>'unit_id' FROM audit_records
  UNION ALL SELECT r.seq, m->>'unit_id' FROM audit_records r,
    jsonb_array_elements(CASE WHEN jsonb_typeof(r.summary->'memberships') = 'array'
                         THEN r.summary->'memberships' ELSE '[]'::jsonb END) m
) found WHERE unit_id IS NOT NULL;
"""


def upgrade() -> None:
    op.create_table(
        "audit_facts",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("patient_id", sa.String(length=100), nullable=True),
        sa.Column("staff_id", sa.String(length=100), nullable=True),
        sa.Column("message_id", sa.String(length=100), nullable=True),
        sa.Column("conversation_id", sa.String(length=100), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"))
    op.create_index("audit_facts_patient", "audit_facts", ["patient_id", "seq"])
    op.create_index("audit_facts_staff", "audit_facts", ["staff_id", "seq"])
    op.create_index("audit_facts_message", "audit_facts", ["message_id", "event_type"])
    op.create_index("audit_facts_conversation", "audit_facts", ["conversation_id"])
    op.create_index("audit_facts_occurred", "audit_facts", ["occurred_at"])
    op.create_table(
        "audit_record_units",
        sa.Column("unit_id", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "seq"))
    op.create_index("audit_record_units_seq", "audit_record_units", ["seq"])
    op.create_table(
        "audit_reviews",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("unit_id", sa.String(length=100), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("selected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewer_id", sa.String(length=100), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("seq"))
    op.create_index("audit_reviews_open", "audit_reviews", ["unit_id", "seq"])
    op.execute(sa.text(_BACKFILL))


def downgrade() -> None:
    for table in ("audit_reviews", "audit_record_units", "audit_facts"):
        op.drop_table(table)
