"""audit: the log partitioned by month, signed records, signed checkpoints (stored and
published through an outbox), and the reconciliation cursor.

audit_records is rebuilt as a table partitioned by RANGE (recorded_at): its rows are copied
over unchanged (their hashes still verify; rows before this revision have no signature and
are anchored by the first checkpoint the service signs at start). The append-only triggers
are put on the new table. Partitions from the oldest row's month to a year ahead are made
here; the service makes later ones at every start (services.audit.roles).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = ("seq, event_id, event_type, event_version, subject, actor_id, actor_role, "
            "source_service, source_region, correlation_id, occurred_at, recorded_at, "
            "summary, prev_hash, hash")
_GUARDS = """
CREATE TRIGGER audit_records_no_update_delete BEFORE UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
"""


def _month_after(d: date) -> date:
    return date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)


def _partitions(oldest: date) -> None:
    op.execute("CREATE TABLE audit_records__pdefault PARTITION OF audit_records DEFAULT")
    first = oldest.replace(day=1)
    this_month = datetime.now(UTC).date().replace(day=1)
    end = _month_after(this_month.replace(year=this_month.year + 1))
    while first < end:
        after = _month_after(first)
        op.execute(f"CREATE TABLE audit_records__p{first:%Y%m} PARTITION OF audit_records "
                   f"FOR VALUES FROM ('{first.isoformat()}') TO ('{after.isoformat()}')")
        first = after


def upgrade() -> None:
    conn = op.get_bind()
    oldest = conn.execute(sa.text("SELECT min(recorded_at) FROM audit_records")).scalar()
    op.execute("ALTER TABLE audit_records RENAME TO audit_records_unpartitioned")
    op.execute("ALTER INDEX audit_records_pkey RENAME TO audit_records_unpartitioned_pkey")
    op.execute("DROP INDEX audit_records_subject")
    op.execute("DROP INDEX audit_records_type")
    op.create_table(
        'audit_records',
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
        sa.Column('recovered', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('signature', sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint('seq', 'recorded_at', name='audit_records_pkey'),
        postgresql_partition_by='RANGE (recorded_at)',
    )
    _partitions((oldest or datetime.now(UTC)).date())
    op.execute(f"INSERT INTO audit_records ({_COLUMNS}) "
               f"SELECT {_COLUMNS} FROM audit_records_unpartitioned")
    op.execute("DROP TABLE audit_records_unpartitioned")  # its triggers go with it
    op.create_index('audit_records_subject', 'audit_records', ['subject', 'seq'])
    op.create_index('audit_records_type', 'audit_records', ['event_type', 'seq'])
    op.create_index('audit_records_event', 'audit_records', ['event_id'])
    op.create_index('audit_records_seq', 'audit_records', ['seq'])
    op.create_table(
        'audit_checkpoints',
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('region', sa.String(length=100), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('key_id', sa.String(length=64), nullable=False),
        sa.Column('signature', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
    )
    op.create_table(
        'audit_reconciliation',
        sa.Column('source', sa.String(length=100), nullable=False),
        sa.Column('after_id', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('source'),
    )
    _outbox()
    op.execute(sa.text(_GUARDS))


def _outbox() -> None:
    # shared.outbox.define_outbox's table, as the other services' first revisions make it.
    op.create_table(
        'outbox',
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('event_id', sa.Uuid(), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('event_type', sa.String(length=200), nullable=False),
        sa.Column('payload', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('parked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('park_reason', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id'),
    )
    op.create_index('outbox_pending', 'outbox', ['id'], unique=False,
                    postgresql_where=sa.text('published_at IS NULL'))


def downgrade() -> None:
    raise NotImplementedError("the audit log is not un-partitioned or un-signed")
