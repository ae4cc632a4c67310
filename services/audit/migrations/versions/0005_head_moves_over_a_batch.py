"""audit: the chain head may move forward over a whole batch of records in one update
(services.audit.batch), not only by one; it must still land on a stored record with that
hash, so the runtime role can neither rewind it nor point it past the log.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_GUARD = """
CREATE OR REPLACE FUNCTION audit_head_advance_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.seq <= OLD.seq OR NOT EXISTS (
      SELECT 1 FROM audit_records WHERE seq = NEW.seq AND hash = NEW.hash) THEN
    RAISE EXCEPTION 'audit chain head only moves forward, onto a stored record';
  END IF;
  RETURN NEW;
END $$;
"""

_BY_ONE = """
CREATE OR REPLACE FUNCTION audit_head_advance_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.seq <> OLD.seq + 1 THEN
    RAISE EXCEPTION 'audit chain head only moves forward by one';
  END IF;
  RETURN NEW;
END $$;
"""


def upgrade() -> None:
    op.execute(_GUARD)


def downgrade() -> None:
    op.execute(_BY_ONE)
