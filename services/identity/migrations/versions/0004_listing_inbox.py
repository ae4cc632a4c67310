"""identity: an inbox, since identity now follows an event of the care-unit mailbox
(messaging.listing_changed: a unit accepted a change of care centre).

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


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_index("inbox_processed_at", "inbox", ["processed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("inbox_processed_at", table_name="inbox")
    op.drop_table("inbox")
