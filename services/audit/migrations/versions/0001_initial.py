"""audit: inbox, append-only hash-chained log, staff access.

The schema the previous release's migrations (shared.db.migrate, versions up to 2) made;
such a database is stamped with this revision instead of running it.

Revision ID: 0001
Revises:
Create Date: 2026-12-01"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# The log is append-only in the database itself (triggers), and the chain starts at GENESIS.
_GUARDS = """
CREATE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_records is append-only (% refused)', TG_OP;
END $$;

CREATE TRIGGER audit_records_no_update_delete BEFORE UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

CREATE FUNCTION audit_head_advance_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.seq <> OLD.seq + 1 THEN
    RAISE EXCEPTION 'audit chain head only moves forward by one';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER audit_chain_head_forward BEFORE UPDATE OR DELETE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_head_advance_only();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
"""
GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table('audit_chain_head',
    sa.Column('id', sa.SmallInteger(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name='audit_chain_head_single_row'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('audit_records',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('event_type', sa.String(length=200), nullable=False),
    sa.Column('event_version', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('actor_id', sa.String(length=100), nullable=False),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('source_service', sa.String(length=100), nullable=False),
    sa.Column('source_region', sa.String(length=100), nullable=False),
    sa.Column('correlation_id', sa.Uuid(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', postgresql.JSONB(astext_type=Text()), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('event_id')
    )
    op.create_index('audit_records_subject', 'audit_records', ['subject', 'seq'], unique=False)
    op.create_index('audit_records_type', 'audit_records', ['event_type', 'seq'], unique=False)
    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id')
    )
    op.create_table('staff_access',
    sa.Column('staff_id', sa.String(length=100), nullable=False),
    sa.Column('units', sa.JSON(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('staff_id')
    )

    op.execute(sa.text("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, :h)")
               .bindparams(h=GENESIS))
    op.execute(sa.text(_GUARDS))  # text() keeps the % of RAISE away from the driver


def downgrade() -> None:
    op.drop_table('staff_access')
    op.drop_table('inbox')
    op.drop_index('audit_records_type', table_name='audit_records')
    op.drop_index('audit_records_subject', table_name='audit_records')
    op.drop_table('audit_records')
    op.drop_table('audit_chain_head')
    op.execute("DROP FUNCTION audit_reject_change()")
    op.execute("DROP FUNCTION audit_head_advance_only()")
