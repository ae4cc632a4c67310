"""careunit mailbox: the unit's own access log, one row per staff open of a message with the
event id of its MessageOpened event, written in the read's transaction; append-only (triggers
refuse UPDATE, DELETE and TRUNCATE). The audit service reconciles its log against it.

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

_APPEND_ONLY = """
CREATE FUNCTION access_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'access_log is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER access_log_no_update_delete BEFORE UPDATE OR DELETE ON access_log
  FOR EACH ROW EXECUTE FUNCTION access_log_reject_change();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
  FOR EACH STATEMENT EXECUTE FUNCTION access_log_reject_change();
"""


def upgrade() -> None:
    op.create_table(
        'access_log',
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('event_id', sa.Uuid(), nullable=False),
        sa.Column('correlation_id', sa.Uuid(), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('care_unit_id', sa.String(length=100), nullable=False),
        sa.Column('conversation_id', sa.String(length=100), nullable=False),
        sa.Column('message_id', sa.String(length=100), nullable=False),
        sa.Column('staff_id', sa.String(length=100), nullable=False),
        sa.Column('staff_role', sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id'),
    )
    op.execute(sa.text(_APPEND_ONLY))  # text(): the RAISE's % is not a parameter


def downgrade() -> None:
    op.drop_table('access_log')
    op.execute("DROP FUNCTION access_log_reject_change()")
