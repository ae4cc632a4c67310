"""care-unit mailbox: unit inbox (cases), replies, follow-ups, staff projection and access,
groups, away, answer templates and promises, mailbox and peer keys, outbox, inbox.

The schema the previous release's migrations (shared.db.migrate, versions up to 4, and the
shared event tables' 900 and 901) made; such a database is stamped with this revision instead
of running it.

Revision ID: 0001
Revises:
Create Date: 2026-12-01"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('answer_promises',
    sa.Column('care_unit_id', sa.String(length=100), nullable=False),
    sa.Column('service_type', sa.String(length=50), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('care_unit_id', 'service_type')
    )
    op.create_table('answer_templates',
    sa.Column('template_id', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('care_unit_id', sa.String(length=100), nullable=True),
    sa.Column('owner_id', sa.String(length=100), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('template_id')
    )
    op.create_index('answer_templates_unit', 'answer_templates', ['care_unit_id', 'level'], unique=False)
    op.create_table('follow_ups',
    sa.Column('follow_up_id', sa.String(length=100), nullable=False),
    sa.Column('message_id', sa.String(length=100), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sealed_key_id', sa.String(length=100), nullable=False),
    sa.Column('sealed_ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('follow_up_id')
    )
    op.create_index(op.f('ix_follow_ups_message_id'), 'follow_ups', ['message_id'], unique=False)
    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id')
    )
    op.create_index('inbox_processed_at', 'inbox', ['processed_at'], unique=False)
    op.create_table('mailbox_keys',
    sa.Column('key_id', sa.String(length=100), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('wrapped_private_key', sa.LargeBinary(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key_id')
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('event_type', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('parked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('park_reason', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    op.create_index('outbox_pending', 'outbox', ['id'], unique=False, postgresql_where=sa.text('published_at IS NULL'))
    op.create_table('peer_keys',
    sa.Column('mailbox', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=100), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('mailbox', 'key_id')
    )
    op.create_table('staff_access',
    sa.Column('staff_id', sa.String(length=100), nullable=False),
    sa.Column('units', sa.JSON(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('staff_id')
    )
    op.create_table('staff_away',
    sa.Column('care_unit_id', sa.String(length=100), nullable=False),
    sa.Column('staff_id', sa.String(length=100), nullable=False),
    sa.Column('away', sa.Boolean(), nullable=False),
    sa.Column('changed_by', sa.String(length=100), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('care_unit_id', 'staff_id')
    )
    op.create_table('staff_members',
    sa.Column('staff_id', sa.String(length=100), nullable=False),
    sa.Column('care_unit_id', sa.String(length=100), nullable=False),
    sa.Column('profession', sa.String(length=50), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('staff_id', 'care_unit_id')
    )
    op.create_table('unit_groups',
    sa.Column('care_unit_id', sa.String(length=100), nullable=False),
    sa.Column('group_id', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('profession', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('care_unit_id', 'group_id')
    )
    op.create_table('unit_messages',
    sa.Column('message_id', sa.String(length=100), nullable=False),
    sa.Column('conversation_id', sa.String(length=100), nullable=False),
    sa.Column('care_unit_id', sa.String(length=100), nullable=False),
    sa.Column('patient_id', sa.String(length=100), nullable=False),
    sa.Column('service_type', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('assigned_to', sa.String(length=100), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sealed_key_id', sa.String(length=100), nullable=False),
    sa.Column('sealed_ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('group_id', sa.String(length=50), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unread_from_patient', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('overdue_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('message_id')
    )
    op.create_index(op.f('ix_unit_messages_care_unit_id'), 'unit_messages', ['care_unit_id'], unique=False)
    op.create_index('unit_messages_holder', 'unit_messages', ['assigned_to', 'status'], unique=False)
    op.create_index('unit_messages_overdue', 'unit_messages', ['due_at'], unique=False, postgresql_where=sa.text("overdue_notified_at IS NULL AND status IN ('unassigned', 'assigned')"))
    op.create_index('unit_messages_page', 'unit_messages', ['care_unit_id', 'received_at', 'message_id'], unique=False)
    op.create_index('unit_messages_status_page', 'unit_messages', ['care_unit_id', 'status', 'received_at', 'message_id'], unique=False)
    op.create_table('replies',
    sa.Column('reply_id', sa.String(length=100), nullable=False),
    sa.Column('message_id', sa.String(length=100), nullable=False),
    sa.Column('clinician_id', sa.String(length=100), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sealed_key_id', sa.String(length=100), nullable=False),
    sa.Column('sealed_ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('action', sa.String(length=10), server_default='answer', nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['unit_messages.message_id'], ),
    sa.PrimaryKeyConstraint('reply_id')
    )
    op.create_index(op.f('ix_replies_message_id'), 'replies', ['message_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_replies_message_id'), table_name='replies')
    op.drop_table('replies')
    op.drop_index('unit_messages_status_page', table_name='unit_messages')
    op.drop_index('unit_messages_page', table_name='unit_messages')
    op.drop_index('unit_messages_overdue', table_name='unit_messages', postgresql_where=sa.text("overdue_notified_at IS NULL AND status IN ('unassigned', 'assigned')"))
    op.drop_index('unit_messages_holder', table_name='unit_messages')
    op.drop_index(op.f('ix_unit_messages_care_unit_id'), table_name='unit_messages')
    op.drop_table('unit_messages')
    op.drop_table('unit_groups')
    op.drop_table('staff_members')
    op.drop_table('staff_away')
    op.drop_table('staff_access')
    op.drop_table('peer_keys')
    op.drop_index('outbox_pending', table_name='outbox', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_table('outbox')
    op.drop_table('mailbox_keys')
    op.drop_index('inbox_processed_at', table_name='inbox')
    op.drop_table('inbox')
    op.drop_index(op.f('ix_follow_ups_message_id'), table_name='follow_ups')
    op.drop_table('follow_ups')
    op.drop_index('answer_templates_unit', table_name='answer_templates')
    op.drop_table('answer_templates')
    op.drop_table('answer_promises')
